//! The report's serialised shape: JSON round trip and a JSON Schema.

use isms_kpi::{KpiId, KpiReport, KpiView, ReportOptions, Target, TargetError, Targets};

use crate::fixture::{fixture, t};

#[test]
fn report_round_trips_through_json() {
    let report = KpiView::new(&fixture())
        .report(t(), &ReportOptions::default())
        .unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["kpis"][0]["id"], "open_nonconformities");
    assert_eq!(json["kpis"][0]["value"]["kind"], "count");
    assert_eq!(json["kpis"][6]["value"]["kind"], "ratio");
    assert_eq!(json["kpis"][6]["status"], "red");
    let back: KpiReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, report);
}

#[test]
fn report_has_a_json_schema() {
    let schema = schemars::schema_for!(KpiReport);
    let json = serde_json::to_value(&schema).unwrap();
    assert_eq!(json["title"], "KpiReport");
    let text = json.to_string();
    for id in KpiId::ALL {
        assert!(text.contains(id.as_str()), "schema lacks {id}");
    }
    for needle in [
        "no_data",
        "higher_is_better",
        "cumulative_share",
        "open_at_end",
    ] {
        assert!(text.contains(needle), "schema lacks {needle}");
    }
}

#[test]
fn targets_are_checked_and_overridable() {
    let mut targets = Targets::default();
    assert!(targets.get(KpiId::OnTimeActionCompletionRate).is_some());
    let wrong = targets.set(
        KpiId::OverdueActionRate,
        Target {
            green: 0.2,
            amber: 0.1,
        },
    );
    assert!(matches!(wrong, Err(TargetError::WrongOrder { .. })));
    let nan = targets.set(
        KpiId::TimeToClose,
        Target {
            green: f64::NAN,
            amber: 1.0,
        },
    );
    assert!(matches!(nan, Err(TargetError::NotFinite { .. })));
    let neutral = targets.set(
        KpiId::RootCausePareto,
        Target {
            green: 1.0,
            amber: 2.0,
        },
    );
    assert!(matches!(neutral, Err(TargetError::NoDirection { .. })));
    // Override: a lenient on-time target turns red into green.
    targets
        .set(
            KpiId::OnTimeActionCompletionRate,
            Target {
                green: 0.5,
                amber: 0.4,
            },
        )
        .unwrap();
    let options = ReportOptions {
        targets: targets.clone(),
        ..ReportOptions::default()
    };
    let r = KpiView::new(&fixture()).report(t(), &options).unwrap();
    assert_eq!(
        r.get(KpiId::OnTimeActionCompletionRate).unwrap().status,
        isms_kpi::Status::Green
    );
    // Targets deserialise through the same check.
    let json = serde_json::to_string(&targets).unwrap();
    assert_eq!(serde_json::from_str::<Targets>(&json).unwrap(), targets);
    let bad = r#"{"effectiveness_rate": {"green": 0.5, "amber": 0.9}}"#;
    assert!(serde_json::from_str::<Targets>(bad).is_err());
}

#[test]
fn bad_windows_are_refused() {
    let view = KpiView::new(&fixture());
    for days in [0, isms_kpi::MAX_WINDOW_DAYS + 1] {
        let options = ReportOptions {
            window_days: days,
            ..ReportOptions::default()
        };
        assert!(matches!(
            view.report(t(), &options),
            Err(isms_kpi::KpiError::BadWindow { .. })
        ));
    }
    let far = chrono::DateTime::<chrono::Utc>::MAX_UTC;
    assert!(matches!(
        view.report(far, &ReportOptions::default()),
        Err(isms_kpi::KpiError::OutOfRange { .. })
    ));
}
