//! Fixed values and the Source default (issue 20, part 1): a register kept
//! in the source document's layout has no Source column; it imports with
//! the documented default, with `--set source=...`, or with a `:=` line of
//! a mapping file; a bad fixed value is refused naming where it was given.

use crate::support::Scratch;

/// The source document's register (semicolons, byte-order mark): Issue,
/// Root cause, Corrective Action, Owner, Due date, Severity, Detected,
/// Status, and no Source column.
const REGISTER: &str = "\u{feff}Issue;Root cause;Corrective Action;Owner;Due date;Severity;Detected;Status\r\n\
VPN access kept after offboarding;offboarding ticket closed before the VPN step;Add the VPN step to the offboarding checklist;it-ops;2026-04-30;Minor;2026-03-02;In progress\r\n\
Backup restore never tested;no restore test scheduled;Schedule a restore test;infra;2026-05-31;Minor;2026-03-05;Open\r\n";

/// What the layout does not say and parts 4 and 5 of the issue will read
/// from it: here given as fixed values too.
const ANALYSIS: [&str; 4] = [
    "--set",
    "root_cause_category=process",
    "--set",
    "similar_check=none found",
];

fn scratch(name: &str) -> (Scratch, String) {
    let s = Scratch::new(name);
    s.isms(&["init"]).ok();
    let file = s.path("register.csv");
    std::fs::write(&file, REGISTER).unwrap();
    (s, file.to_str().unwrap().to_owned())
}

/// The sources of the register's nonconformities, by reference.
fn sources(s: &Scratch) -> Vec<(String, String)> {
    let list = s.isms(&["nc", "list", "--json"]).json();
    let mut out: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["reference"].as_str().unwrap().to_owned(),
                n["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_register_without_a_source_column_imports_with_the_default() {
    let (s, file) = scratch("fixed-default");
    let mut args = vec!["import", file.as_str()];
    args.extend(ANALYSIS);
    let out = s.isms(&args).ok();
    assert!(
        !out.contains("has no Source column"),
        "the Source column is optional now:\n{out}"
    );
    assert!(
        out.contains("no input has a Source column")
            && out.contains("\"self identified\" (the default"),
        "the default is reported:\n{out}"
    );
    assert_eq!(
        sources(&s),
        vec![
            ("NC-0001".into(), "self_identified".into()),
            ("NC-0002".into(), "self_identified".into()),
        ]
    );
}

#[test]
fn set_gives_the_missing_column_a_value_read_like_a_cell() {
    let (s, file) = scratch("fixed-set");
    // `audit` is a synonym: the value goes through the Source vocabulary.
    let mut args = vec!["import", file.as_str(), "--set", "Source = audit"];
    args.extend(ANALYSIS);
    let out = s.isms(&args).ok();
    assert!(
        out.contains("--set source -> source (fixed value)"),
        "the mapping shows where the column came from:\n{out}"
    );
    assert!(!out.contains("the default"), "{out}");
    assert_eq!(
        sources(&s),
        vec![
            ("NC-0001".into(), "internal_audit".into()),
            ("NC-0002".into(), "internal_audit".into()),
        ]
    );
}

#[test]
fn a_mapping_file_line_gives_a_fixed_value() {
    let (s, file) = scratch("fixed-mapping");
    let mapping = s.path("mapping.txt");
    std::fs::write(
        &mapping,
        "# the register has no Source column\nIssue = title\nsource := security incident\n\
         root_cause_category := technology\nsimilar_check := none found\n",
    )
    .unwrap();
    s.isms(&["import", &file, "--mapping", mapping.to_str().unwrap()])
        .ok();
    assert_eq!(
        sources(&s),
        vec![
            ("NC-0001".into(), "incident".into()),
            ("NC-0002".into(), "incident".into()),
        ]
    );
    let list = s.isms(&["nc", "list", "--json"]).json();
    assert_eq!(
        list[0]["analyses"][0]["causes"][0]["category"], "technology",
        "{list}"
    );
}

/// Nothing was written: the register is still empty.
fn nothing_written(s: &Scratch) {
    assert_eq!(sources(s), Vec::<(String, String)>::new());
}

#[test]
fn a_bad_set_is_a_usage_error_naming_the_argument() {
    let (s, file) = scratch("fixed-bad-set");
    let run = |extra: &[&str]| {
        let mut args = vec!["import", file.as_str()];
        args.extend(ANALYSIS);
        args.extend(extra);
        s.isms(&args).fails(2)
    };
    let err = run(&["--set", "source=bogus"]);
    assert!(
        err.contains("--set source: \"bogus\" is not a known source"),
        "{err}"
    );
    let err = run(&["--set", "detected=31/02/2026"]);
    assert!(err.contains("--set detected:"), "{err}");
    let err = run(&["--set", "owner=x y"]);
    assert!(
        err.contains("--set owner:") && err.contains("has the column Owner (column D"),
        "a fixed value for a column the file has is refused as ambiguous: {err}"
    );
    let err = run(&["--set", "source=audit", "--set", "source=incident"]);
    assert!(err.contains("already has a fixed value"), "{err}");
    let err = run(&["--set", "colour=red"]);
    assert!(err.contains("unknown column"), "{err}");
    let err = run(&["--set", "source"]);
    assert!(err.contains("has no '='"), "{err}");
    let err = run(&["--set", "source=  "]);
    assert!(err.contains("the value is empty"), "{err}");
    nothing_written(&s);
}

#[test]
fn a_bad_fixed_value_in_a_mapping_file_is_bad_input_naming_its_line() {
    let (s, file) = scratch("fixed-bad-mapping");
    let mapping = s.path("mapping.txt");
    let run = |text: &str| {
        std::fs::write(&mapping, text).unwrap();
        let mut args = vec!["import", file.as_str(), "--mapping"];
        args.push(mapping.to_str().unwrap());
        s.isms(&args).fails(7)
    };
    let err = run("# fixed values\n\nsource := nowhere\n");
    assert!(
        err.contains("mapping.txt line 3: \"nowhere\" is not a known source"),
        "{err}"
    );
    let err = run("severity := major\n");
    assert!(
        err.contains("mapping.txt line 1: ") && err.contains("has the column Severity"),
        "{err}"
    );
    let err = run("source := audit\nsource := incident\n");
    assert!(err.contains("mapping.txt, line 2"), "{err}");
    let err = run("source :=\n");
    assert!(err.contains("line 1") && err.contains("empty"), "{err}");
    nothing_written(&s);
}

#[test]
fn each_file_may_have_its_own_mapping() {
    let (s, first) = scratch("fixed-per-file");
    let second = s.path("second.csv");
    std::fs::write(
        &second,
        "Problem;Why;Fix;Owner;Due date;Severity;Detected;Status\n\
         Supplier SOC 2 report expired;contract has no renewal reminder;Add the reminder;procurement;2026-06-30;Minor;2026-03-09;Open\n",
    )
    .unwrap();
    let m1 = s.path("first.txt");
    std::fs::write(&m1, "source := internal audit\n").unwrap();
    let m2 = s.path("second.txt");
    std::fs::write(
        &m2,
        "Problem = title\nWhy = root_cause\nFix = action\nsource := supplier\n",
    )
    .unwrap();
    let (m1, m2, second) = (
        m1.to_str().unwrap(),
        m2.to_str().unwrap(),
        second.to_str().unwrap(),
    );
    let mut args = vec![
        "import",
        first.as_str(),
        second,
        "--mapping",
        m1,
        "--mapping",
        m2,
    ];
    // Neither mapping has one for the first: that file's mapping is the only
    // one read for it (a count other than one or one per file is refused).
    let err = s.isms(&[&args[..], &["--mapping", m1]].concat()).fails(2);
    assert!(err.contains("3 --mapping files for 2 input files"), "{err}");
    args.extend(ANALYSIS);
    s.isms(&args).ok();
    assert_eq!(
        sources(&s),
        vec![
            ("NC-0001".into(), "internal_audit".into()),
            ("NC-0002".into(), "internal_audit".into()),
            ("NC-0003".into(), "supplier".into()),
        ]
    );
}
