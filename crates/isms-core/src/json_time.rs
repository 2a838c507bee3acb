//! Instants and dates written to JSON without going through `fmt`.
//!
//! chrono serialises a `DateTime<Utc>` or a `NaiveDate` through its
//! `Display`, which `serde_json` receives one character at a time (each
//! character passes its string-escaping check on its own). Every event
//! carries instants and every item dozens, so on a register of a million
//! items that was the largest single cost of writing JSON
//! (docs/performance.md). These functions write the common case (a year
//! from 0 to 9999, whole seconds) as one string of fixed width, and leave
//! anything else to chrono: the text is the same either way, which the
//! property tests below check against chrono for any instant and date.
//!
//! Fields opt in with `#[serde(serialize_with = "crate::json_time::utc")]`
//! (or `utc_opt`, `date`, `date_opt`); reading is chrono's own.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::{Serialize, Serializer};

/// `YYYY-MM-DD` into `out[..10]`, if the year has four digits.
fn put_date(d: NaiveDate, out: &mut [u8]) -> bool {
    let Ok(year) = u32::try_from(d.year()) else {
        return false;
    };
    if year > 9999 || out.len() < 10 {
        return false;
    }
    put(&mut out[0..4], year);
    out[4] = b'-';
    put(&mut out[5..7], d.month());
    out[7] = b'-';
    put(&mut out[8..10], d.day());
    true
}

/// `value` in decimal, zero-padded to the width of `out`.
fn put(out: &mut [u8], mut value: u32) {
    for b in out.iter_mut().rev() {
        // `value % 10` is below 10: the cast keeps it.
        *b = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Serialises `t` as chrono does (`2024-03-12T09:30:00Z`).
pub(crate) fn utc<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let n = t.naive_utc();
    let time = n.time();
    let mut buf = *b"0000-00-00T00:00:00Z";
    // A leap second (nanoseconds of 1e9 or more) or a fraction has more to
    // say: chrono says it.
    if time.nanosecond() == 0 && put_date(n.date(), &mut buf) {
        put(&mut buf[11..13], time.hour());
        put(&mut buf[14..16], time.minute());
        put(&mut buf[17..19], time.second());
        if let Ok(text) = std::str::from_utf8(&buf) {
            return s.serialize_str(text);
        }
    }
    t.serialize(s)
}

/// Serialises `d` as chrono does (`2024-03-12`).
pub(crate) fn date<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = *b"0000-00-00";
    if put_date(*d, &mut buf)
        && let Ok(text) = std::str::from_utf8(&buf)
    {
        return s.serialize_str(text);
    }
    d.serialize(s)
}

/// An instant serialised by [`utc`].
struct Instant<'a>(&'a DateTime<Utc>);

impl Serialize for Instant<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        utc(self.0, s)
    }
}

/// A date serialised by [`date`].
struct Date<'a>(&'a NaiveDate);

impl Serialize for Date<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        date(self.0, s)
    }
}

/// [`utc`] for an optional instant (`null` when absent, as serde writes it).
pub(crate) fn utc_opt<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_some(&Instant(t)),
        None => s.serialize_none(),
    }
}

/// [`date`] for an optional date.
pub(crate) fn date_opt<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&Date(d)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Datelike, NaiveDate, Utc};
    use proptest::prelude::*;

    use super::{Date, Instant};

    fn ours<T: serde::Serialize>(value: T) -> String {
        serde_json::to_string(&value).unwrap()
    }

    /// Any instant chrono can hold: every year it knows (negative and
    /// five-digit ones included), fractions of every length, and leap
    /// seconds (a nanosecond count of 1e9 or more on the last second of
    /// a minute).
    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        let (min, max) = (
            DateTime::<Utc>::MIN_UTC.timestamp(),
            DateTime::<Utc>::MAX_UTC.timestamp(),
        );
        prop_oneof![
            // Whole seconds in the years registers hold: the fast path.
            (946_684_800i64..4_102_444_800).prop_map(|s| (s, 0u32)),
            // Fractions of each length.
            (
                946_684_800i64..4_102_444_800,
                prop_oneof![
                    (1u32..1000).prop_map(|ms| ms * 1_000_000),
                    (1u32..1_000_000).prop_map(|us| us * 1000),
                    1u32..1_000_000_000,
                ]
            ),
            // Leap seconds.
            (
                (0i64..100_000_000).prop_map(|m| m * 60 + 59),
                1_000_000_000u32..2_000_000_000
            ),
            // Anywhere in chrono's range.
            (min..=max, 0u32..1_000_000_000),
        ]
        .prop_filter_map("an instant chrono can hold", |(s, ns)| {
            DateTime::from_timestamp(s, ns)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn an_instant_reads_as_chrono_writes_it(t in instant()) {
            prop_assert_eq!(ours(Instant(&t)), ours(t));
            prop_assert_eq!(ours(Some(Instant(&t))), ours(Some(t)));
        }

        #[test]
        fn a_date_reads_as_chrono_writes_it(
            days in NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce()
        ) {
            let d = NaiveDate::from_num_days_from_ce_opt(days).unwrap();
            prop_assert_eq!(ours(Date(&d)), ours(d));
        }
    }

    #[test]
    fn the_edges_of_four_digit_years_read_as_chrono_writes_them() {
        for text in [
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "-0001-12-31T23:59:59Z",
            "+10000-01-01T00:00:00Z",
            "2024-02-29T12:00:00.5Z",
            "2016-12-31T23:59:60Z",
        ] {
            let t: DateTime<Utc> = serde_json::from_str(&format!("\"{text}\"")).unwrap();
            assert_eq!(ours(Instant(&t)), ours(t), "{text}");
            assert_eq!(ours(Date(&t.date_naive())), ours(t.date_naive()), "{text}");
        }
        // `null` for an absent one, as serde writes `Option`'s `None`.
        #[derive(serde::Serialize)]
        struct Fields {
            #[serde(serialize_with = "super::utc_opt")]
            at: Option<DateTime<Utc>>,
            #[serde(serialize_with = "super::date_opt")]
            on: Option<NaiveDate>,
        }
        assert_eq!(
            ours(Fields { at: None, on: None }),
            r#"{"at":null,"on":null}"#
        );
    }
}
