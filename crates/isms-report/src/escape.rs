//! Escaping user text for HTML and Markdown. Every string that comes from
//! the register (titles, owners, descriptions, notes) or from the options
//! (organisation, title) goes through one of these before it is written.

/// Escapes text for HTML element content and double- or single-quoted
/// attribute values: `&`, `<`, `>`, `"` and `'` become character
/// references; everything else is kept.
///
/// ```
/// assert_eq!(
///     isms_report::escape_html(r#"<script>alert("x & y")</script>"#),
///     "&lt;script&gt;alert(&quot;x &amp; y&quot;)&lt;/script&gt;"
/// );
/// ```
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    push_html(&mut out, text);
    out
}

/// [`escape_html`], appending to `out`.
pub(crate) fn push_html(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newlines are not valid in
            // HTML text; show a replacement character rather than drop them.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// Escapes text for one Markdown table cell or one line of Markdown text:
/// the characters that start Markdown syntax are backslash-escaped, `<`,
/// `>` and `&` become HTML character references (Markdown passes raw HTML
/// through, so this is what stops injection in a wiki), the cell separator
/// `|` is escaped, and line breaks become spaces so the text stays in its
/// cell.
///
/// ```
/// assert_eq!(
///     isms_report::escape_markdown("a | b <i>*c*</i>\nd"),
///     r"a \| b &lt;i&gt;\*c\*&lt;/i&gt; d"
/// );
/// ```
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(escape_html("plain text"), "plain text");
        assert_eq!(escape_html("<a href='x'>"), "&lt;a href=&#39;x&#39;&gt;");
        assert_eq!(escape_html("&amp;"), "&amp;amp;");
        assert_eq!(escape_html("\"q\""), "&quot;q&quot;");
        assert_eq!(escape_html("a\u{0}b\u{7}"), "a\u{FFFD}b\u{FFFD}");
        assert_eq!(escape_html("line\nbreak ünïcödé"), "line\nbreak ünïcödé");
    }

    #[test]
    fn html_output_never_contains_raw_markup() {
        let nasty = "<script>alert(1)</script><img src=x onerror=alert(1)>\"'&";
        let e = escape_html(nasty);
        assert!(!e.contains('<') && !e.contains('>') && !e.contains('"') && !e.contains('\''));
    }

    #[test]
    fn markdown_escapes_syntax_and_html() {
        assert_eq!(escape_markdown("plain"), "plain");
        assert_eq!(escape_markdown("a|b"), r"a\|b");
        assert_eq!(escape_markdown("# not a heading"), r"\# not a heading");
        assert_eq!(
            escape_markdown("[link](javascript:x)"),
            r"\[link\](javascript:x)"
        );
        assert_eq!(escape_markdown("<script>"), "&lt;script&gt;");
        assert_eq!(escape_markdown("two\nlines"), "two lines");
        assert_eq!(escape_markdown(r"back\slash"), r"back\\slash");
    }
}
