//! What is due, across the register: open corrective actions, pending
//! effectiveness checks, improvements' target dates, regulatory
//! reporting clocks and reviews of accepted residual risks, in one list,
//! soonest first.
//!
//! [`DueList`] takes items one at a time (from a store's `list_items`, or a
//! [`crate::Register`]) and keeps the entries a [`DueQuery`] selects. A
//! date-only deadline (an action's due date) ends with its day in the
//! organisation's time zone, as the KPIs count it: an action due today is
//! not overdue until tomorrow. A clock's deadline is an exact instant.
//! Every entry has a [`DueEntry::uid`] that stays the same while the thing
//! it names exists (an action keeps its uid when rescheduled), so a
//! calendar written again updates its events instead of adding new ones.
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use isms_core::*;
//!
//! let policy = Policy::default();
//! let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
//! let ctx = Context::new(at, Actor::new(ActorId::new("alice")?), &policy);
//! let id = NonconformityId::v7_from_parts(1, [1; 10]);
//! let mut register = Register::new();
//! register.execute(&ReportNonconformity::new(id, "Unauthorised access", "HR share read", Source::Incident,
//!     Severity::Major, ActorId::new("it-lead")?, at).into(), &ctx)?;
//! register.execute(&Command::record_incident_reporting(id, at - Duration::hours(2), true), &ctx)?;
//!
//! let mut due = DueList::new(DueQuery::new(at), &policy);
//! for nc in register.nonconformities() {
//!     due.push(ItemRef::Nonconformity(nc));
//! }
//! let list = due.finish();
//! assert_eq!(list[0].kind, DueKind::ReportingClock);
//! assert_eq!(list[0].deadline, at + Duration::hours(22)); // the early warning
//! assert!(list.iter().all(|e| e.owner.as_str() == "it-lead"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, Duration, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::ActorId;
use crate::item::ItemRef;
use crate::model::{Improvement, Nonconformity};
use crate::policy::Policy;
use crate::reporting::reporting_clocks;
use crate::timezone::IanaTimeZone;

/// What kind of thing is due. More kinds may come (a product's own, an
/// accepted risk's review), so a caller matches with a fallback arm.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DueKind {
    /// An open corrective action's due date (10.2 c).
    CorrectiveAction,
    /// A scheduled effectiveness check without a result (10.2 d).
    EffectivenessCheck,
    /// An improvement's target date while it is not yet realised (10.1).
    Improvement,
    /// A regulatory report not yet sent (NIS2 Article 23 and the like).
    ReportingClock,
    /// The review of a residual risk accepted by a closure or a rejection
    /// ([`crate::risk`]), due from the acceptor on the review date.
    RiskReview,
}

impl DueKind {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            DueKind::CorrectiveAction => "corrective_action",
            DueKind::EffectivenessCheck => "effectiveness_check",
            DueKind::Improvement => "improvement",
            DueKind::ReportingClock => "reporting_clock",
            DueKind::RiskReview => "risk_review",
        }
    }
}

/// When something is due: a calendar date, or an exact instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DueAt {
    /// Due on this date (in the organisation's time zone).
    Date(NaiveDate),
    /// Due at this instant.
    Instant(DateTime<Utc>),
}

/// One thing due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DueEntry {
    /// What kind of thing.
    pub kind: DueKind,
    /// A stable identifier: the same for the same action, check, target
    /// date or clock whenever the list is made
    /// (`nonconformity/<uuid>/action/<uuid>`,
    /// `nonconformity/<uuid>/check/<attempt>/<index>`,
    /// `improvement/<uuid>`, `nonconformity/<uuid>/clock/<regime>/<kind>`,
    /// `nonconformity/<uuid>/risk-review`).
    pub uid: String,
    /// The item's human reference (`NC-0007`, `IMP-0003`).
    pub reference: String,
    /// The item's title.
    pub title: String,
    /// What is due, in a few words (`A-1 Review access controls`, `check 2
    /// of 6: Restore test`, `Early warning (nis2/23.4.a)`).
    pub subject: String,
    /// Who it is due from: the action's owner, the verifier, the
    /// improvement's owner, the nonconformity's owner for a report.
    pub owner: ActorId,
    /// When it is due, as recorded.
    pub due: DueAt,
    /// The instant it becomes overdue: the end of a due date's day in the
    /// organisation's time zone, or a clock's deadline.
    pub deadline: DateTime<Utc>,
    /// Whether the deadline has passed at the list's instant.
    pub overdue: bool,
    /// A clock's deadline counted from another report's deadline, because
    /// that report has not been sent yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
    /// The item's version (its number of events): grows whenever the item
    /// changes, so a calendar can tell a newer copy of an entry.
    pub sequence: u64,
}

/// Which entries a [`DueList`] keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueQuery {
    /// The list's instant ("now").
    pub as_of: DateTime<Utc>,
    /// Keep only entries whose deadline is at most this long after
    /// `as_of` (overdue ones included); `None`: everything due.
    pub within: Option<Duration>,
    /// Keep only entries due from this actor.
    pub owner: Option<ActorId>,
    /// Keep only overdue entries.
    pub overdue_only: bool,
}

impl DueQuery {
    /// Everything due, as of `as_of`.
    pub fn new(as_of: DateTime<Utc>) -> Self {
        DueQuery {
            as_of,
            within: None,
            owner: None,
            overdue_only: false,
        }
    }
}

/// Collects the due entries of items pushed one at a time (see the module
/// docs).
#[derive(Clone, Debug)]
pub struct DueList {
    query: DueQuery,
    zone: IanaTimeZone,
    entries: Vec<DueEntry>,
}

impl DueList {
    /// An empty list for `query`, with dates read in `policy`'s time zone.
    pub fn new(query: DueQuery, policy: &Policy) -> Self {
        DueList {
            query,
            zone: policy.time_zone,
            entries: Vec::new(),
        }
    }

    /// Adds what `item` has due that the query selects.
    pub fn push(&mut self, item: ItemRef<'_>) {
        match item {
            ItemRef::Nonconformity(nc) => self.push_nonconformity(nc),
            ItemRef::Improvement(imp) => self.push_improvement(imp),
        }
    }

    /// The entries, soonest deadline first (then by uid, so the order is
    /// the same every time).
    pub fn finish(mut self) -> Vec<DueEntry> {
        self.entries
            .sort_by(|a, b| (a.deadline, &a.uid).cmp(&(b.deadline, &b.uid)));
        self.entries
    }

    fn keep(&mut self, entry: DueEntry) {
        let q = &self.query;
        if q.owner.as_ref().is_some_and(|o| *o != entry.owner) {
            return;
        }
        if q.overdue_only && !entry.overdue {
            return;
        }
        if let Some(within) = q.within
            && q.as_of
                .checked_add_signed(within)
                .is_some_and(|end| entry.deadline > end)
        {
            return;
        }
        self.entries.push(entry);
    }

    /// The end of `date`'s day in the organisation's zone (`None` only at
    /// the end of the calendar, when nothing can be overdue).
    fn date_entry(&self, date: NaiveDate) -> Option<(DueAt, DateTime<Utc>, bool)> {
        let deadline = self.zone.end_of(date)?;
        Some((DueAt::Date(date), deadline, deadline <= self.query.as_of))
    }

    fn push_nonconformity(&mut self, nc: &Nonconformity) {
        let base = format!("nonconformity/{}", nc.id);
        let entry = |kind,
                     uid: String,
                     subject: String,
                     owner: &ActorId,
                     at: (DueAt, DateTime<Utc>, bool)| DueEntry {
            kind,
            uid,
            reference: nc.reference.to_string(),
            title: nc.title.clone(),
            subject,
            owner: owner.clone(),
            due: at.0,
            deadline: at.1,
            overdue: at.2,
            provisional: false,
            sequence: nc.version,
        };
        if !nc.is_terminal() {
            for a in nc.actions.iter().filter(|a| !a.status.is_finished()) {
                if let Some(at) = self.date_entry(a.due) {
                    let e = entry(
                        DueKind::CorrectiveAction,
                        format!("{base}/action/{}", a.id),
                        format!("{} {}", a.reference, a.description),
                        &a.owner,
                        at,
                    );
                    self.keep(e);
                }
            }
            if let Some(plan) = nc.current_plan() {
                let dates = plan.schedule.check_dates().unwrap_or_default();
                let total = dates.len();
                let ended = nc.current_end().map(|e| e.checks_recorded);
                for (i, d) in dates.into_iter().enumerate() {
                    let i32_ = u32::try_from(i).unwrap_or(u32::MAX);
                    if nc.check_recorded(i32_) || ended.is_some_and(|e| i32_ >= e) {
                        continue;
                    }
                    if let Some(at) = self.date_entry(d) {
                        let e = entry(
                            DueKind::EffectivenessCheck,
                            format!("{base}/check/{}/{i}", plan.attempt),
                            format!("check {i} of {total}: {}", plan.method),
                            &plan.verifier,
                            at,
                        );
                        self.keep(e);
                    }
                }
            }
        }
        for c in reporting_clocks(nc) {
            if c.submission_recorded_at.is_some() {
                continue;
            }
            let Some(deadline) = c.due_as_of(self.query.as_of) else {
                continue;
            };
            let subject = match &c.provision {
                Some(p) => format!("{} ({p})", c.title),
                None => c.title.clone(),
            };
            let mut e = entry(
                DueKind::ReportingClock,
                format!("{base}/clock/{}/{}", c.regime, c.kind),
                subject,
                &nc.owner,
                (
                    DueAt::Instant(deadline),
                    deadline,
                    // A report sent at the deadline is on time.
                    deadline < self.query.as_of,
                ),
            );
            e.provisional = c.provisional;
            self.keep(e);
        }
        // An accepted residual risk stays due for review after the item
        // is closed or rejected: that is when it was accepted.
        if let Some(ra) = &nc.risk_acceptance
            && let Some(at) = self.date_entry(ra.review_by)
        {
            let risks = crate::risk::risk_ids(nc);
            let subject = if risks.is_empty() {
                format!("review of the accepted risk: {}", ra.residual_risk)
            } else {
                format!(
                    "review of the accepted risk ({}): {}",
                    risks.join(", "),
                    ra.residual_risk
                )
            };
            let e = entry(
                DueKind::RiskReview,
                format!("{base}/risk-review"),
                subject,
                &ra.accepted_by,
                at,
            );
            self.keep(e);
        }
    }

    fn push_improvement(&mut self, imp: &Improvement) {
        let Some(due) = imp.next_due() else { return };
        let Some(at) = self.date_entry(due) else {
            return;
        };
        let e = DueEntry {
            kind: DueKind::Improvement,
            uid: format!("improvement/{}", imp.id),
            reference: imp.reference.to_string(),
            title: imp.title.clone(),
            subject: format!("{} ({})", imp.title, imp.state),
            owner: imp.owner.clone(),
            due: at.0,
            deadline: at.1,
            overdue: at.2,
            provisional: false,
            sequence: imp.version,
        };
        self.keep(e);
    }
}
