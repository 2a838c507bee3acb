//! The organisation's time zone: where its calendar dates are.
//!
//! Events are stamped in UTC, but due dates, check dates and detection
//! dates are calendar dates of the organisation: a check recorded at 08:30
//! in Sydney on its due date is on time, though it is still the day before
//! in UTC. [`crate::Policy::time_zone`] names the zone (IANA, such as
//! `Australia/Sydney`); every rule that compares an instant with a date
//! turns the instant into a date there first ([`IanaTimeZone::date_of`]).
//! The database is compiled in (chrono-tz): no clock and no system file is
//! read.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone as _, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A time-zone name that is not in the IANA database compiled in.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeZoneError {
    /// Unknown name.
    #[error(
        "{name:?} is not an IANA time-zone name: use one such as Europe/Berlin, Australia/Sydney or UTC (names are case-sensitive)"
    )]
    Unknown {
        /// The input.
        name: String,
    },
}

/// An IANA time zone, such as `Europe/Berlin`. Serialised as its name.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use isms_core::IanaTimeZone;
///
/// let sydney: IanaTimeZone = "Australia/Sydney".parse()?;
/// // 22:30 UTC on 1 March is 09:30 on 2 March in Sydney (summer time, +11).
/// let at = Utc.with_ymd_and_hms(2026, 3, 1, 22, 30, 0).unwrap();
/// assert_eq!(sydney.date_of(at), NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
/// assert_eq!(IanaTimeZone::UTC.date_of(at), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IanaTimeZone(chrono_tz::Tz);

impl IanaTimeZone {
    /// Coordinated Universal Time, the default.
    pub const UTC: IanaTimeZone = IanaTimeZone(chrono_tz::Tz::UTC);

    /// The zone with this IANA name (exact spelling).
    ///
    /// # Errors
    /// [`TimeZoneError::Unknown`] for a name not in the database.
    pub fn new(name: &str) -> Result<Self, TimeZoneError> {
        chrono_tz::Tz::from_str(name)
            .map(IanaTimeZone)
            .map_err(|_| TimeZoneError::Unknown {
                name: name.to_owned(),
            })
    }

    /// Its IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// Whether this is UTC.
    pub fn is_utc(&self) -> bool {
        self.0 == chrono_tz::Tz::UTC
    }

    /// The calendar date of `at` in this zone. At the very ends of the
    /// calendar, where the local date would fall outside chrono's range,
    /// it is the UTC date (never a panic).
    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        use chrono::Offset as _;
        let utc = at.naive_utc();
        let offset = self.0.offset_from_utc_datetime(&utc).fix();
        utc.checked_add_offset(offset)
            .map_or_else(|| at.date_naive(), |local| local.date())
    }

    /// The first instant of `date` in this zone (midnight, or the end of a
    /// gap where the clocks skip midnight). `None` only past the end of the
    /// calendar.
    pub fn start_of(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        let midnight = date.and_time(NaiveTime::MIN);
        // A gap lasts at most a few hours; try each quarter hour of the day.
        (0..96).find_map(|q| {
            let local = midnight + chrono::Duration::minutes(15 * q);
            self.0
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        })
    }

    /// The first instant of the day after `date` in this zone.
    pub fn end_of(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        self.start_of(date.checked_add_days(Days::new(1))?)
    }

    /// The chrono-tz zone, for a product's own conversions.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
}

impl Default for IanaTimeZone {
    fn default() -> Self {
        IanaTimeZone::UTC
    }
}

impl fmt::Display for IanaTimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for IanaTimeZone {
    type Err = TimeZoneError;
    fn from_str(s: &str) -> Result<Self, TimeZoneError> {
        IanaTimeZone::new(s)
    }
}

impl TryFrom<String> for IanaTimeZone {
    type Error = TimeZoneError;
    fn try_from(s: String) -> Result<Self, TimeZoneError> {
        IanaTimeZone::new(&s)
    }
}

impl From<IanaTimeZone> for String {
    fn from(z: IanaTimeZone) -> String {
        z.name().to_owned()
    }
}

impl From<chrono_tz::Tz> for IanaTimeZone {
    fn from(tz: chrono_tz::Tz) -> Self {
        IanaTimeZone(tz)
    }
}

impl JsonSchema for IanaTimeZone {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IanaTimeZone".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "minLength": 1,
            "examples": ["Europe/Berlin", "Australia/Sydney", "UTC"],
            "description": "An IANA time-zone name (case-sensitive). The organisation's calendar dates (due dates, check dates, detection dates) are dates in this zone."
        })
    }
}
