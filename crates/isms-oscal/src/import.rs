//! Import of an OSCAL POA&M into a register, through `isms-core` commands.
//!
//! Poam-items written by this crate (they carry a `nonconformity-id` prop in
//! [`NS`]) are rebuilt exactly: every recorded step becomes the command that
//! recorded it, at its time and by its actor. Poam-items written elsewhere
//! become reported nonconformities with what maps (title, description,
//! detection time, deadline); everything else is listed in the
//! [`ImportReport`], by JSON path.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use isms_core::replay::{Replayer, Step};
use isms_core::{
    ActorId, Closure, Command, Correction, CorrectiveAction, Event, Extensions, ExternalLink,
    LinkKind, MissedCheck, NonconformityId, Policy, RecurrenceRecord, Register, Rejection,
    RejectionReason, ReportNonconformity, RequirementRef, RiskAcceptance, RiskAcceptanceTerms,
    RiskDecision, RootCauseAnalysis, Severity, Source, VerificationEnd, VerificationPlan,
    VerificationResult,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::check::{ConstraintViolation, check_document};
use crate::error::ImportError;
use crate::ids::NS;
use crate::poam::token;

/// The members this crate writes on a risk.
const RISK_MEMBERS: [&str; 12] = [
    "uuid",
    "title",
    "description",
    "statement",
    "status",
    "origins",
    "characterizations",
    "deadline",
    "remediations",
    "risk-log",
    "related-observations",
    "props",
];

/// The members this crate writes on an observation.
const OBSERVATION_MEMBERS: [&str; 8] = [
    "uuid",
    "title",
    "description",
    "methods",
    "types",
    "origins",
    "collected",
    "props",
];

/// The actor recorded for steps of a foreign POA&M that name nobody.
pub const DEFAULT_ACTOR: &str = "oscal-import";

/// Why a piece of the document was not imported as it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// A member this importer does not know at this place.
    UnknownMember,
    /// OSCAL content with no equivalent in the register (the text says what).
    NoEquivalent(&'static str),
    /// A register field OSCAL does not carry: this value was used.
    Defaulted {
        /// The register field.
        field: &'static str,
        /// The value used.
        value: String,
    },
    /// A uuid reference that names nothing in the document.
    UnresolvedReference {
        /// The uuid.
        uuid: String,
    },
    /// A reference to a nonconformity neither in the document nor in the
    /// register: the link was dropped.
    UnknownNonconformity {
        /// Its identifier.
        id: String,
    },
    /// The document breaks an OSCAL constraint (imported anyway).
    Constraint(ConstraintViolation),
    /// After the import, the item's state differs from the state the
    /// document claims.
    StateMismatch {
        /// What the document says.
        claimed: String,
        /// What the register computed from the steps.
        computed: String,
    },
}

/// One entry of the report: where, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// JSON path (`$.plan-of-action-and-milestones.risks[0].status`).
    pub path: String,
    /// Why.
    pub reason: SkipReason,
}

/// What an import did not take over as it stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Poam-items imported (each one nonconformity).
    pub items: usize,
    /// Of those, how many were written by this crate (exact round trip).
    pub exact_items: usize,
    /// Everything skipped, defaulted or dropped, in document order.
    pub skipped: Vec<Skipped>,
}

/// One command of an import, with its time, actor and origin (the JSON
/// path of the poam-item it comes from): the core's shared import step, run
/// by [`isms_core::replay::Replayer`] as every importer's are.
pub type ImportStep = Step<String>;

/// The commands an import will run, in order, and its report so far.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportPlan {
    /// The steps, in the order they are executed.
    pub steps: Vec<ImportStep>,
    /// What was skipped while reading.
    pub report: ImportReport,
    /// (path, nonconformity, state claimed by the document) for the check
    /// after execution.
    claimed_states: Vec<(String, NonconformityId, String)>,
    /// The audits the document records (metadata props `audit`), with
    /// their paths: recorded before the steps, unless the register holds
    /// them already.
    pub audits: Vec<(String, isms_core::Audit)>,
}

/// The outcome of [`import_poam`].
#[derive(Clone, Debug)]
pub struct Imported {
    /// The register built from the document.
    pub register: Register,
    /// The events recorded, in order.
    pub events: Vec<Event>,
    /// What was skipped.
    pub report: ImportReport,
}

/// Whether `doc` is an OSCAL POA&M document (it has the
/// `plan-of-action-and-milestones` root), as opposed to, say, the project's
/// own register document: what a caller checks before [`plan_import`].
pub fn is_poam(doc: &Value) -> bool {
    doc.get("plan-of-action-and-milestones")
        .is_some_and(Value::is_object)
}

/// The most bytes of POA&M text [`import_poam`] reads: 64 MiB, as for a
/// spreadsheet. Parsed, a document takes about eight times its size in
/// memory (the JSON tree, the register, the events), so the cap keeps an
/// import under 1 GB; a POA&M of 5,000 nonconformities with their whole
/// history is about 90 MB, far above any register's in practice. A caller
/// reading a file checks its size before reading it.
pub const MAX_POAM_BYTES: u64 = 64 * 1024 * 1024;

/// Imports a POA&M (JSON text) into a new register under
/// [`Policy::permissive`].
///
/// # Errors
/// [`ImportError`] when the text is too large, is not a POA&M, a value the
/// import needs is malformed, or the register refuses a command.
pub fn import_poam(text: &str) -> Result<Imported, ImportError> {
    let policy = Policy::permissive();
    import_poam_with(text, &mut Replayer::new(&policy, 0))
}

/// Imports a POA&M (JSON text) into a new register, deciding every step
/// with `replayer` (its policy, and any check of the caller's own).
///
/// # Errors
/// As [`import_poam`].
pub fn import_poam_with(
    text: &str,
    replayer: &mut Replayer<'_, '_, String>,
) -> Result<Imported, ImportError> {
    if text.len() as u64 > MAX_POAM_BYTES {
        return Err(ImportError::TooLarge {
            bytes: text.len() as u64,
            limit: MAX_POAM_BYTES,
        });
    }
    let doc: Value = serde_json::from_str(text)?;
    let plan = plan_import(&doc)?;
    drop(doc);
    let mut register = Register::new();
    let (events, report) = plan.replay(&mut register, replayer)?;
    Ok(Imported {
        register,
        events,
        report,
    })
}

impl ImportPlan {
    /// Runs the steps against `register` (which may already hold
    /// nonconformities) under `policy` and returns the events recorded and
    /// the final report (with any state mismatch). Event ids are derived
    /// from the step number, so the same plan gives the same events.
    ///
    /// # Errors
    /// [`ImportError::Refused`] at the first refused command; the register
    /// keeps the steps before it.
    pub fn execute(
        self,
        register: &mut Register,
        policy: &Policy,
    ) -> Result<(Vec<Event>, ImportReport), ImportError> {
        self.replay(register, &mut Replayer::new(policy, 0))
    }

    /// As [`ImportPlan::execute`], deciding with `replayer`.
    ///
    /// # Errors
    /// As [`ImportPlan::execute`].
    pub fn replay(
        self,
        register: &mut Register,
        replayer: &mut Replayer<'_, '_, String>,
    ) -> Result<(Vec<Event>, ImportReport), ImportError> {
        let mut events = Vec::new();
        for (path, audit) in &self.audits {
            if register.audits().audit(&audit.id).is_some() {
                continue;
            }
            let record = isms_core::RecordAudit::new(
                audit.id.clone(),
                audit.kind,
                audit.scope.clone(),
                audit.date,
                audit.lead.clone(),
            );
            let actor = isms_core::Actor::new(audit.recorded_by.clone());
            let decision =
                replayer.record_audit(register, audit.recorded_at, actor, &record, path.clone())?;
            events.extend(decision.events);
        }
        events.extend(replayer.run(register, self.steps)?);
        let mut report = self.report;
        for (path, id, claimed) in self.claimed_states {
            if let Some(nc) = register.nonconformity(id) {
                let computed = token(&nc.state);
                if computed != claimed {
                    report.skipped.push(Skipped {
                        path,
                        reason: SkipReason::StateMismatch { claimed, computed },
                    });
                }
            }
        }
        Ok((events, report))
    }
}

/// Reads a POA&M document into the commands that rebuild it.
///
/// # Errors
/// As [`import_poam`], except refusals (nothing is executed here).
pub fn plan_import(doc: &Value) -> Result<ImportPlan, ImportError> {
    plan(doc, &HashSet::new())
}

/// As [`plan_import`], for running the plan against `register`, which may
/// already hold nonconformities: references to them (similar cases,
/// recurrence, duplicates) are kept rather than dropped, and the new
/// reports are numbered after them.
///
/// # Errors
/// As [`plan_import`].
pub fn plan_import_into(doc: &Value, register: &Register) -> Result<ImportPlan, ImportError> {
    let known = register.nonconformities().iter().map(|n| n.id).collect();
    plan(doc, &known)
}

fn plan(doc: &Value, known: &HashSet<NonconformityId>) -> Result<ImportPlan, ImportError> {
    let poam = doc
        .get("plan-of-action-and-milestones")
        .and_then(Value::as_object)
        .ok_or(ImportError::NotAPoam(
            "no top-level \"plan-of-action-and-milestones\" object",
        ))?;
    const ROOT: &str = "$.plan-of-action-and-milestones";
    let items = poam
        .get("poam-items")
        .and_then(Value::as_array)
        .ok_or(ImportError::NotAPoam("no \"poam-items\" array"))?;
    let mut report = ImportReport::default();
    for v in check_document(doc) {
        report.skipped.push(Skipped {
            path: v.path().to_owned(),
            reason: SkipReason::Constraint(v),
        });
    }
    for (k, _) in poam {
        let reason = match k.as_str() {
            "uuid" | "metadata" | "observations" | "risks" | "findings" | "poam-items" => continue,
            "import-ssp" | "system-id" | "local-definitions" | "back-matter" => {
                SkipReason::NoEquivalent(
                    "the register describes no system; system context is not kept",
                )
            }
            _ => SkipReason::UnknownMember,
        };
        report.skipped.push(Skipped {
            path: format!("{ROOT}.{k}"),
            reason,
        });
    }
    let index = Index::new(poam, ROOT);
    let last_modified = poam
        .get("metadata")
        .and_then(|m| m.get("last-modified"))
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc));

    let mut audits = Vec::new();
    if let Some(Value::Object(metadata)) = poam.get("metadata") {
        for (i, name, value) in own_props(metadata) {
            if name == "audit" {
                let path = format!("{ROOT}.metadata.props[{i}]");
                let audit: isms_core::Audit = parse_json(&format!("{path}.value"), value)?;
                audits.push((path, audit));
            }
        }
    }
    let mut reader = Reader {
        index: &index,
        report,
        used: HashSet::new(),
    };
    let mut ncs = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("{ROOT}.poam-items[{i}]");
        let obj = item.as_object().ok_or_else(|| ImportError::BadValue {
            path: path.clone(),
            problem: "a poam-item must be an object".into(),
        })?;
        let nc = if has_prop(obj, "nonconformity-id") {
            reader.own_item(obj, &path)?
        } else {
            reader.foreign_item(obj, &path, last_modified)?
        };
        ncs.push(nc);
    }
    reader.report_unused(poam, ROOT);
    let mut report = reader.report;
    report.items = ncs.len();
    report.exact_items = ncs.iter().filter(|n| n.exact).count();

    // Cross-nonconformity references must name something that will exist.
    let present: HashSet<NonconformityId> = ncs
        .iter()
        .map(|n| n.id)
        .chain(known.iter().copied())
        .collect();
    let mut claimed_states = Vec::new();
    let mut queues: Vec<Vec<Option<Pending>>> = Vec::with_capacity(ncs.len());
    for n in &mut ncs {
        n.drop_unknown_references(&present, &mut report);
        if let Some(s) = n.claimed_state.take() {
            claimed_states.push((n.path.clone(), n.id, s));
        }
        queues.push(n.steps().into_iter().map(Some).collect());
    }
    // Reports in reference order, then document order (the register numbers
    // them NC-0001, ...); every other step by time, each nonconformity's
    // steps in their own order.
    let mut order: Vec<usize> = (0..ncs.len()).collect();
    order.sort_by_key(|&i| (ncs[i].reference, i));
    // The register keeps no order between nonconformities, and times recorded
    // on different nonconformities need not follow the order the log had. So
    // a step that names another nonconformity waits for that one's report, and
    // a rejection waits for the recurrence links to it (a link to a rejected
    // nonconformity is refused); both orders held in the original log.
    let mut links_in: HashMap<NonconformityId, usize> = HashMap::new();
    for q in &queues {
        for p in q.iter().flatten() {
            // Both halves of a recurrence: the link on the later item names
            // the earlier, the record on the earlier names the later; each
            // is refused once the one it names is rejected.
            match p.command {
                Command::LinkRecurrence { recurrence_of, .. } => {
                    *links_in.entry(recurrence_of).or_default() += 1;
                }
                Command::RecordRecurrence { recurrence, .. } => {
                    *links_in.entry(recurrence).or_default() += 1;
                }
                _ => {}
            }
        }
    }
    let mut reported: HashSet<NonconformityId> = known.clone();
    let mut links_done: HashMap<NonconformityId, usize> = HashMap::new();
    let ready = |p: &Pending,
                 reported: &HashSet<NonconformityId>,
                 links_done: &HashMap<NonconformityId, usize>| {
        match &p.command {
            Command::AnalyseRootCause { similar, .. } => {
                similar.iter().all(|s| reported.contains(s))
            }
            Command::LinkRecurrence { recurrence_of, .. } => reported.contains(recurrence_of),
            Command::RecordRecurrence { recurrence, .. } => reported.contains(recurrence),
            Command::RejectNonconformity {
                nonconformity,
                reason,
                ..
            } => {
                let duplicate_known = match reason {
                    RejectionReason::Duplicate { of } => reported.contains(of),
                    RejectionReason::NotANonconformity => true,
                };
                duplicate_known
                    && links_done.get(nonconformity).copied().unwrap_or(0)
                        >= links_in.get(nonconformity).copied().unwrap_or(0)
            }
            _ => true,
        }
    };
    let mut steps = Vec::with_capacity(queues.iter().map(Vec::len).sum());
    // (time, rank in `order`, step index)
    let mut heap: BinaryHeap<Reverse<(DateTime<Utc>, usize, usize)>> = BinaryHeap::new();
    let mut parked: Vec<Reverse<(DateTime<Utc>, usize, usize)>> = Vec::new();
    let head = |queues: &Vec<Vec<Option<Pending>>>, rank: usize, k: usize| {
        queues[order[rank]]
            .get(k)
            .and_then(Option::as_ref)
            .map(|p| Reverse((p.key.0, rank, k)))
    };
    if !order.is_empty() {
        heap.extend(head(&queues, 0, 0));
    }
    // When nothing is ready, a dependency the log could not have had: the
    // earliest waiting step runs anyway, and the core says why it refuses it.
    while let Some(entry) = heap.pop().or_else(|| {
        parked.sort();
        (!parked.is_empty()).then(|| parked.remove(0))
    }) {
        let Reverse((_, rank, k)) = entry;
        let n = order[rank];
        let Some(p) = queues[n][k].take() else {
            continue;
        };
        if !heap.is_empty() && !ready(&p, &reported, &links_done) {
            queues[n][k] = Some(p);
            parked.push(entry);
            continue;
        }
        match &p.command {
            Command::ReportNonconformity(r) => {
                reported.insert(r.id);
            }
            Command::LinkRecurrence { recurrence_of, .. } => {
                *links_done.entry(*recurrence_of).or_default() += 1;
            }
            Command::RecordRecurrence { recurrence, .. } => {
                *links_done.entry(*recurrence).or_default() += 1;
            }
            _ => {}
        }
        steps.push(ImportStep {
            at: p.key.0,
            actor: isms_core::Actor::new(p.actor),
            command: p.command,
            origin: ncs[n].path.clone(),
        });
        if k == 0 && rank + 1 < order.len() {
            heap.extend(head(&queues, rank + 1, 0));
        }
        heap.extend(head(&queues, rank, k + 1));
        // Whatever this step made ready goes back into the running.
        if !parked.is_empty() {
            let (now_ready, still): (Vec<_>, Vec<_>) =
                parked.drain(..).partition(|Reverse((_, r, k))| {
                    queues[order[*r]][*k]
                        .as_ref()
                        .is_some_and(|p| ready(p, &reported, &links_done))
                });
            heap.extend(now_ready);
            parked = still;
        }
    }
    Ok(ImportPlan {
        steps,
        report,
        claimed_states,
        audits,
    })
}

/// Objects of the document by uuid, with their paths.
struct Index<'a> {
    by_uuid: HashMap<&'a str, (&'a Map<String, Value>, String)>,
}

impl<'a> Index<'a> {
    fn new(poam: &'a Map<String, Value>, root: &str) -> Self {
        let mut by_uuid = HashMap::new();
        for list in ["observations", "risks", "findings"] {
            if let Some(Value::Array(xs)) = poam.get(list) {
                for (i, x) in xs.iter().enumerate() {
                    if let (Some(obj), Some(u)) =
                        (x.as_object(), x.get("uuid").and_then(Value::as_str))
                    {
                        by_uuid.insert(u, (obj, format!("{root}.{list}[{i}]")));
                    }
                }
            }
        }
        Self { by_uuid }
    }
}

struct Reader<'i, 'a> {
    index: &'i Index<'a>,
    report: ImportReport,
    used: HashSet<String>,
}

/// A step waiting to be ordered: (time, attempt, phase, sequence) sorts the
/// steps of one nonconformity into the order that recorded them.
#[derive(Clone, Debug)]
struct Pending {
    key: (DateTime<Utc>, u32, u8, usize),
    actor: ActorId,
    command: Command,
}

/// A nonconformity as read from the document, before ordering.
struct Read {
    path: String,
    exact: bool,
    id: NonconformityId,
    reference: u32,
    report: ReportNonconformity,
    reported_at: DateTime<Utc>,
    reported_by: ActorId,
    corrections: Vec<Correction>,
    analyses: Vec<RootCauseAnalysis>,
    actions: Vec<CorrectiveAction>,
    plans: Vec<VerificationPlan>,
    results: Vec<VerificationResult>,
    missed: Vec<MissedCheck>,
    ends: Vec<VerificationEnd>,
    /// The regulatory reporting records (the one in force last), and the
    /// reports sent.
    reporting: Vec<isms_core::IncidentReporting>,
    submissions: Vec<isms_core::ReportSubmission>,
    /// Later nonconformities recorded as repeating this one.
    recurrences: Vec<RecurrenceRecord>,
    closure: Option<Closure>,
    rejection: Option<Rejection>,
    /// The residual risk the closure or rejection accepted.
    risk_acceptance: Option<RiskAcceptance>,
    recurrence: Option<(NonconformityId, DateTime<Utc>)>,
    claimed_state: Option<String>,
    /// The instants at which the risk log says the nonconformity became
    /// contained: a correction recorded then was recorded while it was
    /// still reported, so before anything else at that instant.
    /// `None` when the document has no risk log for it.
    contained_at: Option<HashSet<DateTime<Utc>>>,
}

impl Read {
    fn drop_unknown_references(
        &mut self,
        present: &HashSet<NonconformityId>,
        report: &mut ImportReport,
    ) {
        let drop = |id: NonconformityId, report: &mut ImportReport| {
            let ok = present.contains(&id);
            if !ok {
                report.skipped.push(Skipped {
                    path: self.path.clone(),
                    reason: SkipReason::UnknownNonconformity { id: id.to_string() },
                });
            }
            ok
        };
        for a in &mut self.analyses {
            a.similar.retain(|s| drop(*s, report));
        }
        if let Some((r, _)) = self.recurrence
            && !drop(r, report)
        {
            self.recurrence = None;
        }
        self.recurrences.retain(|r| drop(r.recurrence, report));
        if let Some(Rejection {
            reason: RejectionReason::Duplicate { of },
            ..
        }) = &self.rejection
            && !drop(*of, report)
        {
            // Still rejected, for the reason that can be stated.
            if let Some(r) = &mut self.rejection {
                r.reason = RejectionReason::NotANonconformity;
            }
        }
    }

    /// Whether a correction at `at` was recorded while the item was still
    /// reported: the risk log has its transition to `contained` then, or
    /// there is no risk log to say otherwise.
    fn exact_order_known(&self, at: DateTime<Utc>) -> bool {
        self.contained_at
            .as_ref()
            .is_none_or(|set| set.contains(&at))
    }

    /// The attempt and phase (as [`Read::steps`] orders them) of the first
    /// step at `at` that can make the item implemented: an analysis that
    /// decides no action is required, or an action completed or cancelled
    /// (the last open one makes it implemented).
    fn first_implementing_step(&self, at: DateTime<Utc>) -> Option<(u32, u8)> {
        let analyses = self
            .analyses
            .iter()
            .filter(|a| {
                a.at == at
                    && matches!(
                        a.decision,
                        isms_core::ActionDecision::NoActionRequired { .. }
                    )
            })
            .map(|a| (a.attempt, 3));
        let actions = self
            .actions
            .iter()
            .filter(|a| a.completed_at == Some(at) || a.cancelled_at == Some(at))
            .map(|a| (a.attempt, 7));
        analyses.chain(actions).min()
    }

    /// The terms of the risk acceptance `decision` recorded, if it did.
    fn terms_of(&self, decision: RiskDecision) -> Option<RiskAcceptanceTerms> {
        self.risk_acceptance
            .as_ref()
            .filter(|ra| ra.decision == decision)
            .map(|ra| RiskAcceptanceTerms::new(ra.residual_risk.clone(), ra.review_by))
    }

    fn steps(&self) -> Vec<Pending> {
        let nc = self.id;
        let mut out = Vec::new();
        let mut push = |at, attempt, phase, actor: &ActorId, command| {
            let seq = out.len();
            out.push(Pending {
                key: (at, attempt, phase, seq),
                actor: actor.clone(),
                command,
            });
        };
        push(
            self.reported_at,
            0,
            0,
            &self.reported_by,
            Command::ReportNonconformity(self.report.clone()),
        );
        for c in &self.corrections {
            // A correction recorded after the item left `reported` (no
            // transition to `contained` at its instant) goes after every
            // other step of its instant but a closure or rejection: an
            // analysis recorded at the same instant came first, or the item
            // would have become contained. But it goes before a step of its
            // instant that can make the item implemented (a decision that no
            // action is required, an action completed or cancelled): no
            // correction is taken after that.
            let (attempt, phase) = if self.exact_order_known(c.at) {
                (0, 1)
            } else {
                self.first_implementing_step(c.at).unwrap_or((u32::MAX, 1))
            };
            push(
                c.at,
                attempt,
                phase,
                &c.by,
                Command::RecordContainment {
                    nonconformity: nc,
                    action_taken: c.action_taken.clone(),
                    consequences: c.consequences.clone(),
                    late_justification: c.late_justification.clone(),
                },
            );
        }
        if let Some((of, at)) = self.recurrence {
            push(
                at,
                0,
                2,
                &self.report.owner,
                Command::LinkRecurrence {
                    nonconformity: nc,
                    recurrence_of: of,
                },
            );
        }
        for a in &self.analyses {
            push(
                a.at,
                a.attempt,
                3,
                &a.by,
                Command::AnalyseRootCause {
                    nonconformity: nc,
                    method: a.method,
                    causes: a.causes.clone(),
                    similar: a.similar.clone(),
                    similar_notes: a.similar_notes.clone(),
                    decision: a.decision.clone(),
                },
            );
        }
        for a in &self.actions {
            push(
                a.planned_at,
                a.attempt,
                4,
                &self.report.owner,
                Command::PlanAction {
                    nonconformity: nc,
                    action: a.id,
                    description: a.description.clone(),
                    owner: a.owner.clone(),
                    due: a.original_due,
                    late_justification: None,
                },
            );
            for r in &a.reschedules {
                push(
                    r.at,
                    a.attempt,
                    5,
                    &r.by,
                    Command::RescheduleAction {
                        nonconformity: nc,
                        action: a.id,
                        due: r.to,
                        reason: r.reason.clone(),
                    },
                );
            }
            if let Some(t) = a.started_at {
                push(
                    t,
                    a.attempt,
                    6,
                    &a.owner,
                    Command::StartAction {
                        nonconformity: nc,
                        action: a.id,
                    },
                );
            }
            if let Some(t) = a.completed_at {
                push(
                    t,
                    a.attempt,
                    7,
                    &a.owner,
                    Command::CompleteAction {
                        nonconformity: nc,
                        action: a.id,
                        evidence: a.evidence.clone(),
                    },
                );
            }
            if let (Some(t), Some(reason)) = (a.cancelled_at, &a.cancel_reason) {
                push(
                    t,
                    a.attempt,
                    7,
                    &a.owner,
                    Command::CancelAction {
                        nonconformity: nc,
                        action: a.id,
                        reason: reason.clone(),
                    },
                );
            }
        }
        for p in &self.plans {
            push(
                p.at,
                p.attempt,
                8,
                &p.by,
                Command::PlanVerification {
                    nonconformity: nc,
                    method: p.method.clone(),
                    criteria: p.criteria.clone(),
                    schedule: p.schedule,
                    verifier: p.verifier.clone(),
                },
            );
        }
        // Results and missed checks in check order: the rules take them in
        // that order, so a tie in time must not reorder them.
        let mut checks: Vec<(u32, u32, DateTime<Utc>, &ActorId, Command)> = self
            .results
            .iter()
            .map(|r| {
                let command = Command::RecordVerification {
                    nonconformity: nc,
                    check: r.check,
                    passed: r.passed,
                    notes: r.notes.clone(),
                    evidence: r.evidence.clone(),
                };
                (r.attempt, r.check, r.at, &r.by, command)
            })
            .collect();
        checks.extend(self.missed.iter().map(|m| {
            let command = Command::RecordMissedCheck {
                nonconformity: nc,
                check: m.check,
                reason: m.reason.clone(),
            };
            (m.attempt, m.check, m.at, &m.by, command)
        }));
        checks.sort_by_key(|c| (c.0, c.1, c.2));
        for (attempt, _, at, by, command) in checks {
            push(at, attempt, 9, by, command);
        }
        for e in &self.ends {
            push(
                e.at,
                e.attempt,
                9,
                &e.by,
                Command::EndVerification {
                    nonconformity: nc,
                    reason: e.reason.clone(),
                },
            );
        }
        // Every reporting record when it was recorded (a correction after
        // the reports it must keep valid), and every report sent.
        for r in &self.reporting {
            push(
                r.recorded_at,
                0,
                1,
                &r.recorded_by,
                Command::RecordIncidentReporting {
                    nonconformity: nc,
                    regime: r.regime.clone(),
                    aware_at: r.aware_at,
                    significant: r.significant,
                    requests: r.requests.clone(),
                },
            );
        }
        for r in &self.submissions {
            push(
                r.recorded_at,
                0,
                1,
                &r.recorded_by,
                Command::RecordReportSubmission {
                    nonconformity: nc,
                    kind: r.kind.clone(),
                    recipient: r.recipient.clone(),
                    submitted_at: r.submitted_at,
                    reference: r.reference.clone(),
                },
            );
        }
        for r in &self.recurrences {
            push(
                r.at,
                r.attempt,
                9,
                &r.by,
                Command::RecordRecurrence {
                    nonconformity: nc,
                    recurrence: r.recurrence,
                },
            );
        }
        if let Some(c) = &self.closure {
            push(
                c.at,
                u32::MAX,
                10,
                &c.by,
                Command::CloseNonconformity {
                    risk_acceptance: self.terms_of(RiskDecision::Closure),
                    nonconformity: nc,
                    isms_changes: c.isms_changes.clone(),
                    notes: c.notes.clone(),
                },
            );
        }
        if let Some(r) = &self.rejection {
            push(
                r.at,
                u32::MAX,
                10,
                &r.by,
                Command::RejectNonconformity {
                    risk_acceptance: self.terms_of(RiskDecision::Rejection),
                    nonconformity: nc,
                    reason: r.reason.clone(),
                    explanation: r.explanation.clone(),
                },
            );
        }
        // Stable: ties keep the order above (the order of the lifecycle).
        out.sort_by_key(|p| p.key);
        out
    }
}

/// The props of an object in this project's namespace, by name, with their
/// index in `props` (names may repeat).
fn own_props(obj: &Map<String, Value>) -> Vec<(usize, &str, &str)> {
    let Some(Value::Array(props)) = obj.get("props") else {
        return Vec::new();
    };
    props
        .iter()
        .enumerate()
        .filter(|(_, p)| p.get("ns").and_then(Value::as_str) == Some(NS))
        .filter_map(|(i, p)| {
            Some((
                i,
                p.get("name").and_then(Value::as_str)?,
                p.get("value").and_then(Value::as_str)?,
            ))
        })
        .collect()
}

fn has_prop(obj: &Map<String, Value>, name: &str) -> bool {
    own_props(obj).iter().any(|(_, n, _)| *n == name)
}

fn bad(path: &str, problem: impl Into<String>) -> ImportError {
    ImportError::BadValue {
        path: path.to_owned(),
        problem: problem.into(),
    }
}

fn parse_json<T: DeserializeOwned>(path: &str, value: &str) -> Result<T, ImportError> {
    serde_json::from_str(value).map_err(|e| bad(path, format!("malformed value: {e}")))
}

fn parse_str<T: std::str::FromStr>(path: &str, value: &str, what: &str) -> Result<T, ImportError>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| bad(path, format!("{value:?} is not {what}: {e}")))
}

fn parse_time(path: &str, value: &str) -> Result<DateTime<Utc>, ImportError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            bad(
                path,
                format!("{value:?} is not a date-time with a time zone: {e}"),
            )
        })
}

fn parse_token<T: DeserializeOwned>(path: &str, value: &str, what: &str) -> Result<T, ImportError> {
    serde_json::from_value(Value::String(value.to_owned()))
        .map_err(|_| bad(path, format!("{value:?} is not a known {what}")))
}

fn str_member<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'v str, ImportError> {
    obj.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(&format!("{path}.{key}"), "missing or not a string"))
}

impl Reader<'_, '_> {
    fn skip(&mut self, path: String, reason: SkipReason) {
        self.report.skipped.push(Skipped { path, reason });
    }

    /// Reports the members of an object written by this crate that it does
    /// not write (another tool added them).
    fn unknown_members(&mut self, obj: &Map<String, Value>, path: &str, known: &[&str]) {
        for k in obj.keys() {
            if !known.contains(&k.as_str()) {
                self.skip(format!("{path}.{k}"), SkipReason::UnknownMember);
            }
        }
    }

    /// Reports props outside this project's namespace.
    fn foreign_props(&mut self, obj: &Map<String, Value>, path: &str) {
        if let Some(Value::Array(props)) = obj.get("props") {
            for (i, p) in props.iter().enumerate() {
                if p.get("ns").and_then(Value::as_str) != Some(NS) {
                    self.skip(
                        format!("{path}.props[{i}]"),
                        SkipReason::NoEquivalent("a prop outside this project's namespace"),
                    );
                }
            }
        }
    }

    /// The objects a poam-item references through `list` (`related-risks`
    /// with `risk-uuid`...), reporting the unresolved ones.
    fn related<'s>(
        &mut self,
        obj: &Map<String, Value>,
        list: &str,
        key: &str,
        path: &str,
    ) -> Vec<(&'s Map<String, Value>, String)>
    where
        Self: 's,
    {
        let mut out = Vec::new();
        let Some(Value::Array(xs)) = obj.get(list) else {
            return out;
        };
        for (i, x) in xs.iter().enumerate() {
            let Some(u) = x.get(key).and_then(Value::as_str) else {
                continue;
            };
            match self.index.by_uuid.get(u) {
                Some((o, p)) => {
                    self.used.insert(u.to_owned());
                    out.push((*o, p.clone()));
                }
                None => self.skip(
                    format!("{path}.{list}[{i}].{key}"),
                    SkipReason::UnresolvedReference { uuid: u.to_owned() },
                ),
            }
        }
        out
    }

    /// Observations, risks and findings that no poam-item references.
    fn report_unused(&mut self, poam: &Map<String, Value>, root: &str) {
        for list in ["observations", "risks", "findings"] {
            if let Some(Value::Array(xs)) = poam.get(list) {
                for (i, x) in xs.iter().enumerate() {
                    let u = x.get("uuid").and_then(Value::as_str).unwrap_or_default();
                    if !self.used.contains(u) {
                        self.skip(
                            format!("{root}.{list}[{i}]"),
                            SkipReason::NoEquivalent("referenced by no poam-item"),
                        );
                    }
                }
            }
        }
    }

    fn own_item(&mut self, obj: &Map<String, Value>, path: &str) -> Result<Read, ImportError> {
        let mut id = None;
        let mut reference = u32::MAX;
        let mut source = None;
        let mut severity = None;
        let mut owner = None;
        let mut reported_by = None;
        let mut reported_at = None;
        let mut detected_at = None;
        let mut requirements = Vec::new();
        let mut external_deadline = None;
        let mut title = None;
        let mut links = Vec::new();
        let mut extensions = Extensions::new();
        let mut corrections = Vec::new();
        let mut closure = None;
        let mut rejection = None;
        let mut risk_acceptance: Option<RiskAcceptance> = None;
        let mut audit = None;
        let mut recurrence_of = None;
        let mut recurrence_at = None;
        let mut recurrences = Vec::new();
        let mut missed = Vec::new();
        let mut ends = Vec::new();
        let mut reporting = Vec::new();
        let mut submissions = Vec::new();
        let mut claimed_state = None;
        self.foreign_props(obj, path);
        for (i, name, value) in own_props(obj) {
            let p = format!("{path}.props[{i}].value");
            let p = p.as_str();
            match name {
                "nonconformity-id" => {
                    id = Some(parse_str::<NonconformityId>(
                        p,
                        value,
                        "a nonconformity id",
                    )?)
                }
                "reference" => {
                    let r: isms_core::NcRef = parse_str(p, value, "a reference like NC-0007")?;
                    reference = r.number();
                }
                "source" => source = Some(parse_token::<Source>(p, value, "source")?),
                "severity" => severity = Some(parse_token::<Severity>(p, value, "severity")?),
                "state" => claimed_state = Some(value.to_owned()),
                "owner" => owner = Some(parse_str::<ActorId>(p, value, "an actor")?),
                "reported-by" => reported_by = Some(parse_str::<ActorId>(p, value, "an actor")?),
                "reported-at" => reported_at = Some(parse_time(p, value)?),
                "detected-at" => detected_at = Some(parse_time(p, value)?),
                "requirement" => requirements.push(parse_str::<RequirementRef>(
                    p,
                    value,
                    "a requirement reference",
                )?),
                "external-deadline" => {
                    external_deadline = Some(parse_str::<NaiveDate>(p, value, "a date")?)
                }
                "title" => title = Some(parse_json::<String>(p, value)?),
                "links" => links = parse_json(p, value)?,
                "extensions" => extensions = parse_json(p, value)?,
                "corrections" => corrections = parse_json(p, value)?,
                "closure" => closure = Some(parse_json(p, value)?),
                "rejection" => rejection = Some(parse_json(p, value)?),
                "risk-acceptance" => risk_acceptance = Some(parse_json(p, value)?),
                "recurrence-of" => {
                    recurrence_of = Some(parse_str::<NonconformityId>(
                        p,
                        value,
                        "a nonconformity id",
                    )?)
                }
                "recurrence-linked-at" => recurrence_at = Some(parse_time(p, value)?),
                "recurrence" => recurrences.push(parse_json::<RecurrenceRecord>(p, value)?),
                "missed-check" => missed.push(parse_json::<MissedCheck>(p, value)?),
                "audit" => audit = Some(parse_str::<isms_core::AuditId>(p, value, "an audit id")?),
                "verification-end" => ends.push(parse_json::<VerificationEnd>(p, value)?),
                "incident-reporting" => {
                    reporting.push(parse_json::<isms_core::IncidentReporting>(p, value)?)
                }
                "report-submission" => {
                    submissions.push(parse_json::<isms_core::ReportSubmission>(p, value)?)
                }
                _ => self.skip(format!("{path}.props[{i}]"), SkipReason::UnknownMember),
            }
        }
        let need = |what: &str| {
            bad(
                path,
                format!("a poam-item written by isms-oscal needs the prop {what:?}"),
            )
        };
        let id = id.ok_or_else(|| need("nonconformity-id"))?;
        let reported_by = reported_by.ok_or_else(|| need("reported-by"))?;
        let reported_at = reported_at.ok_or_else(|| need("reported-at"))?;
        let title = match title {
            Some(t) => t,
            None => str_member(obj, "title", path)?.to_owned(),
        };
        let description = str_member(obj, "description", path)?.to_owned();
        for k in obj.keys() {
            if !matches!(
                k.as_str(),
                "uuid"
                    | "title"
                    | "description"
                    | "props"
                    | "origins"
                    | "related-findings"
                    | "related-observations"
                    | "related-risks"
            ) {
                self.skip(format!("{path}.{k}"), SkipReason::UnknownMember);
            }
        }

        // Analyses, actions and plans from the risk's remediations.
        let mut analyses = Vec::new();
        let mut actions = Vec::new();
        let mut plans = Vec::new();
        let mut contained_at: Option<HashSet<DateTime<Utc>>> = None;
        for (risk, rpath) in self.related(obj, "related-risks", "risk-uuid", path) {
            self.unknown_members(risk, &rpath, &RISK_MEMBERS);
            self.foreign_props(risk, &rpath);
            if let Some(Value::Array(entries)) = risk.get("risk-log").and_then(|l| l.get("entries"))
            {
                let set = contained_at.get_or_insert_with(HashSet::new);
                for e in entries {
                    let contained = own_props(e.as_object().unwrap_or(&Map::new()))
                        .iter()
                        .any(|(_, n, v)| *n == "state" && *v == "contained");
                    let start = e
                        .get("start")
                        .and_then(Value::as_str)
                        .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
                    if let (true, Some(t)) = (contained, start) {
                        set.insert(t.with_timezone(&Utc));
                    }
                }
            }
            let Some(Value::Array(rems)) = risk.get("remediations") else {
                continue;
            };
            for (i, rem) in rems.iter().enumerate() {
                let rem_path = format!("{rpath}.remediations[{i}]");
                let Some(rem) = rem.as_object() else { continue };
                let props = own_props(rem);
                if props.iter().any(|(_, n, _)| *n == "risk-acceptance-review") {
                    // Written from the poam-item's risk-acceptance prop,
                    // which is what is read.
                    continue;
                }
                if !props.iter().any(|(_, n, _)| *n == "attempt") {
                    self.skip(rem_path, SkipReason::NoEquivalent("a remediation without a root-cause analysis attempt: the register plans actions only after an analysis"));
                    continue;
                }
                for (j, name, value) in props {
                    if name == "root-cause-analysis" {
                        analyses.push(parse_json::<RootCauseAnalysis>(
                            &format!("{rem_path}.props[{j}].value"),
                            value,
                        )?);
                    }
                }
                let Some(Value::Array(tasks)) = rem.get("tasks") else {
                    continue;
                };
                for (t, task) in tasks.iter().enumerate() {
                    let tpath = format!("{rem_path}.tasks[{t}]");
                    let Some(task) = task.as_object() else {
                        continue;
                    };
                    let mut found = false;
                    for (j, name, value) in own_props(task) {
                        let p = format!("{tpath}.props[{j}].value");
                        match name {
                            "corrective-action" => {
                                actions.push(parse_json::<CorrectiveAction>(&p, value)?);
                                found = true;
                            }
                            "verification-plan" => {
                                plans.push(parse_json::<VerificationPlan>(&p, value)?);
                                found = true;
                            }
                            _ => {}
                        }
                    }
                    if !found {
                        self.skip(tpath, SkipReason::NoEquivalent("a task that is neither a corrective action nor a verification plan written by isms-oscal"));
                    }
                }
            }
        }
        let mut results = Vec::new();
        for (o, opath) in self.related(obj, "related-observations", "observation-uuid", path) {
            self.unknown_members(o, &opath, &OBSERVATION_MEMBERS);
            self.foreign_props(o, &opath);
            for (j, name, value) in own_props(o) {
                if name == "verification-result" {
                    results.push(parse_json::<VerificationResult>(
                        &format!("{opath}.props[{j}].value"),
                        value,
                    )?);
                }
            }
        }
        // Findings are derived from the requirement props.
        let _ = self.related(obj, "related-findings", "finding-uuid", path);
        actions.sort_by_key(|a| a.reference);
        Ok(Read {
            path: path.to_owned(),
            exact: true,
            id,
            reference,
            report: ReportNonconformity {
                audit,
                id,
                title,
                description,
                source: source.ok_or_else(|| need("source"))?,
                severity: severity.ok_or_else(|| need("severity"))?,
                requirements,
                owner: owner.ok_or_else(|| need("owner"))?,
                detected_at: detected_at.ok_or_else(|| need("detected-at"))?,
                external_deadline,
                links,
                extensions,
            },
            reported_at,
            reported_by,
            corrections,
            analyses,
            actions,
            plans,
            results,
            missed,
            ends,
            reporting,
            submissions,
            recurrences,
            closure,
            rejection,
            risk_acceptance,
            recurrence: recurrence_of.zip(recurrence_at),
            claimed_state,
            contained_at,
        })
    }

    fn foreign_item(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        last_modified: Option<DateTime<Utc>>,
    ) -> Result<Read, ImportError> {
        let title = str_member(obj, "title", path)?.to_owned();
        let description = str_member(obj, "description", path)?.to_owned();
        let uuid_str = obj.get("uuid").and_then(Value::as_str);
        let id = match uuid_str.and_then(|u| u.parse::<uuid::Uuid>().ok()) {
            Some(u) => NonconformityId::from_uuid(u),
            None => NonconformityId::from_uuid(crate::ids::derive_uuid(&format!(
                "import/{path}/{title}"
            ))),
        };
        for (k, _) in obj {
            let reason = match k.as_str() {
                "uuid" | "title" | "description" | "related-observations" | "related-risks" => {
                    continue;
                }
                "props" | "links" | "remarks" => SkipReason::NoEquivalent(
                    "poam-item props, links and remarks outside this project's namespace have no register field",
                ),
                "origins" => SkipReason::NoEquivalent(
                    "origins of a foreign poam-item name parties the register does not know",
                ),
                "related-findings" => SkipReason::NoEquivalent(
                    "finding targets are not requirement references of the register",
                ),
                _ => SkipReason::UnknownMember,
            };
            self.skip(format!("{path}.{k}"), reason);
        }
        let mut detected: Option<DateTime<Utc>> = None;
        for (o, opath) in self.related(obj, "related-observations", "observation-uuid", path) {
            for (k, v) in o {
                match k.as_str() {
                    "uuid" => {}
                    "collected" => {
                        let t = parse_time(&format!("{opath}.collected"), v.as_str().unwrap_or_default())?;
                        detected = Some(detected.map_or(t, |d| d.min(t)));
                    }
                    _ => self.skip(
                        format!("{opath}.{k}"),
                        SkipReason::NoEquivalent("the observation's details beyond its collection time; the poam-item's description is the register's description"),
                    ),
                }
            }
        }
        let mut deadline: Option<NaiveDate> = None;
        for (r, rpath) in self.related(obj, "related-risks", "risk-uuid", path) {
            for (k, v) in r {
                match k.as_str() {
                    "uuid" => {}
                    "deadline" => {
                        let s = v.as_str().unwrap_or_default();
                        let d = DateTime::parse_from_rfc3339(s)
                            .map_err(|e| bad(&format!("{rpath}.deadline"), format!("{s:?} is not a date-time: {e}")))?
                            .date_naive();
                        deadline = Some(deadline.map_or(d, |x| x.min(d)));
                    }
                    "status" => self.skip(
                        format!("{rpath}.status"),
                        SkipReason::NoEquivalent("a risk status: the register's state follows from recorded steps, which a foreign POA&M does not carry; the nonconformity starts as reported"),
                    ),
                    _ => self.skip(
                        format!("{rpath}.{k}"),
                        SkipReason::NoEquivalent("risk content other than the deadline (remediations need a root-cause analysis the document does not record)"),
                    ),
                }
            }
        }
        let (detected_at, defaulted_detection) = match (detected, last_modified) {
            (Some(d), _) => (d, false),
            (None, Some(l)) => (l, true),
            (None, None) => {
                return Err(bad(
                    path,
                    "no observation with a collection time and no metadata.last-modified: the detection time is unknown",
                ));
            }
        };
        if defaulted_detection {
            self.skip(
                path.to_owned(),
                SkipReason::Defaulted {
                    field: "detected_at",
                    value: crate::poam::date_time(detected_at),
                },
            );
        }
        let reported_at = last_modified.map_or(detected_at, |l| l.max(detected_at));
        let actor = ActorId::new(DEFAULT_ACTOR).map_err(|e| bad(path, e.to_string()))?;
        for (field, value) in [
            ("source", token(&Source::SelfIdentified)),
            ("severity", token(&Severity::Minor)),
            ("owner", DEFAULT_ACTOR.to_owned()),
            ("reported_by", DEFAULT_ACTOR.to_owned()),
        ] {
            self.skip(path.to_owned(), SkipReason::Defaulted { field, value });
        }
        let mut extensions = BTreeMap::new();
        if let Some(u) = uuid_str {
            extensions.insert(
                "oscal_poam_item_uuid".to_owned(),
                Value::String(u.to_owned()),
            );
        }
        let links = uuid_str
            .map(|u| {
                vec![ExternalLink {
                    kind: LinkKind::Other,
                    id: format!("oscal:poam-item:{u}"),
                }]
            })
            .unwrap_or_default();
        Ok(Read {
            path: path.to_owned(),
            exact: false,
            id,
            reference: u32::MAX,
            report: ReportNonconformity {
                audit: None,
                id,
                title,
                description,
                source: Source::SelfIdentified,
                severity: Severity::Minor,
                requirements: Vec::new(),
                owner: actor.clone(),
                detected_at,
                external_deadline: deadline,
                links,
                extensions,
            },
            reported_at,
            reported_by: actor,
            corrections: Vec::new(),
            analyses: Vec::new(),
            actions: Vec::new(),
            plans: Vec::new(),
            results: Vec::new(),
            missed: Vec::new(),
            ends: Vec::new(),
            reporting: Vec::new(),
            submissions: Vec::new(),
            recurrences: Vec::new(),
            closure: None,
            rejection: None,
            risk_acceptance: None,
            recurrence: None,
            claimed_state: None,
            contained_at: None,
        })
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::UnknownMember => {
                f.write_str("not a member this importer knows here; not imported")
            }
            SkipReason::NoEquivalent(why) => write!(f, "no register equivalent: {why}"),
            SkipReason::Defaulted { field, value } => {
                write!(
                    f,
                    "OSCAL does not carry the register's {field}; used {value:?}"
                )
            }
            SkipReason::UnresolvedReference { uuid } => {
                write!(f, "{uuid} names nothing in the document; reference ignored")
            }
            SkipReason::UnknownNonconformity { id } => write!(
                f,
                "nonconformity {id} is neither in the document nor in the register; link dropped"
            ),
            SkipReason::Constraint(v) => {
                write!(f, "OSCAL constraint broken (imported anyway): {v}")
            }
            SkipReason::StateMismatch { claimed, computed } => write!(
                f,
                "the document says {claimed}, the recorded steps give {computed}"
            ),
        }
    }
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}
