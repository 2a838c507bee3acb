//! Turning argument text into the core's types. Enumerations go through
//! serde, so the accepted spellings are exactly the JSON ones.

use chrono::{DateTime, NaiveDate, Utc};
use isms_core::{IanaTimeZone, IsmsChange, IsmsChangeKind, Period, PeriodUnit, RootCause};
use serde::de::DeserializeOwned;

use crate::error::CliError;

/// The `source` values of a nonconformity.
pub const SOURCES: [&str; 10] = [
    "internal_audit",
    "external_audit",
    "incident",
    "monitoring",
    "management_review",
    "risk_assessment",
    "supplier",
    "complaint",
    "self_identified",
    "authority_order",
];

/// The `source` values of an improvement.
pub const IMPROVEMENT_SOURCES: [&str; 7] = [
    "audit",
    "management_review",
    "post_incident_review",
    "kpi_trend",
    "feedback",
    "risk_change",
    "nonconformity",
];

/// A snake_case enumeration value, as in the JSON documents.
pub fn enum_value<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, CliError> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_owned()))
        .map_err(|_| CliError::Usage(format!("{what}: {text:?} is not a known value")))
}

/// The snake_case name of an enumeration value.
pub fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".into(),
    }
}

/// The first day a time or date given on the command line may fall on.
///
/// Times outside [`FIRST_DAY`]..=[`LAST_DAY`] are refused at input, so that
/// every output carries what was recorded: XLSX stores dates from 1900 on,
/// and the KPIs count time in 64-bit nanoseconds, which span 292 years, so
/// the range is 251 years. No register of an information security
/// management system needs another. A time outside it (`--at 0001-01-01`,
/// `--at 9999-12-31`) used to be recorded, then broke the XLSX export and
/// the KPIs of every later command.
pub const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// The last day a time or date given on the command line may fall on (see
/// [`FIRST_DAY`]).
pub const LAST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2150, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

fn in_range(what: &str, text: &str, day: NaiveDate) -> Result<(), CliError> {
    if (FIRST_DAY..=LAST_DAY).contains(&day) {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "{what}: {text:?} is outside the range isms records, {FIRST_DAY} to {LAST_DAY} (UTC)"
    )))
}

/// An instant: RFC 3339 (`2026-03-02T09:00:00Z`) or a date, which is the
/// first instant of that day in `zone` (the organisation's time zone,
/// `Policy::time_zone`: `2026-03-02` is the 2nd of March there, not in
/// UTC); within [`FIRST_DAY`]..=[`LAST_DAY`] in UTC.
pub fn instant(what: &str, text: &str, zone: IanaTimeZone) -> Result<DateTime<Utc>, CliError> {
    let at = if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        t.with_timezone(&Utc)
    } else if let Ok(d) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        in_range(what, text, d)?;
        zone.start_of(d)
            .ok_or_else(|| CliError::Usage(format!("{what}: {text:?} has no start in {zone}")))?
    } else {
        return Err(CliError::Usage(format!(
            "{what}: {text:?} is not a time; write 2026-03-02T09:00:00Z or 2026-03-02"
        )));
    };
    // The range is of what is stored, the instant in UTC.
    in_range(what, text, at.date_naive())?;
    Ok(at)
}

/// A calendar date, `YYYY-MM-DD`, within [`FIRST_DAY`]..=[`LAST_DAY`].
pub fn date(what: &str, text: &str) -> Result<NaiveDate, CliError> {
    let day = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        CliError::Usage(format!("{what}: {text:?} is not a date; write 2026-03-02"))
    })?;
    in_range(what, text, day)?;
    Ok(day)
}

/// A window length in days: `365d`, `52w`, `12m` (30-day months) or a bare number of days.
pub fn window_days(text: &str) -> Result<u32, CliError> {
    let t = text.trim();
    let bad = || {
        CliError::Usage(format!(
            "--window: {text:?} is not a duration; write 365d, 52w or 12m"
        ))
    };
    let (digits, factor) = match t.char_indices().last() {
        Some((i, 'd')) => (&t[..i], 1),
        Some((i, 'w')) => (&t[..i], 7),
        Some((i, 'm')) => (&t[..i], 30),
        _ => (t, 1),
    };
    let n: u32 = digits.parse().map_err(|_| bad())?;
    n.checked_mul(factor).filter(|&d| d > 0).ok_or_else(bad)
}

/// A schedule period: `30d`, `2w`, `1m`.
pub fn period(what: &str, text: &str) -> Result<Period, CliError> {
    let t = text.trim();
    let bad = || {
        CliError::Usage(format!(
            "{what}: {text:?} is not a period; write 30d, 2w or 1m"
        ))
    };
    let (i, unit) = t.char_indices().last().ok_or_else(bad)?;
    let unit = match unit {
        'd' => PeriodUnit::Days,
        'w' => PeriodUnit::Weeks,
        'm' => PeriodUnit::Months,
        _ => return Err(bad()),
    };
    let count: u32 = t[..i].parse().map_err(|_| bad())?;
    Ok(Period { count, unit })
}

/// `CATEGORY:STATEMENT`.
pub fn root_cause(text: &str) -> Result<RootCause, CliError> {
    let (category, statement) = text.split_once(':').ok_or_else(|| {
        CliError::Usage(format!(
            "--cause: {text:?} needs CATEGORY:STATEMENT, e.g. process:no restore test in the backup procedure"
        ))
    })?;
    Ok(RootCause {
        category: enum_value("--cause category", category)?,
        statement: statement.trim().to_owned(),
    })
}

/// `KIND:DESCRIPTION`.
pub fn isms_change(text: &str) -> Result<IsmsChange, CliError> {
    let (kind, description) = text.split_once(':').ok_or_else(|| {
        CliError::Usage(format!(
            "--change: {text:?} needs KIND:DESCRIPTION, e.g. procedure:backup procedure v3"
        ))
    })?;
    let kind: IsmsChangeKind = enum_value("--change kind", kind)?;
    Ok(IsmsChange {
        kind,
        description: description.trim().to_owned(),
        requirement: None,
        document: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_in_days_weeks_and_months() {
        assert_eq!(window_days("365d").unwrap(), 365);
        assert_eq!(window_days("90").unwrap(), 90);
        assert_eq!(window_days("2w").unwrap(), 14);
        assert_eq!(window_days("12m").unwrap(), 360);
        for bad in ["", "0d", "d", "-3d", "1y", "4294967295w"] {
            assert!(window_days(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn instants_and_dates() {
        let utc = IanaTimeZone::UTC;
        let t = instant("--at", "2026-03-02T10:00:00+01:00", utc).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-02T09:00:00+00:00");
        let d = instant("--at", "2026-03-02", utc).unwrap();
        assert_eq!(d.to_rfc3339(), "2026-03-02T00:00:00+00:00");
        assert!(instant("--at", "yesterday", utc).is_err());
        assert!(date("--due", "2026-02-30").is_err());
    }

    /// A date given where an instant is asked (`--at 2026-03-02`) is that
    /// day in the organisation's zone: its first instant there, whichever
    /// side of the date line and of a DST change.
    #[test]
    fn a_date_as_an_instant_is_the_start_of_the_local_day() {
        let zone = |name: &str| -> IanaTimeZone { name.parse().unwrap() };
        let at = |text: &str, z: &str| instant("--at", text, zone(z)).unwrap().to_rfc3339();
        // Los Angeles: PST (-8) until 8 March 2026, PDT (-7) after. Midnight
        // UTC would be the afternoon of the day before there.
        assert_eq!(
            at("2026-03-02", "America/Los_Angeles"),
            "2026-03-02T08:00:00+00:00"
        );
        assert_eq!(
            at("2026-03-09", "America/Los_Angeles"),
            "2026-03-09T07:00:00+00:00"
        );
        // Auckland (+13 in summer) and Sydney (+11): the day starts the
        // evening before in UTC.
        assert_eq!(
            at("2026-03-02", "Pacific/Auckland"),
            "2026-03-01T11:00:00+00:00"
        );
        assert_eq!(
            at("2026-03-02", "Australia/Sydney"),
            "2026-03-01T13:00:00+00:00"
        );
        for z in [
            "America/Los_Angeles",
            "Pacific/Auckland",
            "Australia/Sydney",
        ] {
            let t = instant("--at", "2026-03-02", zone(z)).unwrap();
            assert_eq!(zone(z).date_of(t).to_string(), "2026-03-02", "{z}");
        }
        // Exact instants keep their own offset, whatever the zone.
        assert_eq!(
            at("2026-03-02T09:00:00Z", "Pacific/Auckland"),
            "2026-03-02T09:00:00+00:00"
        );
        // The range check still names the date given.
        assert!(instant("--at", "2151-01-01", zone("Pacific/Auckland")).is_err());
    }

    #[test]
    fn times_and_dates_stay_within_1900_to_2150() {
        for ok in [
            "1900-01-01",
            "1900-01-01T00:00:00Z",
            "2150-12-31T23:59:59Z",
            // Still 2150 in UTC: the range is UTC's.
            "2151-01-01T00:30:00+01:00",
        ] {
            assert!(instant("--at", ok, IanaTimeZone::UTC).is_ok(), "{ok}");
        }
        for bad in [
            "0001-01-01",
            "9999-12-31",
            "1899-12-31T23:59:59Z",
            "2151-01-01T00:00:00Z",
            "2150-12-31T23:00:00-01:00",
            "1900-01-01T00:30:00+01:00",
        ] {
            assert!(instant("--at", bad, IanaTimeZone::UTC).is_err(), "{bad}");
        }
        assert!(date("--due", "2150-12-31").is_ok());
        assert!(date("--due", "1900-01-01").is_ok());
        assert!(date("--due", "2151-01-01").is_err());
        assert!(date("--due", "1899-12-31").is_err());
    }

    #[test]
    fn enumerations_use_the_json_spellings() {
        let s: isms_core::Source = enum_value("--source", "internal_audit").unwrap();
        assert_eq!(s, isms_core::Source::InternalAudit);
        assert!(enum_value::<isms_core::Source>("--source", "InternalAudit").is_err());
        assert_eq!(
            name_of(&isms_core::NcState::ActionsPlanned),
            "actions_planned"
        );
        let cause = root_cause("technology: no monitoring").unwrap();
        assert_eq!(cause.statement, "no monitoring");
        assert!(root_cause("no colon").is_err());
        assert_eq!(period("p", "6m").unwrap(), Period::months(6));
        assert!(period("p", "6y").is_err());
    }

    #[test]
    fn the_source_lists_match_the_core() {
        for s in SOURCES {
            enum_value::<isms_core::Source>("s", s).unwrap();
        }
        for s in IMPROVEMENT_SOURCES {
            enum_value::<isms_core::ImprovementSource>("s", s).unwrap();
        }
    }
}
