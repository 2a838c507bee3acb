//! Crosswalks: typed edges between items, and how relationships compose.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ValueError;
use crate::id::{FrameworkId, ItemRef};
use crate::vocab::vocabulary;

vocabulary! {
    /// How the source item relates to the target item, after NIST IR 8477
    /// set-theory relationship mapping. A mapping reads "source RELATIONSHIP target".
    Relationship, "relationship" {
        /// The two items cover the same content.
        Equal => "equal",
        /// All of the source is in the target, and the target has more.
        SubsetOf => "subset_of",
        /// All of the target is in the source, and the source has more.
        SupersetOf => "superset_of",
        /// The items share content, and each has content the other lacks.
        IntersectsWith => "intersects_with",
        /// The items share no content.
        NoRelationship => "no_relationship",
    }
}

impl Relationship {
    /// The relationship read the other way round (target to source).
    pub fn converse(self) -> Self {
        match self {
            Relationship::SubsetOf => Relationship::SupersetOf,
            Relationship::SupersetOf => Relationship::SubsetOf,
            other => other,
        }
    }

    fn bit(self) -> u8 {
        match self {
            Relationship::Equal => 1,
            Relationship::SubsetOf => 2,
            Relationship::SupersetOf => 4,
            Relationship::IntersectsWith => 8,
            Relationship::NoRelationship => 16,
        }
    }
}

vocabulary! {
    /// Why a relationship was asserted (NIST IR 8477 rationale).
    Rationale, "rationale" {
        /// The wording is the same or nearly so.
        Syntactic => "syntactic",
        /// The meaning is the same.
        Semantic => "semantic",
        /// The items serve the same purpose or have the same effect.
        Functional => "functional",
    }
}

/// How strongly two items relate, 0 (weakest) to 10 (strongest).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "i64", into = "i64")]
#[schemars(extend("minimum" = 0, "maximum" = 10))]
pub struct Strength(u8);

impl Strength {
    /// Checks that the strength is within 0 to 10.
    ///
    /// # Errors
    /// [`ValueError::StrengthOutOfRange`] otherwise.
    pub fn new(value: i64) -> Result<Self, ValueError> {
        match u8::try_from(value) {
            Ok(v) if v <= 10 => Ok(Self(v)),
            _ => Err(ValueError::StrengthOutOfRange { value }),
        }
    }

    /// The strength as a number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Strength {
    type Error = ValueError;
    fn try_from(v: i64) -> Result<Self, ValueError> {
        Self::new(v)
    }
}

impl From<Strength> for i64 {
    fn from(s: Strength) -> i64 {
        i64::from(s.0)
    }
}

/// Where a mapping comes from and under which terms it may be used.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Provenance {
    /// The source of the pair (publication, table, version).
    pub source: String,
    /// The licence of the source.
    pub licence: String,
    /// The relationship is a judgement of whoever compiled the set (this project, for
    /// shipped data), not a statement of the named source.
    pub inferred: bool,
    /// A short remark (what was changed, why the pair exists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One typed edge: "source RELATIONSHIP target".
///
/// Edges are stored once. The catalogue derives the reverse edge when it walks
/// from target to source ([`Mapping::reversed`]), so no crosswalk lists a pair twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Mapping {
    /// The item the statement is about.
    pub source: ItemRef,
    /// The item it is compared with.
    pub target: ItemRef,
    /// How source relates to target.
    pub relationship: Relationship,
    /// Why.
    pub rationale: Rationale,
    /// How strongly, if the source says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strength: Option<Strength>,
    /// Where it comes from.
    pub provenance: Provenance,
    /// This edge was derived by reading a stored edge backwards.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reversed: bool,
}

impl Mapping {
    /// The same statement read from the target's side: ends swapped, relationship
    /// replaced by its converse, `reversed` flipped. Reversing twice gives the original.
    pub fn reversed(&self) -> Mapping {
        Mapping {
            source: self.target.clone(),
            target: self.source.clone(),
            relationship: self.relationship.converse(),
            rationale: self.rationale,
            strength: self.strength,
            provenance: self.provenance.clone(),
            reversed: !self.reversed,
        }
    }
}

/// A named set of mappings with one provenance story: the unit users load and
/// the catalogue ships.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Crosswalk {
    /// A unique identifier, for example `enisa-iso27001-2022-nis2-ir`.
    pub id: String,
    /// A human-readable name.
    pub name: String,
    /// What the set is for and how it was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The edges.
    pub mappings: Vec<Mapping>,
}

impl Crosswalk {
    /// The same set with every edge reversed (what a crosswalk from the other side
    /// would say). Reversing twice gives the original.
    pub fn reversed(&self) -> Crosswalk {
        Crosswalk {
            mappings: self.mappings.iter().map(Mapping::reversed).collect(),
            ..self.clone()
        }
    }
}

/// A set of possible relationships: what set algebra allows after composing edges.
///
/// Serialised as the list of its members.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "Vec<Relationship>", into = "Vec<Relationship>")]
pub struct RelationshipSet(u8);

impl RelationshipSet {
    /// No relationship is possible (the empty set; never produced by composition).
    pub const EMPTY: RelationshipSet = RelationshipSet(0);
    /// Nothing is known: every relationship is possible.
    pub const ANY: RelationshipSet = RelationshipSet(31);

    /// The set holding exactly one relationship.
    pub fn single(r: Relationship) -> Self {
        Self(r.bit())
    }

    /// Whether `r` is possible.
    pub fn contains(self, r: Relationship) -> bool {
        self.0 & r.bit() != 0
    }

    /// The union of two sets.
    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The possible relationships, in [`Relationship::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Relationship> {
        Relationship::ALL
            .iter()
            .copied()
            .filter(move |r| self.contains(*r))
    }

    /// Number of possible relationships.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Every member replaced by its converse.
    pub fn converse(self) -> Self {
        self.iter()
            .fold(Self::EMPTY, |acc, r| acc.union(Self::single(r.converse())))
    }

    /// Composition: if A relates to B as one of `self` and B relates to C as one of
    /// `next`, the relationships A can have to C. See [`compose`].
    pub fn then(self, next: Self) -> Self {
        let mut out = Self::EMPTY;
        for a in self.iter() {
            for b in next.iter() {
                out = out.union(compose(a, b));
            }
        }
        out
    }

    /// The single relationship to report for this set, and how sure it is:
    /// one member is reported as itself ([`Certainty::Exact`]); several members without
    /// `no_relationship` as `intersects_with` ([`Certainty::Overlapping`]: the items
    /// certainly share content); several members including `no_relationship` as
    /// `intersects_with` [`Certainty::AtBest`].
    pub fn summary(self) -> (Relationship, Certainty) {
        let mut it = self.iter();
        match (it.next(), it.next()) {
            (Some(only), None) => (only, Certainty::Exact),
            _ if self.contains(Relationship::NoRelationship) || self.is_empty() => {
                (Relationship::IntersectsWith, Certainty::AtBest)
            }
            _ => (Relationship::IntersectsWith, Certainty::Overlapping),
        }
    }
}

impl fmt::Debug for RelationshipSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl TryFrom<Vec<Relationship>> for RelationshipSet {
    type Error = ValueError;
    fn try_from(v: Vec<Relationship>) -> Result<Self, ValueError> {
        Ok(v.into_iter()
            .fold(Self::EMPTY, |acc, r| acc.union(Self::single(r))))
    }
}

impl From<RelationshipSet> for Vec<Relationship> {
    fn from(s: RelationshipSet) -> Self {
        s.iter().collect()
    }
}

/// How sure a composed relationship is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    /// Set algebra fixes the relationship (a single possibility).
    Exact,
    /// The items certainly share content; which containment holds is unknown.
    Overlapping,
    /// The items may share content or may not: `intersects_with` is the best claim.
    AtBest,
}

/// Composes two base relationships (A `first` B, B `second` C) into the set of
/// relationships A can have to C, by the set-theory (RCC-5) composition table for
/// non-empty items. The table is in `docs/catalog.md`. Examples: `equal` then `x` is `x`;
/// `subset_of` then `subset_of` is `subset_of`; `subset_of` then `superset_of` allows
/// everything (reported as `intersects_with` at best); `superset_of` then `subset_of`
/// guarantees shared content.
pub fn compose(first: Relationship, second: Relationship) -> RelationshipSet {
    use Relationship::{
        Equal as Eq, IntersectsWith as Po, NoRelationship as Dr, SubsetOf as Pp, SupersetOf as Ppi,
    };
    let set = |rs: &[Relationship]| {
        rs.iter().fold(RelationshipSet::EMPTY, |a, r| {
            a.union(RelationshipSet::single(*r))
        })
    };
    match (first, second) {
        (Eq, r) | (r, Eq) => RelationshipSet::single(r),
        (Pp, Pp) => set(&[Pp]),
        (Pp, Ppi) => RelationshipSet::ANY,
        (Pp, Po) => set(&[Pp, Po, Dr]),
        (Pp, Dr) => set(&[Dr]),
        (Ppi, Pp) => set(&[Eq, Pp, Ppi, Po]),
        (Ppi, Ppi) => set(&[Ppi]),
        (Ppi, Po) => set(&[Ppi, Po]),
        (Ppi, Dr) => set(&[Ppi, Po, Dr]),
        (Po, Pp) => set(&[Pp, Po]),
        (Po, Ppi) => set(&[Ppi, Po, Dr]),
        (Po, Po) => RelationshipSet::ANY,
        (Po, Dr) => set(&[Ppi, Po, Dr]),
        (Dr, Pp) => set(&[Pp, Po, Dr]),
        (Dr, Ppi) => set(&[Dr]),
        (Dr, Po) => set(&[Pp, Po, Dr]),
        (Dr, Dr) => RelationshipSet::ANY,
    }
}

/// One way from a source item to a target item: the edges walked and what they
/// imply together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MappingPath {
    /// Where the path starts.
    pub source: ItemRef,
    /// Where it ends.
    pub target: ItemRef,
    /// The edges in order, each oriented along the path (`reversed` marks derived ones).
    pub steps: Vec<Mapping>,
    /// Every relationship the composition allows.
    pub possible: RelationshipSet,
    /// The relationship to report (see [`RelationshipSet::summary`]).
    pub relationship: Relationship,
    /// How sure `relationship` is.
    pub certainty: Certainty,
}

impl MappingPath {
    /// Frameworks passed through between source and target.
    pub fn pivots(&self) -> Vec<&FrameworkId> {
        self.steps
            .iter()
            .skip(1)
            .map(|m| &m.source.framework)
            .collect()
    }

    /// Whether the path rests on inference: a step marked `inferred`, or more than one
    /// step (composing edges is itself an inference).
    pub fn inferred(&self) -> bool {
        self.steps.iter().any(|m| m.provenance.inferred) || self.steps.len() > 1
    }
}

/// Limits for a transitive walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TransitiveOptions {
    /// Most edges on one path (1 = direct mappings only). Default 3.
    pub max_depth: usize,
    /// Frameworks a path may pass through; `None` allows every framework except the
    /// source's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pivots: Option<Vec<FrameworkId>>,
}

impl Default for TransitiveOptions {
    fn default() -> Self {
        Self {
            max_depth: 3,
            pivots: None,
        }
    }
}

/// One item of the target framework touched by a coverage query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CoveredItem {
    /// The target item.
    pub item: ItemRef,
    /// The best relationship of any path to it (see [`Coverage`]).
    pub relationship: Relationship,
    /// How sure that relationship is.
    pub certainty: Certainty,
    /// Every path that reaches the item, best first.
    pub paths: Vec<MappingPath>,
}

/// Which items of a target framework a set of references touches, and how.
///
/// "Best" ranks certainty first (exact, overlapping, at best), then the relationship
/// seen from the sources: `equal`, `superset_of` (the source covers the whole target
/// item), `subset_of`, `intersects_with`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Coverage {
    /// The framework looked at.
    pub target: FrameworkId,
    /// The references the query started from, resolved.
    pub sources: Vec<ItemRef>,
    /// Target items reached, in framework order.
    pub touched: Vec<CoveredItem>,
    /// Target items not reached, in framework order.
    pub untouched: Vec<ItemRef>,
}

impl Coverage {
    /// Share of target items touched, 0.0 to 1.0.
    pub fn ratio(&self) -> f64 {
        let total = self.touched.len() + self.untouched.len();
        if total == 0 {
            0.0
        } else {
            self.touched.len() as f64 / total as f64
        }
    }
}

/// Ranks a path for coverage: lower is better.
pub(crate) fn path_rank(p: &MappingPath) -> (Certainty, u8, usize) {
    let r = match p.relationship {
        Relationship::Equal => 0,
        Relationship::SupersetOf => 1,
        Relationship::SubsetOf => 2,
        Relationship::IntersectsWith => 3,
        Relationship::NoRelationship => 4,
    };
    (p.certainty, r, p.steps.len())
}
