//! Annotations: items named beside another item as context, with no set relationship.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::id::ItemRef;
use crate::mapping::Provenance;

/// A remark on one item that names other items a reader should look at beside it.
///
/// Unlike a [`crate::Mapping`], an annotation claims no relationship between the
/// contents of the items (not even `intersects_with`), so the catalogue never walks it:
/// transitive mappings and coverage ignore annotations. The shipped one is the design
/// brief's list of controls and provisions that support ISO/IEC 27001:2022 clause 10:
/// clause 10 asks for corrective action on any nonconformity, so a chain "some control
/// -> clause 10 -> some NIS2 article" would relate things that share nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Annotation {
    /// The item annotated, for example `iso27001:2022/10`.
    pub subject: ItemRef,
    /// What the list is, in a few words ("controls and provisions that support clause 10").
    pub label: String,
    /// The items named, in the order the source lists them.
    pub related: Vec<RelatedItem>,
    /// Where the list comes from.
    pub provenance: Provenance,
}

/// One item an [`Annotation`] names, with why it is named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RelatedItem {
    /// The item, in canonical form.
    pub item: ItemRef,
    /// Why it is named beside the subject (our own words).
    pub note: String,
}
