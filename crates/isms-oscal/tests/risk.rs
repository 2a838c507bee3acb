//! A risk acceptance in the POA&M (issue 19, part 3): the risk's status is
//! `deviation-approved`, an `accept` response carries the residual risk and
//! its review as a milestone, the risk log records who accepted it; the
//! document validates against NIST's schemas and imports back exactly.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use isms_core::*;
use isms_oscal::{PoamOptions, check_document, export_poam, import_poam};
use serde_json::Value;

use crate::schema::{assert_valid, oscal_dir, validator};

fn t(days: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap() + Duration::days(days)
}

fn nc_id(n: u128) -> NonconformityId {
    NonconformityId::from_uuid(uuid::Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0000 | n,
    ))
}

fn run(register: &mut Register, at: DateTime<Utc>, who: &str, command: Command) {
    let policy = Policy {
        risk_acceptor_role: Some(Role::new("risk_owner").unwrap()),
        ..Policy::default()
    };
    let actor = Actor::named(who)
        .unwrap()
        .with_role(Role::new("risk_owner").unwrap());
    register
        .execute(&command, &Context::new(at, actor, &policy))
        .unwrap_or_else(|e| panic!("{e}: {command:?}"));
}

fn review() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 3, 31).unwrap()
}

/// Two accepted risks: one at a closure after a no-action decision, one at
/// a rejection; and a third nonconformity with risk links only.
fn register() -> Register {
    let mut r = Register::new();
    let (a, b, c) = (nc_id(1), nc_id(2), nc_id(3));
    let owner = ActorId::new("ops-lead").unwrap();
    run(
        &mut r,
        t(0),
        "alice",
        ReportNonconformity::new(
            a,
            "Legacy file server has no restore test",
            "The server is retired next year; a restore test needs hardware we lack.",
            Source::InternalAudit,
            Severity::Minor,
            owner.clone(),
            t(0),
        )
        .link(LinkKind::Risk, "RISK-0042")
        .into(),
    );
    run(
        &mut r,
        t(1),
        "ops-lead",
        Command::analyse_root_cause_no_action(
            a,
            AnalysisMethod::FiveWhys,
            vec![RootCause::new(
                RootCauseCategory::Technology,
                "Hardware too old",
            )],
            "Retirement is planned; the backup copies are checked weekly",
            ActorId::new("ciso").unwrap(),
        )
        .with_similar_notes("no other server is this old"),
    );
    run(
        &mut r,
        t(2),
        "ops-lead",
        Command::plan_verification(
            a,
            "Weekly backup check",
            "Copies readable",
            VerificationSchedule::once(t(30).date_naive()),
            ActorId::new("internal-audit").unwrap(),
        ),
    );
    run(
        &mut r,
        t(30),
        "internal-audit",
        Command::record_verification(a, 0, true),
    );
    run(
        &mut r,
        t(31),
        "ciso",
        Command::close(a).with_risk_acceptance(RiskAcceptanceTerms::new(
            "Until retirement a full restore may fail; weekly checks limit the loss to a week",
            review(),
        )),
    );
    run(
        &mut r,
        t(3),
        "alice",
        ReportNonconformity::new(
            b,
            "Guest Wi-Fi reaches the print room",
            "Found by a scan.",
            Source::Monitoring,
            Severity::Minor,
            owner.clone(),
            t(3),
        )
        .into(),
    );
    run(
        &mut r,
        t(4),
        "ciso",
        Command::reject(
            b,
            RejectionReason::NotANonconformity,
            "The print room is outside the segmentation requirement",
        )
        .with_risk_acceptance(RiskAcceptanceTerms::new("Guests may print", review())),
    );
    run(
        &mut r,
        t(5),
        "alice",
        ReportNonconformity::new(
            c,
            "Stale admin accounts",
            "Found by the quarterly review.",
            Source::InternalAudit,
            Severity::Minor,
            owner,
            t(5),
        )
        .link(LinkKind::Risk, "RISK-0007")
        .link(LinkKind::Incident, "INC-12")
        .into(),
    );
    r
}

fn risk_of<'a>(doc: &'a Value, title_start: &str) -> &'a Value {
    doc["plan-of-action-and-milestones"]["risks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["title"].as_str().unwrap().starts_with(title_start))
        .unwrap()
}

#[test]
fn an_accepted_risk_is_a_deviation_approved_with_an_accept_response() {
    let register = register();
    let doc = export_poam(&register, &PoamOptions::default()).unwrap();
    let closed = risk_of(&doc, "NC-0001");
    assert_eq!(closed["status"], "deviation-approved");
    let response = closed["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["props"][0]["value"] == "accept")
        .expect("an accept response");
    assert_eq!(response["lifecycle"], "completed");
    assert_eq!(
        response["props"][0],
        serde_json::json!({"name": "type", "value": "accept"})
    );
    assert!(
        response["description"]
            .as_str()
            .unwrap()
            .starts_with("Until retirement")
    );
    assert_eq!(
        response["tasks"][0]["timing"]["on-date"]["date"],
        "2027-03-31T00:00:00Z"
    );
    let log = closed["risk-log"]["entries"].as_array().unwrap();
    let last = log.last().unwrap();
    assert_eq!(last["status-change"], "deviation-approved");
    assert_eq!(last["start"], "2026-04-02T09:00:00Z");
    assert_eq!(log[log.len() - 2]["status-change"], "closed");
    assert_eq!(
        last["related-responses"][0]["response-uuid"],
        response["uuid"]
    );
    // The rejection's acceptance too; the third item stays open.
    assert_eq!(risk_of(&doc, "NC-0002")["status"], "deviation-approved");
    assert_eq!(risk_of(&doc, "NC-0003")["status"], "open");
    // The acceptor is a party with the role the document defines.
    let roles: Vec<&str> = doc["plan-of-action-and-milestones"]["metadata"]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(roles.contains(&"risk-acceptor"));
    assert_eq!(check_document(&doc), vec![]);
}

#[test]
fn a_poam_with_accepted_risks_validates_against_the_official_schemas() {
    let Some(dir) = oscal_dir() else { return };
    let doc = export_poam(&register(), &PoamOptions::default()).unwrap();
    assert_valid(
        &validator(&dir, "oscal_poam_schema.json"),
        &doc,
        "POA&M with accepted risks",
    );
    assert_valid(
        &validator(&dir, "oscal_complete_schema.json"),
        &doc,
        "POA&M with accepted risks (complete schema)",
    );
}

#[test]
fn accepted_risks_and_risk_links_import_back_exactly() {
    let register = register();
    let doc = export_poam(&register, &PoamOptions::default()).unwrap();
    let imported = import_poam(&doc.to_string()).unwrap();
    assert_eq!(imported.report.skipped, vec![]);
    assert_eq!(imported.report.exact_items, 3);
    assert_eq!(
        imported.register.nonconformities(),
        register.nonconformities()
    );
    let risks = accepted_risks(imported.register.nonconformities());
    assert_eq!(risks.len(), 2);
    assert_eq!(risks[0].risks, ["RISK-0042"]);
    assert_eq!(risks[0].acceptance.accepted_by.as_str(), "ciso");
}

/// Issue 19, part 4: a finding's audit is a poam-item prop, the audit's
/// record a metadata prop; the import records the audit first and gives
/// the finding its link back.
#[test]
fn the_audit_of_a_finding_travels_with_the_poam() {
    let mut register = register();
    let policy = Policy::default();
    let ctx = |d| Context::new(t(d), Actor::named("alice").unwrap(), &policy);
    register
        .record_audit(
            &RecordAudit::new(
                "IA-2026-1".parse().unwrap(),
                AuditKind::InternalAudit,
                "Backups and networks",
                NaiveDate::from_ymd_opt(2026, 3, 30).unwrap(),
                ActorId::new("internal-audit").unwrap(),
            ),
            &ctx(40),
        )
        .unwrap();
    register
        .execute(
            &ReportNonconformity::new(
                nc_id(4),
                "Firewall rules not reviewed",
                "Found by the audit.",
                Source::InternalAudit,
                Severity::Minor,
                ActorId::new("ops-lead").unwrap(),
                t(40),
            )
            .audit("IA-2026-1".parse().unwrap())
            .into(),
            &ctx(41),
        )
        .unwrap();
    let doc = export_poam(&register, &PoamOptions::default()).unwrap();
    let meta = doc["plan-of-action-and-milestones"]["metadata"]["props"]
        .as_array()
        .unwrap();
    assert!(meta.iter().any(|p| p["name"] == "audit"), "{meta:?}");
    let items = doc["plan-of-action-and-milestones"]["poam-items"]
        .as_array()
        .unwrap();
    assert!(
        items[3]["props"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "audit" && p["value"] == "IA-2026-1")
    );
    assert_eq!(check_document(&doc), vec![]);
    if let Some(dir) = oscal_dir() {
        assert_valid(
            &validator(&dir, "oscal_poam_schema.json"),
            &doc,
            "POA&M with an audit",
        );
    }
    let imported = import_poam(&doc.to_string()).unwrap();
    assert_eq!(imported.report.skipped, vec![]);
    assert_eq!(
        imported.register.nonconformities(),
        register.nonconformities()
    );
    assert_eq!(imported.register.audits(), register.audits());
    // Without the metadata record the finding's audit is unknown: refused
    // at its poam-item.
    let mut stripped = doc.clone();
    stripped["plan-of-action-and-milestones"]["metadata"]["props"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["name"] != "audit");
    let err = import_poam(&stripped.to_string()).unwrap_err();
    assert!(
        err.to_string().contains("holds no audit IA-2026-1"),
        "{err}"
    );
    assert!(err.to_string().contains("poam-items[3]"), "{err}");
}
