//! Verification schedules: the seed's follow-ups, month-end arithmetic,
//! due and overdue checks, and refusal of endless or absurd schedules.

use isms_core::testkit::strategies;
use isms_core::*;
use proptest::prelude::*;

use crate::support::{at, day};

#[test]
fn monthly_restore_tests_keep_month_ends() {
    let s = VerificationSchedule::recurring_count(day(2026, 1, 31), Period::months(1), 6);
    assert_eq!(
        s.check_dates().unwrap(),
        [
            day(2026, 1, 31),
            day(2026, 2, 28),
            day(2026, 3, 31),
            day(2026, 4, 30),
            day(2026, 5, 31),
            day(2026, 6, 30)
        ]
    );
}

#[test]
fn quarterly_until_a_date_includes_the_end_date() {
    let s = VerificationSchedule::recurring_until(
        day(2026, 3, 31),
        Period::months(3),
        day(2026, 12, 31),
    );
    assert_eq!(
        s.check_dates().unwrap(),
        [
            day(2026, 3, 31),
            day(2026, 6, 30),
            day(2026, 9, 30),
            day(2026, 12, 31)
        ]
    );
    let weekly =
        VerificationSchedule::recurring_until(day(2026, 1, 1), Period::weeks(1), day(2026, 1, 21));
    assert_eq!(weekly.check_dates().unwrap().len(), 3);
}

#[test]
fn due_and_overdue_as_of_an_instant() {
    let s = VerificationSchedule::recurring_count(day(2026, 1, 10), Period::days(10), 3);
    let states = s.check_states(at(2026, 1, 20), |i| i == 0).unwrap();
    let got: Vec<_> = states.iter().map(|c| c.state).collect();
    assert_eq!(
        got,
        [CheckState::Done, CheckState::Due, CheckState::Upcoming]
    );
    let later = s.check_states(at(2026, 1, 21), |_| false).unwrap();
    let got: Vec<_> = later.iter().map(|c| c.state).collect();
    assert_eq!(
        got,
        [
            CheckState::Overdue,
            CheckState::Overdue,
            CheckState::Upcoming
        ]
    );
}

#[test]
fn bad_schedules_are_refused_with_the_reason() {
    let zero = VerificationSchedule::recurring_count(day(2026, 1, 1), Period::months(1), 0);
    assert!(matches!(
        zero.validate(),
        Err(ScheduleError::BadCount { count: 0, .. })
    ));
    let empty_period = VerificationSchedule::watch_window(day(2026, 1, 1), Period::days(0));
    assert!(matches!(
        empty_period.validate(),
        Err(ScheduleError::BadPeriod { count: 0 })
    ));
    let backwards =
        VerificationSchedule::recurring_until(day(2026, 5, 1), Period::days(1), day(2026, 4, 1));
    assert!(matches!(
        backwards.validate(),
        Err(ScheduleError::EndsBeforeStart { .. })
    ));
    let daily_for_ever =
        VerificationSchedule::recurring_until(day(2026, 1, 1), Period::days(1), day(2030, 1, 1));
    assert!(matches!(
        daily_for_ever.validate(),
        Err(ScheduleError::BadCount { .. })
    ));
    let huge = VerificationSchedule::watch_window(day(2026, 1, 1), Period::months(1000));
    assert!(matches!(
        huge.validate(),
        Err(ScheduleError::TooLong { .. })
    ));
    let end_of_time = VerificationSchedule::watch_window(chrono::NaiveDate::MAX, Period::days(1));
    assert!(matches!(
        end_of_time.validate(),
        Err(ScheduleError::OutOfCalendar { .. })
    ));
}

proptest! {
    #[test]
    fn valid_schedules_yield_sorted_bounded_dates(s in strategies::schedule()) {
        let dates = s.check_dates().unwrap();
        prop_assert!(!dates.is_empty());
        prop_assert!(dates.len() as u32 <= MAX_CHECKS);
        prop_assert!(dates.windows(2).all(|w| w[0] < w[1]));
        prop_assert_eq!(dates[0], s.first_date());
    }

    #[test]
    fn any_schedule_value_never_panics(
        first in strategies::date(), count in any::<u32>(), n in any::<u32>(), unit in 0u8..3, until in strategies::date()
    ) {
        let unit = [PeriodUnit::Days, PeriodUnit::Weeks, PeriodUnit::Months][unit as usize];
        let every = Period { count: n, unit };
        for s in [
            VerificationSchedule::recurring_count(first, every, count),
            VerificationSchedule::recurring_until(first, every, until),
            VerificationSchedule::watch_window(first, every),
        ] {
            let _ = s.check_dates();
        }
    }
}
