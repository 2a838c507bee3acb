//! Targets: thresholds that turn a KPI value into green, amber or red.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::TargetError;
use crate::report::{Direction, KpiId};

/// Two thresholds in the KPI's unit. For a KPI where higher is better the
/// value is green at or above `green`, amber at or above `amber`, red
/// below; where lower is better, green at or below `green`, amber at or
/// below `amber`, red above.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The green threshold (included in green).
    pub green: f64,
    /// The amber threshold (included in amber).
    pub amber: f64,
}

/// The red/amber/green status of a KPI value against its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// On target.
    Green,
    /// Off target, within tolerance.
    Amber,
    /// Off target.
    Red,
    /// The KPI has a target but its population is empty.
    NoData,
    /// The KPI carries no target.
    NoTarget,
}

impl Target {
    /// Checks the thresholds for a KPI of `direction`.
    pub fn check(&self, kpi: KpiId, direction: Direction) -> Result<(), TargetError> {
        let (green, amber) = (self.green, self.amber);
        if !green.is_finite() || !amber.is_finite() {
            return Err(TargetError::NotFinite { kpi, green, amber });
        }
        let ok = match direction {
            Direction::HigherIsBetter => green >= amber,
            Direction::LowerIsBetter => green <= amber,
            Direction::Neutral => return Err(TargetError::NoDirection { kpi }),
        };
        if ok {
            Ok(())
        } else {
            Err(TargetError::WrongOrder {
                kpi,
                direction,
                green,
                amber,
            })
        }
    }

    /// The status of `value` for a KPI of `direction`.
    pub fn status(&self, direction: Direction, value: f64) -> Status {
        match direction {
            Direction::HigherIsBetter if value >= self.green => Status::Green,
            Direction::HigherIsBetter if value >= self.amber => Status::Amber,
            Direction::LowerIsBetter if value <= self.green => Status::Green,
            Direction::LowerIsBetter if value <= self.amber => Status::Amber,
            Direction::Neutral => Status::NoTarget,
            _ => Status::Red,
        }
    }
}

/// The targets of a report, by KPI. [`Targets::default`] holds the shipped
/// defaults (see `docs/kpis.md`); an embedding product overrides them with
/// [`Targets::set`] or [`Targets::remove`], or starts from
/// [`Targets::none`]. Deserialising checks every target as `set` does.
///
/// ```
/// use isms_kpi::{KpiId, Target, Targets};
/// let mut targets = Targets::default();
/// targets.set(KpiId::EffectivenessRate, Target { green: 0.9, amber: 0.8 })?;
/// assert!(targets.set(KpiId::EffectivenessRate, Target { green: 0.5, amber: 0.8 }).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "BTreeMap<KpiId, Target>", into = "BTreeMap<KpiId, Target>")]
pub struct Targets {
    by_kpi: BTreeMap<KpiId, Target>,
}

impl Default for Targets {
    fn default() -> Self {
        let t = |green, amber| Target { green, amber };
        Self {
            by_kpi: BTreeMap::from([
                (KpiId::Ageing, t(0.10, 0.25)),
                (KpiId::TimeToContain, t(2.0, 7.0)),
                (KpiId::TimeToClose, t(60.0, 90.0)),
                (KpiId::OverdueActionRate, t(0.05, 0.15)),
                (KpiId::OnTimeActionCompletionRate, t(0.90, 0.75)),
                (KpiId::EffectivenessRate, t(0.85, 0.70)),
                (KpiId::RepeatNonconformityRate, t(0.05, 0.10)),
                (KpiId::OverdueVerifications, t(0.0, 3.0)),
                (KpiId::ImprovementCycleTime, t(90.0, 180.0)),
                (KpiId::ReportingOnTimeRate, t(1.0, 0.9)),
            ]),
        }
    }
}

impl Targets {
    /// No targets at all: every status is [`Status::NoTarget`].
    pub fn none() -> Self {
        Self {
            by_kpi: BTreeMap::new(),
        }
    }

    /// The target of `kpi`, if any.
    pub fn get(&self, kpi: KpiId) -> Option<Target> {
        self.by_kpi.get(&kpi).copied()
    }

    /// Sets the target of `kpi`, after checking it fits the KPI's direction.
    pub fn set(&mut self, kpi: KpiId, target: Target) -> Result<&mut Self, TargetError> {
        target.check(kpi, kpi.direction())?;
        self.by_kpi.insert(kpi, target);
        Ok(self)
    }

    /// Removes the target of `kpi`.
    pub fn remove(&mut self, kpi: KpiId) -> &mut Self {
        self.by_kpi.remove(&kpi);
        self
    }

    /// Every target, by KPI.
    pub fn iter(&self) -> impl Iterator<Item = (KpiId, Target)> + '_ {
        self.by_kpi.iter().map(|(k, t)| (*k, *t))
    }
}

impl TryFrom<BTreeMap<KpiId, Target>> for Targets {
    type Error = TargetError;

    fn try_from(by_kpi: BTreeMap<KpiId, Target>) -> Result<Self, TargetError> {
        for (kpi, t) in &by_kpi {
            t.check(*kpi, kpi.direction())?;
        }
        Ok(Self { by_kpi })
    }
}

impl From<Targets> for BTreeMap<KpiId, Target> {
    fn from(t: Targets) -> Self {
        t.by_kpi
    }
}
