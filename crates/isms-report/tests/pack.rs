//! The pack's numbers agree with the KPI engine and with each other.

use chrono::Duration;
use isms_kpi::{KpiId, Measure};
use isms_report::{Format, ReportError, ReportOptions, ReviewPack, render};

use crate::support::{generated, seeds};

fn count(pack: &ReviewPack, id: KpiId) -> u64 {
    match pack.kpi(id).unwrap().value {
        Measure::Count { count } => count,
        ref other => panic!("{id}: {other:?}"),
    }
}

#[test]
fn series_and_tables_agree_with_the_kpis() {
    let (register, end) = generated(800, 3, 600);
    for t in [end - Duration::days(200), end] {
        let pack = ReviewPack::compute(&register, t, &ReportOptions::default()).unwrap();
        let open = count(&pack, KpiId::OpenNonconformities);
        assert!(open > 0);
        assert_eq!(pack.ageing.iter().map(|b| b.count).sum::<u64>(), open);
        assert_eq!(pack.backlog.last().unwrap().open_at_end, open);
        assert_eq!((pack.overdue.total + pack.open.total) as u64, open);
        assert!(pack.overdue.rows.iter().all(|r| r.days_overdue > 0));
        assert!(pack.open.rows.iter().all(|r| r.days_overdue == 0));
        // Ranked: majors first, then by days overdue.
        let keys: Vec<(bool, i64)> = pack
            .overdue
            .rows
            .iter()
            .map(|r| (r.severity != isms_core::Severity::Major, -r.days_overdue))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");
        let causes = count(&pack, KpiId::RootCausePareto);
        assert_eq!(pack.pareto.iter().map(|b| b.count).sum::<u64>(), causes);
        let reported = count(&pack, KpiId::ByRequirement);
        for th in &pack.themes {
            assert!(th.count <= reported);
        }
        // Each nonconformity is in some theme or in none.
        assert!(pack.themes.iter().map(|t| t.count).sum::<u64>() >= reported);
        assert_eq!(pack.nis2.len(), 10);
        assert!(pack.nis2.iter().all(|p| p.count <= reported));
        assert_eq!(pack.rates.on_time.len(), pack.backlog.len());
        let last = pack.rates.effectiveness.last().unwrap();
        let kpi = pack.kpi(KpiId::EffectivenessRate).unwrap();
        if pack.rates.trend_window_days == pack.kpis.window_days {
            assert_eq!(Some(last.status), Some(kpi.status));
        }
        assert!(pack.overdue.rows.len() <= 25 && pack.open.rows.len() <= 25);
    }
}

#[test]
fn the_last_rate_point_is_the_kpi_as_of_t() {
    let (register, end) = generated(400, 5, 500);
    let options = ReportOptions {
        trend_window_days: 365,
        ..ReportOptions::default()
    };
    let pack = ReviewPack::compute(&register, end, &options).unwrap();
    for (points, id) in [
        (&pack.rates.on_time, KpiId::OnTimeActionCompletionRate),
        (&pack.rates.effectiveness, KpiId::EffectivenessRate),
    ] {
        let last = points.last().unwrap();
        assert_eq!(last.as_of, end);
        match pack.kpi(id).unwrap().value {
            Measure::Ratio {
                numerator,
                denominator,
                ..
            } => assert_eq!((last.numerator, last.denominator), (numerator, denominator)),
            ref v => panic!("{v:?}"),
        }
    }
}

#[test]
fn html_has_every_chart_and_section() {
    let (register, t) = seeds();
    let html = render(&register, t, &ReportOptions::default(), Format::Html).unwrap();
    for id in [
        "backlog-trend",
        "ageing",
        "on-time-rate",
        "effectiveness-rate",
        "root-cause-pareto",
        "annex-a-themes",
        "nis2-article-21-2",
    ] {
        assert!(html.contains(&format!("<figure id=\"fig-{id}\">")), "{id}");
        assert!(html.contains(&format!("<title id=\"{id}-title\">")), "{id}");
    }
    for section in [
        "summary",
        "backlog",
        "open-items",
        "effectiveness",
        "requirements",
        "improvement",
        "isms-changes",
        "definitions",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{section}\"")),
            "{section}"
        );
    }
    assert!(html.contains("@page { size: A4 portrait;"));
    assert!(html.contains("break-before: page"));
    assert!(
        !html.contains("http://")
            || html.matches("http://").count()
                == html.matches("http://www.w3.org/2000/svg").count()
    );
    assert!(!html.contains("https://"));
    // The closed seed examples' ISMS changes are listed (10.2 e).
    assert!(html.contains("Changes to the ISMS"));
}

#[test]
fn letter_paper_and_bad_options() {
    let (register, t) = seeds();
    let options = ReportOptions {
        paper: "letter".parse().unwrap(),
        ..ReportOptions::default()
    };
    let html = render(&register, t, &options, Format::Html).unwrap();
    assert!(html.contains("@page { size: letter portrait;"));
    for bad in [
        ReportOptions {
            window_days: 0,
            ..ReportOptions::default()
        },
        ReportOptions {
            trend_window_days: 40_000,
            ..ReportOptions::default()
        },
        ReportOptions {
            max_rows: 0,
            ..ReportOptions::default()
        },
    ] {
        let err = render(&register, t, &bad, Format::Markdown).unwrap_err();
        assert!(matches!(err, ReportError::BadOption { .. }), "{err}");
    }
    // An instant the engine cannot represent is an error, not a panic.
    let far = chrono::DateTime::<chrono::Utc>::MAX_UTC;
    assert!(render(&register, far, &ReportOptions::default(), Format::Html).is_err());
}

#[test]
fn an_empty_register_reports_no_data() {
    let register = isms_core::Register::new();
    let (_, t) = seeds();
    let md = render(&register, t, &ReportOptions::default(), Format::Markdown).unwrap();
    assert!(md.contains("no data"));
    let html = render(&register, t, &ReportOptions::default(), Format::Html).unwrap();
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 7);
}

/// The rate charts' months are the organisation's months, as the backlog
/// trend's are: at an instant that is a different month locally than in
/// UTC (across the date line both ways, and across a DST change), each
/// chart has one point per local month, the same months, each ending where
/// the local month ends.
#[test]
fn the_rate_charts_take_the_months_of_the_policys_time_zone() {
    use chrono::{TimeZone, Utc};
    let (register, _) = generated(300, 7, 900);
    let cases = [
        // 14:00 UTC on 31 March 2026 is 01:00 on 1 April in Sydney (AEDT, +11).
        (
            "Australia/Sydney",
            Utc.with_ymd_and_hms(2026, 3, 31, 14, 0, 0),
        ),
        // 12:30 UTC on 30 April is 00:30 on 1 May in Auckland (NZST, +12).
        (
            "Pacific/Auckland",
            Utc.with_ymd_and_hms(2026, 4, 30, 12, 30, 0),
        ),
        // 03:00 UTC on 1 April is 20:00 on 31 March in Los Angeles (PDT,
        // -7; the clocks went forward on 8 March).
        (
            "America/Los_Angeles",
            Utc.with_ymd_and_hms(2026, 4, 1, 3, 0, 0),
        ),
    ];
    for (zone, t) in cases {
        let t = t.unwrap();
        let zone: isms_core::IanaTimeZone = zone.parse().unwrap();
        let options = ReportOptions {
            window_days: 120,
            trend_window_days: 120,
            time_zone: zone,
            ..ReportOptions::default()
        };
        let pack = ReviewPack::compute(&register, t, &options).unwrap();
        let backlog: Vec<&str> = pack.backlog.iter().map(|p| p.month.as_str()).collect();
        for (points, id) in [
            (&pack.rates.on_time, KpiId::OnTimeActionCompletionRate),
            (&pack.rates.effectiveness, KpiId::EffectivenessRate),
        ] {
            let months: Vec<&str> = points.iter().map(|p| p.month.as_str()).collect();
            assert_eq!(months, backlog, "{zone}");
            let last = points.last().unwrap();
            assert_eq!(last.as_of, t, "{zone}");
            if pack.rates.trend_window_days == pack.kpis.window_days {
                let Measure::Ratio {
                    numerator,
                    denominator,
                    ..
                } = pack.kpi(id).unwrap().value
                else {
                    panic!("{id}")
                };
                assert_eq!((last.numerator, last.denominator), (numerator, denominator));
            }
            assert_eq!(last.month, zone.date_of(t).format("%Y-%m").to_string());
            // Every earlier point is the last instant of its local month.
            for p in &points[..points.len() - 1] {
                let next = p.as_of + Duration::nanoseconds(1);
                assert_eq!(zone.date_of(p.as_of).format("%Y-%m").to_string(), p.month);
                assert_eq!(zone.date_of(next).format("%d").to_string(), "01", "{zone}");
                assert_eq!(zone.start_of(zone.date_of(next)), Some(next), "{zone}");
            }
        }
    }
}

/// The dates the report prints are the organisation's: the period, the
/// chart axes and the conventions name its zone.
#[test]
fn the_report_prints_dates_in_the_policys_time_zone() {
    use chrono::{TimeZone, Utc};
    let (register, _) = seeds();
    // 20:00 UTC on 29 June 2026 is 06:00 on 30 June in Sydney (AEST, +10).
    let t = Utc.with_ymd_and_hms(2026, 6, 29, 20, 0, 0).unwrap();
    let options = ReportOptions {
        time_zone: "Australia/Sydney".parse().unwrap(),
        ..ReportOptions::default()
    };
    let md = render(&register, t, &options, Format::Markdown).unwrap();
    assert!(
        md.contains("Period: 2025-06-30 to 2026-06-30 (365 days)"),
        "{md}"
    );
    assert!(md.contains("Dates are calendar dates in Australia/Sydney"));
    assert!(!md.contains("UTC calendar dates"));
    let html = render(&register, t, &options, Format::Html).unwrap();
    assert!(html.contains("Period: 2025-06-30 to 2026-06-30 (365 days)"));
    assert!(html.contains("Month (Australia/Sydney)"));
    assert!(html.contains("Month end (Australia/Sydney)"));
    let utc = render(&register, t, &ReportOptions::default(), Format::Markdown).unwrap();
    assert!(utc.contains("Period: 2025-06-29 to 2026-06-29 (365 days)"));
}
