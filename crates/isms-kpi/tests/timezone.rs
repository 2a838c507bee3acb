//! KPIs judge "overdue", "on time" and "which month" on the organisation's
//! calendar (`Window::in_zone`, `ReportOptions::time_zone`). Hand-computed
//! cases where Sydney (UTC+11 in March), Pago Pago (UTC-11) and UTC
//! disagree about the date.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use isms_core::*;
use isms_kpi::{KpiView, Window};

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// One nonconformity reported at `reported`, with one action due on
/// 2 March 2026, completed at `completed` if given.
fn register(reported: DateTime<Utc>, completed: Option<DateTime<Utc>>) -> Register {
    let policy = Policy::default();
    let mut r = Register::new();
    let ops = Actor::named("ops").unwrap();
    let nc = NonconformityId::v7(reported, 1);
    let action = ActionId::v7(reported, 2);
    let run = |r: &mut Register, at, c: Command| {
        r.execute(&c, &Context::new(at, ops.clone(), &policy))
            .unwrap();
    };
    let report = ReportNonconformity::new(
        nc,
        "t",
        "d",
        Source::Incident,
        Severity::Minor,
        ActorId::new("ops").unwrap(),
        reported,
    );
    run(&mut r, reported, report.into());
    let cause = RootCause::new(RootCauseCategory::Process, "cause");
    run(
        &mut r,
        reported,
        Command::analyse_root_cause(nc, AnalysisMethod::FiveWhys, vec![cause]),
    );
    run(
        &mut r,
        reported,
        Command::plan_action(
            nc,
            action,
            "fix",
            ActorId::new("ops").unwrap(),
            day(2026, 3, 2),
        ),
    );
    if let Some(done) = completed {
        run(&mut r, done, Command::complete_action(nc, action));
    }
    r
}

fn zone(name: &str) -> IanaTimeZone {
    name.parse().unwrap()
}

#[test]
fn an_open_action_is_overdue_from_the_local_next_day() {
    let view = KpiView::new(&register(utc(2026, 2, 20, 9), None));
    // 14:00 UTC on 2 March is 01:00 on 3 March in Sydney: overdue there only.
    let w = Window::year_to(utc(2026, 3, 2, 14)).unwrap();
    assert_eq!(view.overdue_actions(&w).overdue, 0);
    assert_eq!(
        view.overdue_actions(&w.in_zone(zone("Australia/Sydney")))
            .overdue,
        1
    );
    assert_eq!(
        view.overdue_actions(&w.in_zone(zone("Pacific/Pago_Pago")))
            .overdue,
        0
    );
}

#[test]
fn completion_is_on_time_by_the_local_date() {
    let t = utc(2026, 3, 31, 12);
    // 20:00 UTC on 2 March is 07:00 on 3 March in Sydney: late there.
    let view = KpiView::new(&register(utc(2026, 2, 20, 9), Some(utc(2026, 3, 2, 20))));
    let w = Window::year_to(t).unwrap();
    assert_eq!(view.action_timeliness(&w).on_time_original, 1);
    assert_eq!(
        view.action_timeliness(&w.in_zone(zone("Australia/Sydney")))
            .on_time_original,
        0
    );
    // 05:00 UTC on 3 March is 18:00 on 2 March in Pago Pago: on time there only.
    let view = KpiView::new(&register(utc(2026, 2, 20, 9), Some(utc(2026, 3, 3, 5))));
    assert_eq!(view.action_timeliness(&w).on_time_original, 0);
    assert_eq!(
        view.action_timeliness(&w.in_zone(zone("Pacific/Pago_Pago")))
            .on_time_original,
        1
    );
}

#[test]
fn the_backlog_trend_counts_in_local_months() {
    // 20:00 UTC on 28 February is 07:00 on 1 March in Sydney.
    let view = KpiView::new(&register(utc(2026, 2, 28, 20), None));
    let w = Window::new(utc(2026, 3, 15, 12), 30).unwrap();
    let opened = |w: &Window| -> Vec<(String, u64)> {
        view.backlog_trend(w)
            .months
            .into_iter()
            .map(|m| (m.month, m.opened))
            .collect()
    };
    assert_eq!(
        opened(&w),
        vec![("2026-02".into(), 1), ("2026-03".into(), 0)]
    );
    assert_eq!(
        opened(&w.in_zone(zone("Australia/Sydney"))),
        vec![("2026-02".into(), 0), ("2026-03".into(), 1)]
    );
}
