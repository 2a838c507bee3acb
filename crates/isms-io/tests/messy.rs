//! Messy input: every case of the "Bad input" and "Tolerant reading"
//! lists, each with its typed error and its location, and nothing written.

use chrono::{NaiveDate, TimeZone, Utc};
use isms_core::{ActionStatus, Actor, ActorId, NcState, Register, Severity, Source};
use isms_io::{
    Column, DateOrder, Encoding, FileError, ImportError, ImportOptions, ImportPlan, Input,
    MAX_ROWS, MappingFile, MatchedBy, Problem, ProblemKind, plan_import,
};
use isms_store::{EventStore, MemoryStore};

fn options() -> ImportOptions {
    ImportOptions::new(Actor::new(ActorId::new("import").unwrap()))
}

fn import_with(
    name: &str,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<ImportPlan, ImportError> {
    plan_import(
        &Register::new(),
        &[Input { name, bytes }],
        options,
        &mut |_| {},
    )
}

fn import(name: &str, bytes: &[u8]) -> Result<ImportPlan, ImportError> {
    import_with(name, bytes, &options())
}

fn problems(r: Result<ImportPlan, ImportError>) -> Vec<Problem> {
    match r {
        Err(ImportError::Problems(p)) => p,
        Err(e) => panic!("expected problems, got {e}"),
        Ok(plan) => panic!("expected problems, got a plan:\n{plan}"),
    }
}

fn file_error(r: Result<ImportPlan, ImportError>) -> FileError {
    match r {
        Err(ImportError::File(e)) => e,
        Err(e) => panic!("expected a file error, got {e}"),
        Ok(plan) => panic!("expected a file error, got a plan:\n{plan}"),
    }
}

/// A legacy register the way people keep one: semicolons, a byte-order
/// mark, synonyms for every header, day-first dates, a quoted line break,
/// and empty rows at the end.
const LEGACY: &str = "\u{FEFF}Finding ID;Issue;Severity;Origin;Responsible;Date found;Immediate action;Root cause;Cause category;Corrective action;Actionee;Target date;Status;Completion date;Similar cases;Proof\r\n\
CAR-17;Backup restore never tested;Major;Internal audit;ops-lead;13/01/2026;Ran a restore by hand;No restore test in the backup procedure;process;\"Schedule monthly restore tests;\nrecord results\";backup-admin;27/02/2026;done;20/02/2026;none found on the other sites;restore log RT-2026-02\r\n\
CAR-18;Visitor log incomplete;minor;Self-identified;facilities;2026-01-20;;Reception not briefed;people;Train reception staff;reception;31.03.2026;in progress;;no other reception affected;\r\n\
CAR-19;Old firewall rule;Minor;monitoring;net-lead;2026-02-02T10:30:00Z;;;;;;;;;;\r\n\
;;;;;;;;;;;;;;;\r\n\
;;;;;;;;;;;;;;;\r\n";

#[test]
fn a_major_done_action_without_evidence_is_refused_at_its_row_unless_the_policy_waives_it() {
    let without = LEGACY.replace("restore log RT-2026-02", "");
    let found = problems(import("car.csv", without.as_bytes()));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].location.row, Some(2));
    assert!(
        matches!(&found[0].kind, ProblemKind::Refused { error, .. } if error.code() == "evidence_required"),
        "{found:?}"
    );
    let mut waived = options();
    waived.policy.evidence_required_for_completion.clear();
    let plan = import_with("car.csv", without.as_bytes(), &waived).unwrap();
    assert!(
        plan.register.nonconformities()[0].actions[0]
            .evidence
            .is_empty()
    );
    // With the column, the evidence is recorded as a document reference.
    let plan = import("car.csv", LEGACY.as_bytes()).unwrap();
    assert_eq!(
        plan.register.nonconformities()[0].actions[0].evidence,
        [isms_core::EvidenceRef::document("restore log RT-2026-02")]
    );
}

#[test]
fn legacy_register_with_synonyms_semicolons_bom_and_quoted_newlines_imports() {
    let plan = import("car.csv", LEGACY.as_bytes()).unwrap();
    assert_eq!(plan.created(), 3);
    let r = &plan.register;
    let ncs = r.nonconformities();
    assert_eq!(ncs.len(), 3);
    // Kept in file order, with the file's own reference kept as an extension.
    assert_eq!(ncs[0].title, "Backup restore never tested");
    assert_eq!(ncs[0].extensions["import_reference"], "CAR-17");
    assert_eq!(ncs[0].severity, Severity::Major);
    assert_eq!(ncs[0].source, Source::InternalAudit);
    assert_eq!(ncs[0].owner.as_str(), "ops-lead");
    assert_eq!(
        ncs[0].detected_at,
        Utc.with_ymd_and_hms(2026, 1, 13, 0, 0, 0).unwrap()
    );
    let a = &ncs[0].actions[0];
    assert_eq!(
        a.description,
        "Schedule monthly restore tests;\nrecord results"
    );
    assert_eq!(a.owner.as_str(), "backup-admin");
    assert_eq!(a.due, NaiveDate::from_ymd_opt(2026, 2, 27).unwrap());
    assert_eq!(a.status, ActionStatus::Done);
    assert_eq!(
        a.completed_at,
        Some(Utc.with_ymd_and_hms(2026, 2, 20, 0, 0, 0).unwrap())
    );
    assert_eq!(ncs[0].corrections[0].action_taken, "Ran a restore by hand");
    assert_eq!(
        ncs[0].analyses[0].causes[0].statement,
        "No restore test in the backup procedure"
    );
    assert_eq!(ncs[0].state, NcState::Implemented);
    assert_eq!(
        ncs[1].actions[0].due,
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
    );
    assert_eq!(ncs[1].actions[0].status, ActionStatus::InProgress);
    assert_eq!(
        ncs[2].detected_at,
        Utc.with_ymd_and_hms(2026, 2, 2, 10, 30, 0).unwrap()
    );
    assert_eq!(ncs[2].state, NcState::Reported);
    // The mapping says how each header was understood.
    let m = plan.mapping.to_string();
    assert!(m.contains("\"Issue\" -> title (synonym)"), "{m}");
    assert!(m.contains("\"Target date\" -> due_date (synonym)"), "{m}");
    assert!(m.contains("\"Responsible\" -> owner (synonym)"), "{m}");
}

#[test]
fn rules_stay_in_the_core_a_legacy_action_without_root_cause_is_refused_with_its_row() {
    let csv = "Issue,Severity,Source,Owner,Detected,Action,Due date\n\
               Backup restore never tested,minor,internal audit,ops,2026-01-13,Test restores,2026-02-27\n";
    let p = problems(import("legacy.csv", csv.as_bytes()));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].location.row, Some(2));
    assert!(
        matches!(
            p[0].kind,
            ProblemKind::Refused {
                error: isms_core::DecisionError::TransitionNotAllowed { .. },
                ..
            }
        ),
        "{}",
        p[0]
    );
    assert!(
        p[0].to_string()
            .contains("allowed now: record_containment, analyse_root_cause"),
        "{}",
        p[0]
    );
}

#[test]
fn tab_separated_file_imports() {
    let tsv = "Title\tSeverity\tSource\tOwner\tDetected\nLaptop unencrypted\tminor\tincident\tit\t2026-03-01\n";
    let plan = import("register.tsv", tsv.as_bytes()).unwrap();
    assert_eq!(
        plan.register.nonconformities()[0].title,
        "Laptop unencrypted"
    );
    assert_eq!(plan.register.nonconformities()[0].source, Source::Incident);
}

const W1252_TITLE: &[u8] = b"Title,Severity,Source,Owner,Detected\nProc\xe9dure obsol\xe8te \x96 \x80 budget,minor,internal audit,qa,2026-03-01\n";

#[test]
fn windows_1252_is_recognised_and_refused_with_a_clear_message() {
    let e = file_error(import("ansi.csv", W1252_TITLE));
    let FileError::NotUtf8 { line, byte, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!((*line, *byte), (2, 0xE9));
    let msg = e.to_string();
    assert!(
        msg.contains("looks like Windows-1252") && msg.contains("windows-1252"),
        "{msg}"
    );
}

#[test]
fn windows_1252_decodes_when_asked() {
    let mut o = options();
    o.encoding = Encoding::Windows1252;
    let plan = import_with("ansi.csv", W1252_TITLE, &o).unwrap();
    assert_eq!(
        plan.register.nonconformities()[0].title,
        "Procédure obsolète – € budget"
    );
}

fn one_row_with_detected(detected: &str) -> String {
    format!("Title,Severity,Source,Owner,Detected\nA finding,minor,internal audit,qa,{detected}\n")
}

#[test]
fn ambiguous_dates_are_refused_unless_the_order_is_declared() {
    let csv = one_row_with_detected("03/04/2026");
    let p = problems(import("d.csv", csv.as_bytes()));
    assert!(
        matches!(p[0].kind, ProblemKind::AmbiguousDate { .. }),
        "{}",
        p[0]
    );
    assert_eq!(
        p[0].location.to_string(),
        "d.csv, row 2, column E (Detected)"
    );
    for (order, (m, d)) in [(DateOrder::Mdy, (3, 4)), (DateOrder::Dmy, (4, 3))] {
        let mut o = options();
        o.date_order = Some(order);
        let plan = import_with("d.csv", csv.as_bytes(), &o).unwrap();
        assert_eq!(
            plan.register.nonconformities()[0].detected_at,
            Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0).unwrap()
        );
    }
    // Unambiguous either way without a declared order.
    for (text, (m, d)) in [
        ("13/04/2026", (4, 13)),
        ("04/13/2026", (4, 13)),
        ("46082", (3, 1)),
    ] {
        let plan = import("d.csv", one_row_with_detected(text).as_bytes()).unwrap();
        assert_eq!(
            plan.register.nonconformities()[0].detected_at,
            Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0).unwrap(),
            "{text}"
        );
    }
}

#[test]
fn not_a_spreadsheet_is_refused() {
    let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
    assert!(matches!(
        file_error(import("scan.pdf", pdf)),
        FileError::NotASpreadsheet { .. }
    ));
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01";
    let e = file_error(import("logo.png", png));
    assert!(matches!(e, FileError::NotASpreadsheet { .. }), "{e}");
    // Text, but not a register: no known header.
    let e = file_error(import(
        "notes.txt",
        b"Dear auditor,\nplease find attached\n",
    ));
    assert!(matches!(e, FileError::NoHeader { .. }), "{e}");
    // A zip archive that is not a workbook.
    let e = file_error(import(
        "archive.xlsx",
        b"PK\x03\x04garbage that is not a zip directory",
    ));
    assert!(matches!(e, FileError::Xlsx { .. }), "{e}");
}

/// The first sector of an OLE compound file, the container Office uses for
/// password-protected OOXML files and for Excel 97-2003 workbooks.
fn compound_file(streams: &[&str]) -> Vec<u8> {
    let mut b = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    b.resize(512, 0);
    for name in streams {
        let mut entry: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        entry.resize(128, 0);
        b.extend(entry);
    }
    b
}

#[test]
fn encrypted_workbook_and_legacy_xls_are_refused() {
    let encrypted = compound_file(&["EncryptionInfo", "EncryptedPackage"]);
    let e = file_error(import("protected.xlsx", &encrypted));
    assert!(matches!(e, FileError::Encrypted { .. }), "{e}");
    assert!(e.to_string().contains("remove the password"));
    let xls = compound_file(&["Workbook", "SummaryInformation"]);
    assert!(matches!(
        file_error(import("old.xls", &xls)),
        FileError::LegacyXls { .. }
    ));
}

#[test]
fn a_million_rows_are_refused_above_the_limit() {
    let mut csv = String::from("Title,Severity,Source,Owner,Detected\n");
    for i in 0..1_000_000 {
        csv.push_str(&format!("F{i},minor,internal audit,qa,2026-03-01\n"));
    }
    let e = file_error(import("huge.csv", csv.as_bytes()));
    assert!(
        matches!(e, FileError::TooManyRows { limit, .. } if limit == MAX_ROWS),
        "{e}"
    );
    assert!(e.to_string().contains("split it"));
}

#[test]
fn control_characters_are_reported_with_their_cell() {
    let csv = "Title,Severity,Source,Owner,Detected\nBell\u{7} in title,minor,internal audit,qa,2026-03-01\n";
    let p = problems(import("c.csv", csv.as_bytes()));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(matches!(
        p[0].kind,
        ProblemKind::ControlCharacter { code: 7 }
    ));
    assert_eq!(p[0].location.to_string(), "c.csv, row 2, column A (Title)");
}

#[test]
fn duplicated_references_are_reported() {
    let csv = "Reference,Title,Severity,Source,Owner,Detected\n\
               NC-0001,First,minor,internal audit,qa,2026-03-01\n\
               NC-0002,Second,minor,internal audit,qa,2026-03-01\n\
               nc-1,Again,minor,internal audit,qa,2026-03-02\n";
    let p = problems(import("dup.csv", csv.as_bytes()));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        matches!(&p[0].kind, ProblemKind::DuplicateReference { reference, first_row: 2 } if reference == "NC-0001"),
        "{}",
        p[0]
    );
    assert_eq!(p[0].location.row, Some(4));
    // The same action twice in an actions sheet.
    let csv = "Reference,Title,Severity,Source,Owner,Detected,Root cause,Root cause category,Action ref,Action,Due date,Similar cases\n\
               NC-0001,First,minor,internal audit,qa,2026-03-01,No check,process,A-1,Fix it,2026-04-01,none found\n\
               NC-0001,First,minor,internal audit,qa,2026-03-01,No check,process,A-1,Fix it again,2026-04-02,none found\n";
    let p = problems(import("dup.csv", csv.as_bytes()));
    assert!(
        matches!(
            &p[0].kind,
            ProblemKind::DuplicateAction { first_row: 2, .. }
        ),
        "{}",
        p[0]
    );
}

#[test]
fn conflicting_nonconformity_columns_between_rows_are_reported() {
    let csv = "Reference,Title,Severity,Source,Owner,Detected,Root cause,Root cause category,Action,Due date\n\
               NC-0001,First,minor,internal audit,qa,2026-03-01,No check,process,Fix it,2026-04-01\n\
               NC-0001,First,major,internal audit,qa,2026-03-01,No check,process,Fix more,2026-04-02\n";
    let p = problems(import("c.csv", csv.as_bytes()));
    assert!(
        matches!(&p[0].kind, ProblemKind::Conflicting { first_row: 2, first, second } if first == "minor" && second == "major"),
        "{}",
        p[0]
    );
    assert_eq!(
        p[0].location.to_string(),
        "c.csv, row 3, column C (Severity)"
    );
}

#[test]
fn due_date_before_detection_is_the_cores_refusal_at_the_due_date_cell() {
    let csv = "Title,Severity,Source,Owner,Detected,Root cause,Root cause category,Action,Due date,Similar cases\n\
               Late,minor,internal audit,qa,2026-03-10,No check,process,Fix it,2026-03-01,none found\n";
    let p = problems(import("due.csv", csv.as_bytes()));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        matches!(
            &p[0].kind,
            ProblemKind::Refused {
                error: isms_core::DecisionError::DateBeforeDetection { .. },
                ..
            }
        ),
        "{}",
        p[0]
    );
    assert_eq!(
        p[0].location.to_string(),
        "due.csv, row 2, column I (Due date)"
    );
}

#[test]
fn unknown_severity_words_are_reported_with_the_accepted_ones() {
    let csv = "Title,Severity,Source,Owner,Detected\nA,catastrophic,internal audit,qa,2026-03-01\n";
    let p = problems(import("s.csv", csv.as_bytes()));
    let msg = p[0].to_string();
    assert!(
        matches!(
            &p[0].kind,
            ProblemKind::UnknownWord {
                what: "severity",
                ..
            }
        ),
        "{msg}"
    );
    assert!(
        msg.contains("\"catastrophic\"") && msg.contains("major") && msg.contains("minor"),
        "{msg}"
    );
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let csv = "Title,Severity,Source,Owner,Detected\n\
               A,catastrophic,internal audit,qa,2026-03-01\n\
               B,minor,astrology,qa,2026-03-01\n\
               C,minor,internal audit,qa,31/31/2026\n\
               D,minor,internal audit,qa,2026-03-01\n\
               ,minor,internal audit,qa,2026-03-01\n";
    let p = problems(import("many.csv", csv.as_bytes()));
    let rows: Vec<_> = p.iter().map(|p| p.location.row.unwrap()).collect();
    assert_eq!(rows, vec![2, 3, 4, 6], "{p:#?}");
    assert!(matches!(p[2].kind, ProblemKind::BadDate { .. }));
    assert!(matches!(p[3].kind, ProblemKind::MissingValue { .. }));
}

#[test]
fn missing_required_columns_are_named() {
    let p = problems(import("m.csv", b"Title,Owner\nA,qa\n"));
    let missing: Vec<_> = p
        .iter()
        .filter_map(|p| match p.kind {
            ProblemKind::MissingColumn { column } => Some(column),
            _ => None,
        })
        .collect();
    // Source has a default (DEFAULT_SOURCE, see docs/spreadsheets.md).
    assert_eq!(missing, vec![Column::Severity, Column::Detected]);
}

fn xlsx_with(write: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Register").unwrap();
    for (c, h) in ["Title", "Severity", "Source", "Owner", "Detected"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    write(ws);
    wb.save_to_buffer().unwrap()
}

#[test]
fn formulas_where_values_are_expected_are_reported_with_sheet_row_and_column() {
    let bytes = xlsx_with(|ws| {
        ws.write_string(1, 0, "Formula date").unwrap();
        ws.write_string(1, 1, "minor").unwrap();
        ws.write_string(1, 2, "internal audit").unwrap();
        ws.write_string(1, 3, "qa").unwrap();
        ws.write_formula(1, 4, "=TODAY()-3").unwrap();
    });
    let p = problems(import("f.xlsx", &bytes));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        matches!(&p[0].kind, ProblemKind::Formula { formula } if formula.contains("TODAY()")),
        "{}",
        p[0]
    );
    assert_eq!(
        p[0].location.to_string(),
        "f.xlsx, sheet \"Register\", row 2, column E (Detected)"
    );
}

#[test]
fn xlsx_dates_serials_and_empty_trailing_rows() {
    let bytes = xlsx_with(|ws| {
        let date = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
        let d = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 3, 2).unwrap();
        for (r, title) in [(1, "Typed date"), (2, "Serial number")] {
            ws.write_string(r, 0, title).unwrap();
            ws.write_string(r, 1, "major").unwrap();
            ws.write_string(r, 2, "external audit").unwrap();
            ws.write_string(r, 3, "qa").unwrap();
        }
        ws.write_datetime_with_format(1, 4, &d, &date).unwrap();
        ws.write_number(2, 4, 46083.5).unwrap();
        // Formatted but empty trailing rows.
        for r in 3..10 {
            ws.write_blank(r, 0, &date).unwrap();
            ws.write_string(r, 1, "").unwrap();
        }
    });
    let plan = import("dates.xlsx", &bytes).unwrap();
    let ncs = plan.register.nonconformities();
    assert_eq!(ncs.len(), 2);
    assert_eq!(
        ncs[0].detected_at,
        Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
    );
    assert_eq!(
        ncs[1].detected_at,
        Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap()
    );
}

#[test]
fn a_mapping_file_maps_what_the_synonyms_do_not() {
    let csv = "Problem statement,Grade,Where found,Accountable person,Opened,Priority\n\
               Keys shared,minor,internal audit,qa,2026-03-01,P2\n";
    let mapping = MappingFile::parse(
        "map.txt",
        "# our headers\nProblem statement = title\nWhere found = source\nPriority = ignore\nAccountable person = owner\n",
    )
    .unwrap();
    let mut o = options();
    o.mapping = mapping;
    let plan = import_with("m.csv", csv.as_bytes(), &o).unwrap();
    assert_eq!(plan.register.nonconformities()[0].title, "Keys shared");
    let by: Vec<_> = plan
        .mapping
        .headers
        .iter()
        .map(|h| (h.header.as_str(), h.column, h.matched_by))
        .collect();
    assert_eq!(
        by,
        vec![
            (
                "Problem statement",
                Some(Column::Title),
                MatchedBy::MappingFile
            ),
            ("Grade", Some(Column::Severity), MatchedBy::Synonym),
            ("Where found", Some(Column::Source), MatchedBy::MappingFile),
            (
                "Accountable person",
                Some(Column::Owner),
                MatchedBy::MappingFile
            ),
            ("Opened", Some(Column::Reported), MatchedBy::Synonym),
            ("Priority", None, MatchedBy::Ignored),
        ]
    );
    let e = MappingFile::parse("map.txt", "Problem = titel\n").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("map.txt, line 1: unknown column \"titel\""),
        "{e}"
    );
}

#[test]
fn failed_import_writes_nothing_and_a_plan_appends_in_one_batch() {
    let mut store = MemoryStore::new();
    // A good import first.
    let plan = import("car.csv", LEGACY.as_bytes()).unwrap();
    let appended = plan.append_to(&mut store).unwrap().unwrap();
    assert_eq!(appended.positions().count(), plan.events().count());
    let register = store.fold(isms_store::Selection::All).unwrap();
    assert_eq!(register, plan.register);
    let head = store.head().unwrap();
    // A bad one: its problems come back and the store is as it was.
    let bad = "Reference,Title,Severity,Source,Owner,Detected\nNC-0004,X,catastrophic,internal audit,qa,2026-03-01\n";
    let r = plan_import(
        &register,
        &[Input {
            name: "bad.csv",
            bytes: bad.as_bytes(),
        }],
        &options(),
        &mut |_| {},
    );
    assert!(matches!(r, Err(ImportError::Problems(_))));
    assert_eq!(store.head().unwrap(), head);
}

#[test]
fn rows_for_an_existing_nonconformity_become_commands() {
    let mut store = MemoryStore::new();
    let plan = import("car.csv", LEGACY.as_bytes()).unwrap();
    plan.append_to(&mut store).unwrap();
    let register = store.fold(isms_store::Selection::All).unwrap();
    let before = register.nonconformities()[1].version;
    // The visitor-log action is now done, and its due date moved.
    let update = "Reference,Action ref,Status,Completed,Due date,Reschedule reason\n\
                  NC-0002,A-1,done,2026-04-10,2026-04-15,Trainer ill\n";
    let mut progress = Vec::new();
    let plan = plan_import(
        &register,
        &[Input {
            name: "update.csv",
            bytes: update.as_bytes(),
        }],
        &options(),
        &mut |p| progress.push(p),
    )
    .unwrap();
    assert_eq!((plan.created(), plan.updated()), (0, 1));
    let item = plan.items.iter().find(|i| !i.commands.is_empty()).unwrap();
    assert_eq!(item.commands, vec!["reschedule_action", "complete_action"]);
    assert!(plan.to_string().contains("update NC-0002"), "{plan}");
    plan.append_to(&mut store).unwrap();
    let after = store.fold(isms_store::Selection::All).unwrap();
    let nc = &after.nonconformities()[1];
    assert_eq!(nc.version, before + 2);
    assert_eq!(
        nc.actions[0].original_due,
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
    );
    assert_eq!(
        nc.actions[0].due,
        NaiveDate::from_ymd_opt(2026, 4, 15).unwrap()
    );
    assert_eq!(nc.actions[0].reschedules[0].reason, "Trainer ill");
    assert_eq!(nc.actions[0].status, ActionStatus::Done);
    // Progress reached the end of every stage.
    let last = progress.last().unwrap();
    assert_eq!(
        (last.stage, last.done, last.total),
        (isms_io::Stage::Deciding, 1, 1)
    );
    // Importing the same update again changes nothing.
    let again = plan_import(
        &after,
        &[Input {
            name: "update.csv",
            bytes: update.as_bytes(),
        }],
        &options(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(again.events().count(), 0);
}

#[test]
fn a_status_the_columns_do_not_reach_is_reported_with_what_is_missing() {
    let csv = "Title,Severity,Source,Owner,Detected,Root cause,Root cause category,Action,Due date,Status,Completed,NC status,Similar cases\n\
               Old finding,minor,internal audit,qa,2026-01-10,No check,process,Fix it,2026-02-01,done,2026-01-25,closed,none found\n";
    let p = problems(import("s.csv", csv.as_bytes()));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        matches!(&p[0].kind, ProblemKind::StatusMismatch { stated, reached, .. } if stated == "closed" && reached == "implemented"),
        "{}",
        p[0]
    );
    assert!(
        p[0].to_string().contains("passing verification"),
        "{}",
        p[0]
    );
    assert_eq!(
        p[0].location.to_string(),
        "s.csv, row 2, column L (NC status)"
    );
}
