//! The Audit column (issue 19, part 4): an export writes each
//! nonconformity's audit id, an import into a register holding that audit
//! gives it back, and into one without it the import is refused at the row.

use chrono::{NaiveDate, TimeZone, Utc};
use isms_core::*;
use isms_io::{ImportOptions, Input, export_csv, export_xlsx, plan_import};

fn with_audit() -> (Register, Register) {
    let policy = Policy::default();
    let at = Utc.with_ymd_and_hms(2026, 4, 20, 9, 0, 0).unwrap();
    let ctx = Context::new(at, Actor::named("alice").unwrap(), &policy);
    let mut audits = Register::new();
    audits
        .record_audit(
            &RecordAudit::new(
                "IA-2026-1".parse().unwrap(),
                AuditKind::InternalAudit,
                "Backups",
                NaiveDate::from_ymd_opt(2026, 4, 14).unwrap(),
                ActorId::new("internal-audit").unwrap(),
            ),
            &ctx,
        )
        .unwrap();
    let mut register = audits.clone();
    for (i, audit) in [Some("IA-2026-1"), None].into_iter().enumerate() {
        let mut r = ReportNonconformity::new(
            NonconformityId::v7(at, i as u128 + 1),
            "Restore never tested",
            "Found",
            Source::InternalAudit,
            Severity::Minor,
            ActorId::new("ops-lead").unwrap(),
            at,
        );
        if let Some(a) = audit {
            r = r.audit(a.parse().unwrap());
        }
        register.execute(&r.into(), &ctx).unwrap();
    }
    (audits, register)
}

fn options() -> ImportOptions {
    ImportOptions::new(Actor::new(ActorId::new("import").unwrap()))
}

#[test]
fn the_audit_column_round_trips_into_a_register_holding_the_audit() {
    let (audits, register) = with_audit();
    let csv = export_csv(&register).unwrap();
    let text = String::from_utf8(csv.nonconformities.clone()).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.split(',').any(|h| h == "Audit"), "{header}");
    let inputs = [
        Input {
            name: "nonconformities.csv",
            bytes: &csv.nonconformities,
        },
        Input {
            name: "actions.csv",
            bytes: &csv.actions,
        },
    ];
    let plan = plan_import(&audits, &inputs, &options(), &mut |_| {}).unwrap();
    let got: Vec<Option<String>> = plan
        .register
        .nonconformities()
        .iter()
        .map(|n| n.audit.as_ref().map(ToString::to_string))
        .collect();
    assert_eq!(got, [Some("IA-2026-1".to_owned()), None]);

    let xlsx = export_xlsx(&register).unwrap();
    let inputs = [Input {
        name: "register.xlsx",
        bytes: &xlsx,
    }];
    let plan = plan_import(&audits, &inputs, &options(), &mut |_| {}).unwrap();
    assert_eq!(
        plan.register.nonconformities()[0].audit,
        register.nonconformities()[0].audit
    );
}

#[test]
fn an_audit_the_register_lacks_or_a_bad_id_is_refused_at_its_row() {
    let (_, register) = with_audit();
    let csv = export_csv(&register).unwrap();
    let inputs = [Input {
        name: "nonconformities.csv",
        bytes: &csv.nonconformities,
    }];
    let Err(err) = plan_import(&Register::new(), &inputs, &options(), &mut |_| {}) else {
        panic!("imported");
    };
    let text = err.to_string();
    assert!(text.contains("holds no audit IA-2026-1"), "{text}");
    assert!(text.contains("nonconformities.csv"), "{text}");

    let bad =
        b"Title,Source,Severity,Detected,Owner,Audit\nLost laptop,incident,minor,2026-04-01,ops,not an id\n";
    let inputs = [Input {
        name: "bad.csv",
        bytes: bad,
    }];
    let Err(err) = plan_import(&Register::new(), &inputs, &options(), &mut |_| {}) else {
        panic!("imported");
    };
    let text = err.to_string();
    assert!(text.contains("not a valid audit id"), "{text}");
}
