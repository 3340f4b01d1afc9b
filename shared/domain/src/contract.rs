//! What makes an agent's output contract acceptable before any run reaches it: a JSON Schema
//! for an object, whose references all point inside itself, and whose work is bounded. A
//! contract is user input that later drives a validator and the offline provider's placeholder
//! builder, so its size, its nesting, the sizes it asks for and the size of the smallest value
//! meeting it are all capped here, once, at creation and again before every run.

use serde_json::{Map, Value};

/// Every JSON value in the contract counts, keys' values included.
pub const MAX_NODES: usize = 5_000;
/// The largest `minLength` a contract may ask for, in characters.
pub const MAX_MIN_LENGTH: u64 = 65_536;
/// The largest `minItems` / `minProperties` / `minContains`.
pub const MAX_MIN_ITEMS: u64 = 1_000;
/// The most JSON values the smallest output meeting the contract may need (references expanded).
pub const MAX_MINIMAL_OUTPUT_NODES: usize = 20_000;
/// How deep references may expand while building that smallest output.
const MAX_EXPANSION_DEPTH: usize = 64;

/// Why a contract is refused; `Display` is the reason given with `output_contract`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    #[error("must be a JSON Schema object describing a JSON object (\"type\": \"object\")")]
    NotAnObjectSchema,
    #[error("has {0} JSON values; at most {MAX_NODES} are allowed")]
    TooManyNodes(usize),
    #[error(
        "`$ref` {0:?} does not point inside the contract: only local references (`#`, `#/$defs/…`) are allowed, and nothing is ever fetched"
    )]
    RemoteReference(String),
    #[error("`$ref` {0:?} points at nothing in the contract")]
    MissingReference(String),
    #[error("`{0}` is not supported in a contract: use local `#/$defs/…` references")]
    UnsupportedKeyword(&'static str),
    #[error("`{keyword}` is {value}; at most {max} is allowed")]
    TooLarge {
        keyword: &'static str,
        value: u64,
        max: u64,
    },
    #[error(
        "the smallest output meeting it would have over {MAX_MINIMAL_OUTPUT_NODES} values (or requires itself without end)"
    )]
    Unbounded,
}

/// Checks `schema` against every rule above.
pub fn check(schema: &Value) -> Result<(), ContractError> {
    let Some(root) = schema.as_object() else {
        return Err(ContractError::NotAnObjectSchema);
    };
    // Without `"type": "object"` a schema may still admit no object at all (`{"const": 5}`,
    // `{"not": {}}`), and no step could ever meet it.
    let describes_object = match root.get("type") {
        None => false,
        Some(Value::String(kind)) => kind == "object",
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "object"),
        Some(_) => false,
    };
    if !describes_object {
        return Err(ContractError::NotAnObjectSchema);
    }
    let nodes = count_nodes(schema);
    if nodes > MAX_NODES {
        return Err(ContractError::TooManyNodes(nodes));
    }
    check_keywords(schema, schema)?;
    let mut budget = MAX_MINIMAL_OUTPUT_NODES;
    minimal_output(schema, schema, 0, &mut budget)
}

fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Object(map) => map.values().map(count_nodes).sum(),
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        _ => 0,
    }
}

/// The target of a local reference: `#` (the root) or a JSON pointer `#/…`.
pub fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    if pointer.is_empty() {
        return Some(root);
    }
    if !pointer.starts_with('/') {
        return None;
    }
    // JSON pointers in a URI fragment may percent-encode; a contract's never need to.
    root.pointer(pointer)
}

fn check_keywords(root: &Value, value: &Value) -> Result<(), ContractError> {
    match value {
        Value::Object(map) => {
            for keyword in [
                "$id",
                "$anchor",
                "$dynamicAnchor",
                "$dynamicRef",
                "$recursiveRef",
                "$recursiveAnchor",
            ] {
                if map.contains_key(keyword) {
                    return Err(ContractError::UnsupportedKeyword(keyword));
                }
            }
            if let Some(reference) = map.get("$ref") {
                let reference = reference.as_str().unwrap_or_default();
                if !reference.starts_with('#') {
                    return Err(ContractError::RemoteReference(reference.to_owned()));
                }
                if resolve(root, reference).is_none() {
                    return Err(ContractError::MissingReference(reference.to_owned()));
                }
            }
            for (keyword, max) in [
                ("minLength", MAX_MIN_LENGTH),
                ("minItems", MAX_MIN_ITEMS),
                ("minProperties", MAX_MIN_ITEMS),
                ("minContains", MAX_MIN_ITEMS),
            ] {
                if let Some(value) = map.get(keyword).and_then(Value::as_f64)
                    && value > max as f64
                {
                    return Err(ContractError::TooLarge {
                        keyword,
                        value: value as u64,
                        max,
                    });
                }
            }
            map.values().try_for_each(|child| check_keywords(root, child))
        }
        Value::Array(items) => items.iter().try_for_each(|child| check_keywords(root, child)),
        _ => Ok(()),
    }
}

/// Spends `budget` on the values the smallest output meeting `schema` needs: required
/// properties, `minItems` elements, the first branch of `anyOf`/`oneOf`, every `allOf` part,
/// references followed. Running out, or expanding deeper than any finite output would, refuses.
fn minimal_output(root: &Value, schema: &Value, depth: usize, budget: &mut usize) -> Result<(), ContractError> {
    let Some(map) = schema.as_object() else {
        return spend(budget, 1, depth);
    };
    // A string's characters count too, a value per 64 of them.
    let characters = map.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    spend(budget, 1 + characters / 64, depth)?;
    if let Some(target) = map.get("$ref").and_then(Value::as_str).and_then(|r| resolve(root, r)) {
        return minimal_output(root, target, depth + 1, budget);
    }
    if ["const", "enum", "default", "examples"]
        .iter()
        .any(|k| map.contains_key(*k))
    {
        return Ok(());
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(first) = map.get(key).and_then(Value::as_array).and_then(|a| a.first()) {
            return minimal_output(root, first, depth + 1, budget);
        }
    }
    if let Some(parts) = map.get("allOf").and_then(Value::as_array) {
        for part in parts {
            minimal_output(root, part, depth + 1, budget)?;
        }
    }
    required_children(root, map, depth, budget)
}

fn spend(budget: &mut usize, cost: usize, depth: usize) -> Result<(), ContractError> {
    if depth > MAX_EXPANSION_DEPTH {
        return Err(ContractError::Unbounded);
    }
    *budget = budget.checked_sub(cost).ok_or(ContractError::Unbounded)?;
    Ok(())
}

fn required_children(
    root: &Value,
    map: &Map<String, Value>,
    depth: usize,
    budget: &mut usize,
) -> Result<(), ContractError> {
    let properties = map.get("properties").and_then(Value::as_object);
    let required = map.get("required").and_then(Value::as_array).into_iter().flatten();
    for key in required.filter_map(Value::as_str) {
        match properties.and_then(|p| p.get(key)) {
            Some(child) => minimal_output(root, child, depth + 1, budget)?,
            None => *budget = budget.checked_sub(1).ok_or(ContractError::Unbounded)?,
        }
    }
    // An array's first elements follow `prefixItems`, the rest `items`, up to `minItems`: the
    // offline provider builds every one of them, so each counts.
    let min_items = map.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
    let prefix = map
        .get("prefixItems")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let items = map.get("items").filter(|items| items.is_object());
    for i in 0..min_items.max(prefix.len()) {
        match prefix.get(i).or(items) {
            Some(element) => minimal_output(root, element, depth + 1, budget)?,
            None => spend(budget, 1, depth)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ordinary_contracts_pass() {
        for schema in [
            json!({"type": "object", "required": ["summary"], "properties": {"summary": {"type": "string", "minLength": 10}}}),
            json!({"type": "object", "required": ["a"], "properties": {"a": {"$ref": "#/$defs/thing"}}, "$defs": {"thing": {"type": "integer"}}}),
            json!({"type": "object", "required": ["pair"], "properties": {"pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}}}),
            json!({"type": ["object", "null"], "properties": {"next": {"$ref": "#"}}}),
            json!({"type": "object", "properties": {"tags": {"type": "array", "minItems": 3, "items": {"type": "string"}}}, "required": ["tags"]}),
        ] {
            assert_eq!(check(&schema), Ok(()), "{schema}");
        }
    }

    #[test]
    fn contracts_that_can_never_be_met_are_refused_with_the_reason() {
        let cases = [
            (json!("object"), ContractError::NotAnObjectSchema),
            (json!([]), ContractError::NotAnObjectSchema),
            (json!({"type": "string"}), ContractError::NotAnObjectSchema),
            (json!({"const": 5}), ContractError::NotAnObjectSchema),
            (json!({"not": {}}), ContractError::NotAnObjectSchema),
            (
                json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}),
                ContractError::MissingReference("#/$defs/missing".into()),
            ),
            (
                json!({"type": "object", "properties": {"a": {"$ref": "https://example.com/schema.json"}}}),
                ContractError::RemoteReference("https://example.com/schema.json".into()),
            ),
            (
                json!({"type": "object", "properties": {"a": {"$ref": "http://169.254.169.254/latest"}}}),
                ContractError::RemoteReference("http://169.254.169.254/latest".into()),
            ),
            (
                json!({"type": "object", "properties": {"a": {"$ref": "file:///etc/passwd"}}}),
                ContractError::RemoteReference("file:///etc/passwd".into()),
            ),
            (
                json!({"type": "object", "properties": {"a": {"$ref": "other.json#/x"}}}),
                ContractError::RemoteReference("other.json#/x".into()),
            ),
            (
                json!({"$id": "https://example.com/s", "type": "object"}),
                ContractError::UnsupportedKeyword("$id"),
            ),
        ];
        for (schema, expected) in cases {
            assert_eq!(check(&schema), Err(expected), "{schema}");
        }
    }

    #[test]
    fn the_work_a_contract_can_cause_is_bounded() {
        let huge_string = json!({"type": "object", "required": ["s"], "properties": {"s": {"type": "string", "minLength": 5_000_000}}});
        assert!(matches!(
            check(&huge_string),
            Err(ContractError::TooLarge {
                keyword: "minLength",
                ..
            })
        ));
        let many_items = json!({"type": "object", "properties": {"a": {"type": "array", "minItems": 100_000}}});
        assert!(matches!(
            check(&many_items),
            Err(ContractError::TooLarge {
                keyword: "minItems",
                ..
            })
        ));

        // Each level requires two copies of the root: 2^depth values.
        let doubling =
            json!({"type": "object", "required": ["l", "r"], "properties": {"l": {"$ref": "#"}, "r": {"$ref": "#"}}});
        assert_eq!(check(&doubling), Err(ContractError::Unbounded));
        let endless = json!({"type": "object", "required": ["next"], "properties": {"next": {"$ref": "#"}}});
        assert_eq!(check(&endless), Err(ContractError::Unbounded));
        // Long strings add up: 1,000 of 65,536 characters each.
        let many_long = json!({
            "type": "object", "required": ["a"],
            "properties": {"a": {"type": "array", "minItems": 1000, "items": {"type": "string", "minLength": 65536}}}
        });
        assert_eq!(check(&many_long), Err(ContractError::Unbounded));
        // Arrays multiply too: 1,000 × 1,000 × 1,000.
        let cube = json!({
            "type": "object", "required": ["a"],
            "properties": {"a": {"$ref": "#/$defs/m"}},
            "$defs": {"m": {"type": "array", "minItems": 1000, "items": {"type": "array", "minItems": 1000, "items": {"type": "array", "minItems": 1000}}}}
        });
        assert_eq!(check(&cube), Err(ContractError::Unbounded));

        // Tuples multiply like arrays: 32 copies of itself per level.
        let tuples = json!({
            "type": "object", "required": ["m"],
            "properties": {"m": {"$ref": "#/$defs/m"}},
            "$defs": {"m": {"type": "array", "prefixItems": vec![json!({"$ref": "#/$defs/m"}); 32]}}
        });
        assert_eq!(check(&tuples), Err(ContractError::Unbounded));

        let wide: Map<String, Value> = (0..MAX_NODES).map(|i| (format!("p{i}"), json!({}))).collect();
        let too_big = json!({"type": "object", "properties": wide});
        assert!(matches!(check(&too_big), Err(ContractError::TooManyNodes(_))));
    }
}
