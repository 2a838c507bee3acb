//! Two processes reporting at once never take the same number.

use std::collections::BTreeSet;

use crate::support::{Scratch, command};

#[test]
fn two_processes_reporting_at_once_get_distinct_numbers() {
    let s = Scratch::new("race");
    s.isms(&["init"]).ok();
    const EACH: usize = 12;
    let spawn = |who: &'static str| {
        let db = s.db();
        let dir = s.dir().to_owned();
        std::thread::spawn(move || {
            let mut refs = Vec::new();
            for i in 0..EACH {
                let out = command(&dir)
                    .arg("--db")
                    .arg(&db)
                    .args(["--as", who, "nc", "report", "--title"])
                    .arg(format!("{who} finding {i}"))
                    .args(["--source", "monitoring", "--severity", "minor"])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let text = String::from_utf8(out.stdout).unwrap();
                refs.push(text.split(':').next().unwrap().to_owned());
            }
            refs
        })
    };
    let a = spawn("alice");
    let b = spawn("bob");
    let mut all = a.join().unwrap();
    all.extend(b.join().unwrap());
    let distinct: BTreeSet<&String> = all.iter().collect();
    assert_eq!(distinct.len(), 2 * EACH, "{all:?}");
    let expected: BTreeSet<String> = (1..=2 * EACH).map(|n| format!("NC-{n:04}")).collect();
    assert_eq!(
        distinct.into_iter().cloned().collect::<BTreeSet<_>>(),
        expected
    );

    // And the register agrees: every reference once, the log intact.
    let list = s.isms(&["nc", "list", "--json"]).json();
    let refs: BTreeSet<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["reference"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), 2 * EACH);
    s.isms(&["verify"]).ok();
}
