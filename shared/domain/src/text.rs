//! Rules shared by every free-text field: trimmed, non-empty, bounded, no control characters.

use crate::ValidationError;

/// Checks `value` for the field `field` and returns it trimmed.
pub fn bounded(field: &str, value: &str, max_chars: usize, allow_newlines: bool) -> Result<String, ValidationError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    let chars = trimmed.chars().count();
    if chars > max_chars {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max_chars} characters (got {chars})"),
        ));
    }
    let allowed = |c: char| !c.is_control() || (allow_newlines && matches!(c, '\n' | '\r' | '\t'));
    if let Some(c) = trimmed.chars().find(|&c| !allowed(c)) {
        return Err(ValidationError::new(
            field,
            format!("must not contain control characters (found U+{:04X})", c as u32),
        ));
    }
    Ok(trimmed.to_owned())
}

/// `text` as a name safe for directories and branches: lower-case ASCII letters and digits, one
/// `-` between words, whole words up to `max_bytes` (`Add a field ISBN to books!` →
/// `add-a-field-isbn-to-books`). Empty when `text` has no such word.
pub fn slug(text: &str, max_bytes: usize) -> String {
    let lower = text.to_lowercase();
    let mut slug = String::new();
    for word in lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let separator = usize::from(!slug.is_empty());
        if slug.len() + separator + word.len() > max_bytes {
            break;
        }
        if separator == 1 {
            slug.push('-');
        }
        slug.push_str(word);
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_whole_ascii_words_up_to_the_bound() {
        assert_eq!(slug("Add a field ISBN to books!", 40), "add-a-field-isbn-to-books");
        assert_eq!(slug("  Lending   library — v2 ", usize::MAX), "lending-library-v2");
        assert_eq!(slug("one two three", 7), "one-two");
        assert_eq!(slug("abcdefgh", 8), "abcdefgh");
        assert_eq!(slug("¿Qué?", usize::MAX), "qu");
        assert_eq!(slug("***", 40), "");
    }

    #[test]
    fn accepts_and_trims_ordinary_text() {
        assert_eq!(bounded("name", "  hello  ", 10, false).unwrap(), "hello");
    }

    #[test]
    fn refusals_name_the_field_and_the_reason() {
        let cases = [
            ("", "must not be empty"),
            ("   ", "must not be empty"),
            ("01234567890", "at most 10"),
            ("a\u{0}b", "control characters"),
            ("a\nb", "control characters"),
        ];
        for (input, reason) in cases {
            let err = bounded("name", input, 10, false).unwrap_err();
            assert_eq!(err.field, "name");
            assert!(err.message.contains(reason), "{input:?}: {}", err.message);
        }
    }

    #[test]
    fn multi_line_fields_keep_newlines_but_not_other_controls() {
        assert!(bounded("brief", "line one\nline two", 100, true).is_ok());
        assert!(bounded("brief", "bell\u{7}", 100, true).is_err());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(bounded("name", "ééééé", 5, false).is_ok());
    }
}
