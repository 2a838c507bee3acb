//! What reading commands ask of a store besides the log: the items that
//! match a filter (what `nc list` prints) and the compact facts of every
//! item (what KPIs need). Both have a default answer folded from the log;
//! a backend with projections answers from them, in item order.

use chrono::NaiveDate;
use isms_core::{
    ActorId, ImprovementFacts, ImprovementState, Item, NcFacts, NcState, Register, Severity,
};

/// Which items to list. Every condition given must hold; a condition left
/// `None` does not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemFilter {
    /// Nonconformities, or improvements.
    pub kind: ItemKind,
    /// Nonconformities in this state.
    pub nc_state: Option<NcState>,
    /// Improvements in this state.
    pub improvement_state: Option<ImprovementState>,
    /// Items owned by this actor.
    pub owner: Option<ActorId>,
    /// Nonconformities of this severity.
    pub severity: Option<Severity>,
    /// Items with something due on or before this date (the item's
    /// `next_due`): yesterday for "overdue", today plus N days for "due
    /// within N days".
    pub due_by: Option<NaiveDate>,
}

/// The two kinds of item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ItemKind {
    /// Nonconformities (10.2).
    #[default]
    Nonconformity,
    /// Improvement opportunities (10.1).
    Improvement,
}

impl ItemFilter {
    /// Whether `item` passes the filter.
    pub fn matches(&self, item: &Item) -> bool {
        let due_ok =
            |next: Option<NaiveDate>| self.due_by.is_none_or(|by| next.is_some_and(|d| d <= by));
        match item {
            Item::Nonconformity(nc) => {
                self.kind == ItemKind::Nonconformity
                    && self.nc_state.is_none_or(|s| nc.state == s)
                    && self.owner.as_ref().is_none_or(|o| nc.owner == *o)
                    && self.severity.is_none_or(|s| nc.severity == s)
                    && due_ok(nc.next_due())
            }
            Item::Improvement(imp) => {
                self.kind == ItemKind::Improvement
                    && self.improvement_state.is_none_or(|s| imp.state == s)
                    && self.owner.as_ref().is_none_or(|o| imp.owner == *o)
                    && self.severity.is_none()
                    && due_ok(imp.next_due())
            }
        }
    }
}

/// The facts of one item, as a store streams them.
// Handed over one at a time, never stored in bulk: boxing would only add
// an allocation per item on the KPI path.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Facts {
    /// A nonconformity's.
    Nonconformity(NcFacts),
    /// An improvement's.
    Improvement(ImprovementFacts),
}

/// The items of `register` that pass `filter`, in order of reference.
pub(crate) fn filter_register(
    register: &Register,
    filter: &ItemFilter,
    visit: &mut dyn FnMut(Item),
) {
    match filter.kind {
        ItemKind::Nonconformity => {
            for nc in register.nonconformities() {
                let item = Item::Nonconformity(nc.clone());
                if filter.matches(&item) {
                    visit(item);
                }
            }
        }
        ItemKind::Improvement => {
            for imp in register.improvements() {
                let item = Item::Improvement(imp.clone());
                if filter.matches(&item) {
                    visit(item);
                }
            }
        }
    }
}

/// The facts of every item of `register`: nonconformities, then
/// improvements, each in order of reference.
pub(crate) fn register_facts(register: &Register, visit: &mut dyn FnMut(Facts)) {
    for nc in register.nonconformities() {
        visit(Facts::Nonconformity(NcFacts::from(nc)));
    }
    for imp in register.improvements() {
        visit(Facts::Improvement(ImprovementFacts::from(imp)));
    }
}
