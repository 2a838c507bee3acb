//! Fixed values (`--set`, `column := value`) read exactly as a cell of
//! their column: the same value gives the same register, a bad one the same
//! problem; and the Source default.

use isms_core::{Actor, ActorId, Register, Source};
use isms_io::{
    Column, DEFAULT_SOURCE, DateOrder, FileError, FixedOrigin, FixedValue, ImportError,
    ImportOptions, ImportPlan, Input, MappingFile, plan_import,
};
use proptest::prelude::*;

const HEAD: &str = "Title,Severity,Owner,Detected";
const ROW: &str = "Badge reader offline,minor,facilities,2026-03-02";

fn options() -> ImportOptions {
    ImportOptions::new(Actor::new(ActorId::new("import").unwrap()))
}

fn import(csv: &str, options: &ImportOptions) -> Result<ImportPlan, ImportError> {
    plan_import(
        &Register::new(),
        &[Input {
            name: "r.csv",
            bytes: csv.as_bytes(),
        }],
        options,
        &mut |_| {},
    )
}

fn set(column: Column, value: &str) -> FixedValue {
    FixedValue {
        column,
        value: value.to_owned(),
        origin: FixedOrigin::Argument,
    }
}

/// A CSV field, quoted.
fn field(v: &str) -> String {
    format!("\"{}\"", v.replace('"', "\"\""))
}

/// The outcome in comparable form: the sources recorded, or the problem.
fn outcome(r: Result<ImportPlan, ImportError>) -> Result<Vec<Source>, String> {
    match r {
        Ok(plan) => Ok(plan
            .register
            .nonconformities()
            .iter()
            .map(|n| n.source)
            .collect()),
        Err(ImportError::Problems(p)) if p.len() == 1 => Err(p[0].kind.to_string()),
        Err(ImportError::Fixed { problem, .. }) => Err(problem),
        Err(e) => Err(format!("other: {e}")),
    }
}

#[test]
fn without_a_source_column_the_default_is_recorded_and_noted() {
    let plan = import(&format!("{HEAD}\n{ROW}\n"), &options()).unwrap();
    assert_eq!(plan.register.nonconformities()[0].source, DEFAULT_SOURCE);
    assert_eq!(DEFAULT_SOURCE, Source::SelfIdentified);
    assert!(
        plan.notes.iter().any(|n| n.contains("self identified")),
        "{:?}",
        plan.notes
    );
    let mut o = options();
    o.fixed.push(set(Column::Source, "regulator"));
    let plan = import(&format!("{HEAD}\n{ROW}\n"), &o).unwrap();
    assert_eq!(
        plan.register.nonconformities()[0].source,
        Source::AuthorityOrder
    );
    assert!(plan.notes.iter().all(|n| !n.contains("self identified")));
}

#[test]
fn mapping_file_fixed_lines_parse_with_their_line() {
    let m = MappingFile::parse(
        "m.txt",
        "# x\nOur ref = reference\n\nSource := internal audit\n",
    )
    .unwrap();
    assert_eq!(
        m.fixed(),
        &[FixedValue {
            column: Column::Source,
            value: "internal audit".into(),
            origin: FixedOrigin::MappingFile {
                file: "m.txt".into(),
                line: 4
            },
        }]
    );
    assert_eq!(m.fixed()[0].to_string(), "m.txt line 4");
    for (text, line) in [
        ("colour := red\n", 1),
        ("a = title\nsource :=   \n", 2),
        ("source := a\nsource := b\n", 2),
    ] {
        match MappingFile::parse("m.txt", text) {
            Err(FileError::BadMappingFile { line: l, .. }) => assert_eq!(l, line, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    assert_eq!(
        FixedValue::from_argument(" due_date = 2026-04-30 ").unwrap(),
        set(Column::Due, "2026-04-30")
    );
    assert!(FixedValue::from_argument("nothing").is_err());
}

#[test]
fn per_input_mappings_apply_to_their_input_only() {
    let a = format!("{HEAD}\n{ROW}\n");
    let b = "Problem,Severity,Owner,Detected\nDoor propped open,minor,facilities,2026-03-04\n"
        .to_owned();
    let mut o = options();
    o.input_mappings = vec![
        Some(MappingFile::parse("a.txt", "source := incident\n").unwrap()),
        Some(MappingFile::parse("b.txt", "Problem = title\nsource := supplier\n").unwrap()),
    ];
    let plan = plan_import(
        &Register::new(),
        &[
            Input {
                name: "a.csv",
                bytes: a.as_bytes(),
            },
            Input {
                name: "b.csv",
                bytes: b.as_bytes(),
            },
        ],
        &o,
        &mut |_| {},
    )
    .unwrap();
    let mut got: Vec<_> = plan
        .register
        .nonconformities()
        .iter()
        .map(|n| (n.title.clone(), n.source))
        .collect();
    got.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        got,
        vec![
            ("Badge reader offline".to_owned(), Source::Incident),
            ("Door propped open".to_owned(), Source::Supplier),
        ]
    );
}

fn source_word() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "internal audit",
            "Audit",
            "IA",
            "external",
            "security incident",
            "KPI",
            "mr",
            "risk treatment",
            "vendor",
            "customer complaint",
            "self-identified",
            "regulator order",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z ]{1,16}",
        "[a-z]{1,6}\u{7}",
    ]
}

proptest! {
    /// A fixed Source is read exactly as the cell: the same source, or the
    /// same problem.
    #[test]
    fn a_fixed_source_reads_as_the_cell(word in source_word()) {
        let with_cell = import(
            &format!("{HEAD},Source\n{ROW},{}\n", field(&word)),
            &options(),
        );
        let mut o = options();
        o.fixed.push(set(Column::Source, &word));
        let with_fixed = import(&format!("{HEAD}\n{ROW}\n"), &o);
        if word.trim().is_empty() {
            return Ok(());
        }
        prop_assert_eq!(outcome(with_cell), outcome(with_fixed));
    }

    /// A fixed Detected date is read exactly as the cell, under either
    /// date order.
    #[test]
    fn a_fixed_date_reads_as_the_cell(
        d in 1u32..40, m in 1u32..15, y in 1990u32..2030, dmy in any::<bool>(),
    ) {
        let date = format!("{d:02}/{m:02}/{y}");
        let order = Some(if dmy { DateOrder::Dmy } else { DateOrder::Mdy });
        let mut o = options();
        o.date_order = order;
        let with_cell = import(
            &format!("Title,Severity,Owner,Detected\nX,minor,facilities,{date}\n"),
            &o,
        );
        o.fixed.push(set(Column::Detected, &date));
        let with_fixed = import("Title,Severity,Owner\nX,minor,facilities\n", &o);
        let detected = |r: Result<ImportPlan, ImportError>| match r {
            Ok(p) => Ok(p.register.nonconformities()[0].detected_at),
            Err(ImportError::Problems(p)) if p.len() == 1 => Err(p[0].kind.to_string()),
            Err(ImportError::Fixed { problem, .. }) => Err(problem),
            Err(e) => Err(format!("other: {e}")),
        };
        prop_assert_eq!(detected(with_cell), detected(with_fixed));
    }
}
