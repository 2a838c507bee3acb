//! Risk acceptance: clause 10.2 leads back to risk treatment (6.1.3), and
//! Implementing Regulation (EU) 2024/2690 point 2.3.3 expects either
//! corrective action or an accepted residual risk.
//!
//! A nonconformity's closure or rejection may carry [`RiskAcceptanceTerms`]:
//! the residual risk accepted, in words, and the date by which the
//! acceptance is to be reviewed. The actor who closes or rejects is then
//! the acceptor, and must hold the role the policy names for it
//! ([`crate::Policy::risk_acceptor_role`], else the closure approver role;
//! none when the policy names neither, as for any closure). The item keeps the acceptance as a
//! [`RiskAcceptance`], and [`accepted_risks`] lists every acceptance of a
//! register with its review date, so that one past its date shows up.
//!
//! The risks concerned are the item's links of kind
//! [`crate::LinkKind::Risk`] (the embedding product's risk identifiers, or
//! free text), kept with [`crate::Command::ChangeNonconformityLinks`].
//!
//! ```
//! use chrono::NaiveDate;
//! use isms_core::RiskAcceptanceTerms;
//! let terms = RiskAcceptanceTerms::new(
//!     "Legacy file server stays without restore tests until its retirement",
//!     NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
//! );
//! assert_eq!(serde_json::to_value(&terms)?["review_by"], "2027-03-31");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{ActorId, NcRef, NonconformityId};
use crate::model::{ExternalLink, LinkKind, Nonconformity};

/// How far ahead a risk acceptance's review may lie, in days (three
/// years): an acceptance is a decision to revisit, not a permanent waiver.
pub const MAX_RISK_REVIEW_DAYS: i64 = 3 * 366;

/// What a command says about an accepted residual risk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskAcceptanceTerms {
    /// The residual risk accepted, in words.
    pub residual_risk: String,
    /// The date by which the acceptance is to be reviewed (a calendar date
    /// in the policy's time zone; after the decision's date, and at most
    /// [`MAX_RISK_REVIEW_DAYS`] after it).
    #[serde(serialize_with = "crate::json_time::date")]
    pub review_by: NaiveDate,
}

impl RiskAcceptanceTerms {
    /// Terms with this residual risk statement and review date.
    pub fn new(residual_risk: impl Into<String>, review_by: NaiveDate) -> Self {
        Self {
            residual_risk: residual_risk.into(),
            review_by,
        }
    }
}

/// Which decision carried a risk acceptance.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RiskDecision {
    /// The closure: the residual risk after correction is accepted.
    Closure,
    /// The rejection: no corrective action is taken and the risk is accepted.
    Rejection,
}

impl RiskDecision {
    /// `closure` or `rejection`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RiskDecision::Closure => "closure",
            RiskDecision::Rejection => "rejection",
        }
    }
}

/// A risk acceptance recorded on a nonconformity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskAcceptance {
    /// The residual risk accepted, in words.
    pub residual_risk: String,
    /// When the acceptance is to be reviewed.
    #[serde(serialize_with = "crate::json_time::date")]
    pub review_by: NaiveDate,
    /// Which decision carried it.
    pub decision: RiskDecision,
    /// Who accepted the risk (the actor of the decision; the event
    /// records the roles it held).
    pub accepted_by: ActorId,
    /// When it was accepted.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub at: DateTime<Utc>,
}

/// One accepted risk of a register, as [`accepted_risks`] lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptedRisk {
    /// The nonconformity whose decision accepted it.
    pub nonconformity: NonconformityId,
    /// Its reference.
    pub reference: NcRef,
    /// Its title.
    pub title: String,
    /// The risk identifiers it links to ([`LinkKind::Risk`]), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risks: Vec<String>,
    /// The acceptance.
    pub acceptance: RiskAcceptance,
}

impl AcceptedRisk {
    /// Whether the review is due on `today`: its date is today or past.
    pub fn review_due(&self, today: NaiveDate) -> bool {
        self.acceptance.review_by <= today
    }

    /// Whether the review date has passed before `today`.
    pub fn review_overdue(&self, today: NaiveDate) -> bool {
        self.acceptance.review_by < today
    }
}

/// Every risk acceptance among `nonconformities`, soonest review first
/// (then by reference): past review dates first, then the upcoming ones.
/// Filter with [`AcceptedRisk::review_due`] for what needs a review now.
///
/// ```
/// use isms_core::{accepted_risks, Nonconformity};
/// let none: Vec<Nonconformity> = Vec::new();
/// assert!(accepted_risks(&none).is_empty());
/// ```
pub fn accepted_risks<'a>(
    nonconformities: impl IntoIterator<Item = &'a Nonconformity>,
) -> Vec<AcceptedRisk> {
    let mut out: Vec<AcceptedRisk> = nonconformities
        .into_iter()
        .filter_map(|nc| {
            let acceptance = nc.risk_acceptance.clone()?;
            Some(AcceptedRisk {
                nonconformity: nc.id,
                reference: nc.reference,
                title: nc.title.clone(),
                risks: risk_ids(nc),
                acceptance,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (a.acceptance.review_by, a.reference).cmp(&(b.acceptance.review_by, b.reference))
    });
    out
}

/// The risk identifiers a nonconformity links to, in order.
pub fn risk_ids(nc: &Nonconformity) -> Vec<String> {
    nc.links
        .iter()
        .filter(|l| l.kind == LinkKind::Risk)
        .map(|l| l.id.clone())
        .collect()
}

impl LinkKind {
    /// Every kind, in declaration order.
    pub const ALL: [LinkKind; 6] = [
        LinkKind::Incident,
        LinkKind::Audit,
        LinkKind::Risk,
        LinkKind::Asset,
        LinkKind::Document,
        LinkKind::Other,
    ];

    /// The snake_case name, as in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            LinkKind::Incident => "incident",
            LinkKind::Audit => "audit",
            LinkKind::Risk => "risk",
            LinkKind::Asset => "asset",
            LinkKind::Document => "document",
            LinkKind::Other => "other",
        }
    }
}

impl std::fmt::Display for LinkKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for ExternalLink {
    /// `kind:id`, as [`ExternalLink::parse`] reads it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind, self.id)
    }
}

impl ExternalLink {
    /// A link of this kind to this identifier.
    pub fn new(kind: LinkKind, id: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.into(),
        }
    }

    /// Reads `kind:id` (`risk:R-12`, `incident:INC-7`); the identifier is
    /// everything after the first colon, trimmed. Its text is checked by
    /// `decide`, like every text.
    ///
    /// ```
    /// use isms_core::{ExternalLink, LinkKind};
    /// let l = ExternalLink::parse("risk:RISK-0042")?;
    /// assert_eq!((l.kind, l.id.as_str()), (LinkKind::Risk, "RISK-0042"));
    /// assert!(ExternalLink::parse("threat:T-1").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// What is wrong, in words naming the accepted kinds.
    pub fn parse(s: &str) -> Result<Self, String> {
        let kinds = LinkKind::ALL.map(LinkKind::as_str).join(", ");
        let Some((kind, id)) = s.split_once(':') else {
            return Err(format!(
                "link {s:?} has no kind: write KIND:ID, where KIND is one of {kinds}"
            ));
        };
        let kind = LinkKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("link kind {kind:?} is not one of {kinds}"))?;
        let id = id.trim();
        if id.is_empty() {
            return Err(format!("link {s:?} has no identifier after the colon"));
        }
        Ok(Self::new(kind, id))
    }
}
