//! What text may hold: the character classes the core's text check refuses
//! or counts as invisible, public so that outputs escape exactly the
//! characters that inputs are wary of.
//!
//! - Bidirectional embedding, override and isolate controls (U+202A to
//!   U+202E, U+2066 to U+2069) make a terminal or a browser show text in
//!   another order than it is stored ("Trojan Source", CVE-2021-42574): a
//!   title could read as something it does not say. Text refuses them. The
//!   marks U+200E, U+200F and U+061C only set the direction of neutral
//!   characters around them and are needed in right-to-left text; they are
//!   allowed, and escaped on a terminal as the others are.
//! - Zero-width and other invisible format characters (U+200B to U+200D,
//!   U+2060 to U+2064, U+FEFF, U+00AD, U+180E, U+034F, the Hangul fillers)
//!   are allowed inside text (a zero-width joiner is part of many scripts'
//!   spelling) but do not make text visible: a title made only of them and
//!   spaces is refused like an empty one.
//!
//! ```
//! use isms_core::text::{has_visible_char, is_bidi_control};
//! assert!(is_bidi_control('\u{202e}'));
//! assert!(!has_visible_char(" \u{200b}\u{feff} "));
//! assert!(has_visible_char("Backups\u{200d}"));
//! ```

/// A bidirectional embedding, override or isolate control: refused in text.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A bidirectional mark (LRM, RLM, ALM): allowed in text, invisible.
pub fn is_bidi_mark(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// A character that takes no room and shows nothing: zero-width spaces and
/// joiners, word joiners and invisible operators, the byte-order mark, the
/// soft hyphen, and fillers that render blank.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200d}'
            | '\u{2060}'..='\u{2064}'
            | '\u{feff}'
            | '\u{00ad}'
            | '\u{180e}'
            | '\u{034f}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{3164}'
            | '\u{ffa0}'
    )
}

/// Whether a character shows nothing by itself: white space, a control, a
/// bidirectional control or mark, or an invisible format character.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || is_bidi_control(c)
        || is_bidi_mark(c)
        || is_invisible_format(c)
}

/// Whether `s` has at least one character that shows.
pub fn has_visible_char(s: &str) -> bool {
    s.chars().any(|c| !is_invisible(c))
}

/// Whether a terminal or a table should show `c` escaped rather than as
/// it is: every control character (line breaks and tabs included, which
/// would start a forged row or shift a column), every bidirectional control
/// or mark, and every invisible format character.
pub fn needs_escape_on_terminal(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || is_bidi_mark(c) || is_invisible_format(c)
}
