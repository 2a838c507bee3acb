//! The catalogue: frameworks, crosswalks, indexes and queries.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use crate::annotation::{Annotation, RelatedItem};
use crate::error::{CatalogError, ResolveError};
use crate::id::ItemRef;
use crate::mapping::{
    Coverage, CoveredItem, Crosswalk, Mapping, MappingPath, Relationship, RelationshipSet,
    TransitiveOptions, path_rank,
};
use crate::model::{Framework, Item};
use crate::shipped;

/// FNV-1a: the indexes hold short identifier strings, for which SipHash's
/// flood resistance buys nothing and costs most of a look-up.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type Index<K> = HashMap<K, u32, BuildHasherDefault<Fnv>>;

/// Aliases of the shipped frameworks, after [`normalise_framework`].
const SHIPPED_ALIASES: &[(&str, &[&str])] = &[
    (
        "iso27001:2022",
        &[
            "iso27001",
            "iso27001-2022",
            "iso27001:2022",
            "27001",
            "27001:2022",
        ],
    ),
    (
        "iso27002:2022",
        &["iso27002", "iso27002-2022", "27002", "27002:2022"],
    ),
    ("iso27001:2013", &["iso27001-2013", "27001:2013"]),
    (
        "nis2",
        &[
            "nis-2",
            "nis2directive",
            "directive(eu)2022/2555",
            "eu2022/2555",
            "2022/2555",
        ],
    ),
    (
        "nis2-ir:2024-2690",
        &[
            "nis2-ir",
            "nis2ir",
            "nis2-ir-2024-2690",
            "ir2024/2690",
            "(eu)2024/2690",
            "2024/2690",
            "ir2690",
        ],
    ),
    (
        "cis:v8",
        &[
            "cis",
            "cisv8",
            "cis-v8",
            "cis:8",
            "ciscontrols",
            "ciscontrolsv8",
        ],
    ),
];

/// Lower-case, without whitespace, `ISO/IEC` shortened to `iso`, `_` as `-`.
fn normalise_framework(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| !c.is_whitespace()) {
        out.push(if c == '_' {
            '-'
        } else {
            c.to_ascii_lowercase()
        });
    }
    if out.contains("iso/iec") || out.contains("iso-iec") {
        out = out.replace("iso/iec", "iso").replace("iso-iec", "iso");
    }
    out
}

/// Loose form of an item identifier: lower-case, common words dropped, brackets,
/// spaces and hyphens as dots (`Article 21(2)(c)` and `21.2.c` agree; `A 8.13`,
/// `A8.13` and `a.8.13` agree).
pub(crate) fn loose_item(s: &str) -> String {
    let mut t = s.trim().to_ascii_lowercase();
    for prefix in [
        "annex a",
        "article",
        "art.",
        "art",
        "clause",
        "control",
        "safeguard",
        "subsection",
        "section",
        "point",
        "nis2-",
        "nis2",
        "ir2690-",
        "cis",
    ] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let annex = prefix == "annex a";
            if rest.starts_with(|c: char| c.is_ascii_digit() || c == ' ' || c == '.') {
                t = if annex {
                    format!("a.{}", rest.trim_start_matches([' ', '.']))
                } else {
                    rest.to_owned()
                };
                break;
            }
        }
    }
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        let c = match c {
            ')' => continue,
            ' ' | '-' | '(' | ',' | '_' | '/' => '.',
            c => c,
        };
        if c == '.' && (out.is_empty() || out.ends_with('.')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('.') {
        out.pop();
    }
    // "a8.13" -> "a.8.13"
    if out.len() > 1 && out.starts_with('a') && out.as_bytes()[1].is_ascii_digit() {
        out.insert(1, '.');
    }
    out
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// An edge as the catalogue walks it: a stored mapping, read forwards or backwards.
#[derive(Debug, Clone, Copy)]
struct Edge {
    crosswalk: u32,
    mapping: u32,
    reversed: bool,
    to: u32,
    relationship: Relationship,
}

/// Frameworks, their items and the crosswalks between them, indexed for queries.
///
/// Get the shipped catalogue with [`Catalog::shipped`]; extend it with
/// [`Catalog::builder`]. A catalogue is immutable once built.
#[derive(Debug, Clone)]
pub struct Catalog {
    frameworks: Vec<Framework>,
    shipped_frameworks: usize,
    crosswalks: Vec<Crosswalk>,
    shipped_crosswalks: usize,
    /// Canonical keys and aliases (normalised) to framework index.
    framework_keys: HashMap<String, u16, BuildHasherDefault<Fnv>>,
    /// First node of each framework; node = first + item index.
    first_node: Vec<u32>,
    node_framework: Vec<u16>,
    node_refs: Vec<ItemRef>,
    exact: Vec<Index<Box<str>>>,
    loose: Vec<Index<String>>,
    parent: Vec<Option<u32>>,
    children: Vec<Vec<u32>>,
    edges: Vec<Vec<Edge>>,
    annotations: Vec<Annotation>,
    /// Per node: indexes into `annotations` of those whose subject it is.
    annotated: HashMap<u32, Vec<u32>>,
    /// Per node: indexes into `annotations` of those that name it.
    named_in: HashMap<u32, Vec<u32>>,
}

/// Builds a catalogue from the shipped data plus a user's own frameworks and crosswalks.
///
/// Loaded data never replaces shipped data: a framework whose key (or alias) is already
/// taken, or a crosswalk whose id is taken, is refused with a [`CatalogError`].
#[derive(Debug, Clone)]
pub struct CatalogBuilder {
    include_shipped: bool,
    frameworks: Vec<Framework>,
    crosswalks: Vec<Crosswalk>,
}

impl CatalogBuilder {
    /// Starts without the shipped data (only what you add).
    pub fn empty() -> Self {
        Self {
            include_shipped: false,
            frameworks: Vec::new(),
            crosswalks: Vec::new(),
        }
    }

    /// Adds a framework of your own.
    #[must_use]
    pub fn with_user_framework(mut self, framework: Framework) -> Self {
        self.frameworks.push(framework);
        self
    }

    /// Adds a crosswalk (mapping set) of your own.
    #[must_use]
    pub fn with_user_mappings(mut self, crosswalk: Crosswalk) -> Self {
        self.crosswalks.push(crosswalk);
        self
    }

    /// Validates everything and builds the catalogue.
    ///
    /// # Errors
    /// A [`CatalogError`] naming the first problem: a duplicate framework, item or
    /// crosswalk, an unknown parent, a mapping to a missing item, a duplicate pair.
    pub fn build(self) -> Result<Catalog, CatalogError> {
        let (mut frameworks, mut crosswalks, annotations, shipped_f, shipped_c) =
            if self.include_shipped {
                let base = Catalog::shipped();
                (
                    base.frameworks.clone(),
                    base.crosswalks.clone(),
                    base.annotations.clone(),
                    base.frameworks.len(),
                    base.crosswalks.len(),
                )
            } else {
                (Vec::new(), Vec::new(), Vec::new(), 0, 0)
            };
        frameworks.extend(self.frameworks);
        crosswalks.extend(self.crosswalks);
        Catalog::assemble(frameworks, shipped_f, crosswalks, shipped_c, annotations)
    }
}

impl Catalog {
    /// The shipped catalogue, built once on first use and shared.
    ///
    /// # Panics
    /// Only if the data compiled into the crate is inconsistent, which the crate's
    /// data-integrity tests rule out.
    pub fn shipped() -> &'static Catalog {
        static SHIPPED: OnceLock<Catalog> = OnceLock::new();
        SHIPPED.get_or_init(|| match Catalog::build_shipped() {
            Ok(c) => c,
            Err(e) => {
                panic!("isms-catalog shipped data is inconsistent (a bug in this crate): {e}")
            }
        })
    }

    /// Builds a fresh copy of the shipped catalogue (parses the compiled-in data again).
    ///
    /// # Errors
    /// [`CatalogError::ShippedData`] or a validation error if the compiled-in data is
    /// inconsistent (a bug in this crate).
    pub fn build_shipped() -> Result<Catalog, CatalogError> {
        let frameworks = shipped::frameworks()?;
        let crosswalks = shipped::crosswalks(&frameworks[0])?;
        let annotations = shipped::annotations()?;
        let (nf, nc) = (frameworks.len(), crosswalks.len());
        Catalog::assemble(frameworks, nf, crosswalks, nc, annotations)
    }

    /// A builder that starts from the shipped data.
    pub fn builder() -> CatalogBuilder {
        CatalogBuilder {
            include_shipped: true,
            frameworks: Vec::new(),
            crosswalks: Vec::new(),
        }
    }

    fn assemble(
        frameworks: Vec<Framework>,
        shipped_frameworks: usize,
        crosswalks: Vec<Crosswalk>,
        shipped_crosswalks: usize,
        annotations: Vec<Annotation>,
    ) -> Result<Catalog, CatalogError> {
        let mut framework_keys: HashMap<String, u16, BuildHasherDefault<Fnv>> = HashMap::default();
        let total: usize = frameworks.iter().map(|f| f.items.len()).sum();
        let mut cat = Catalog {
            shipped_frameworks,
            shipped_crosswalks,
            framework_keys: HashMap::default(),
            first_node: Vec::with_capacity(frameworks.len()),
            node_framework: Vec::with_capacity(total),
            node_refs: Vec::with_capacity(total),
            exact: Vec::with_capacity(frameworks.len()),
            loose: Vec::with_capacity(frameworks.len()),
            parent: Vec::with_capacity(total),
            children: vec![Vec::new(); total],
            edges: vec![Vec::new(); total],
            frameworks: Vec::new(),
            crosswalks: Vec::new(),
            annotations: Vec::new(),
            annotated: HashMap::new(),
            named_in: HashMap::new(),
        };
        for (fi, fw) in frameworks.iter().enumerate() {
            let fw_index = u16::try_from(fi).map_err(|_| CatalogError::DuplicateFramework {
                framework: fw.id.to_string(),
                shipped: false,
            })?;
            let mut keys = vec![
                fw.id.as_str().to_owned(),
                normalise_framework(fw.id.as_str()),
            ];
            if fi < shipped_frameworks
                && let Some((_, aliases)) =
                    SHIPPED_ALIASES.iter().find(|(k, _)| *k == fw.id.as_str())
            {
                keys.extend(aliases.iter().map(|a| (*a).to_owned()));
            }
            for key in keys {
                match framework_keys.get(&key) {
                    Some(&other) if other != fw_index => {
                        return Err(CatalogError::DuplicateFramework {
                            framework: fw.id.to_string(),
                            shipped: usize::from(other) < shipped_frameworks,
                        });
                    }
                    _ => {
                        framework_keys.insert(key, fw_index);
                    }
                }
            }
            let first = u32::try_from(cat.node_refs.len()).unwrap_or(u32::MAX);
            cat.first_node.push(first);
            let mut exact: Index<Box<str>> =
                Index::with_capacity_and_hasher(fw.items.len(), Default::default());
            let mut loose: Index<String> =
                Index::with_capacity_and_hasher(fw.items.len(), Default::default());
            for (ii, item) in fw.items.iter().enumerate() {
                let ii = u32::try_from(ii).unwrap_or(u32::MAX);
                if exact.insert(item.id.as_str().into(), ii).is_some() {
                    return Err(CatalogError::DuplicateItem {
                        framework: fw.id.to_string(),
                        item: item.id.to_string(),
                    });
                }
                loose.entry(loose_item(item.id.as_str())).or_insert(ii);
                cat.node_framework.push(fw_index);
                cat.node_refs
                    .push(ItemRef::new(fw.id.clone(), item.id.clone()));
            }
            for item in &fw.items {
                let parent = match &item.parent {
                    None => None,
                    Some(p) => match exact.get(p.as_str()) {
                        Some(&pi) if p != &item.id => Some(first + pi),
                        _ => {
                            return Err(CatalogError::UnknownParent {
                                framework: fw.id.to_string(),
                                item: item.id.to_string(),
                                parent: p.to_string(),
                            });
                        }
                    },
                };
                cat.parent.push(parent);
            }
            cat.exact.push(exact);
            cat.loose.push(loose);
        }
        cat.framework_keys = framework_keys;
        // Children lists and loop detection.
        for node in 0..cat.parent.len() {
            if let Some(p) = cat.parent[node] {
                cat.children[p as usize].push(node as u32);
            }
            let mut steps = 0usize;
            let mut cur = cat.parent[node];
            while let Some(c) = cur {
                steps += 1;
                if steps > cat.parent.len() {
                    let r = &cat.node_refs[node];
                    return Err(CatalogError::UnknownParent {
                        framework: r.framework.to_string(),
                        item: r.item.to_string(),
                        parent: cat.node_refs[c as usize].item.to_string(),
                    });
                }
                cur = cat.parent[c as usize];
            }
        }
        cat.frameworks = frameworks;
        // Crosswalks: endpoints must exist exactly, pairs must be unique per crosswalk.
        let mut ids: HashMap<&str, usize> = HashMap::new();
        for (ci, cw) in crosswalks.iter().enumerate() {
            if ids.insert(cw.id.as_str(), ci).is_some() {
                return Err(CatalogError::DuplicateCrosswalk {
                    crosswalk: cw.id.clone(),
                });
            }
            let mut pairs: HashMap<(u32, u32), usize> = HashMap::with_capacity(cw.mappings.len());
            for (mi, m) in cw.mappings.iter().enumerate() {
                let dangling = |source| CatalogError::DanglingMapping {
                    crosswalk: cw.id.clone(),
                    index: mi,
                    source,
                };
                let s = cat.node_exact(&m.source).map_err(dangling)?;
                let t = cat.node_exact(&m.target).map_err(dangling)?;
                let key = (s.min(t), s.max(t));
                if let Some(first) = pairs.insert(key, mi) {
                    return Err(CatalogError::DuplicatePair {
                        crosswalk: cw.id.clone(),
                        source_ref: m.source.to_string(),
                        target_ref: m.target.to_string(),
                        first,
                        second: mi,
                    });
                }
                let (c32, m32) = (ci as u32, mi as u32);
                let (rel, rev) = if m.reversed {
                    (m.relationship.converse(), true)
                } else {
                    (m.relationship, false)
                };
                // A stored edge marked `reversed` is normalised by reading it backwards.
                let (from, to) = if rev { (t, s) } else { (s, t) };
                cat.edges[from as usize].push(Edge {
                    crosswalk: c32,
                    mapping: m32,
                    reversed: rev,
                    to,
                    relationship: rel,
                });
                cat.edges[to as usize].push(Edge {
                    crosswalk: c32,
                    mapping: m32,
                    reversed: !rev,
                    to: from,
                    relationship: rel.converse(),
                });
            }
        }
        cat.crosswalks = crosswalks;
        // Annotations: every item they name must exist; they add no edge.
        for (ai, a) in annotations.iter().enumerate() {
            let dangling = |index, source| CatalogError::DanglingAnnotation {
                subject: a.subject.to_string(),
                index,
                source,
            };
            let ai = ai as u32;
            let subject = cat.node_exact(&a.subject).map_err(|e| dangling(None, e))?;
            cat.annotated.entry(subject).or_default().push(ai);
            for (ri, r) in a.related.iter().enumerate() {
                let node = cat
                    .node_exact(&r.item)
                    .map_err(|e| dangling(u32::try_from(ri).ok(), e))?;
                let list = cat.named_in.entry(node).or_default();
                if !list.contains(&ai) {
                    list.push(ai);
                }
            }
        }
        cat.annotations = annotations;
        Ok(cat)
    }

    fn node_exact(&self, r: &ItemRef) -> Result<u32, ResolveError> {
        let fw = self.framework_index(r.framework.as_str())?;
        match self.exact[fw as usize].get(r.item.as_str()) {
            Some(&i) => Ok(self.first_node[fw as usize] + i),
            None => Err(self.unknown_item(fw, r.item.as_str())),
        }
    }

    fn framework_index(&self, key: &str) -> Result<u16, ResolveError> {
        if let Some(&i) = self.framework_keys.get(key) {
            return Ok(i);
        }
        let norm = normalise_framework(key);
        if let Some(&i) = self.framework_keys.get(&norm) {
            return Ok(i);
        }
        Err(ResolveError::UnknownFramework {
            given: key.to_owned(),
            known: self.frameworks.iter().map(|f| f.id.to_string()).collect(),
        })
    }

    fn unknown_item(&self, fw: u16, given: &str) -> ResolveError {
        let framework = &self.frameworks[fw as usize];
        let wanted = loose_item(given);
        let limit = if wanted.len() <= 3 { 1 } else { 2 };
        let mut near: Vec<(usize, usize, &str)> = framework
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let d = levenshtein(&wanted, &loose_item(item.id.as_str()));
                (d <= limit).then_some((d, i, item.id.as_str()))
            })
            .collect();
        near.sort_unstable();
        ResolveError::UnknownItem {
            framework: framework.id.to_string(),
            given: given.to_owned(),
            suggestions: near
                .iter()
                .take(4)
                .map(|(_, _, id)| (*id).to_owned())
                .collect(),
        }
    }

    fn resolved(&self, node: u32) -> Resolved<'_> {
        Resolved {
            catalog: self,
            node,
        }
    }

    /// Resolves a full reference `FRAMEWORK/ITEM`. The framework may be a key or an
    /// alias (`iso27001`, `ISO/IEC 27001:2022`, `nis2-ir`, `cis`); the item may be
    /// spelt loosely (`A 8.13`, `a.8.13`, `8.13` where that is not a clause,
    /// `Article 21(2)(c)`).
    ///
    /// ```
    /// let catalog = isms_catalog::Catalog::shipped();
    /// let item = catalog.resolve("ISO 27001:2022/A 8.13")?;
    /// assert_eq!(item.reference().to_string(), "iso27001:2022/A.8.13");
    /// assert_eq!(item.title(), Some("Information backup"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ResolveError::MalformedReference`] without a `/`, [`ResolveError::UnknownFramework`]
    /// or [`ResolveError::UnknownItem`] (with near matches).
    pub fn resolve(&self, reference: &str) -> Result<Resolved<'_>, ResolveError> {
        match reference.rsplit_once('/') {
            Some((fw, item)) if !fw.trim().is_empty() && !item.trim().is_empty() => {
                self.resolve_parts(fw, item)
            }
            _ => Err(ResolveError::MalformedReference {
                given: reference.to_owned(),
                reason: "no framework and item separated by '/'".to_owned(),
            }),
        }
    }

    /// Resolves a reference given as framework key (or alias) and item (loose spelling
    /// allowed), for callers that parsed the reference elsewhere.
    ///
    /// # Errors
    /// As [`Catalog::resolve`].
    pub fn resolve_parts(&self, framework: &str, item: &str) -> Result<Resolved<'_>, ResolveError> {
        let fw = self.framework_index(framework.trim())?;
        let f = fw as usize;
        if let Some(&i) = self.exact[f].get(item) {
            return Ok(self.resolved(self.first_node[f] + i));
        }
        let key = loose_item(item);
        let loose = &self.loose[f];
        let found = loose.get(&key).or_else(|| match key.strip_prefix("a.") {
            Some(rest) => loose.get(rest),
            None => loose.get(&format!("a.{key}")),
        });
        match found {
            Some(&i) => Ok(self.resolved(self.first_node[f] + i)),
            None => Err(self.unknown_item(fw, item)),
        }
    }

    /// Resolves a typed reference (framework key or alias, exact or loose item).
    ///
    /// # Errors
    /// As [`Catalog::resolve`].
    pub fn resolve_ref(&self, reference: &ItemRef) -> Result<Resolved<'_>, ResolveError> {
        self.resolve_parts(reference.framework.as_str(), reference.item.as_str())
    }

    /// The framework with this key or alias.
    ///
    /// # Errors
    /// [`ResolveError::UnknownFramework`], listing the known keys.
    pub fn framework(&self, key: &str) -> Result<&Framework, ResolveError> {
        self.framework_index(key)
            .map(|i| &self.frameworks[i as usize])
    }

    /// Every framework, shipped ones first.
    pub fn frameworks(&self) -> &[Framework] {
        &self.frameworks
    }

    /// Whether the framework at this key is shipped data (as opposed to user data).
    ///
    /// # Errors
    /// [`ResolveError::UnknownFramework`].
    pub fn is_shipped(&self, key: &str) -> Result<bool, ResolveError> {
        self.framework_index(key)
            .map(|i| usize::from(i) < self.shipped_frameworks)
    }

    /// Every crosswalk, shipped ones first.
    pub fn crosswalks(&self) -> &[Crosswalk] {
        &self.crosswalks
    }

    /// The shipped crosswalks only.
    pub fn shipped_crosswalks(&self) -> &[Crosswalk] {
        &self.crosswalks[..self.shipped_crosswalks]
    }

    /// Every annotation: items named beside another item as context. Queries never walk
    /// them (see [`Annotation`]); [`Resolved::related`] reads them per item.
    pub fn annotations(&self) -> &[Annotation] {
        &self.annotations
    }

    /// The crosswalk with this id.
    pub fn crosswalk(&self, id: &str) -> Option<&Crosswalk> {
        self.crosswalks.iter().find(|c| c.id == id)
    }

    /// Direct mappings from an item to items of the target framework, each oriented
    /// from the item (derived reverse edges have `reversed = true`).
    ///
    /// # Errors
    /// A [`ResolveError`] for the reference or the target framework.
    pub fn mappings(
        &self,
        from: &str,
        target_framework: &str,
    ) -> Result<Vec<Mapping>, ResolveError> {
        self.resolve(from)?.mappings_to(target_framework)
    }

    /// Every path (up to `options.max_depth` edges) from an item to items of the
    /// target framework, through pivot frameworks. See [`Resolved::transitive_to`].
    ///
    /// # Errors
    /// A [`ResolveError`] for the reference, the target or a pivot framework.
    pub fn transitive_mappings(
        &self,
        from: &str,
        target_framework: &str,
        options: &TransitiveOptions,
    ) -> Result<Vec<MappingPath>, ResolveError> {
        self.resolve(from)?.transitive_to(target_framework, options)
    }

    /// Which items of the target framework the given references touch, and how
    /// (direct and transitive paths within `options`).
    ///
    /// # Errors
    /// A [`ResolveError`] for the first reference or framework that does not resolve.
    pub fn coverage<'r, I>(
        &self,
        references: I,
        target_framework: &str,
        options: &TransitiveOptions,
    ) -> Result<Coverage, ResolveError>
    where
        I: IntoIterator<Item = &'r str>,
    {
        let target = self.framework_index(target_framework)?;
        let mut sources = Vec::new();
        let mut by_node: HashMap<u32, Vec<(u32, MappingPath)>> = HashMap::new();
        for r in references {
            let node = self.resolve(r)?.node;
            sources.push(self.node_refs[node as usize].clone());
            for (t, p) in self.walk(node, target, options)? {
                by_node.entry(t).or_default().push((t, p));
            }
        }
        let f = target as usize;
        let first = self.first_node[f];
        let mut touched = Vec::new();
        let mut untouched = Vec::new();
        for i in 0..self.frameworks[f].items.len() as u32 {
            let node = first + i;
            match by_node.remove(&node) {
                Some(found) => {
                    let mut paths: Vec<MappingPath> = found.into_iter().map(|(_, p)| p).collect();
                    paths.sort_by_key(path_rank);
                    let best = &paths[0];
                    touched.push(CoveredItem {
                        item: self.node_refs[node as usize].clone(),
                        relationship: best.relationship,
                        certainty: best.certainty,
                        paths,
                    });
                }
                None => untouched.push(self.node_refs[node as usize].clone()),
            }
        }
        Ok(Coverage {
            target: self.frameworks[f].id.clone(),
            sources,
            touched,
            untouched,
        })
    }

    fn oriented(&self, e: &Edge) -> Mapping {
        let m = &self.crosswalks[e.crosswalk as usize].mappings[e.mapping as usize];
        if e.reversed { m.reversed() } else { m.clone() }
    }

    /// Depth-first walk over simple paths; returns (target node, path) sorted by
    /// target, then length, then the nodes passed.
    fn walk(
        &self,
        source: u32,
        target: u16,
        options: &TransitiveOptions,
    ) -> Result<Vec<(u32, MappingPath)>, ResolveError> {
        let allowed: Option<Vec<u16>> = match &options.pivots {
            None => None,
            Some(list) => Some(
                list.iter()
                    .map(|p| self.framework_index(p.as_str()))
                    .collect::<Result<_, _>>()?,
            ),
        };
        let mut ctx = Walk {
            cat: self,
            source,
            source_fw: self.node_framework[source as usize],
            target,
            max_depth: options.max_depth,
            allowed,
            nodes: vec![source],
            edges: Vec::new(),
            found: Vec::new(),
        };
        if options.max_depth > 0 {
            ctx.step(RelationshipSet::single(Relationship::Equal));
        }
        let mut found = ctx.found;
        found.sort_by(|a, b| (a.0, a.1.len(), &a.1).cmp(&(b.0, b.1.len(), &b.1)));
        Ok(found
            .into_iter()
            .map(|(t, _, edges, set)| {
                let (relationship, certainty) = set.summary();
                let path = MappingPath {
                    source: self.node_refs[source as usize].clone(),
                    target: self.node_refs[t as usize].clone(),
                    steps: edges.iter().map(|e| self.oriented(e)).collect(),
                    possible: set,
                    relationship,
                    certainty,
                };
                (t, path)
            })
            .collect())
    }
}

type Found = (u32, Vec<u32>, Vec<Edge>, RelationshipSet);

struct Walk<'a> {
    cat: &'a Catalog,
    source: u32,
    source_fw: u16,
    target: u16,
    max_depth: usize,
    allowed: Option<Vec<u16>>,
    nodes: Vec<u32>,
    edges: Vec<Edge>,
    found: Vec<Found>,
}

impl Walk<'_> {
    fn step(&mut self, so_far: RelationshipSet) {
        let here = *self.nodes.last().unwrap_or(&self.source);
        for e in &self.cat.edges[here as usize] {
            // A disjointness edge says the items do not relate: never walk through it.
            if e.relationship == Relationship::NoRelationship || self.nodes.contains(&e.to) {
                continue;
            }
            let fw = self.cat.node_framework[e.to as usize];
            let set = so_far.then(RelationshipSet::single(e.relationship));
            if fw == self.target {
                let mut nodes = self.nodes.clone();
                nodes.push(e.to);
                let mut edges = self.edges.clone();
                edges.push(*e);
                self.found.push((e.to, nodes, edges, set));
                continue;
            }
            let pivot_ok =
                fw != self.source_fw && self.allowed.as_ref().is_none_or(|a| a.contains(&fw));
            if !pivot_ok || self.edges.len() + 1 >= self.max_depth {
                continue;
            }
            self.nodes.push(e.to);
            self.edges.push(*e);
            self.step(set);
            self.nodes.pop();
            self.edges.pop();
        }
    }
}

/// An item found in a catalogue: a cheap handle for further queries.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a> {
    catalog: &'a Catalog,
    node: u32,
}

impl PartialEq for Resolved<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.catalog, other.catalog) && self.node == other.node
    }
}

impl<'a> Resolved<'a> {
    fn fw(&self) -> usize {
        self.catalog.node_framework[self.node as usize] as usize
    }

    /// The framework the item belongs to.
    pub fn framework(&self) -> &'a Framework {
        &self.catalog.frameworks[self.fw()]
    }

    /// The item.
    pub fn item(&self) -> &'a Item {
        let f = self.fw();
        &self.catalog.frameworks[f].items[(self.node - self.catalog.first_node[f]) as usize]
    }

    /// The item's title, if it has one.
    pub fn title(&self) -> Option<&'a str> {
        self.item().title.as_deref()
    }

    /// The canonical reference, for example `iso27001:2022/A.8.13`.
    pub fn reference(&self) -> ItemRef {
        self.catalog.node_refs[self.node as usize].clone()
    }

    /// The parent item, if any.
    pub fn parent(&self) -> Option<Resolved<'a>> {
        self.catalog.parent[self.node as usize].map(|p| self.catalog.resolved(p))
    }

    /// The direct children, in framework order.
    pub fn children(&self) -> Vec<Resolved<'a>> {
        self.catalog.children[self.node as usize]
            .iter()
            .map(|c| self.catalog.resolved(*c))
            .collect()
    }

    /// The ancestors, nearest first.
    pub fn ancestors(&self) -> Vec<Resolved<'a>> {
        let mut out = Vec::new();
        let mut cur = self.parent();
        while let Some(p) = cur {
            out.push(p);
            cur = p.parent();
        }
        out
    }

    /// Direct mappings to items of the target framework, oriented from this item.
    ///
    /// # Errors
    /// [`ResolveError::UnknownFramework`] for the target.
    pub fn mappings_to(&self, target_framework: &str) -> Result<Vec<Mapping>, ResolveError> {
        let target = self.catalog.framework_index(target_framework)?;
        Ok(self.catalog.edges[self.node as usize]
            .iter()
            .filter(|e| self.catalog.node_framework[e.to as usize] == target)
            .map(|e| self.catalog.oriented(e))
            .collect())
    }

    /// The items annotations on this item name beside it (for clause 10 of ISO/IEC
    /// 27001:2022, the controls and provisions that support it), in the order listed.
    /// These are context, not mappings: no query walks them.
    ///
    /// ```
    /// let catalog = isms_catalog::Catalog::shipped();
    /// let ten = catalog.resolve("iso27001:2022/10")?;
    /// assert!(ten.related().iter().any(|r| r.item.to_string() == "iso27001:2022/A.8.13"));
    /// assert!(ten.all_mappings().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn related(&self) -> Vec<&'a RelatedItem> {
        let cat = self.catalog;
        cat.annotated
            .get(&self.node)
            .into_iter()
            .flatten()
            .flat_map(|a| &cat.annotations[*a as usize].related)
            .collect()
    }

    /// The annotations that name this item beside their subject.
    pub fn related_by(&self) -> Vec<&'a Annotation> {
        let cat = self.catalog;
        cat.named_in
            .get(&self.node)
            .into_iter()
            .flatten()
            .map(|a| &cat.annotations[*a as usize])
            .collect()
    }

    /// Every mapping touching this item, to any framework, oriented from this item.
    pub fn all_mappings(&self) -> Vec<Mapping> {
        self.catalog.edges[self.node as usize]
            .iter()
            .map(|e| self.catalog.oriented(e))
            .collect()
    }

    /// Every simple path of at most `options.max_depth` edges from this item to items
    /// of the target framework.
    ///
    /// Rules: a path stops at the first item of the target framework it reaches; it never
    /// visits an item twice, never re-enters the source framework (unless that is the
    /// target), passes only through `options.pivots` when given, and never walks through a
    /// `no_relationship` edge. Relationships compose by [`crate::compose`]. Every target
    /// reached is returned, once per path, sorted by target, then path length.
    ///
    /// # Errors
    /// [`ResolveError::UnknownFramework`] for the target or a pivot.
    pub fn transitive_to(
        &self,
        target_framework: &str,
        options: &TransitiveOptions,
    ) -> Result<Vec<MappingPath>, ResolveError> {
        let target = self.catalog.framework_index(target_framework)?;
        Ok(self
            .catalog
            .walk(self.node, target, options)?
            .into_iter()
            .map(|(_, p)| p)
            .collect())
    }
}
