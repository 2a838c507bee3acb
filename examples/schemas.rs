//! Generating the JSON Schema bundle and validating documents against it.
//!
//! ```text
//! cargo run --example schemas --features schema              # into a temporary directory
//! cargo run --example schemas --features schema -- out/dir   # into out/dir (kept)
//! ```
//!
//! The bundle (draft 2020-12, one file per document kind plus `index.json`) is
//! what systems outside Rust rely on: form builders, API gateways, validators
//! in other languages. The example writes it, then does what such a system
//! would do: reads `policy.json` back from disk, compiles it and checks two
//! policy documents; and it checks a command a web form might post with
//! [`isms::schema::validate_document`]. Every violation is reported with the
//! JSON path of the offending value.

#![allow(clippy::print_stdout)] // an example program: printing is its job

use std::error::Error;
use std::fs;
use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use isms::core::*;
use isms::schema::{DocumentKind, DocumentValidator, ValidationError, validate_document};
use serde_json::{Value, json};

/// The paths of the values a validation error complains about.
fn paths(result: Result<(), ValidationError>) -> Result<Vec<String>, Box<dyn Error>> {
    match result {
        Ok(()) => Err("an invalid document was accepted".into()),
        Err(ValidationError::Invalid { schema, violations }) => {
            println!("  refused by {schema}:");
            for v in &violations {
                println!("    {v}");
            }
            Ok(violations.into_iter().map(|v| v.instance_path).collect())
        }
        Err(other) => Err(other.into()),
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let (dir, keep) = match std::env::args_os().nth(1) {
        Some(dir) => (PathBuf::from(dir), true),
        None => (
            std::env::temp_dir().join(format!("isms-schemas-{}", std::process::id())),
            false,
        ),
    };

    // 1. Write the bundle.
    let written = isms::schema::write_bundle(&dir)?;
    println!(
        "Wrote {} files (bundle {}) into {}",
        written.len(),
        isms::schema::SCHEMA_VERSION,
        dir.display()
    );
    let index: Value = serde_json::from_str(&fs::read_to_string(dir.join("index.json"))?)?;
    let listed = index["schemas"]
        .as_array()
        .ok_or("index.json lists no schemas")?;
    for entry in listed {
        let field = |k: &str| entry[k].as_str().unwrap_or("?").to_owned();
        println!(
            "  {:<26} {:<17} {}",
            field("file"),
            field("role"),
            field("$id")
        );
    }
    for kind in DocumentKind::ALL {
        assert!(dir.join(format!("{}.json", kind.name())).is_file());
    }

    // 2. A consumer's view: the schema as a file on disk, compiled on its own.
    let schema: Value = serde_json::from_str(&fs::read_to_string(dir.join("policy.json"))?)?;
    let policy_schema = DocumentValidator::from_schema(&schema)?;
    println!("\nCompiled {} from policy.json", policy_schema.id());
    assert_eq!(policy_schema.id(), "urn:isms-improvement:schema:policy:1");

    let written_by_rust = serde_json::to_value(Policy {
        max_days_to_contain: Some(TimeLimit {
            days: 2,
            enforcement: Enforcement::Refuse,
        }),
        ..Policy::default()
    })?;
    policy_schema.validate(&written_by_rust)?;
    println!("  the library's own policy document: valid");

    let hand_written = json!({
        "segregation_of_duties": "yes",
        "max_days_to_contain": { "days": 2, "enforcement": "ignore" },
    });
    println!("  a hand-written policy: {hand_written}");
    let bad = paths(policy_schema.validate(&hand_written))?;
    assert!(bad.iter().any(|p| p == "/segregation_of_duties"));
    assert!(bad.iter().any(|p| p == "/max_days_to_contain/enforcement"));
    // The Rust type refuses the same document, so the schema and the code agree.
    assert!(serde_json::from_value::<Policy>(hand_written).is_err());

    // 3. A command posted by a web form, checked before it reaches `decide`.
    let at = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .ok_or("bad time")?;
    let mut command = serde_json::to_value(Command::ReportNonconformity(ReportNonconformity {
        audit: None,
        id: NonconformityId::v7_from_parts(at.timestamp_millis() as u64, [9; 10]),
        title: "Restore test overdue".into(),
        description: "No restore test in the last twelve months.".into(),
        source: Source::InternalAudit,
        severity: Severity::Major,
        requirements: vec!["iso27001:2022/A.8.13".parse()?],
        owner: ActorId::new("ops-lead")?,
        detected_at: at,
        external_deadline: None,
        links: vec![],
        extensions: Default::default(),
    }))?;
    validate_document(DocumentKind::Command, &command)?;
    println!("\nA report_nonconformity command: valid");
    // The form offers a severity the standard does not know, and a free-text requirement.
    command["severity"] = json!("critical");
    command["requirements"] = json!(["backup policy"]);
    println!("  the same with severity \"critical\" and requirement \"backup policy\":");
    let bad = paths(validate_document(DocumentKind::Command, &command))?;
    assert!(bad.iter().any(|p| p == "/severity"));
    assert!(bad.iter().any(|p| p == "/requirements/0"));

    if !keep {
        fs::remove_dir_all(&dir)?;
    }
    Ok(())
}
