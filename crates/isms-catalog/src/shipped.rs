//! The shipped data: CSV files compiled into the crate, parsed once.

use std::collections::{HashMap, HashSet};

use crate::annotation::{Annotation, RelatedItem};
use crate::error::CatalogError;
use crate::id::{FrameworkId, ItemId, ItemRef};
use crate::mapping::{Crosswalk, Mapping, Provenance, Rationale, Relationship};
use crate::model::{Framework, Item, ItemDetails};
use crate::nis2::{ClockStart, Period, ReportingDeadline};
use crate::vocab::{CisSafeguard, Iso27002Attributes, ItemKind, Theme};

/// Licence note for ISO identifiers and titles.
pub const ISO_LICENCE: &str = "Identifiers and titles only (facts); the text of the standard is ISO copyright and is not included";
/// Licence note for EU law.
pub const EU_LICENCE: &str = "EU legislation, reusable under Commission Decision 2011/833/EU; summaries are this project's own words (MIT OR Apache-2.0)";
/// Licence of ENISA's mapping table.
pub const ENISA_LICENCE: &str = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)";
/// Credit line ENISA's licence asks for.
pub const ENISA_CREDIT: &str = "(c) European Union Agency for Cybersecurity (ENISA), 2025";
/// Licence note for CIS facts.
pub const CIS_LICENCE: &str = "CIS Controls v8 is CC BY-NC-ND 4.0; only identifiers, implementation groups, asset types, security functions and the 18 control titles are included, never safeguard titles or text";
/// Licence of this project's own data.
pub const PROJECT_LICENCE: &str = "MIT OR Apache-2.0 (this project)";

struct Table {
    file: &'static str,
    headers: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    fn parse(file: &'static str, text: &'static str) -> Result<Self, CatalogError> {
        let err = |line: u64, message: String| CatalogError::ShippedData {
            file,
            line,
            message,
        };
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| err(1, e.to_string()))?
            .iter()
            .map(str::to_owned)
            .collect();
        let mut rows = Vec::new();
        for rec in reader.records() {
            let rec =
                rec.map_err(|e| err(e.position().map_or(0, csv::Position::line), e.to_string()))?;
            let line = rec.position().map_or(0, csv::Position::line);
            rows.push((line, rec));
        }
        Ok(Self {
            file,
            headers,
            rows,
        })
    }

    fn col(&self, name: &str) -> Result<usize, CatalogError> {
        self.headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| CatalogError::ShippedData {
                file: self.file,
                line: 1,
                message: format!("missing column {name}"),
            })
    }

    fn err(&self, line: u64, message: impl Into<String>) -> CatalogError {
        CatalogError::ShippedData {
            file: self.file,
            line,
            message: message.into(),
        }
    }

    /// Rows as closures over column names.
    fn each<'t>(
        &'t self,
        mut f: impl FnMut(
            u64,
            &dyn Fn(&str) -> Result<&'t str, CatalogError>,
        ) -> Result<(), CatalogError>,
    ) -> Result<(), CatalogError> {
        for (line, rec) in &self.rows {
            let get = |name: &str| -> Result<&'t str, CatalogError> {
                let i = self.col(name)?;
                rec.get(i)
                    .ok_or_else(|| self.err(*line, format!("missing field {name}")))
            };
            f(*line, &get)?;
        }
        Ok(())
    }
}

macro_rules! data {
    ($name:literal) => {
        ($name, include_str!(concat!("../data/", $name)))
    };
}

fn table(src: (&'static str, &'static str)) -> Result<Table, CatalogError> {
    Table::parse(src.0, src.1)
}

fn fid(s: &str) -> FrameworkId {
    FrameworkId::new(s).unwrap_or_else(|_| unreachable!("constant framework key {s}"))
}

fn iid(t: &Table, line: u64, s: &str) -> Result<ItemId, CatalogError> {
    ItemId::new(s).map_err(|e| t.err(line, e.to_string()))
}

fn item(id: ItemId, parent: Option<ItemId>, kind: ItemKind, title: Option<String>) -> Item {
    Item {
        id,
        parent,
        kind,
        title,
        summary: None,
        details: None,
    }
}

fn parse<T: std::str::FromStr>(t: &Table, line: u64, s: &str) -> Result<T, CatalogError>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| t.err(line, e.to_string()))
}

fn list<T: std::str::FromStr>(t: &Table, line: u64, s: &str) -> Result<Vec<T>, CatalogError>
where
    T::Err: std::fmt::Display,
{
    s.split('|').map(|v| parse(t, line, v)).collect()
}

const THEMES: [(&str, &str, Theme); 4] = [
    ("5", "Organizational controls", Theme::Organizational),
    ("6", "People controls", Theme::People),
    ("7", "Physical controls", Theme::Physical),
    ("8", "Technological controls", Theme::Technological),
];

/// ISO/IEC 27002:2022 control titles that differ from the ISO/IEC 27001:2022 Annex A wording.
pub const ISO27002_TITLE_DIFFERENCES: [(&str, &str); 3] = [
    (
        "5.21",
        "Managing information security in the ICT supply chain",
    ),
    ("5.34", "Privacy and protection of PII"),
    ("8.1", "User endpoint devices"),
];

fn iso27001_2022() -> Result<Framework, CatalogError> {
    let mut items = Vec::new();
    let t = table(data!("iso27001_2022_clauses.csv"))?;
    t.each(|line, get| {
        let parent = match get("parent_id")? {
            "" => None,
            p => Some(iid(&t, line, p)?),
        };
        items.push(item(
            iid(&t, line, get("id")?)?,
            parent,
            ItemKind::Clause,
            Some(get("title")?.to_owned()),
        ));
        Ok(())
    })?;
    for (n, title, _) in THEMES {
        items.push(item(
            iid(&t, 0, &format!("A.{n}"))?,
            None,
            ItemKind::Theme,
            Some(title.to_owned()),
        ));
    }
    let t = table(data!("iso27001_2022_annex_a.csv"))?;
    t.each(|line, get| {
        let id = get("id")?;
        let theme: Theme = parse(&t, line, get("theme")?)?;
        let n = THEMES.iter().find(|x| x.2 == theme).map_or("5", |x| x.0);
        if !id.starts_with(&format!("A.{n}.")) {
            return Err(t.err(line, format!("control {id} is not under theme A.{n}")));
        }
        let mut it = item(
            iid(&t, line, id)?,
            Some(iid(&t, line, &format!("A.{n}"))?),
            ItemKind::Control,
            Some(get("title")?.to_owned()),
        );
        it.details = Some(ItemDetails::AnnexAControl {
            theme,
            new_in_2022: parse(&t, line, get("new_in_2022")?)?,
        });
        items.push(it);
        Ok(())
    })?;
    Ok(Framework {
        id: fid("iso27001:2022"),
        name: "ISO/IEC 27001:2022 Information security management systems - Requirements".to_owned(),
        version: "2022 (Amd 1:2024 adds no clause)".to_owned(),
        publisher: "ISO/IEC".to_owned(),
        licence: ISO_LICENCE.to_owned(),
        attribution: None,
        source: Some("Clauses 4 to 10 and Annex A; identifiers and titles cross-checked between independent transcriptions (see docs/catalog.md)".to_owned()),
        items,
    })
}

fn iso27002_2022(annex_a: &Framework) -> Result<Framework, CatalogError> {
    let mut items = Vec::new();
    for (n, title, _) in THEMES {
        items.push(item(
            ItemId::new(n).map_err(|e| CatalogError::ShippedData {
                file: "iso27002",
                line: 0,
                message: e.to_string(),
            })?,
            None,
            ItemKind::Theme,
            Some(title.to_owned()),
        ));
    }
    let t = table(data!("iso27002_2022_attributes.csv"))?;
    t.each(|line, get| {
        let annex_id = get("id")?;
        let id = annex_id
            .strip_prefix("A.")
            .ok_or_else(|| t.err(line, "id must start with A."))?;
        let control = annex_a
            .item(annex_id)
            .ok_or_else(|| t.err(line, format!("{annex_id} is not in Annex A")))?;
        let title = ISO27002_TITLE_DIFFERENCES
            .iter()
            .find(|(i, _)| *i == id)
            .map_or_else(|| control.title.clone(), |(_, t)| Some((*t).to_owned()));
        let theme = control
            .theme()
            .ok_or_else(|| t.err(line, "control without theme"))?;
        let parent = id.split('.').next().unwrap_or_default();
        let attributes = Iso27002Attributes {
            control_types: list(&t, line, get("control_type")?)?,
            security_properties: list(&t, line, get("information_security_properties")?)?,
            cybersecurity_concepts: list(&t, line, get("cybersecurity_concepts")?)?,
            operational_capabilities: list(&t, line, get("operational_capabilities")?)?,
            security_domains: list(&t, line, get("security_domains")?)?,
        };
        let mut it = item(
            iid(&t, line, id)?,
            Some(iid(&t, line, parent)?),
            ItemKind::Control,
            title,
        );
        it.details = Some(ItemDetails::Iso27002Control { theme, attributes });
        items.push(it);
        Ok(())
    })?;
    Ok(Framework {
        id: fid("iso27002:2022"),
        name: "ISO/IEC 27002:2022 Information security controls".to_owned(),
        version: "2022".to_owned(),
        publisher: "ISO/IEC".to_owned(),
        licence: ISO_LICENCE.to_owned(),
        attribution: None,
        source: Some("Control identifiers, titles and the five attributes of Table A.1; values in the order the standard prints them".to_owned()),
        items,
    })
}

fn iso27001_2013() -> Result<Framework, CatalogError> {
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    let t = table(data!("iso27001_2013_annex_a.csv"))?;
    t.each(|line, get| {
        let (clause, objective) = (get("clause_id")?, get("objective_id")?);
        if seen.insert(clause.to_owned()) {
            items.push(item(
                iid(&t, line, clause)?,
                None,
                ItemKind::Clause,
                Some(get("clause_title")?.to_owned()),
            ));
        }
        if seen.insert(objective.to_owned()) {
            items.push(item(
                iid(&t, line, objective)?,
                Some(iid(&t, line, clause)?),
                ItemKind::Objective,
                Some(get("objective_title")?.to_owned()),
            ));
        }
        items.push(item(
            iid(&t, line, get("id")?)?,
            Some(iid(&t, line, objective)?),
            ItemKind::Control,
            Some(get("title")?.to_owned()),
        ));
        Ok(())
    })?;
    Ok(Framework {
        id: fid("iso27001:2013"),
        name: "ISO/IEC 27001:2013 Annex A".to_owned(),
        version: "2013".to_owned(),
        publisher: "ISO/IEC".to_owned(),
        licence: ISO_LICENCE.to_owned(),
        attribution: None,
        source: Some("Annex A clauses, control objectives and controls (withdrawn edition, kept for migrating old registers)".to_owned()),
        items,
    })
}

fn deadline(
    obligation: &str,
    within: Option<Period>,
    clock_starts: ClockStart,
) -> ReportingDeadline {
    ReportingDeadline {
        obligation: obligation.to_owned(),
        within,
        clock_starts,
        without_undue_delay: false,
        where_possible: false,
        set_by_authority: false,
    }
}

/// The time limits of NIS2 provisions, read from the `deadline` and `deadline_anchor`
/// columns (tests check they agree).
fn nis2_deadlines(id: &str) -> Vec<ReportingDeadline> {
    use ClockStart as C;
    let urgent = |mut d: ReportingDeadline| {
        d.without_undue_delay = true;
        d
    };
    let authority = |mut d: ReportingDeadline| {
        d.set_by_authority = true;
        d
    };
    match id {
        "21.4" => vec![urgent(deadline(
            "corrective measures",
            None,
            C::NonComplianceFound,
        ))],
        "23.2" => vec![urgent(deadline(
            "communication to affected recipients",
            None,
            C::AwarenessOfSignificantCyberThreat,
        ))],
        "23.4.a" => vec![urgent(deadline(
            "early warning",
            Some(Period::Hours(24)),
            C::AwarenessOfSignificantIncident,
        ))],
        "23.4.b" => vec![urgent(deadline(
            "incident notification",
            Some(Period::Hours(72)),
            C::AwarenessOfSignificantIncident,
        ))],
        "23.4.c" => vec![deadline("intermediate report", None, C::RequestByAuthority)],
        "23.4.d" => vec![deadline(
            "final report",
            Some(Period::Months(1)),
            C::IncidentNotificationSubmitted,
        )],
        "23.4.e" => vec![
            deadline("progress report", None, C::FinalReportDue),
            deadline(
                "final report after handling",
                Some(Period::Months(1)),
                C::IncidentHandled,
            ),
        ],
        "23.4.sp2" => vec![urgent(deadline(
            "trust service incident notification",
            Some(Period::Hours(24)),
            C::AwarenessOfSignificantIncident,
        ))],
        "23.5" => {
            let mut d = urgent(deadline(
                "initial feedback by the CSIRT or authority",
                Some(Period::Hours(24)),
                C::EarlyWarningReceived,
            ));
            d.where_possible = true;
            vec![d]
        }
        "32.4.b" => vec![authority(deadline(
            "implement and report on instructed measures",
            None,
            C::AuthorityDecision,
        ))],
        "32.4.d" => vec![authority(deadline(
            "bring measures or reporting into compliance",
            None,
            C::AuthorityDecision,
        ))],
        "32.4.f" => vec![authority(deadline(
            "implement audit recommendations",
            None,
            C::AuthorityDecision,
        ))],
        "32.5" => vec![authority(deadline(
            "remedial action before suspension",
            None,
            C::AuthorityDecision,
        ))],
        "33.4" => vec![authority(deadline(
            "comply with orders",
            None,
            C::AuthorityDecision,
        ))],
        _ => Vec::new(),
    }
}

fn nis2() -> Result<Framework, CatalogError> {
    let mut items = Vec::new();
    let t = table(data!("nis2_articles.csv"))?;
    t.each(|line, get| {
        items.push(item(
            iid(&t, line, get("article")?)?,
            None,
            ItemKind::Article,
            Some(get("title")?.to_owned()),
        ));
        Ok(())
    })?;
    let t = table(data!("nis2_requirements.csv"))?;
    t.each(|line, get| {
        let id = get("id")?
            .strip_prefix("NIS2-")
            .ok_or_else(|| t.err(line, "id must start with NIS2-"))?;
        let parts: Vec<&str> = id.split('.').collect();
        let parent = if parts.len() > 2 {
            parts[..2].join(".")
        } else {
            get("article")?.to_owned()
        };
        let kind = if get("point")?.is_empty() {
            ItemKind::Paragraph
        } else {
            ItemKind::Point
        };
        let mut it = item(
            iid(&t, line, id)?,
            Some(iid(&t, line, &parent)?),
            kind,
            Some(get("short_title")?.to_owned()),
        );
        it.summary = Some(get("summary")?.to_owned());
        let deadlines = nis2_deadlines(id);
        if !deadlines.is_empty() {
            it.details = Some(ItemDetails::Nis2Deadlines { deadlines });
        }
        items.push(it);
        Ok(())
    })?;
    Ok(Framework {
        id: fid("nis2"),
        name: "Directive (EU) 2022/2555 (NIS2): Articles 20, 21, 23 and the corrective-order parts of 32 and 33".to_owned(),
        version: "2022/2555 (OJ L 333, 27.12.2022)".to_owned(),
        publisher: "European Parliament and Council of the European Union".to_owned(),
        licence: EU_LICENCE.to_owned(),
        attribution: Some("Source: EUR-Lex, (c) European Union".to_owned()),
        source: Some("Article headings as enacted; paragraph names and summaries are short paraphrases of our own".to_owned()),
        items,
    })
}

fn nis2_ir() -> Result<Framework, CatalogError> {
    let headed = table(data!("nis2_ir_2024_2690.csv"))?;
    let mut titles: HashMap<String, String> = HashMap::new();
    headed.each(|_, get| {
        if !get("title")?.is_empty() {
            titles.insert(get("id")?.to_owned(), get("title")?.to_owned());
        }
        Ok(())
    })?;
    let mut items = Vec::new();
    let t = table(data!("nis2_ir_2024_2690_structure.csv"))?;
    t.each(|line, get| {
        let id = get("id")?;
        let parent = match get("parent_id")? {
            "" => None,
            p => Some(iid(&t, line, p)?),
        };
        let title = titles.get(id).cloned();
        let kind = match (id.matches('.').count(), &title) {
            (0, _) => ItemKind::Section,
            (1, Some(_)) => ItemKind::Subsection,
            _ => ItemKind::Point,
        };
        items.push(item(iid(&t, line, id)?, parent, kind, title));
        Ok(())
    })?;
    Ok(Framework {
        id: fid("nis2-ir:2024-2690"),
        name: "Commission Implementing Regulation (EU) 2024/2690, Annex (technical and methodological requirements)".to_owned(),
        version: "2024/2690 (OJ L, 2024/2690, 18.10.2024)".to_owned(),
        publisher: "European Commission".to_owned(),
        licence: EU_LICENCE.to_owned(),
        attribution: Some("Source: EUR-Lex, (c) European Union".to_owned()),
        source: Some("Section and subsection headings of the Annex; points are identifiers only".to_owned()),
        items,
    })
}

fn cis_v8() -> Result<Framework, CatalogError> {
    let mut items = Vec::new();
    let t = table(data!("cis_v8_controls.csv"))?;
    t.each(|line, get| {
        items.push(item(
            iid(&t, line, get("id")?)?,
            None,
            ItemKind::Control,
            Some(get("title")?.to_owned()),
        ));
        Ok(())
    })?;
    let t = table(data!("cis_v8_safeguards.csv"))?;
    t.each(|line, get| {
        let mut it = item(
            iid(&t, line, get("id")?)?,
            Some(iid(&t, line, get("control_id")?)?),
            ItemKind::Safeguard,
            None,
        );
        it.details = Some(ItemDetails::CisSafeguard(CisSafeguard {
            implementation_groups: list(&t, line, get("implementation_groups")?)?,
            asset_type: parse(&t, line, get("asset_type_v8")?)?,
            security_function: parse(&t, line, get("security_function_v8")?)?,
        }));
        items.push(it);
        Ok(())
    })?;
    Ok(Framework {
        id: fid("cis:v8"),
        name: "CIS Critical Security Controls v8".to_owned(),
        version: "8.0".to_owned(),
        publisher: "Center for Internet Security (CIS)".to_owned(),
        licence: CIS_LICENCE.to_owned(),
        attribution: Some("CIS Critical Security Controls(R) v8, Center for Internet Security, Inc.".to_owned()),
        source: Some("Control titles; safeguard identifiers with implementation groups, asset type and security function (v8 values)".to_owned()),
        items,
    })
}

/// The shipped frameworks, in catalogue order.
pub(crate) fn frameworks() -> Result<Vec<Framework>, CatalogError> {
    let annex_a = iso27001_2022()?;
    let iso27002 = iso27002_2022(&annex_a)?;
    Ok(vec![
        annex_a,
        iso27002,
        iso27001_2013()?,
        nis2()?,
        nis2_ir()?,
        cis_v8()?,
    ])
}

fn reference(t: &Table, line: u64, framework: &str, item: &str) -> Result<ItemRef, CatalogError> {
    Ok(ItemRef::new(fid(framework), iid(t, line, item)?))
}

fn provenance(source: &str, licence: &str, inferred: bool, note: Option<&str>) -> Provenance {
    Provenance {
        source: source.to_owned(),
        licence: licence.to_owned(),
        inferred,
        note: note.map(str::to_owned),
    }
}

/// Removes repeated pairs (in either direction), keeping the first.
fn dedup(mappings: Vec<Mapping>) -> Vec<Mapping> {
    let mut seen = HashSet::new();
    mappings
        .into_iter()
        .filter(|m| {
            let key = if m.source <= m.target {
                (m.source.clone(), m.target.clone())
            } else {
                (m.target.clone(), m.source.clone())
            };
            seen.insert(key)
        })
        .collect()
}

fn mapping(
    source: ItemRef,
    target: ItemRef,
    relationship: Relationship,
    rationale: Rationale,
    provenance: Provenance,
) -> Mapping {
    Mapping {
        source,
        target,
        relationship,
        rationale,
        strength: None,
        provenance,
        reversed: false,
    }
}

fn iso27002_to_27001(annex_a: &Framework) -> Result<Crosswalk, CatalogError> {
    let prov = provenance(
        "ISO/IEC 27001:2022 Annex A lists the controls of ISO/IEC 27002:2022 clauses 5 to 8 under the same numbers",
        ISO_LICENCE,
        false,
        None,
    );
    let mut mappings = Vec::new();
    for c in annex_a.items.iter().filter(|i| i.kind == ItemKind::Control) {
        let n = c.id.as_str().trim_start_matches("A.");
        let bad = |e: crate::error::IdError| CatalogError::ShippedData {
            file: "iso27001_2022_annex_a.csv",
            line: 0,
            message: e.to_string(),
        };
        mappings.push(mapping(
            ItemRef::new(fid("iso27002:2022"), ItemId::new(n).map_err(bad)?),
            ItemRef::new(fid("iso27001:2022"), c.id.clone()),
            Relationship::Equal,
            Rationale::Syntactic,
            prov.clone(),
        ));
    }
    Ok(Crosswalk {
        id: "iso27002-2022-to-iso27001-2022".to_owned(),
        name: "ISO/IEC 27002:2022 controls and ISO/IEC 27001:2022 Annex A".to_owned(),
        description: Some("Each 27002 control x.y is Annex A control A.x.y.".to_owned()),
        mappings,
    })
}

fn iso2013_to_2022() -> Result<Crosswalk, CatalogError> {
    let t = table(data!("iso27001_2013_to_2022.csv"))?;
    let mut pairs = Vec::new();
    t.each(|line, get| {
        pairs.push((line, get("id_2013")?.to_owned(), get("id_2022")?.to_owned()));
        Ok(())
    })?;
    let mut successors: HashMap<&str, usize> = HashMap::new();
    let mut predecessors: HashMap<&str, usize> = HashMap::new();
    for (_, old, new) in &pairs {
        *successors.entry(old).or_default() += 1;
        *predecessors.entry(new).or_default() += 1;
    }
    // Annex B is a correspondence table: it pairs each 2013 control with the 2022
    // control(s) that carry its subject on, and says nothing about whether the two
    // cover the same content. The least that two corresponding controls certainly do
    // is share content, so every pair is `intersects_with`, marked as our reading;
    // the pair's shape (one-to-one, merged, split) is a fact of the table and is kept
    // in the note, never turned into `equal` or `subset_of`.
    let mut mappings = Vec::new();
    for (line, old, new) in &pairs {
        let shape = match (successors[old.as_str()], predecessors[new.as_str()]) {
            (1, 1) => "one-to-one in the table".to_owned(),
            (1, n) => format!("one of {n} 2013 controls paired with this 2022 control"),
            (k, 1) => format!("one of {k} 2022 controls paired with this 2013 control"),
            (k, n) => format!(
                "one of {k} 2022 controls paired with this 2013 control; one of {n} 2013 controls paired with this 2022 control"
            ),
        };
        let prov = provenance(
            "ISO/IEC 27002:2022 Annex B (correspondence with ISO/IEC 27002:2013)",
            ISO_LICENCE,
            true,
            Some(&format!(
                "Annex B correspondence, not a statement of equivalence: intersects_with is our reading (the controls share their subject; the source does not say more); {shape}"
            )),
        );
        mappings.push(mapping(
            reference(&t, *line, "iso27001:2013", old)?,
            reference(&t, *line, "iso27001:2022", new)?,
            Relationship::IntersectsWith,
            Rationale::Semantic,
            prov,
        ));
    }
    Ok(Crosswalk {
        id: "iso27001-2013-to-2022".to_owned(),
        name: "ISO/IEC 27001:2013 Annex A to ISO/IEC 27001:2022 Annex A".to_owned(),
        description: Some("For migrating registers kept against the 2013 edition.".to_owned()),
        mappings: dedup(mappings),
    })
}

fn enisa_iso_to_ir() -> Result<Crosswalk, CatalogError> {
    let t = table(data!("map_iso27001_2022_to_nis2_ir_2024_2690.csv"))?;
    let prov = provenance(
        "ENISA, Technical Implementation Guidance mapping table v1.0, June 2025",
        ENISA_LICENCE,
        false,
        Some(ENISA_CREDIT),
    );
    let mut mappings = Vec::new();
    t.each(|line, get| {
        let ir = get("nis2_ref")?
            .strip_prefix("IR2690-")
            .ok_or_else(|| t.err(line, "nis2_ref must start with IR2690-"))?;
        mappings.push(mapping(
            reference(&t, line, "iso27001:2022", get("iso_ref")?)?,
            reference(&t, line, "nis2-ir:2024-2690", ir)?,
            parse(&t, line, get("relationship")?)?,
            Rationale::Semantic,
            prov.clone(),
        ));
        Ok(())
    })?;
    Ok(Crosswalk {
        id: "enisa-iso27001-2022-to-nis2-ir-2024-2690".to_owned(),
        name: "ISO/IEC 27001:2022 and the Annex of Implementing Regulation (EU) 2024/2690 (ENISA)"
            .to_owned(),
        description: Some(format!(
            "{ENISA_CREDIT}. Licensed under CC BY 4.0. Changes: converted to CSV; Greek capital alpha read as Latin A; \
             spacing of Annex A references normalised; '5.28' read as A.5.28; 2013-edition references A.9 dropped; \
             every pair recorded as intersects_with (ENISA states the table points to relevant requirements, not equivalence)."
        )),
        mappings: dedup(mappings),
    })
}

fn iso_to_nis2() -> Result<Crosswalk, CatalogError> {
    let t = table(data!("map_iso27001_2022_to_nis2.csv"))?;
    let mut mappings = Vec::new();
    t.each(|line, get| {
        let nis2 = get("nis2_ref")?.strip_prefix("NIS2-").ok_or_else(|| t.err(line, "nis2_ref must start with NIS2-"))?;
        let source = get("source")?;
        let prov = if source == "inferred" {
            provenance("isms-catalog project judgement", PROJECT_LICENCE, true, None)
        } else {
            let via = source.strip_prefix("ENISA-TIG-MT-1.0 via IR2690 ").unwrap_or(source);
            provenance(
                "ENISA, Technical Implementation Guidance mapping table v1.0, June 2025, lifted to the Directive through the Article 21(2) point each Annex section cites",
                ENISA_LICENCE,
                false,
                Some(&format!("{ENISA_CREDIT}; via Implementing Regulation point(s) {via}")),
            )
        };
        mappings.push(mapping(
            reference(&t, line, "iso27001:2022", get("iso_ref")?)?,
            reference(&t, line, "nis2", nis2)?,
            parse(&t, line, get("relationship")?)?,
            Rationale::Semantic,
            prov,
        ));
        Ok(())
    })?;
    Ok(Crosswalk {
        id: "iso27001-2022-to-nis2".to_owned(),
        name: "ISO/IEC 27001:2022 and Directive (EU) 2022/2555 articles".to_owned(),
        description: Some("ENISA pairs lifted to Directive level, plus pairs for Articles 20, 21(4) and 23 that are this project's own judgement (marked inferred).".to_owned()),
        mappings: dedup(mappings),
    })
}

fn ir_to_nis2() -> Result<Crosswalk, CatalogError> {
    let t = table(data!("nis2_ir_2024_2690.csv"))?;
    let prov_one = provenance(
        "Implementing Regulation (EU) 2024/2690, Annex: the Article 21(2) point each section and subsection cites",
        EU_LICENCE,
        false,
        Some("subset_of: the Annex sets the requirements of that point for the entities it covers"),
    );
    let prov_many = provenance(
        "Implementing Regulation (EU) 2024/2690, Annex: the Article 21(2) points the section heading cites",
        EU_LICENCE,
        false,
        Some("intersects_with: the section spans several points"),
    );
    let mut mappings = Vec::new();
    t.each(|line, get| {
        let refs: Vec<&str> = get("nis2_ref")?.split('|').collect();
        for r in &refs {
            let target = r
                .strip_prefix("NIS2-")
                .ok_or_else(|| t.err(line, "nis2_ref must start with NIS2-"))?;
            let (rel, prov) = if refs.len() == 1 {
                (Relationship::SubsetOf, &prov_one)
            } else {
                (Relationship::IntersectsWith, &prov_many)
            };
            mappings.push(mapping(
                reference(&t, line, "nis2-ir:2024-2690", get("id")?)?,
                reference(&t, line, "nis2", target)?,
                rel,
                Rationale::Semantic,
                prov.clone(),
            ));
        }
        Ok(())
    })?;
    Ok(Crosswalk {
        id: "nis2-ir-2024-2690-to-nis2".to_owned(),
        name: "Implementing Regulation (EU) 2024/2690 Annex and Directive (EU) 2022/2555 Article 21(2)".to_owned(),
        description: Some("The Regulation's own references from each Annex section to the Directive point it implements.".to_owned()),
        mappings: dedup(mappings),
    })
}

/// The design brief's list of what supports clause 10, as an annotation on clause 10:
/// clause 10 applies to every nonconformity, so treating the list as crosswalk edges
/// would relate any control to any provision through it.
fn clause10_related() -> Result<Annotation, CatalogError> {
    const FILE: &str = "clause10_related.csv";
    let t = table(data!("clause10_related.csv"))?;
    let mut subject: Option<ItemRef> = None;
    let mut related = Vec::new();
    t.each(|line, get| {
        let parse_ref = |s: &str| -> Result<ItemRef, CatalogError> {
            s.parse()
                .map_err(|e: crate::error::IdError| t.err(line, e.to_string()))
        };
        let this = parse_ref(get("subject")?)?;
        match &subject {
            Some(s) if *s != this => {
                return Err(t.err(line, format!("one subject per file, not {s} and {this}")));
            }
            Some(_) => {}
            None => subject = Some(this),
        }
        related.push(RelatedItem {
            item: parse_ref(get("related")?)?,
            note: get("note")?.to_owned(),
        });
        Ok(())
    })?;
    let subject = subject.ok_or_else(|| CatalogError::ShippedData {
        file: FILE,
        line: 1,
        message: "no rows".to_owned(),
    })?;
    Ok(Annotation {
        subject,
        label: "Controls and provisions that support ISO/IEC 27001:2022 clause 10 (Improvement)"
            .to_owned(),
        related,
        provenance: provenance(
            "isms-catalog: the design brief's seed table of controls related to clause 10, corrected",
            PROJECT_LICENCE,
            true,
            Some(
                "context, not a mapping: no relationship between the contents is claimed. Corrections to the seed: \
                 backup is A.8.13 Information backup (A.8.4 is Access to source code); ISO/IEC 27002:2022 has no \
                 clause 10, so no 27002 'section 10' is named",
            ),
        ),
    })
}

/// The shipped annotations.
pub(crate) fn annotations() -> Result<Vec<Annotation>, CatalogError> {
    Ok(vec![clause10_related()?])
}

/// The shipped crosswalks, in catalogue order.
pub(crate) fn crosswalks(annex_a: &Framework) -> Result<Vec<Crosswalk>, CatalogError> {
    Ok(vec![
        iso27002_to_27001(annex_a)?,
        iso2013_to_2022()?,
        enisa_iso_to_ir()?,
        iso_to_nis2()?,
        ir_to_nis2()?,
    ])
}
