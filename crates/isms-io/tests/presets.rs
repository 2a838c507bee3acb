//! Presets (issue 20): the source document's register and CISO Assistant's
//! exports, written here in the exporting tools' documented layouts, import
//! with a shipped preset and no hand edits; what a row lacks is reported,
//! not refused; a second import records nothing; every refusal names its
//! row and column.

use chrono::NaiveDate;
use isms_core::{
    ActionStatus, Actor, ActorId, NcState, Period, Policy, Register, RootCauseCategory, Severity,
    VerificationSchedule,
};
use isms_io::{
    Column, ImportError, ImportOptions, ImportPlan, Input, MappingFile, Preset, RegisterView,
    plan_import,
};
use proptest::prelude::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn options(preset: &str, inputs: usize, companions: &[usize]) -> ImportOptions {
    let mut o = ImportOptions::new(Actor::new(ActorId::new("import").unwrap()));
    Preset::shipped(preset)
        .unwrap()
        .apply(&mut o, inputs, companions);
    o
}

fn set(o: &mut ImportOptions, column: Column, value: &str) {
    o.fixed.push(isms_io::FixedValue {
        column,
        value: value.into(),
        origin: isms_io::FixedOrigin::Argument,
    });
}

/// The seed register's preset, with what its layout has no column for
/// given once for every row: the verifier and the check for similar cases.
fn seed_options() -> ImportOptions {
    let mut o = options("seed-register", 1, &[]);
    set(&mut o, Column::Verifier, "internal-audit");
    set(&mut o, Column::SimilarCheck, "no similar case found");
    o
}

fn import(
    register: &Register,
    files: &[(&str, &[u8])],
    options: &ImportOptions,
) -> Result<ImportPlan, ImportError> {
    let inputs: Vec<Input<'_>> = files
        .iter()
        .map(|(name, bytes)| Input { name, bytes })
        .collect();
    plan_import(register, &inputs, options, &mut |_| {})
}

fn problems(r: Result<ImportPlan, ImportError>) -> Vec<String> {
    match r {
        Ok(_) => panic!("expected a refusal"),
        Err(ImportError::Problems(p)) => {
            for problem in &p {
                assert!(
                    problem.location.row.is_some() && problem.location.column.is_some(),
                    "every refusal names row and column: {problem}"
                );
            }
            p.iter().map(ToString::to_string).collect()
        }
        Err(e) => panic!("unexpected error {e}"),
    }
}

// ---------------------------------------------------------------------------
// The source document's register.

const SEED_HEADER: [&str; 9] = [
    "Issue",
    "Root cause",
    "Corrective Action",
    "Owner",
    "Due date",
    "Follow-up",
    "Severity",
    "Detected",
    "Status",
];

/// The seed document's three examples, as its register would hold them.
fn seed_rows() -> Vec<[&'static str; 9]> {
    vec![
        [
            "Unauthorized access incident",
            "Process: offboarding ticket closed before the VPN step",
            "Review access controls [done]\nRetrain staff [done]",
            "it-lead",
            "2026-02-15",
            "Verify no recurrence over 6 months",
            "High",
            "2026-01-10",
            "",
        ],
        [
            "Outdated procedure",
            "Process: procedure review never scheduled",
            "Update procedure to reflect current risk",
            "erin",
            "2026-03-31",
            "Audit compliance quarterly",
            "Medium",
            "2026-02-01",
            "In progress",
        ],
        [
            "Failed backup",
            "Technology: backup job had no monitoring",
            "Implement redundant backup and monitoring",
            "infra-lead",
            "2026-04-30",
            "Test restoration monthly",
            "Low",
            "2026-03-05",
            "Open",
        ],
    ]
}

fn csv_field(v: &str, delimiter: char) -> String {
    if v.contains([delimiter, '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

fn csv(header: &[&str], rows: &[Vec<String>], delimiter: char, bom: bool, crlf: bool) -> Vec<u8> {
    let end = if crlf { "\r\n" } else { "\n" };
    let mut out = String::new();
    if bom {
        out.push('\u{feff}');
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .map(|c| csv_field(c, delimiter))
            .collect::<Vec<_>>()
            .join(&delimiter.to_string())
    };
    out.push_str(&line(header.iter().map(|s| (*s).to_owned()).collect()));
    out.push_str(end);
    for r in rows {
        out.push_str(&line(r.clone()));
        out.push_str(end);
    }
    out.into_bytes()
}

fn xlsx(sheet: &str, header: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).unwrap();
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, v).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

fn owned(rows: Vec<[&str; 9]>) -> Vec<Vec<String>> {
    rows.into_iter()
        .map(|r| r.iter().map(|s| (*s).to_owned()).collect())
        .collect()
}

fn seed_files() -> Vec<(&'static str, Vec<u8>)> {
    let rows = owned(seed_rows());
    vec![
        (
            "register-semicolon.csv",
            csv(&SEED_HEADER, &rows, ';', true, true),
        ),
        (
            "register-comma.csv",
            csv(&SEED_HEADER, &rows, ',', false, false),
        ),
        ("register.xlsx", xlsx("Register", &SEED_HEADER, &rows)),
    ]
}

#[test]
fn the_seed_register_imports_with_its_preset_in_every_form() {
    let mut views = Vec::new();
    for (name, bytes) in seed_files() {
        let o = seed_options();
        let plan = import(&Register::new(), &[(name, &bytes)], &o)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let ncs = plan.register.nonconformities();
        assert_eq!(ncs.len(), 3, "{name}");

        // 1: a major nonconformity without a containment: the default policy
        // wants the containment before the analysis, so it stays reported,
        // and the report says what was not recorded and which column would
        // carry it.
        let access = &ncs[0];
        assert_eq!(access.severity, Severity::Major);
        assert_eq!(access.state, NcState::Reported);
        assert!(access.actions.is_empty());
        let item = &plan.items[0];
        assert_eq!(item.not_recorded[0].column, Column::Containment, "{name}");
        assert_eq!(item.not_recorded[0].step, "record the root-cause analysis");
        assert!(
            item.not_recorded
                .iter()
                .filter(|n| n.step == "plan the corrective action")
                .count()
                == 1,
            "{name}: {:?}",
            item.not_recorded
        );
        let shown = plan.to_string();
        assert!(
            shown.contains(
                "row 2, column B (Root cause): not recorded: record the root-cause analysis"
            ) || shown
                .contains("not recorded: record the root-cause analysis: the policy requires"),
            "{shown}"
        );

        // 2: analysed from "Process: ...", the action in progress, the
        // follow-up "Audit compliance quarterly" four checks from the due
        // date, one quarter after it.
        let procedure = &ncs[1];
        assert_eq!(procedure.state, NcState::ActionsPlanned, "{name}");
        assert_eq!(
            procedure.analyses[0].causes[0].category,
            RootCauseCategory::Process
        );
        assert_eq!(
            procedure.analyses[0].causes[0].statement,
            "procedure review never scheduled"
        );
        assert_eq!(procedure.actions[0].status, ActionStatus::InProgress);
        let plan2 = procedure.current_plan().unwrap();
        assert_eq!(
            plan2.schedule,
            VerificationSchedule::recurring_count(day(2026, 6, 30), Period::months(3), 4)
        );
        assert_eq!(plan2.method, "Audit compliance");

        // 3: "Test restoration monthly": six monthly checks from a month
        // after the due date.
        let backup = &ncs[2];
        assert_eq!(backup.state, NcState::ActionsPlanned);
        assert_eq!(
            backup.analyses[0].causes[0].category,
            RootCauseCategory::Technology
        );
        assert_eq!(backup.actions[0].status, ActionStatus::Planned);
        assert_eq!(backup.actions[0].due, day(2026, 4, 30));
        assert_eq!(
            backup.current_plan().unwrap().schedule,
            VerificationSchedule::recurring_count(day(2026, 5, 30), Period::months(1), 6)
        );

        // A second import of the same file records nothing.
        let again = import(&plan.register, &[(name, &bytes)], &o).unwrap();
        assert!(again.batch.is_empty(), "{name}: {again}");
        assert_eq!(again.created(), 0);
        views.push(RegisterView::of(&plan.register));
    }
    // The three forms are the same register.
    assert!(views.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn with_the_containment_the_major_one_runs_to_its_watch_window() {
    let mut header = SEED_HEADER.to_vec();
    header.push("Containment");
    let mut rows = owned(seed_rows());
    rows[0].push("Disabled the leaver's VPN account".into());
    rows[1].push(String::new());
    rows[2].push(String::new());
    let bytes = csv(&header, &rows, ';', true, true);
    let plan = import(&Register::new(), &[("r.csv", &bytes)], &seed_options()).unwrap();
    let access = &plan.register.nonconformities()[0];
    // Two actions from one cell, both done, but the default policy wants
    // evidence for a major one's completions: planned, and the completion
    // reported with the column that would carry the evidence.
    assert_eq!(access.actions.len(), 2);
    assert_eq!(access.state, NcState::ActionsPlanned);
    assert_eq!(plan.items[0].not_recorded[0].column, Column::Evidence);
    // With the evidence column, implemented, with the watch window "no
    // recurrence over 6 months" from the latest due date.
    let mut header = header.clone();
    header.push("Evidence");
    for (i, r) in rows.iter_mut().enumerate() {
        r.push(if i == 0 {
            "Access review AR-7".into()
        } else {
            String::new()
        });
    }
    let bytes = csv(&header, &rows, ';', true, true);
    let plan = import(&Register::new(), &[("r.csv", &bytes)], &seed_options()).unwrap();
    let access = &plan.register.nonconformities()[0];
    assert_eq!(access.actions[1].description, "Retrain staff");
    assert!(
        access
            .actions
            .iter()
            .all(|a| a.status == ActionStatus::Done)
    );
    assert_eq!(access.state, NcState::Implemented);
    assert_eq!(
        access.current_plan().unwrap().schedule,
        VerificationSchedule::watch_window(day(2026, 2, 15), Period::months(6))
    );
    assert!(plan.items[0].not_recorded.is_empty(), "{plan}");
}

#[test]
fn without_a_similar_check_the_analysis_is_reported_not_refused() {
    let (name, bytes) = &seed_files()[0];
    let plan = import(
        &Register::new(),
        &[(name, bytes)],
        &options("seed-register", 1, &[]),
    )
    .unwrap();
    for (nc, item) in plan.register.nonconformities().iter().zip(&plan.items) {
        assert_eq!(nc.state, NcState::Reported);
        assert!(
            item.not_recorded
                .iter()
                .any(|n| n.column == Column::SimilarCheck || n.column == Column::Containment),
            "{:?}",
            item.not_recorded
        );
    }
}

#[test]
fn without_a_verifier_the_verification_is_reported_not_refused() {
    let (name, bytes) = &seed_files()[0];
    let mut o = options("seed-register", 1, &[]);
    set(&mut o, Column::SimilarCheck, "no similar case found");
    let plan = import(&Register::new(), &[(name, bytes)], &o).unwrap();
    let procedure = &plan.items[1];
    assert_eq!(
        plan.register.nonconformities()[1].state,
        NcState::ActionsPlanned
    );
    let gap = procedure
        .not_recorded
        .iter()
        .find(|n| n.column == Column::Verifier)
        .expect("the missing verifier is reported");
    assert_eq!(gap.step, "plan the verification");
    assert_eq!(gap.location.row, Some(3));
    assert!(plan.register.nonconformities()[1].current_plan().is_none());
}

#[test]
fn real_errors_still_refuse_the_whole_file_naming_row_and_column() {
    let mut rows = owned(seed_rows());
    rows[1][1] = "Weather: a storm took the procedure server down".into();
    rows[2][7] = "31/02/2026".into();
    rows[0][6] = "Catastrophic".into();
    let bytes = csv(&SEED_HEADER, &rows, ';', true, true);
    let found = problems(import(
        &Register::new(),
        &[("r.csv", &bytes)],
        &options("seed-register", 1, &[]),
    ));
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found.iter().any(|p| p.starts_with(
            "r.csv, row 3, column B (Root cause): \"Weather\" is not a known root cause category"
        )),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("r.csv, row 4, column H (Detected):")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("r.csv, row 2, column G (Severity): \"Catastrophic\"")),
        "{found:#?}"
    );
}

#[test]
fn a_category_the_user_maps_is_read() {
    let mut rows = owned(seed_rows());
    rows[1][1] = "Weather: a storm took the procedure server down".into();
    let bytes = csv(&SEED_HEADER, &rows, ';', true, true);
    let mut o = seed_options();
    o.vocabularies
        .insert(Column::RootCauseCategory, "weather", "environment")
        .unwrap();
    let plan = import(&Register::new(), &[("r.csv", &bytes)], &o).unwrap();
    assert_eq!(
        plan.register.nonconformities()[1].analyses[0].causes[0].category,
        RootCauseCategory::Environment
    );
}

// ---------------------------------------------------------------------------
// CISO Assistant.

const FINDINGS_HEADER: [&str; 15] = [
    "ref_id",
    "name",
    "description",
    "status",
    "severity",
    "priority",
    "folder",
    "filtering_labels",
    "applied_controls",
    "evidences",
    "vulnerabilities",
    "observation",
    "created_at",
    "eta",
    "due_date",
];

fn findings_rows() -> Vec<Vec<String>> {
    let rows: [[&str; 15]; 4] = [
        [
            "F-001",
            "VPN accepts password-only logins",
            "The VPN concentrator has no second factor.",
            "in_progress",
            "high",
            "P1",
            "Global",
            "",
            "Enforce MFA on VPN [in progress]\nReview VPN accounts [active]",
            "",
            "",
            "Technology: the VPN profile predates the MFA rollout",
            "2026-01-12 09:30:00",
            "2026-03-01",
            "",
        ],
        [
            "",
            "Password policy outdated",
            "",
            "dismissed",
            "medium",
            "",
            "Global",
            "",
            "",
            "",
            "",
            "",
            "2026-01-15 10:00:00",
            "",
            "",
        ],
        [
            "F-003",
            "Login banner text",
            "",
            "identified",
            "info",
            "",
            "Global",
            "",
            "",
            "",
            "",
            "",
            "2026-01-16 10:00:00",
            "",
            "",
        ],
        [
            "F-004",
            "'-1 day of log retention on the proxy",
            "",
            "identified",
            "undefined",
            "",
            "Global",
            "",
            "Set log retention to 90 days [to do]",
            "",
            "",
            "",
            "2026-01-20 08:00:00",
            "2026-02-20",
            "2026-02-27",
        ],
    ];
    rows.iter()
        .map(|r| r.iter().map(|s| (*s).to_owned()).collect())
        .collect()
}

const CONTROLS_HEADER: [&str; 14] = [
    "ref_id",
    "name",
    "description",
    "category",
    "csf_function",
    "status",
    "priority",
    "start_date",
    "eta",
    "expiry_date",
    "owner",
    "evidences",
    "folder",
    "effort",
];

fn controls_rows() -> Vec<Vec<String>> {
    let rows: [[&str; 14]; 3] = [
        [
            "AC-1",
            "Enforce MFA on VPN",
            "Second factor for every VPN login",
            "technical",
            "protect",
            "in_progress",
            "P1",
            "2026-01-20",
            "2026-02-28",
            "",
            "net-admin",
            "",
            "Global",
            "M",
        ],
        [
            "AC-2",
            "Review VPN accounts",
            "Quarterly account review",
            "process",
            "identify",
            "active",
            "P2",
            "",
            "2026-02-10",
            "",
            "iam-lead",
            "'=accounts-review.xlsx",
            "Global",
            "S",
        ],
        [
            "AC-3",
            "Set log retention to 90 days",
            "",
            "technical",
            "detect",
            "to_do",
            "",
            "",
            "2026-03-15",
            "",
            "proxy-admin",
            "",
            "Global",
            "S",
        ],
    ];
    rows.iter()
        .map(|r| r.iter().map(|s| (*s).to_owned()).collect())
        .collect()
}

/// The user's own additions: their observations hold the root cause, and
/// every finding is owned by the security officer.
fn ciso_options(companion: bool) -> ImportOptions {
    let mut o = ImportOptions::new(Actor::new(ActorId::new("import").unwrap()));
    o.mapping = MappingFile::parse("m.txt", "observation = root_cause\nowner := ciso").unwrap();
    o.policy = Policy::permissive();
    Preset::shipped("ciso-assistant").unwrap().apply(
        &mut o,
        if companion { 2 } else { 1 },
        if companion { &[1] } else { &[] },
    );
    o
}

#[test]
fn ciso_assistant_findings_with_applied_controls_csv_and_xlsx() {
    let findings = xlsx("Findings", &FINDINGS_HEADER, &findings_rows());
    let controls_csv = csv(&CONTROLS_HEADER, &controls_rows(), ';', true, true);
    let controls_xlsx = xlsx("Sheet1", &CONTROLS_HEADER, &controls_rows());
    for (cname, controls) in [
        ("applied-controls.csv", &controls_csv),
        ("applied-controls.xlsx", &controls_xlsx),
    ] {
        let o = ciso_options(true);
        let files: [(&str, &[u8]); 2] = [("findings.xlsx", &findings), (cname, controls)];
        let plan = import(&Register::new(), &files, &o).unwrap_or_else(|e| panic!("{cname}: {e}"));
        let ncs = plan.register.nonconformities();
        // The info finding is an observation: reported, not imported.
        assert_eq!(ncs.len(), 3, "{cname}: {plan}");
        assert_eq!(plan.skipped.len(), 1);
        assert_eq!(plan.skipped[0].location.row, Some(4));
        assert_eq!(plan.skipped[0].column, Column::Severity);

        // F-001: high is major, the cause from "Technology: ...", two
        // controls from one cell: owner, due date and start from the
        // applied-controls export, status from the brackets.
        let vpn = &ncs[0];
        assert_eq!(vpn.severity, Severity::Major);
        assert_eq!(vpn.owner.as_str(), "ciso");
        assert_eq!(
            vpn.analyses[0].causes[0].category,
            RootCauseCategory::Technology
        );
        assert_eq!(vpn.actions.len(), 2);
        let mfa = &vpn.actions[0];
        assert_eq!(mfa.description, "Enforce MFA on VPN");
        assert_eq!(mfa.owner.as_str(), "net-admin");
        assert_eq!(mfa.due, day(2026, 2, 28));
        assert_eq!(mfa.status, ActionStatus::InProgress);
        let review = &vpn.actions[1];
        assert_eq!(review.owner.as_str(), "iam-lead");
        assert_eq!(review.status, ActionStatus::Done);
        // The exporter's leading ' is taken off.
        assert_eq!(
            review.evidence,
            vec![isms_core::EvidenceRef::from_summary(
                "=accounts-review.xlsx"
            )]
        );
        assert_eq!(vpn.state, NcState::ActionsPlanned, "{cname}: {plan}");

        // The dismissed finding without a reference: rejected.
        let password = &ncs[1];
        assert_eq!(password.title, "Password policy outdated");
        assert_eq!(password.state, NcState::Rejected);

        // F-004: undefined is assumed minor (and said so), the leading '
        // is gone from the title, the control's due date comes from the
        // applied-controls export, and without a root cause the control is
        // reported, not planned.
        let retention = &ncs[2];
        assert_eq!(retention.title, "-1 day of log retention on the proxy");
        assert_eq!(retention.severity, Severity::Minor);
        assert_eq!(retention.state, NcState::Reported);
        let item = plan
            .items
            .iter()
            .find(|i| i.reference == retention.reference)
            .unwrap();
        assert!(
            item.assumed[0].contains("\"undefined\" read as minor"),
            "{:?}",
            item.assumed
        );
        assert!(
            item.not_recorded
                .iter()
                .any(|n| n.column == Column::RootCause && n.step == "plan the corrective actions"),
            "{:?}",
            item.not_recorded
        );

        // Importing the same files again records nothing.
        let again = import(&plan.register, &files, &o).unwrap();
        assert!(again.batch.is_empty(), "{cname}: {again}");
    }
}

#[test]
fn ciso_assistant_findings_alone_use_the_eta_as_fallback_due_date() {
    let findings = xlsx("Findings", &FINDINGS_HEADER, &findings_rows());
    let o = ciso_options(false);
    let plan = import(&Register::new(), &[("findings.xlsx", &findings)], &o).unwrap();
    let vpn = &plan.register.nonconformities()[0];
    // No applied-controls file: the controls are owned by the finding's
    // owner and due on the finding's eta (its due_date is empty).
    assert!(
        vpn.actions
            .iter()
            .all(|a| a.due == day(2026, 3, 1) && a.owner.as_str() == "ciso")
    );
    let again = import(&plan.register, &[("findings.xlsx", &findings)], &o).unwrap();
    assert!(again.batch.is_empty());
}

#[test]
fn a_workbook_without_the_presets_sheet_is_refused_by_name() {
    let findings = xlsx("Export", &FINDINGS_HEADER, &findings_rows());
    let e = import(
        &Register::new(),
        &[("findings.xlsx", &findings)],
        &ciso_options(false),
    )
    .unwrap_err();
    assert!(e.to_string().contains("no sheet \"Findings\""), "{e}");
}

#[test]
fn every_shipped_preset_reads_and_a_bad_one_is_refused() {
    for (name, _) in isms_io::SHIPPED_PRESETS {
        assert!(Preset::shipped(name).is_some(), "{name}");
    }
    for (text, wanted) in [
        ("name = 1", "invalid type"),
        (
            "name = \"x\"\ntitle = \"x\"\norigin = \"x\"\n[columns]\na = \"nonsense\"",
            "unknown column",
        ),
        (
            "name = \"x\"\ntitle = \"x\"\norigin = \"x\"\n[vocabulary.severity]\nhigh = \"huge\"",
            "\"huge\" is not a known severity",
        ),
        (
            "name = \"x\"\ntitle = \"x\"\norigin = \"x\"\nsurprise = true",
            "unknown field",
        ),
    ] {
        let e = Preset::parse("p.toml", text).unwrap_err().to_string();
        assert!(
            e.starts_with("preset p.toml: ") && e.contains(wanted),
            "{e}"
        );
    }
}

proptest! {
    /// The cell readers never panic, and what they return comes from the
    /// text: action lines are trimmed pieces of it, a cause's category and
    /// statement are its two sides.
    #[test]
    fn cell_readers_are_total(text in "\\PC{0,80}", lines in proptest::collection::vec("[a-zA-Z ]{1,20}( \\[[a-z ]{1,12}\\])?", 0..5)) {
        let _ = isms_io::follow_up_phrase(&text);
        for (t, s) in isms_io::action_lines(&text) {
            prop_assert!(text.contains(t));
            if let Some(s) = s { prop_assert!(text.contains(s)); }
        }
        if let Some((c, s)) = isms_io::cause_category(&text) {
            prop_assert!(text.contains(c) && text.contains(s));
        }
        let cell = lines.join("\n");
        let read = isms_io::action_lines(&cell);
        prop_assert_eq!(read.len(), lines.iter().filter(|l| !l.trim().is_empty()).count());
    }

    /// A phrase built from its parts reads back as those parts: the period,
    /// the number of checks (given, or the documented default) and the
    /// method in front.
    #[test]
    fn follow_up_phrases_round_trip(
        method in "(Test restoration|Audit compliance|Check)",
        n in 1u32..=24,
        unit in prop_oneof![Just(("day", 0u8)), Just(("week", 1)), Just(("month", 2))],
        times in proptest::option::of(1u32..=12),
        watch in any::<bool>(),
        anchor in 0i64..20_000,
    ) {
        let period = match unit.1 { 0 => Period::days(n), 1 => Period::weeks(n), _ => Period::months(n) };
        let plural = if n == 1 { "" } else { "s" };
        let text = if watch {
            format!("{method} no recurrence over {n} {}{plural}", unit.0)
        } else {
            match times {
                Some(t) => format!("{method} every {n} {}{plural}, {t} times", unit.0),
                None => format!("{method} every {n} {}{plural}", unit.0),
            }
        };
        let p = isms_io::follow_up_phrase(&text).unwrap();
        let start = day(1990, 1, 1) + chrono::Days::new(anchor as u64);
        if watch {
            prop_assert_eq!(p.kind, isms_io::FollowUpKind::Watch { length: period });
            prop_assert_eq!(p.schedule(start), Some(VerificationSchedule::watch_window(start, period)));
        } else {
            let count = times.unwrap_or_else(|| isms_io::default_count(period));
            prop_assert_eq!(p.kind, isms_io::FollowUpKind::Recurring { every: period, count });
            prop_assert_eq!(p.method.as_deref(), Some(method.as_str()));
            let s = p.schedule(start).unwrap();
            prop_assert_eq!(Some(s.first_date()), period.nth_after(start, 1));
        }
    }
}

proptest! {
    /// A preset's word is read as its meaning whatever its case, in the
    /// rule table and through an import.
    #[test]
    fn preset_words_read_as_their_meaning(
        word in "[a-zA-Z][a-zA-Z _-]{0,15}",
        major in any::<bool>(),
        upper in any::<bool>(),
    ) {
        let mut v = isms_io::Vocabularies::new();
        let target = if major { "major" } else { "minor" };
        v.insert(Column::Severity, &word, target).unwrap();
        let shown = if upper { word.to_uppercase() } else { word.to_lowercase() };
        prop_assert_eq!(
            v.rule(Column::Severity, &shown),
            Some(&isms_io::WordRule::Means(target.to_owned()))
        );
        let csv = format!("Title,Severity,Owner,Detected\nBadge reader offline,{shown},facilities,2026-03-02\n");
        let mut o = ImportOptions::new(Actor::new(ActorId::new("import").unwrap()));
        o.vocabularies = v;
        let plan = import(&Register::new(), &[("r.csv", csv.as_bytes())], &o).unwrap();
        prop_assert_eq!(
            plan.register.nonconformities()[0].severity,
            if major { Severity::Major } else { Severity::Minor }
        );
    }

    /// Adding a word never panics: it is taken, or refused with a reason.
    #[test]
    fn vocabulary_entries_never_panic(word in "\\PC{0,30}", rule in "\\PC{0,30}", c in 0usize..8) {
        let column = [
            Column::Severity,
            Column::Source,
            Column::NcStatus,
            Column::ActionStatus,
            Column::RootCauseCategory,
            Column::AnalysisMethod,
            Column::VerificationResult,
            Column::Title,
        ][c];
        let mut v = isms_io::Vocabularies::new();
        match v.insert(column, &word, &rule) {
            Ok(()) => prop_assert!(v.rule(column, &word).is_some()),
            Err(e) => prop_assert!(!e.is_empty()),
        }
    }
}

#[test]
fn without_a_preset_or_action_references_a_second_import_records_nothing() {
    let csv = "Reference,Title,Severity,Owner,Detected,Root cause,Similar nonconformities,Action,Due date\n\
CAR-17,Badge reader offline,minor,facilities,2026-03-02,Technology: firmware never updated,none found,Update the firmware,2026-04-30\n\
CAR-17,Badge reader offline,minor,facilities,2026-03-02,Technology: firmware never updated,none found,Add the reader to patch management,2026-05-31\n";
    let o = ImportOptions::new(Actor::new(ActorId::new("import").unwrap()));
    let first = import(&Register::new(), &[("r.csv", csv.as_bytes())], &o).unwrap();
    let nc = &first.register.nonconformities()[0];
    assert_eq!(nc.actions.len(), 2);
    assert_eq!(
        nc.analyses[0].causes[0].category,
        RootCauseCategory::Technology
    );
    let again = import(&first.register, &[("r.csv", csv.as_bytes())], &o).unwrap();
    assert!(again.batch.is_empty(), "{again}");
    assert_eq!(again.register.nonconformities()[0].actions.len(), 2);
}
