//! Imports go through the rules: a register document that breaks one is
//! refused whole (exit 7) at the event that breaks it, and nothing is
//! written. Each document below is a real export of the seed register with
//! one thing changed, and its state rebuilt from the changed events, so
//! that only the replay through the rules can find what is wrong.

use std::sync::OnceLock;

use isms_core::{Event, EventPayload, StreamId};
use isms_schema::RegisterDocument;

use crate::support::Scratch;

/// The seed register's export, made once for every test here.
fn seed_events() -> Vec<Event> {
    static DOC: OnceLock<String> = OnceLock::new();
    let text = DOC.get_or_init(|| {
        let s = Scratch::new("imports-seed");
        crate::scenarios::seed_register(&s);
        s.isms(&["export"]).ok()
    });
    let doc: RegisterDocument = serde_json::from_str(text).unwrap();
    doc.events
}

/// Writes the document of `events` (state folded from them) and imports it
/// into a new register: the import must fail with exit 7, write nothing,
/// and its message is returned.
fn refused(name: &str, events: Vec<Event>) -> String {
    let s = Scratch::new(name);
    let doc = RegisterDocument::from_events(events).unwrap();
    let file = s.path("register.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let target = s.path("target.db");
    let err = s
        .isms_on(&target, &["import", file.to_str().unwrap()])
        .fails(7);
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(!target.exists(), "a refused import created the register");
    err
}

/// Numbers each stream's events 1, 2, 3, ... again after some were removed.
fn renumber(events: &mut [Event]) {
    let mut next = std::collections::HashMap::<StreamId, u64>::new();
    for e in events {
        let n = next.entry(e.stream).or_insert(0);
        *n += 1;
        e.sequence = *n;
    }
}

fn index_of(events: &[Event], f: impl Fn(&Event) -> bool) -> usize {
    events.iter().position(f).unwrap()
}

#[test]
fn the_unchanged_export_imports() {
    let s = Scratch::new("imports-unchanged");
    let doc = RegisterDocument::from_events(seed_events()).unwrap();
    let file = s.path("register.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = s.isms(&["import", file.to_str().unwrap()]).ok();
    assert!(out.contains("imported 3 nonconformities"), "{out}");
}

#[test]
fn a_closure_dated_before_the_report_is_refused_at_the_closure() {
    let mut events = seed_events();
    let close = index_of(&events, |e| {
        matches!(e.payload, EventPayload::NonconformityClosed { .. })
    });
    let stream = events[close].stream;
    let reported = events.iter().find(|e| e.stream == stream).unwrap().at;
    events[close].at = reported - chrono::Duration::days(60);
    let err = refused("imports-close-early", events);
    assert!(
        err.contains(&format!("at /events/{close} (nonconformity_closed.v1)")),
        "{err}"
    );
    assert!(err.contains("close refused"), "{err}");
}

#[test]
fn a_closure_without_a_verification_result_is_refused() {
    let mut events = seed_events();
    let close = index_of(&events, |e| {
        matches!(e.payload, EventPayload::NonconformityClosed { .. })
    });
    let stream = events[close].stream;
    events.retain(|e| {
        e.stream != stream
            || !matches!(
                e.payload,
                EventPayload::VerificationRecorded { .. }
                    | EventPayload::EffectivenessConcluded { .. }
            )
    });
    renumber(&mut events);
    let close = index_of(&events, |e| {
        e.stream == stream && matches!(e.payload, EventPayload::NonconformityClosed { .. })
    });
    let err = refused("imports-close-unverified", events);
    assert!(
        err.contains(&format!(
            "at /events/{close} (nonconformity_closed.v1): close refused"
        )),
        "{err}"
    );
}

#[test]
fn a_verifier_who_owns_an_action_is_refused_at_the_plan() {
    let mut events = seed_events();
    let plan = index_of(&events, |e| {
        matches!(e.payload, EventPayload::VerificationPlanned { .. })
    });
    let stream = events[plan].stream;
    let owner = events
        .iter()
        .find_map(|e| match &e.payload {
            EventPayload::ActionPlanned { owner, .. } if e.stream == stream => Some(owner.clone()),
            _ => None,
        })
        .unwrap();
    for e in events.iter_mut().filter(|e| e.stream == stream) {
        match &mut e.payload {
            EventPayload::VerificationPlanned { verifier, .. } => *verifier = owner.clone(),
            EventPayload::VerificationRecorded { .. } => e.actor = owner.clone(),
            _ => {}
        }
    }
    let err = refused("imports-verifier-owner", events);
    assert!(
        err.contains(&format!(
            "at /events/{plan} (verification_planned.v1): plan_verification refused"
        )),
        "{err}"
    );
    assert!(err.contains(owner.as_str()), "{err}");
}

/// Sets the title of the first report.
fn with_title(title: String) -> (Vec<Event>, usize) {
    let mut events = seed_events();
    let first = index_of(&events, |e| {
        matches!(e.payload, EventPayload::NonconformityReported { .. })
    });
    if let EventPayload::NonconformityReported { title: t, .. } = &mut events[first].payload {
        *t = title;
    }
    (events, first)
}

#[test]
fn a_title_of_300_characters_is_refused_at_its_report() {
    let (events, at) = with_title("x".repeat(300));
    let err = refused("imports-long-title", events);
    assert!(
        err.contains(&format!("at /events/{at} (nonconformity_reported.v1)")),
        "{err}"
    );
    assert!(err.contains("300 characters"), "{err}");
}

#[test]
fn a_title_with_a_terminal_escape_sequence_is_refused() {
    let (events, at) = with_title("Backups \u{1b}[2J\u{1b}[31mall fine".into());
    let err = refused("imports-escape", events);
    assert!(
        err.contains(&format!("at /events/{at} (nonconformity_reported.v1)")),
        "{err}"
    );
    assert!(err.contains("control character"), "{err}");
    // The message itself does not carry the escape to the terminal.
    assert!(!err.contains('\u{1b}'), "{err:?}");
}

#[test]
fn a_description_above_the_text_limit_is_refused_at_its_event() {
    let mut events = seed_events();
    let first = index_of(&events, |e| {
        matches!(e.payload, EventPayload::NonconformityReported { .. })
    });
    if let EventPayload::NonconformityReported { description, .. } = &mut events[first].payload {
        *description = "d".repeat(isms_core::MAX_TEXT_CHARS + 1);
    }
    let err = refused("imports-long-description", events);
    assert!(
        err.contains(&format!("at /events/{first} (nonconformity_reported.v1)")),
        "{err}"
    );
    assert!(err.contains("description"), "{err}");
}

#[test]
fn a_200_mb_description_is_refused_by_the_file_size_before_it_is_read() {
    let s = Scratch::new("imports-200mb");
    let doc = RegisterDocument::from_events(seed_events()).unwrap();
    let text = serde_json::to_string(&doc).unwrap();
    // The first description, 200 MB long: written in pieces, never held.
    let marker = "\"description\":\"";
    let cut = text.find(marker).unwrap() + marker.len();
    let file = s.path("huge.json");
    {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        out.write_all(&text.as_bytes()[..cut]).unwrap();
        let chunk = vec![b'd'; 1 << 20];
        for _ in 0..200 {
            out.write_all(&chunk).unwrap();
        }
        out.write_all(&text.as_bytes()[cut..]).unwrap();
    }
    let target = s.path("target.db");
    let err = s
        .isms_on(&target, &["import", file.to_str().unwrap()])
        .fails(7);
    assert!(err.contains("huge.json"), "{err}");
    assert!(err.contains("at most 67108864 bytes"), "{err}");
    assert!(err.contains("nothing was read"), "{err}");
    assert!(!target.exists());
}

#[test]
fn a_reference_gap_is_refused_with_a_clear_message() {
    // NC-0001, NC-0002, NC-0005: the third report skips two numbers.
    let mut events = seed_events();
    let third = events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e.payload, EventPayload::NonconformityReported { .. }))
        .nth(2)
        .unwrap()
        .0;
    if let EventPayload::NonconformityReported { reference, .. } = &mut events[third].payload {
        *reference = "NC-0005".parse().unwrap();
    }
    let err = refused("imports-gap", events.clone());
    assert!(
        err.contains(&format!("at /events/{third} (nonconformity_reported.v1)")),
        "{err}"
    );
    assert!(err.contains("NC-0005") && err.contains("NC-0003"), "{err}");
    assert!(err.contains("without gaps"), "{err}");
}

#[test]
fn a_time_outside_the_recorded_range_is_refused() {
    let mut events = seed_events();
    let last = events.len() - 1;
    events[last].at = "2999-01-01T00:00:00Z".parse().unwrap();
    let err = refused("imports-far-future", events);
    assert!(err.contains(&format!("at /events/{last} (")), "{err}");
    assert!(err.contains("outside the range isms records"), "{err}");
}

/// A POA&M and a spreadsheet whose references skip numbers are imported
/// with the register's own numbering, and the register takes new reports
/// after them: never a register whose `nc report` gives up.
#[test]
fn a_reference_gap_in_a_poam_or_a_spreadsheet_is_renumbered_and_reporting_goes_on() {
    let refs = |target: &Scratch| {
        let list = target.isms(&["nc", "list", "--json"]).json();
        let mut refs: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["reference"].as_str().unwrap().to_owned())
            .collect();
        refs.sort_unstable();
        refs
    };

    // The POA&M of the seed register: NC-0001, NC-0002, NC-0005.
    let s = Scratch::new("imports-gap-poam");
    crate::scenarios::seed_register(&s);
    let poam = s.path("poam.json");
    s.isms(&[
        "export",
        "--format",
        "oscal-poam",
        "--out",
        poam.to_str().unwrap(),
    ])
    .ok();
    let text = std::fs::read_to_string(&poam)
        .unwrap()
        .replace("\"NC-0003\"", "\"NC-0005\"");
    std::fs::write(&poam, text).unwrap();
    let target = Scratch::new("imports-gap-poam-target");
    target.isms(&["import", poam.to_str().unwrap()]).ok();
    assert_eq!(refs(&target), ["NC-0001", "NC-0002", "NC-0003"]);
    assert_eq!(target.report("After the import"), "NC-0004");
    assert_eq!(target.report("And another"), "NC-0005");

    // A spreadsheet of 20 nonconformities whose last is numbered NC-0025.
    let s = Scratch::new("imports-gap-csv");
    s.isms(&["generate", "--count", "20", "--seed", "3"]).ok();
    let csv = s.path("r.csv");
    s.isms(&["export", "--format", "csv", "--out", csv.to_str().unwrap()])
        .ok();
    let ncs = s.path("r-nonconformities.csv");
    let acts = s.path("r-actions.csv");
    for f in [&ncs, &acts] {
        let text = std::fs::read_to_string(f)
            .unwrap()
            .replace("NC-0020", "NC-0025");
        std::fs::write(f, text).unwrap();
    }
    let target = Scratch::new("imports-gap-csv-target");
    let out = target
        .isms(&["import", ncs.to_str().unwrap(), acts.to_str().unwrap()])
        .ok();
    assert!(out.contains("NC-0025 in the file becomes NC-0020"), "{out}");
    let want: Vec<String> = (1..=20).map(|n| format!("NC-{n:04}")).collect();
    assert_eq!(refs(&target), want);
    assert_eq!(target.report("After the import"), "NC-0021");
}

/// An input that never ends (a device, a FIFO) is read only up to the
/// limit of its format, then refused (exit 7), in bounded memory.
#[test]
fn an_endless_input_is_refused_at_the_limit_not_read_until_memory_runs_out() {
    let s = Scratch::new("imports-endless");
    let target = s.path("target.db");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_isms"))
        .args(["--as", "tester", "--db"])
        .arg(&target)
        .args(["import", "/dev/zero"])
        .env_remove("ISMS_DB")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{err}");
    assert!(err.contains("more than 67108864 bytes"), "{err}");
    assert!(!target.exists());
}

#[test]
fn a_mapping_file_above_its_limit_is_refused_before_it_is_read() {
    let s = Scratch::new("imports-mapping");
    let csv = s.path("r.csv");
    std::fs::write(&csv, "Title,Severity\nBackups,minor\n").unwrap();
    let mapping = s.path("mapping.txt");
    let f = std::fs::File::create(&mapping).unwrap();
    f.set_len(isms_io::MAX_MAPPING_FILE_BYTES + 1).unwrap();
    let err = s
        .isms(&[
            "import",
            "--mapping",
            mapping.to_str().unwrap(),
            csv.to_str().unwrap(),
        ])
        .fails(7);
    assert!(err.contains("mapping file has 1048577 bytes"), "{err}");
    assert!(!s.db().exists());
}
