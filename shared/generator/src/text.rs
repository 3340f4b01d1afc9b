//! Making free text (names, briefs, stories an LLM wrote) safe where templates put it: on one
//! line of a comment or of markdown, inside a string literal, in a markdown table cell.

/// One line: every run of whitespace (newlines included) becomes one space, control characters go.
pub(crate) fn line(text: &str) -> String {
    let kept: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max` characters of `line(text)`, cut at a word when one is near.
pub(crate) fn clip(text: &str, max: usize) -> String {
    let one = line(text);
    if one.chars().count() <= max {
        return one;
    }
    let cut: String = one.chars().take(max).collect();
    let at_word = match cut.rfind(' ') {
        Some(space) if space > cut.len() / 2 => &cut[..space],
        _ => &cut,
    };
    format!("{}…", at_word.trim_end_matches([' ', ',', ';', ':']))
}

/// The brief's first sentence, on one line.
pub(crate) fn first_sentence(brief: &str) -> String {
    let end = brief.find(['.', '!', '?', '\n']).unwrap_or(brief.len());
    let first = line(&brief[..end]);
    if first.is_empty() { line(brief) } else { first }
}

/// A double-quoted string literal valid in Rust, Python, TOML, JSON and TypeScript alike:
/// only `\\` and `\"` are escaped, and control characters (whose escapes differ) are dropped.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in line(text).chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for a markdown table cell: one line, `|` escaped.
pub(crate) fn cell(text: &str) -> String {
    line(text).replace('|', "\\|")
}

/// Inline code: backticks inside would end it early, so they become quotes.
pub(crate) fn code(text: &str) -> String {
    format!("`{}`", line(text).replace('`', "'"))
}

/// A path as given by an agent, short enough to report (a refused path can be any length).
pub(crate) fn shorten(raw: &str, max_bytes: usize) -> String {
    if raw.len() <= max_bytes {
        return raw.to_owned();
    }
    let mut end = max_bytes;
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &raw[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_is_made_safe_for_its_place() {
        assert_eq!(line("  a\n\tb\u{0}c  "), "a b c");
        assert_eq!(quote("say \"hi\" \\ bye\nnow"), r#""say \"hi\" \\ bye now""#);
        assert_eq!(cell("a | b\nc"), "a \\| b c");
        assert_eq!(code("a`b"), "`a'b`");
        assert_eq!(first_sentence("Track loans. Members borrow."), "Track loans");
        assert_eq!(first_sentence("...rest"), "...rest");
        assert_eq!(clip("one two three four", 9), "one two…");
        assert_eq!(shorten("ééé", 3), "é…");
    }
}
