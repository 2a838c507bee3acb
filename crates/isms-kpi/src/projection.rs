//! Projecting requirement references onto another framework, for the
//! `by_requirement` KPI ("how many nonconformities touch each NIS2
//! Article 21(2) point?"). The catalogue crate implements the trait; a plain
//! map does too, for products with their own mapping.

use std::collections::{BTreeMap, HashMap};

use isms_core::RequirementRef;

/// Maps a requirement reference onto the items of another framework.
pub trait RequirementProjection {
    /// The items of `target_framework` that `reference` maps to (empty when
    /// none). `target_framework` is a framework name (`nis2`) or a framework
    /// key with version (`iso27001:2013`); implementations decide how
    /// strictly to match it. Duplicates in the answer are ignored.
    fn project(&self, reference: &RequirementRef, target_framework: &str) -> Vec<RequirementRef>;
}

/// Whether `r` belongs to `framework`: equal framework key
/// (`iso27001:2022`) or framework name (`nis2`).
pub fn in_framework(r: &RequirementRef, framework: &str) -> bool {
    r.framework_key().eq_ignore_ascii_case(framework)
        || r.framework().eq_ignore_ascii_case(framework)
}

fn from_map(
    reference: &RequirementRef,
    target_framework: &str,
    targets: Option<&Vec<RequirementRef>>,
) -> Vec<RequirementRef> {
    let mut out: Vec<RequirementRef> = targets
        .into_iter()
        .flatten()
        .filter(|t| in_framework(t, target_framework))
        .cloned()
        .collect();
    // A reference already in the target framework projects onto itself.
    if in_framework(reference, target_framework) {
        out.push(reference.clone());
    }
    out
}

/// A fixed mapping: each reference to its related references in any
/// framework; [`RequirementProjection::project`] keeps those of the target
/// framework (and a reference already in it maps to itself).
impl RequirementProjection for BTreeMap<RequirementRef, Vec<RequirementRef>> {
    fn project(&self, reference: &RequirementRef, target_framework: &str) -> Vec<RequirementRef> {
        from_map(reference, target_framework, self.get(reference))
    }
}

/// As for the `BTreeMap`.
impl RequirementProjection for HashMap<RequirementRef, Vec<RequirementRef>> {
    fn project(&self, reference: &RequirementRef, target_framework: &str) -> Vec<RequirementRef> {
        from_map(reference, target_framework, self.get(reference))
    }
}

/// The catalogue projects a reference onto another framework through its
/// crosswalks, directly or transitively (at most three edges, any pivot
/// framework: [`isms_catalog::TransitiveOptions::default`]); ISO/IEC
/// 27001:2022 controls reach the NIS2 Directive through the Implementing
/// Regulation. A reference the catalogue cannot resolve projects nowhere; one
/// already in the target framework projects onto itself.
impl RequirementProjection for isms_catalog::Catalog {
    fn project(&self, reference: &RequirementRef, target_framework: &str) -> Vec<RequirementRef> {
        CatalogProjection::new(self).project(reference, target_framework)
    }
}

/// The catalogue with explicit transitive options (depth, pivots), for
/// products that want only direct mappings (`max_depth: 1`) or a chosen path.
#[derive(Clone, Debug)]
pub struct CatalogProjection<'c> {
    /// The catalogue.
    pub catalog: &'c isms_catalog::Catalog,
    /// How far to follow crosswalks.
    pub options: isms_catalog::TransitiveOptions,
}

impl<'c> CatalogProjection<'c> {
    /// The catalogue with the default options (three edges, any pivot).
    pub fn new(catalog: &'c isms_catalog::Catalog) -> Self {
        Self {
            catalog,
            options: isms_catalog::TransitiveOptions::default(),
        }
    }
}

impl RequirementProjection for CatalogProjection<'_> {
    fn project(&self, reference: &RequirementRef, target_framework: &str) -> Vec<RequirementRef> {
        let mut out: Vec<RequirementRef> = self
            .catalog
            .transitive_mappings(reference.as_str(), target_framework, &self.options)
            .map(|paths| {
                paths
                    .iter()
                    .filter_map(|p| p.target.to_string().parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        if in_framework(reference, target_framework) {
            out.push(reference.clone());
        }
        out.sort();
        out.dedup();
        out
    }
}
