//! `KpiView::open_items`: the items behind the counts agree with the KPIs,
//! and each item agrees with the register read directly.

use chrono::{Duration, TimeZone, Utc};
use isms_gen::{GeneratorConfig, generate};
use isms_kpi::{KpiView, Window};

#[test]
fn open_items_agree_with_the_counts_and_the_register() {
    let mut config = GeneratorConfig::new(600, 11);
    config.start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    config.span_days = 500;
    let g = generate(&config).unwrap();
    let view = KpiView::new(&g.register);
    let mut saw_overdue = false;
    for days in [30, 200, 420, 499, 530] {
        let t = config.start + Duration::days(days) + Duration::hours(7);
        let w = Window::new(t, 365).unwrap();
        let items = view.open_items(&w);
        let open = view.open_nonconformities(&w);
        assert_eq!(items.len() as u64, open.open, "as of {t}");
        let checks: u64 = items.iter().map(|i| u64::from(i.overdue_checks)).sum();
        assert_eq!(checks, view.overdue_verifications(&w).overdue, "as of {t}");
        let actions: u64 = items.iter().map(|i| u64::from(i.overdue_actions)).sum();
        assert!(actions <= view.overdue_actions(&w).overdue, "as of {t}");
        let today = t.date_naive();
        for item in &items {
            let nc = &g.register.nonconformities()[item.index];
            assert_eq!(Some(item.state), nc.state_as_of(t));
            assert_eq!(item.severity, nc.severity);
            assert_eq!(item.age_days, (t - nc.reported_at).num_days());
            // The due date in force at T, from the register's reschedules.
            let mut worst = 0i64;
            let mut overdue = 0u32;
            for a in nc.actions.iter().filter(|a| a.planned_at <= t) {
                let finished = a.completed_at.or(a.cancelled_at).is_some_and(|f| f <= t);
                if finished {
                    continue;
                }
                let due = a
                    .reschedules
                    .iter()
                    .rfind(|r| r.at <= t)
                    .map_or(a.original_due, |r| r.to);
                if due < today {
                    overdue += 1;
                    worst = worst.max((today - due).num_days());
                }
            }
            assert_eq!(item.overdue_actions, overdue, "{}", nc.reference);
            assert!(item.days_overdue >= worst);
            assert_eq!(
                item.days_overdue > 0,
                item.overdue_actions + item.overdue_checks > 0
            );
            saw_overdue |= item.days_overdue > 0;
        }
    }
    assert!(saw_overdue, "the register should have overdue items");
}
