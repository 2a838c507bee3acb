//! The catalogue as OSCAL: crosswalks as a `mapping-collection`, a framework
//! as a `catalog`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use isms_catalog::{Catalog, Crosswalk, Framework, ItemKind, Mapping, Rationale, Relationship};
use serde_json::{Map, Value, json};

use crate::check::check_document;
use crate::error::ExportError;
use crate::ids::{Deriver, tokenise};
use crate::poam::{OSCAL_VERSION, date_time, one_line, prop, token};

/// The OSCAL relationship value of a catalogue edge.
///
/// OSCAL (after NIST IR 8477) tells two kinds of equality apart: `equal-to`
/// (the same wording) and `equivalent-to` (the same meaning or effect). The
/// catalogue records one `equal` relationship plus the rationale, so
/// `equal` with a syntactic rationale is `equal-to`, and with a semantic or
/// functional rationale `equivalent-to`. The other relationships map one to
/// one.
pub fn relationship_value(relationship: Relationship, rationale: Rationale) -> &'static str {
    match (relationship, rationale) {
        (Relationship::Equal, Rationale::Syntactic) => "equal-to",
        (Relationship::Equal, _) => "equivalent-to",
        (Relationship::SubsetOf, _) => "subset-of",
        (Relationship::SupersetOf, _) => "superset-of",
        (Relationship::IntersectsWith, _) => "intersects-with",
        (Relationship::NoRelationship, _) => "no-relationship",
    }
}

/// Options of [`export_mapping_collection`].
#[derive(Clone, Debug)]
pub struct MappingOptions<'c> {
    /// The catalogue whose crosswalks are exported.
    pub catalog: &'c Catalog,
    /// Only the crosswalks with these ids (`None`: all, shipped and loaded).
    pub crosswalks: Option<Vec<String>>,
    /// `metadata.last-modified` (an argument, so that the output is
    /// reproducible).
    pub last_modified: DateTime<Utc>,
    /// `metadata.version`.
    pub version: String,
}

impl<'c> MappingOptions<'c> {
    /// Every crosswalk of `catalog`, version `1`.
    pub fn new(catalog: &'c Catalog, last_modified: DateTime<Utc>) -> Self {
        Self {
            catalog,
            crosswalks: None,
            last_modified,
            version: "1".into(),
        }
    }
}

/// Options of [`export_catalog`].
#[derive(Clone, Debug)]
pub struct CatalogOptions {
    /// `metadata.last-modified`.
    pub last_modified: DateTime<Utc>,
    /// `metadata.version`; `None` takes the framework's own version.
    pub version: Option<String>,
}

/// Exports crosswalks as one OSCAL `mapping-collection`: one `mapping` per
/// crosswalk and pair of frameworks, one `map` per stored edge (reverse edges
/// are derived, never stored, so they are not written either).
///
/// # Errors
/// [`ExportError::NoMappings`] when the selection holds no edge;
/// [`ExportError::Constraints`] if the document would break an OSCAL rule.
pub fn export_mapping_collection(options: &MappingOptions<'_>) -> Result<Value, ExportError> {
    let d = Deriver::new();
    let selected: Vec<&Crosswalk> = options
        .catalog
        .crosswalks()
        .iter()
        .filter(|c| {
            options
                .crosswalks
                .as_ref()
                .is_none_or(|ids| ids.iter().any(|i| i == &c.id))
        })
        .collect();
    let mut mappings = Vec::new();
    let mut frameworks: BTreeMap<String, String> = BTreeMap::new();
    let mut rationales: HashMap<&'static str, usize> = HashMap::new();
    let mut ids = String::new();
    for cw in &selected {
        ids.push_str(&cw.id);
        ids.push(',');
        // Group the edges by pair of frameworks, in first-seen order.
        let mut pairs: Vec<((String, String), Vec<&Mapping>)> = Vec::new();
        for m in &cw.mappings {
            let key = (
                m.source.framework.to_string(),
                m.target.framework.to_string(),
            );
            match pairs.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.push(m),
                None => pairs.push((key, vec![m])),
            }
        }
        for ((src, tgt), edges) in pairs {
            for f in [&src, &tgt] {
                let name = options
                    .catalog
                    .framework(f)
                    .map_or_else(|_| f.clone(), |fw| fw.name.clone());
                frameworks.insert(f.clone(), name);
            }
            let mut maps = Vec::with_capacity(edges.len());
            let mut local: HashMap<&'static str, usize> = HashMap::new();
            for m in &edges {
                let rationale = rationale_value(m.rationale);
                *local.entry(rationale).or_default() += 1;
                *rationales.entry(rationale).or_default() += 1;
                let mut props = vec![prop(
                    "inferred",
                    if m.provenance.inferred {
                        "true"
                    } else {
                        "false"
                    },
                )];
                if let Some(s) = m.strength {
                    props.push(prop("strength", &s.get().to_string()));
                }
                // Provenance that differs from the mapping's (its first edge's) travels
                // with the edge, so no credit line is lost.
                if m.provenance.source != edges[0].provenance.source {
                    props.push(prop("provenance-source", &one_line(&m.provenance.source)));
                }
                if m.provenance.licence != edges[0].provenance.licence {
                    props.push(prop("licence", &one_line(&m.provenance.licence)));
                }
                let mut map = Map::new();
                map.insert(
                    "uuid".into(),
                    json!(d.uuid(&format!("map/{}/{}/{}", cw.id, m.source, m.target))),
                );
                map.insert("matching-rationale".into(), json!(rationale));
                map.insert(
                    "relationship".into(),
                    json!(relationship_value(m.relationship, m.rationale)),
                );
                map.insert(
                    "sources".into(),
                    json!([mapping_item(m.source.item.as_str())]),
                );
                map.insert(
                    "targets".into(),
                    json!([mapping_item(m.target.item.as_str())]),
                );
                map.insert("props".into(), Value::Array(props));
                if let Some(note) = &m.provenance.note {
                    map.insert("remarks".into(), json!(note));
                }
                maps.push(Value::Object(map));
            }
            let first = edges[0];
            let mut mapping = Map::new();
            mapping.insert(
                "uuid".into(),
                json!(d.uuid(&format!("mapping/{}/{src}/{tgt}", cw.id))),
            );
            mapping.insert("method".into(), json!("human"));
            mapping.insert("matching-rationale".into(), json!(most_common(&local)));
            mapping.insert("status".into(), json!("complete"));
            mapping.insert("source-resource".into(), resource_ref(&d, &src));
            mapping.insert("target-resource".into(), resource_ref(&d, &tgt));
            mapping.insert("maps".into(), Value::Array(maps));
            mapping.insert(
                "props".into(),
                json!([
                    prop("crosswalk-id", &cw.id),
                    prop("provenance-source", &one_line(&first.provenance.source)),
                    prop("licence", &one_line(&first.provenance.licence)),
                ]),
            );
            let mut remarks = cw.name.clone();
            if let Some(desc) = &cw.description {
                remarks.push_str("\n\n");
                remarks.push_str(desc);
            }
            mapping.insert("remarks".into(), json!(remarks));
            mappings.push(Value::Object(mapping));
        }
    }
    if mappings.is_empty() {
        return Err(ExportError::NoMappings {
            source_framework: "*".into(),
            target_framework: "*".into(),
        });
    }
    let resources: Vec<Value> = frameworks
        .iter()
        .map(|(key, name)| {
            json!({
                "uuid": d.uuid(&format!("resource/framework/{key}")),
                "title": one_line(name),
                "props": [prop("framework", key)],
            })
        })
        .collect();
    let descriptions: Vec<String> = selected
        .iter()
        .map(|c| format!("{}: {}", c.id, c.name))
        .collect();
    let doc = json!({
        "mapping-collection": {
            "uuid": d.uuid(&format!("mapping-collection/{ids}")),
            "metadata": {
                "title": "Crosswalks of the isms-improvement catalogue",
                "last-modified": date_time(options.last_modified),
                "version": options.version,
                "oscal-version": OSCAL_VERSION,
            },
            "provenance": {
                "method": "human",
                "matching-rationale": most_common(&rationales),
                "status": "complete",
                "mapping-description": descriptions.join("\n"),
            },
            "mappings": mappings,
            "back-matter": { "resources": resources },
        }
    });
    finish(doc)
}

/// Exports one framework as an OSCAL `catalog`: identifiers, titles and (for
/// NIS2) this project's own short summaries, exactly what the catalogue
/// holds and its licences allow; never the text of a standard, which the
/// catalogue does not hold. Items that are controls (or CIS safeguards, or
/// a user framework's requirements) become `control`s, the others `group`s;
/// anything below a control is a control too (OSCAL nests no group in a
/// control). Ids are [`tokenise`]d; the published identifier is the prop
/// `label`.
///
/// # Errors
/// [`ExportError::UnknownFramework`]; [`ExportError::Constraints`].
pub fn export_catalog(
    catalog: &Catalog,
    framework: &str,
    options: &CatalogOptions,
) -> Result<Value, ExportError> {
    let fw = catalog
        .framework(framework)
        .map_err(|_| ExportError::UnknownFramework(framework.to_owned()))?;
    let d = Deriver::new();
    let mut children: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
    for (i, item) in fw.items.iter().enumerate() {
        children
            .entry(item.parent.as_ref().map(|p| p.as_str()))
            .or_default()
            .push(i);
    }
    let (groups, controls) = nodes(fw, &children, None, false);
    let mut remarks = format!("Licence: {}", fw.licence);
    if let Some(a) = &fw.attribution {
        remarks.push_str(&format!("\n\nAttribution: {a}"));
    }
    if let Some(s) = &fw.source {
        remarks.push_str(&format!("\n\nSource: {s}"));
    }
    let mut cat = Map::new();
    cat.insert("uuid".into(), json!(d.uuid(&format!("catalog/{}", fw.id))));
    cat.insert(
        "metadata".into(),
        json!({
            "title": one_line(&fw.name),
            "last-modified": date_time(options.last_modified),
            "version": options.version.clone().unwrap_or_else(|| fw.version.clone()),
            "oscal-version": OSCAL_VERSION,
            "props": [
                prop("framework", fw.id.as_str()),
                prop("publisher", &one_line(&fw.publisher)),
            ],
            "remarks": remarks,
        }),
    );
    if !groups.is_empty() {
        cat.insert("groups".into(), Value::Array(groups));
    }
    if !controls.is_empty() {
        cat.insert("controls".into(), Value::Array(controls));
    }
    let mut root = Map::new();
    root.insert("catalog".into(), Value::Object(cat));
    finish(Value::Object(root))
}

/// The groups and controls under `parent`.
fn nodes(
    fw: &Framework,
    children: &HashMap<Option<&str>, Vec<usize>>,
    parent: Option<&str>,
    under_control: bool,
) -> (Vec<Value>, Vec<Value>) {
    let mut groups = Vec::new();
    let mut controls = Vec::new();
    for &i in children.get(&parent).map_or(&[][..], Vec::as_slice) {
        let item = &fw.items[i];
        let id = item.id.as_str();
        let is_control = under_control
            || matches!(
                item.kind,
                ItemKind::Control | ItemKind::Safeguard | ItemKind::Requirement
            );
        let (sub_groups, sub_controls) = nodes(fw, children, Some(id), is_control);
        let mut node = Map::new();
        node.insert("id".into(), json!(tokenise(id)));
        node.insert("class".into(), json!(token(&item.kind)));
        node.insert(
            "title".into(),
            json!(one_line(item.title.as_deref().unwrap_or(id))),
        );
        node.insert("props".into(), json!([{ "name": "label", "value": id }]));
        if let Some(s) = &item.summary {
            node.insert("parts".into(), json!([{ "name": "overview", "prose": s }]));
        }
        if !sub_groups.is_empty() {
            node.insert("groups".into(), Value::Array(sub_groups));
        }
        if !sub_controls.is_empty() {
            node.insert("controls".into(), Value::Array(sub_controls));
        }
        if is_control {
            controls.push(Value::Object(node));
        } else {
            groups.push(Value::Object(node));
        }
    }
    (groups, controls)
}

fn mapping_item(id: &str) -> Value {
    json!({ "type": "control", "id-ref": tokenise(id) })
}

fn resource_ref(d: &Deriver, framework: &str) -> Value {
    json!({
        "type": "catalog",
        "href": format!("#{}", d.uuid(&format!("resource/framework/{framework}"))),
        "props": [prop("framework", framework)],
    })
}

fn rationale_value(r: Rationale) -> &'static str {
    match r {
        Rationale::Syntactic => "syntactic",
        Rationale::Semantic => "semantic",
        Rationale::Functional => "functional",
    }
}

/// The most frequent rationale (ties: the first of syntactic, semantic,
/// functional), for the collection-level field OSCAL requires.
fn most_common(counts: &HashMap<&'static str, usize>) -> &'static str {
    let order = ["syntactic", "semantic", "functional"];
    order
        .into_iter()
        .enumerate()
        .max_by_key(|(i, r)| (counts.get(r).copied().unwrap_or(0), std::cmp::Reverse(*i)))
        .map_or("semantic", |(_, r)| r)
}

fn finish(doc: Value) -> Result<Value, ExportError> {
    let violations = check_document(&doc);
    if violations.is_empty() {
        Ok(doc)
    } else {
        Err(ExportError::Constraints(violations))
    }
}
