//! An iCalendar (RFC 5545) file of what is due: one `VEVENT` per
//! [`DueEntry`], for a calendar to subscribe to or import.
//!
//! - Lines end in CRLF and are folded at 75 octets (never inside a UTF-8
//!   character), continuation lines starting with one space (3.1).
//! - Text values escape `\`, `;`, `,` and line breaks (3.3.11); control
//!   characters other than tab are dropped, as RFC 5545 does not allow them.
//! - A date-only deadline is an all-day event (`DTSTART;VALUE=DATE`, with
//!   `DTEND` the next day); a clock's deadline is an event at that instant in
//!   UTC, without an end.
//! - `UID` is the entry's stable uid with `@isms` after it, so importing the
//!   file again updates the events instead of adding copies; `SEQUENCE` is
//!   the item's version, which grows when the item changes; `DTSTAMP` is
//!   the instant the caller gives (when the file was written).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use isms_core::{ActorId, DueAt, DueEntry, DueKind};
//!
//! let deadline = Utc.with_ymd_and_hms(2026, 1, 13, 8, 30, 0).unwrap();
//! let entry = DueEntry {
//!     kind: DueKind::ReportingClock,
//!     uid: "nonconformity/x/clock/nis2/early_warning".into(),
//!     reference: "NC-0001".into(),
//!     title: "Unauthorised access; HR share".into(),
//!     subject: "Early warning (nis2/23.4.a)".into(),
//!     owner: ActorId::new("it-lead")?,
//!     due: DueAt::Instant(deadline),
//!     deadline,
//!     overdue: false,
//!     provisional: false,
//!     sequence: 3,
//! };
//! let ics = isms_report::render_ical(&[entry], deadline);
//! assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
//! assert!(ics.contains("DTSTART:20260113T083000Z\r\n"));
//! assert!(ics.contains("Unauthorised access\\; HR share"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, Days, Utc};
use isms_core::{DueAt, DueEntry};

/// The `PRODID` of the calendars written here.
pub const ICAL_PRODID: &str = "-//isms-improvement//isms due//EN";

/// The calendar of `entries`, stamped `dtstamp` (see the module docs).
pub fn render_ical(entries: &[DueEntry], dtstamp: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |text: &str| fold_into(&mut out, text);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line(&format!("PRODID:{ICAL_PRODID}"));
    line("CALSCALE:GREGORIAN");
    line("METHOD:PUBLISH");
    line("X-WR-CALNAME:ISMS due list");
    let stamp = utc(dtstamp);
    for e in entries {
        line("BEGIN:VEVENT");
        line(&format!("UID:{}", text(&format!("{}@isms", e.uid))));
        line(&format!("DTSTAMP:{stamp}"));
        line(&format!("SEQUENCE:{}", e.sequence.min(i32::MAX as u64)));
        match e.due {
            DueAt::Date(d) => {
                line(&format!("DTSTART;VALUE=DATE:{}", d.format("%Y%m%d")));
                if let Some(next) = d.checked_add_days(Days::new(1)) {
                    line(&format!("DTEND;VALUE=DATE:{}", next.format("%Y%m%d")));
                }
            }
            DueAt::Instant(t) => line(&format!("DTSTART:{}", utc(t))),
        }
        let overdue = if e.overdue { "OVERDUE: " } else { "" };
        line(&format!(
            "SUMMARY:{}",
            text(&format!("{overdue}{} {}", e.reference, e.subject))
        ));
        let mut description = format!(
            "{} {}\nDue from: {}\nKind: {}",
            e.reference,
            e.title,
            e.owner,
            e.kind.as_str()
        );
        if e.provisional {
            description.push_str(
                "\nProvisional: counted from the deadline of the report it follows, not yet sent",
            );
        }
        line(&format!("DESCRIPTION:{}", text(&description)));
        line(&format!("CATEGORIES:{}", text(e.kind.as_str())));
        line("TRANSP:TRANSPARENT");
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value (3.3.11): backslash, semicolon and comma escaped, a line
/// break as `\n`, other control characters dropped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded at 75 octets, each physical line ending in CRLF.
/// A run of blanks (any white space) where a fold falls moves to the next
/// line, so that a physical line ends in a blank only where the value does
/// (or a run of blanks fills a whole line): some readers trim the ends of
/// lines before unfolding them.
fn fold_into(out: &mut String, line: &str) {
    let mut current = String::new();
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            let keep = current.trim_end_matches(char::is_whitespace).len();
            let carry = if keep > 0 {
                current.split_off(keep)
            } else {
                String::new()
            };
            out.push_str(&current);
            out.push_str("\r\n ");
            current = carry;
            width = 1 + current.len();
            if width + len > 75 {
                out.push_str(&current);
                out.push_str("\r\n ");
                current.clear();
                width = 1;
            }
        }
        current.push(c);
        width += len;
    }
    out.push_str(&current);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(text("a,b;c\\d\ne\r\nf\u{7}g"), "a\\,b\\;c\\\\d\\ne\\nfg");
    }

    #[test]
    fn lines_fold_at_75_octets_without_splitting_a_character() {
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "é".repeat(60));
        fold_into(&mut out, &long);
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(physical.len() <= 75, "{} octets", physical.len());
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, long);
        // No physical line ends in a blank, whatever the widths around it.
        for pad in 60..80 {
            let mut out = String::new();
            let line = format!("{}  \t 😀 é {}", "x".repeat(pad), "y ".repeat(50));
            fold_into(&mut out, &line);
            let physical: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
            let (last, folded) = physical.split_last().unwrap();
            assert!(last.len() <= 75);
            for l in folded {
                assert!(l.len() <= 75);
                assert!(!l.ends_with(char::is_whitespace), "{l:?}");
            }
            assert_eq!(out.trim_end_matches("\r\n").replace("\r\n ", ""), line);
        }
    }
}
