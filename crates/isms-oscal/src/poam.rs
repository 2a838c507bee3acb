//! Export of the register as an OSCAL plan-of-action-and-milestones.
//!
//! The mapping of every field is tabulated in `docs/oscal.md`.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use isms_catalog::{Catalog, ItemKind};
use isms_core::{ActionStatus, ActorId, NcState, Nonconformity, Register, Source};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::check::check_document;
use crate::error::ExportError;
use crate::ids::{Deriver, NS, tokenise};

/// The OSCAL version the documents are written against.
pub const OSCAL_VERSION: &str = "1.2.1";

/// The value of the metadata prop `format` (in [`NS`]) that marks a POA&M
/// written by this crate; the importer reads poam-items by their
/// `nonconformity-id` prop, so documents edited elsewhere still import.
pub const POAM_FORMAT: &str = "isms-poam-1";

/// The roles every exported POA&M defines (id, title).
pub const ROLES: [(&str, &str); 6] = [
    ("reporter", "Reporter of the nonconformity"),
    ("nonconformity-owner", "Owner of the nonconformity"),
    ("action-owner", "Owner of a corrective action"),
    ("verifier", "Verifier of effectiveness"),
    ("recorder", "Recorder of a step"),
    ("risk-acceptor", "Acceptor of a residual risk"),
];

/// Options of [`export_poam`].
#[derive(Clone, Debug)]
pub struct PoamOptions<'c> {
    /// `metadata.title`.
    pub title: String,
    /// `metadata.version` (the document's own version).
    pub version: String,
    /// `metadata.last-modified`; `None` takes the latest event time of the
    /// exported nonconformities, so the same register gives the same bytes.
    pub last_modified: Option<DateTime<Utc>>,
    /// The catalogue that decides which requirement references target a
    /// control (those get an OSCAL `finding`).
    pub catalog: &'c Catalog,
    /// Where the register came from, as field/value pairs: each becomes a
    /// `metadata` prop in [`NS`] named `provenance-FIELD` (underscores as
    /// hyphens), read back by [`read_provenance`]. The fields are the
    /// caller's (the `isms` command line writes the chain head and the
    /// checkpoint of the register it exported).
    pub provenance: Vec<(String, String)>,
}

/// The prefix of the `metadata` props that carry
/// [`PoamOptions::provenance`].
pub const PROVENANCE_PROP_PREFIX: &str = "provenance-";

/// The provenance fields of a POA&M ([`PoamOptions::provenance`]): the
/// `metadata` props in [`NS`] whose names start with
/// [`PROVENANCE_PROP_PREFIX`], in document order, the prefix taken off and
/// hyphens turned back into underscores. Empty for a POA&M without any
/// (another tool's, or one exported without provenance).
pub fn read_provenance(document: &Value) -> Vec<(String, String)> {
    document
        .get("plan-of-action-and-milestones")
        .and_then(|p| p.get("metadata"))
        .and_then(|m| m.get("props"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| p.get("ns").and_then(Value::as_str) == Some(NS))
        .filter_map(|p| {
            let name = p
                .get("name")?
                .as_str()?
                .strip_prefix(PROVENANCE_PROP_PREFIX)?;
            let value = p.get("value")?.as_str()?;
            Some((name.replace('-', "_"), value.to_owned()))
        })
        .collect()
}

impl Default for PoamOptions<'static> {
    fn default() -> Self {
        Self {
            title: "ISO/IEC 27001:2022 clause 10: nonconformities and corrective actions".into(),
            version: "1".into(),
            last_modified: None,
            catalog: Catalog::shipped(),
            provenance: Vec::new(),
        }
    }
}

/// The OSCAL risk status of a lifecycle state.
///
/// | state | risk status |
/// |---|---|
/// | reported, contained | `open` |
/// | analysed, ineffective | `investigating` |
/// | actions_planned, implemented, effective | `remediating` |
/// | closed, rejected | `closed` |
pub fn risk_status(state: NcState) -> &'static str {
    match state {
        NcState::Reported | NcState::Contained => "open",
        NcState::Analysed | NcState::Ineffective => "investigating",
        NcState::ActionsPlanned | NcState::Implemented | NcState::Effective => "remediating",
        NcState::Closed | NcState::Rejected => "closed",
    }
}

/// The OSCAL risk status of a nonconformity: a residual risk accepted by
/// its closure or rejection is `deviation-approved` (the risk stays, by an
/// approved decision, until its review); otherwise [`risk_status`] of its
/// state.
pub fn risk_status_of(nc: &Nonconformity) -> &'static str {
    if nc.risk_acceptance.is_some() {
        "deviation-approved"
    } else {
        risk_status(nc.state)
    }
}

/// The OSCAL observation method for how a nonconformity of this source was
/// found: audits and reviews of records examine, monitoring and incidents
/// test, people-based sources interview.
pub fn observation_method(source: Source) -> &'static str {
    match source {
        Source::InternalAudit
        | Source::ExternalAudit
        | Source::RiskAssessment
        | Source::SelfIdentified
        | Source::AuthorityOrder => "EXAMINE",
        Source::Incident | Source::Monitoring => "TEST",
        Source::ManagementReview | Source::Supplier | Source::Complaint => "INTERVIEW",
    }
}

/// Exports the whole register's nonconformities.
///
/// # Errors
/// [`ExportError::EmptySelection`] for a register without nonconformities;
/// [`ExportError::Constraints`] if the document would break an OSCAL
/// constraint.
pub fn export_poam(register: &Register, options: &PoamOptions<'_>) -> Result<Value, ExportError> {
    export_with_audits(
        register.nonconformities().iter().collect(),
        register.audits().audits(),
        options,
    )
}

/// Exports a selection of nonconformities, in the order given.
///
/// References to nonconformities outside the selection (recurrence, similar
/// cases, duplicates) are kept as props; the importer reports the ones it
/// cannot resolve.
///
/// # Errors
/// As [`export_poam`].
pub fn export_poam_selection<'a>(
    nonconformities: impl IntoIterator<Item = &'a Nonconformity>,
    options: &PoamOptions<'_>,
) -> Result<Value, ExportError> {
    export_with_audits(nonconformities.into_iter().collect(), &[], options)
}

/// The export, with the records of the audits the nonconformities name
/// (`audits`: those the register holds) as metadata props, so that an
/// import records them before the findings that name them.
fn export_with_audits(
    ncs: Vec<&Nonconformity>,
    audits: &[isms_core::Audit],
    options: &PoamOptions<'_>,
) -> Result<Value, ExportError> {
    if ncs.is_empty() {
        return Err(ExportError::EmptySelection);
    }
    let mut ex = Exporter {
        d: Deriver::new(),
        catalog: options.catalog,
        controls: HashMap::new(),
        actors: BTreeSet::new(),
        observations: Vec::new(),
        risks: Vec::new(),
        findings: Vec::new(),
        items: Vec::with_capacity(ncs.len()),
    };
    let mut ids = String::with_capacity(ncs.len() * 37);
    for nc in &ncs {
        ex.nonconformity(nc);
        ids.push_str(&nc.id.to_string());
        ids.push(',');
    }
    let last_modified = options.last_modified.unwrap_or_else(|| {
        ncs.iter()
            .map(|n| n.last_event_at)
            .max()
            .unwrap_or_default()
    });
    let parties: Vec<Value> = ex
        .actors
        .iter()
        .map(|a| {
            json!({
                "uuid": ex.party(a),
                "type": "person",
                "name": a.as_str(),
                "props": [prop("actor-id", a.as_str())],
            })
        })
        .collect();
    let roles: Vec<Value> = ROLES
        .iter()
        .map(|(id, title)| json!({"id": id, "title": title}))
        .collect();
    let mut metadata_props = vec![prop("format", POAM_FORMAT)];
    let named: BTreeSet<&isms_core::AuditId> =
        ncs.iter().filter_map(|n| n.audit.as_ref()).collect();
    metadata_props.extend(
        audits
            .iter()
            .filter(|a| named.contains(&a.id))
            .map(|a| json_prop("audit", a)),
    );
    metadata_props.extend(options.provenance.iter().map(|(name, value)| {
        // OSCAL strings have no surrounding white space and one line.
        let value = one_line(value.trim());
        prop(
            &format!("{PROVENANCE_PROP_PREFIX}{}", name.replace('_', "-")),
            &value,
        )
    }));
    let mut poam = Map::new();
    poam.insert("uuid".into(), json!(ex.d.uuid(&format!("poam/{ids}"))));
    poam.insert(
        "metadata".into(),
        json!({
            "title": one_line(&options.title),
            "last-modified": date_time(last_modified),
            "version": options.version,
            "oscal-version": OSCAL_VERSION,
            "props": metadata_props,
            "roles": roles,
            "parties": parties,
        }),
    );
    poam.insert("observations".into(), Value::Array(ex.observations));
    poam.insert("risks".into(), Value::Array(ex.risks));
    if !ex.findings.is_empty() {
        poam.insert("findings".into(), Value::Array(ex.findings));
    }
    poam.insert("poam-items".into(), Value::Array(ex.items));
    // Not `json!`: it would copy the whole tree through `to_value`.
    let mut root = Map::new();
    root.insert("plan-of-action-and-milestones".into(), Value::Object(poam));
    let doc = Value::Object(root);
    let violations = check_document(&doc);
    if violations.is_empty() {
        Ok(doc)
    } else {
        Err(ExportError::Constraints(violations))
    }
}

struct Exporter<'c> {
    d: Deriver,
    catalog: &'c Catalog,
    /// Requirement reference -> (token, title) when it targets a control.
    controls: HashMap<String, Option<(String, String)>>,
    actors: BTreeSet<ActorId>,
    observations: Vec<Value>,
    risks: Vec<Value>,
    findings: Vec<Value>,
    items: Vec<Value>,
}

impl Exporter<'_> {
    fn party(&self, actor: &ActorId) -> String {
        self.d.uuid(&format!("party/{actor}"))
    }

    fn actor(&mut self, actor: &ActorId, role: &str) -> Value {
        if !self.actors.contains(actor) {
            self.actors.insert(actor.clone());
        }
        json!({"type": "party", "actor-uuid": self.party(actor), "role-id": role})
    }

    fn origin(&mut self, actor: &ActorId, role: &str) -> Value {
        json!([{ "actors": [self.actor(actor, role)] }])
    }

    fn responsible(&mut self, actor: &ActorId, role: &str) -> Value {
        if !self.actors.contains(actor) {
            self.actors.insert(actor.clone());
        }
        json!([{ "role-id": role, "party-uuids": [self.party(actor)] }])
    }

    fn control(&mut self, requirement: &str) -> Option<(String, String)> {
        if let Some(hit) = self.controls.get(requirement) {
            return hit.clone();
        }
        let hit = self.catalog.resolve(requirement).ok().and_then(|r| {
            matches!(r.item().kind, ItemKind::Control | ItemKind::Safeguard).then(|| {
                let title = match r.title() {
                    Some(t) => format!("{requirement} {t}"),
                    None => requirement.to_owned(),
                };
                (tokenise(requirement), one_line(&title))
            })
        });
        self.controls.insert(requirement.to_owned(), hit.clone());
        hit
    }

    fn nonconformity(&mut self, nc: &Nonconformity) {
        let base = format!("nonconformity/{}", nc.id);
        let u_item = self.d.uuid(&base);
        let u_obs = self.d.uuid(&format!("{base}/observation"));
        let u_risk = self.d.uuid(&format!("{base}/risk"));
        let reporter = self.origin(&nc.reported_by, "reporter");

        // What was found, and how.
        self.observations.push(json!({
            "uuid": u_obs,
            "title": one_line(&nc.title),
            "description": nc.description,
            "methods": [observation_method(nc.source)],
            "types": ["discovery"],
            "origins": reporter,
            "collected": date_time(nc.detected_at),
            "props": [prop("source", &token(&nc.source))],
        }));
        let mut related_obs = vec![json!({"observation-uuid": u_obs})];

        // Verification results are observations too: a test of effectiveness.
        for (i, r) in nc.verification_results.iter().enumerate() {
            let u = self.d.uuid(&format!("{base}/verification-result/{i}"));
            let verdict = if r.passed { "passed" } else { "failed" };
            let title = format!(
                "Effectiveness check {} of attempt {}: {verdict}",
                r.check, r.attempt
            );
            let origins = self.origin(&r.by, "verifier");
            self.observations.push(json!({
                "uuid": u,
                "title": title,
                "description": r.notes.clone().unwrap_or_else(|| title.clone()),
                "methods": ["TEST"],
                "types": ["control-objective"],
                "origins": origins,
                "collected": date_time(r.at),
                "props": [json_prop("verification-result", r)],
            }));
            related_obs.push(json!({"observation-uuid": u}));
        }

        // The risk: status from the lifecycle, deadline, remediations per attempt.
        let mut attempts: BTreeSet<u32> = nc.analyses.iter().map(|a| a.attempt).collect();
        attempts.extend(nc.actions.iter().map(|a| a.attempt));
        attempts.extend(nc.verification_plans.iter().map(|p| p.attempt));
        let mut remediations = Vec::new();
        for attempt in attempts {
            remediations.push(self.remediation(nc, &base, attempt));
        }
        if let Some(ra) = &nc.risk_acceptance {
            remediations.push(self.acceptance_response(ra, &base));
        }
        let requirements: Vec<&str> = nc.requirements.iter().map(|r| r.as_str()).collect();
        let statement = format!(
            "{} is a {} nonconformity{}, found by {}; its handling is at the {} stage.",
            nc.reference,
            token(&nc.severity),
            if requirements.is_empty() {
                String::new()
            } else {
                format!(" against {}", requirements.join(", "))
            },
            token(&nc.source).replace('_', " "),
            token(&nc.state).replace('_', " "),
        );
        let mut log: Vec<Value> = nc
            .history
            .iter()
            .enumerate()
            .map(|(i, t)| {
                json!({
                    "uuid": self.d.uuid(&format!("{base}/log/{i}")),
                    "title": format!("State {}", token(&t.to)),
                    "start": date_time(t.at),
                    "status-change": risk_status(t.to),
                    "props": [prop("state", &token(&t.to))],
                })
            })
            .collect();
        if let Some(ra) = &nc.risk_acceptance {
            // After the closure or rejection at the same instant: the risk
            // stays, as a deviation approved by the acceptor.
            let logged_by = json!([{
                "party-uuid": self.party(&ra.accepted_by),
                "role-id": "risk-acceptor",
            }]);
            self.actors.insert(ra.accepted_by.clone());
            log.push(json!({
                "uuid": self.d.uuid(&format!("{base}/log/risk-acceptance")),
                "title": "Residual risk accepted",
                "description": ra.residual_risk,
                "start": date_time(ra.at),
                "end": end_of_day(ra.review_by),
                "logged-by": logged_by,
                "status-change": "deviation-approved",
                "related-responses": [{
                    "response-uuid": self.d.uuid(&format!("{base}/risk-acceptance")),
                }],
            }));
        }
        let characterization = json!([{
            "origin": { "actors": [self.actor(&nc.reported_by, "reporter")] },
            "facets": [{ "name": "severity", "system": NS, "value": token(&nc.severity) }],
        }]);
        let mut risk = Map::new();
        risk.insert("uuid".into(), json!(u_risk));
        risk.insert(
            "title".into(),
            json!(one_line(&format!("{}: {}", nc.reference, nc.title))),
        );
        risk.insert("description".into(), json!(nc.description));
        risk.insert("statement".into(), json!(statement));
        risk.insert("status".into(), json!(risk_status_of(nc)));
        risk.insert("origins".into(), reporter.clone());
        risk.insert("characterizations".into(), characterization);
        if let Some(d) = nc.external_deadline {
            risk.insert("deadline".into(), json!(end_of_day(d)));
        }
        if !remediations.is_empty() {
            risk.insert("remediations".into(), Value::Array(remediations));
        }
        if !log.is_empty() {
            risk.insert("risk-log".into(), json!({ "entries": log }));
        }
        risk.insert(
            "related-observations".into(),
            json!([{"observation-uuid": u_obs}]),
        );
        self.risks.push(Value::Object(risk));

        // Findings where a requirement reference targets a control.
        let mut related_findings = Vec::new();
        for r in &requirements {
            if let Some((target, title)) = self.control(r) {
                let u = self.d.uuid(&format!("{base}/finding/{r}"));
                let satisfied = if nc.state == NcState::Closed {
                    "satisfied"
                } else {
                    "not-satisfied"
                };
                let origins = reporter.clone();
                self.findings.push(json!({
                    "uuid": u,
                    "title": title,
                    "description": format!("{} does not fulfil {r}.", nc.reference),
                    "origins": origins,
                    "target": {
                        "type": "objective-id",
                        "target-id": target,
                        "status": { "state": satisfied },
                    },
                    "props": [prop("requirement", r)],
                    "related-observations": [{"observation-uuid": u_obs}],
                    "related-risks": [{"risk-uuid": u_risk}],
                }));
                related_findings.push(json!({"finding-uuid": u}));
            }
        }

        // The poam-item, with everything OSCAL has no place for as props.
        let mut props = vec![
            prop("nonconformity-id", &nc.id.to_string()),
            prop("reference", &nc.reference.to_string()),
            prop("source", &token(&nc.source)),
            prop("severity", &token(&nc.severity)),
            prop("state", &token(&nc.state)),
            prop("owner", nc.owner.as_str()),
            prop("reported-by", nc.reported_by.as_str()),
            prop("reported-at", &date_time(nc.reported_at)),
            prop("detected-at", &date_time(nc.detected_at)),
        ];
        for r in &requirements {
            props.push(prop("requirement", r));
        }
        if let Some(d) = nc.external_deadline {
            props.push(prop("external-deadline", &d.to_string()));
        }
        if let Some(a) = &nc.audit {
            props.push(prop("audit", a.as_str()));
        }
        if one_line(&nc.title) != nc.title {
            props.push(json_prop("title", &nc.title));
        }
        if !nc.links.is_empty() {
            props.push(json_prop("links", &nc.links));
        }
        if !nc.extensions.is_empty() {
            props.push(json_prop("extensions", &nc.extensions));
        }
        if !nc.corrections.is_empty() {
            props.push(json_prop("corrections", &nc.corrections));
        }
        if let Some(c) = &nc.closure {
            props.push(json_prop("closure", c));
        }
        if let Some(r) = &nc.rejection {
            props.push(json_prop("rejection", r));
        }
        if let Some(ra) = &nc.risk_acceptance {
            props.push(json_prop("risk-acceptance", ra));
        }
        if let Some(r) = nc.recurrence_of {
            props.push(prop("recurrence-of", &r.to_string()));
        }
        if let Some(t) = nc.recurrence_linked_at {
            props.push(prop("recurrence-linked-at", &date_time(t)));
        }
        // Effectiveness events OSCAL has no field for: a later nonconformity
        // recorded as repeating this one (it concluded the attempt under
        // verification ineffective), a scheduled check recorded as missed, a
        // recurring schedule ended early; each exact, in recording order.
        for r in &nc.recurrences {
            props.push(json_prop("recurrence", r));
        }
        for m in &nc.missed_checks {
            props.push(json_prop("missed-check", m));
        }
        for e in &nc.verification_ends {
            props.push(json_prop("verification-end", e));
        }
        // Regulatory reporting (NIS2 Article 23 clocks): every record (the
        // corrected ones first, the one in force last) and every report
        // sent, each exact.
        for r in nc.superseded_reporting.iter().chain(&nc.incident_reporting) {
            props.push(json_prop("incident-reporting", r));
        }
        for r in &nc.submissions {
            props.push(json_prop("report-submission", r));
        }
        let mut item = Map::new();
        item.insert("uuid".into(), json!(u_item));
        item.insert("title".into(), json!(one_line(&nc.title)));
        item.insert("description".into(), json!(nc.description));
        item.insert("props".into(), Value::Array(props));
        item.insert("origins".into(), reporter);
        if !related_findings.is_empty() {
            item.insert("related-findings".into(), Value::Array(related_findings));
        }
        item.insert("related-observations".into(), Value::Array(related_obs));
        item.insert("related-risks".into(), json!([{"risk-uuid": u_risk}]));
        self.items.push(Value::Object(item));
        // The owner is a party even when no step names them otherwise.
        self.actors.insert(nc.owner.clone());
    }

    /// The risk response of an accepted residual risk: OSCAL's `accept`
    /// response type, decided (`completed`), with the review as a milestone.
    fn acceptance_response(&mut self, ra: &isms_core::RiskAcceptance, base: &str) -> Value {
        let responsible = self.responsible(&ra.accepted_by, "risk-acceptor");
        json!({
            "uuid": self.d.uuid(&format!("{base}/risk-acceptance")),
            "lifecycle": "completed",
            "title": format!("Residual risk accepted by {} at its {}", ra.accepted_by, ra.decision.as_str()),
            "description": ra.residual_risk,
            "props": [
                {"name": "type", "value": "accept"},
                prop("risk-acceptance-review", &ra.review_by.to_string()),
            ],
            "tasks": [{
                "uuid": self.d.uuid(&format!("{base}/risk-acceptance/review")),
                "type": "milestone",
                "title": "Review of the accepted risk",
                "timing": { "on-date": { "date": start_of_day(ra.review_by) } },
                "responsible-roles": responsible,
            }],
        })
    }

    fn remediation(&mut self, nc: &Nonconformity, base: &str, attempt: u32) -> Value {
        let analysis = nc.analyses.iter().find(|a| a.attempt == attempt);
        let actions: Vec<_> = nc.actions.iter().filter(|a| a.attempt == attempt).collect();
        let lifecycle = if actions.is_empty() {
            "recommendation"
        } else if actions.iter().all(|a| a.status.is_finished())
            && actions.iter().any(|a| a.status == ActionStatus::Done)
        {
            "completed"
        } else {
            "planned"
        };
        let mut description = String::new();
        if let Some(a) = analysis {
            description.push_str("Root causes:\n");
            for c in &a.causes {
                description.push_str(&format!("- {}: {}\n", token(&c.category), c.statement));
            }
            if let isms_core::ActionDecision::NoActionRequired { justification, .. } = &a.decision {
                description.push_str(&format!(
                    "\nNo corrective action required: {justification}\n"
                ));
            }
        } else {
            description.push_str("No root-cause analysis recorded for this attempt.");
        }
        let mut tasks = Vec::new();
        for a in &actions {
            let mut props = vec![
                prop("action-id", &a.id.to_string()),
                prop("status", &token(&a.status)),
                json_prop("corrective-action", a),
            ];
            if a.original_due != a.due {
                props.insert(2, prop("original-due", &a.original_due.to_string()));
            }
            let responsible = self.responsible(&a.owner, "action-owner");
            tasks.push(json!({
                "uuid": self.d.uuid(&format!("{base}/action/{}", a.id)),
                "type": "action",
                "title": format!("Corrective action {}", a.reference),
                "description": a.description,
                "timing": { "within-date-range": {
                    "start": date_time(a.planned_at),
                    "end": end_of_day(a.due),
                }},
                "responsible-roles": responsible,
                "props": props,
            }));
        }
        for (k, plan) in nc.verification_plans.iter().enumerate() {
            if plan.attempt != attempt {
                continue;
            }
            let pbase = format!("{base}/verification-plan/{k}");
            let dates = plan.schedule.check_dates().unwrap_or_default();
            let checks: Vec<Value> = dates
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    json!({
                        "uuid": self.d.uuid(&format!("{pbase}/check/{i}")),
                        "type": "milestone",
                        "title": format!("Effectiveness check {i}"),
                        "timing": { "on-date": { "date": start_of_day(*d) } },
                    })
                })
                .collect();
            let responsible = self.responsible(&plan.verifier, "verifier");
            let mut task = Map::new();
            task.insert("uuid".into(), json!(self.d.uuid(&pbase)));
            task.insert("type".into(), json!("milestone"));
            task.insert(
                "title".into(),
                json!(format!("Verification of effectiveness, attempt {attempt}")),
            );
            task.insert(
                "description".into(),
                json!(format!(
                    "Method: {}\n\nCriteria: {}",
                    plan.method, plan.criteria
                )),
            );
            if let (Some(first), Some(last)) = (dates.first(), dates.last()) {
                task.insert(
                    "timing".into(),
                    json!({ "within-date-range": {
                        "start": start_of_day(*first),
                        "end": end_of_day(*last),
                    }}),
                );
            }
            if !checks.is_empty() {
                task.insert("tasks".into(), Value::Array(checks));
            }
            task.insert("responsible-roles".into(), responsible);
            task.insert(
                "props".into(),
                json!([json_prop("verification-plan", plan)]),
            );
            tasks.push(Value::Object(task));
        }
        let title = match analysis.map(|a| &a.decision) {
            Some(isms_core::ActionDecision::NoActionRequired { .. }) => {
                format!("No corrective action required, attempt {attempt}")
            }
            _ => format!("Corrective action plan, attempt {attempt}"),
        };
        let mut r = Map::new();
        r.insert(
            "uuid".into(),
            json!(self.d.uuid(&format!("{base}/remediation/{attempt}"))),
        );
        r.insert("lifecycle".into(), json!(lifecycle));
        r.insert("title".into(), json!(title));
        r.insert("description".into(), json!(description));
        let mut props = vec![prop("attempt", &attempt.to_string())];
        if let Some(a) = analysis {
            r.insert("origins".into(), self.origin(&a.by, "recorder"));
            props.push(json_prop("root-cause-analysis", a));
        }
        r.insert("props".into(), Value::Array(props));
        if !tasks.is_empty() {
            r.insert("tasks".into(), Value::Array(tasks));
        }
        Value::Object(r)
    }
}

/// A prop in this project's namespace.
pub(crate) fn prop(name: &str, value: &str) -> Value {
    json!({ "name": name, "ns": NS, "value": value })
}

/// A prop whose value is the compact JSON of `value`: exact (text keeps its
/// line breaks as `\n` escapes) and always a valid OSCAL string.
fn json_prop<T: Serialize + ?Sized>(name: &str, value: &T) -> Value {
    // Serialising the core's own types cannot fail (no maps with non-string keys).
    let text = serde_json::to_string(value).unwrap_or_default();
    prop(name, &text)
}

/// The snake_case serde name of a unit enum value (`internal_audit`).
pub(crate) fn token<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A title-like text as one line: every line break becomes a space.
pub(crate) fn one_line(s: &str) -> String {
    if s.contains(['\n', '\r']) {
        s.replace("\r\n", " ").replace(['\n', '\r'], " ")
    } else {
        s.to_owned()
    }
}

/// RFC 3339 in UTC with `Z`, as OSCAL's date-time-with-timezone wants.
pub(crate) fn date_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn start_of_day(d: NaiveDate) -> String {
    format!("{d}T00:00:00Z")
}

fn end_of_day(d: NaiveDate) -> String {
    format!("{d}T23:59:59Z")
}
