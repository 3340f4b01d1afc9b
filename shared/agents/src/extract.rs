//! Finding the JSON object in a model's answer. Models asked for JSON still wrap it in ```json
//! fences or add a sentence around it; the first complete top-level object is the answer.

use serde_json::Value;

/// Candidate starts tried before giving up: a long answer with a truncated object would
/// otherwise be re-parsed from every brace inside it.
const MAX_STARTS: usize = 64;

pub(crate) fn extract_json_object(text: &str) -> Result<Value, String> {
    let text = text.trim_start_matches('\u{feff}');
    let fenced = fenced_block(text).into_iter();
    let mut first_error = None;
    for candidate in fenced.chain(std::iter::once(text)) {
        for (start, _) in candidate.match_indices('{').take(MAX_STARTS) {
            let mut values = serde_json::Deserializer::from_str(&candidate[start..]).into_iter::<Value>();
            match values.next() {
                Some(Ok(value @ Value::Object(_))) => return Ok(value),
                Some(Err(error)) if first_error.is_none() => first_error = Some(error.to_string()),
                _ => {}
            }
        }
    }
    Err(match first_error {
        Some(error) => format!("the answer's JSON object is malformed or cut off ({error})"),
        None => "the answer contains no JSON object".to_owned(),
    })
}

/// The body of the first ``` fence (```json or bare), if the text has one.
fn fenced_block(text: &str) -> Option<&str> {
    let open = text.find("```")?;
    let after = &text[open + 3..];
    let body_start = after.find('\n')? + 1;
    let body = &after[body_start..];
    Some(match body.find("```") {
        Some(close) => &body[..close],
        None => body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_fenced_and_prose_wrapped_objects_are_found() {
        let cases = [
            r#"{"a": 1}"#,
            "```json\n{\"a\": 1}\n```",
            "```\n{\"a\": 1}\n```\nHope this helps!",
            "Here is the plan:\n\n{\"a\": 1}\n\nLet me know.",
            "\u{feff}  {\"a\": 1} {\"b\": 2}",
            "Note {not json} then {\"a\": 1}",
        ];
        for text in cases {
            assert_eq!(extract_json_object(text), Ok(json!({"a": 1})), "{text:?}");
        }
    }

    #[test]
    fn braces_inside_strings_do_not_confuse_it() {
        let text = r#"Result: {"code": "fn main() { println!(\"}\"); }", "n": 2}"#;
        assert_eq!(
            extract_json_object(text),
            Ok(json!({"code": "fn main() { println!(\"}\"); }", "n": 2}))
        );
    }

    #[test]
    fn arrays_and_scalars_are_not_objects() {
        assert!(extract_json_object("[1, 2]").unwrap_err().contains("no JSON object"));
        assert!(
            extract_json_object("I cannot help with that.")
                .unwrap_err()
                .contains("no JSON object")
        );
    }

    #[test]
    fn a_truncated_object_is_reported_as_cut_off() {
        let error = extract_json_object(r#"{"files": [{"path": "a.rs", "content": "fn"#).unwrap_err();
        assert!(error.contains("malformed or cut off"), "{error}");
    }
}
