//! KPIs over a part of the register: the findings of one audit or review.
//!
//! A [`Selection`] names the nonconformities and improvements (by reference
//! number) whose facts go into a view; [`KpiViewBuilder`] takes only those
//! with [`KpiViewBuilder::push_encoded_nonconformity_in`] and
//! [`KpiViewBuilder::push_encoded_improvement_in`]. Every KPI is then
//! computed over those items alone, exactly as over a register that holds
//! nothing else.
//!
//! ```
//! use isms_core::{AuditId, Improvement, Nonconformity};
//! use isms_kpi::Selection;
//! let audit: AuditId = "IA-2026-1".parse()?;
//! let (ncs, imps): (Vec<Nonconformity>, Vec<Improvement>) = (vec![], vec![]);
//! let selection = Selection::of_audit(&audit, &ncs, &imps);
//! assert!(!selection.has_nonconformity(1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;

use isms_core::{AuditId, FactsError, Improvement, ImprovementFacts, NcFacts, Nonconformity};

use crate::view::KpiViewBuilder;

/// The items a KPI view is restricted to, by reference number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    nonconformities: BTreeSet<u32>,
    improvements: BTreeSet<u32>,
}

impl Selection {
    /// The nonconformities and improvements that name `audit`.
    pub fn of_audit<'a>(
        audit: &AuditId,
        nonconformities: impl IntoIterator<Item = &'a Nonconformity>,
        improvements: impl IntoIterator<Item = &'a Improvement>,
    ) -> Self {
        Self {
            nonconformities: nonconformities
                .into_iter()
                .filter(|n| n.audit.as_ref() == Some(audit))
                .map(|n| n.reference.number())
                .collect(),
            improvements: improvements
                .into_iter()
                .filter(|i| i.audit.as_ref() == Some(audit))
                .map(|i| i.reference.number())
                .collect(),
        }
    }

    /// A selection of these reference numbers.
    pub fn of_numbers(
        nonconformities: impl IntoIterator<Item = u32>,
        improvements: impl IntoIterator<Item = u32>,
    ) -> Self {
        Self {
            nonconformities: nonconformities.into_iter().collect(),
            improvements: improvements.into_iter().collect(),
        }
    }

    /// Whether nonconformity `NC-<number>` is selected.
    pub fn has_nonconformity(&self, number: u32) -> bool {
        self.nonconformities.contains(&number)
    }

    /// Whether improvement `IMP-<number>` is selected.
    pub fn has_improvement(&self, number: u32) -> bool {
        self.improvements.contains(&number)
    }

    /// How many nonconformities and improvements are selected.
    pub fn len(&self) -> (usize, usize) {
        (self.nonconformities.len(), self.improvements.len())
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.nonconformities.is_empty() && self.improvements.is_empty()
    }
}

impl KpiViewBuilder {
    /// Adds the nonconformity whose encoded facts these are, if `selection`
    /// holds it; returns whether it did.
    ///
    /// # Errors
    /// Facts that do not decode.
    pub fn push_encoded_nonconformity_in(
        &mut self,
        bytes: &[u8],
        selection: &Selection,
    ) -> Result<bool, FactsError> {
        let facts = NcFacts::decode(bytes)?;
        let selected = selection.has_nonconformity(facts.number);
        if selected {
            self.push_nonconformity(&facts);
        }
        Ok(selected)
    }

    /// Adds the improvement whose encoded facts these are, if `selection`
    /// holds it; returns whether it did.
    ///
    /// # Errors
    /// Facts that do not decode.
    pub fn push_encoded_improvement_in(
        &mut self,
        bytes: &[u8],
        selection: &Selection,
    ) -> Result<bool, FactsError> {
        let facts = ImprovementFacts::decode(bytes)?;
        let selected = selection.has_improvement(facts.number);
        if selected {
            self.push_improvement(&facts);
        }
        Ok(selected)
    }
}
