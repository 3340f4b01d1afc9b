//! Placeholder output for a contract the offline provider has no role for: walk the schema and
//! build the smallest value it asks for — required properties, `minItems` elements, strings
//! long enough, numbers in range — with text drawn from the project where a string is free.
//!
//! Handled: `type` (first non-null), `const`, `enum`, `default`, `examples`, `anyOf`/`oneOf`
//! (first branch), `allOf` (objects merged), local `$ref`s (`#/$defs/…`, `#/definitions/…`),
//! `properties`/`required`, `items`/`prefixItems`/`minItems`, `minLength`/`maxLength`, common
//! `format`s, `minimum`/`maximum`/`exclusive*`/`multipleOf`. Not handled: `pattern`, `not`,
//! `if`/`then`/`else`, `dependent*`, `contains`, `uniqueItems` beyond one item, remote `$ref`s —
//! the caller validates the result and reports a contract error when these bite.

use std::cell::Cell;

use forgeflow_domain::contract::MAX_MINIMAL_OUTPUT_NODES;
use serde_json::{Map, Number, Value, json};

use super::Context;

const MAX_DEPTH: usize = 24;

pub(super) fn fill(schema: &Value, context: &Context) -> Value {
    let walker = Walker {
        root: schema,
        text: context.summary(),
        title: context.title(),
        budget: Cell::new(MAX_MINIMAL_OUTPUT_NODES),
    };
    walker.value(schema, "value", 0)
}

struct Walker<'a> {
    root: &'a Value,
    text: String,
    title: String,
    /// Values left to build. `contract::check` refuses contracts whose smallest output is larger,
    /// so this only bites if its estimate and this walk ever disagree: the walk then stops
    /// (the result fails validation) instead of growing without end.
    budget: Cell<usize>,
}

impl Walker<'_> {
    fn value(&self, schema: &Value, name: &str, depth: usize) -> Value {
        let Some(left) = self.budget.get().checked_sub(1) else {
            return Value::Null;
        };
        self.budget.set(left);
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        let Some(map) = schema.as_object() else {
            return Value::Null;
        };
        if let Some(target) = map.get("$ref").and_then(Value::as_str).and_then(|r| self.resolve(r)) {
            return self.value(target, name, depth + 1);
        }
        if let Some(value) = map.get("const") {
            return value.clone();
        }
        for key in ["enum", "examples"] {
            if let Some(first) = map.get(key).and_then(Value::as_array).and_then(|a| a.first()) {
                return first.clone();
            }
        }
        if let Some(value) = map.get("default") {
            return value.clone();
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(first) = map.get(key).and_then(Value::as_array).and_then(|a| a.first()) {
                return self.value(first, name, depth + 1);
            }
        }
        if let Some(parts) = map.get("allOf").and_then(Value::as_array) {
            let mut merged = Map::new();
            for part in parts {
                if let Value::Object(object) = self.value(part, name, depth + 1) {
                    merged.extend(object);
                }
            }
            if let Value::Object(own) = self.typed(map, name, depth) {
                merged.extend(own);
            }
            return Value::Object(merged);
        }
        self.typed(map, name, depth)
    }

    fn typed(&self, map: &Map<String, Value>, name: &str, depth: usize) -> Value {
        let kind = match map.get("type") {
            Some(Value::String(kind)) => kind.as_str(),
            Some(Value::Array(kinds)) => kinds
                .iter()
                .filter_map(Value::as_str)
                .find(|k| *k != "null")
                .unwrap_or("null"),
            _ if map.contains_key("properties") || map.contains_key("required") => "object",
            _ if map.contains_key("items") || map.contains_key("prefixItems") => "array",
            _ => "string",
        };
        match kind {
            "object" => self.object(map, depth),
            "array" => self.array(map, name, depth),
            "integer" | "number" => number(map, kind == "integer"),
            "boolean" => Value::Bool(false),
            "null" => Value::Null,
            _ => Value::String(self.string(map, name)),
        }
    }

    fn object(&self, map: &Map<String, Value>, depth: usize) -> Value {
        let properties = map.get("properties").and_then(Value::as_object);
        let required = map
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str);
        let mut out = Map::new();
        for key in required {
            let schema = properties.and_then(|p| p.get(key)).cloned().unwrap_or(json!({}));
            out.insert(key.to_owned(), self.value(&schema, key, depth + 1));
        }
        Value::Object(out)
    }

    fn array(&self, map: &Map<String, Value>, name: &str, depth: usize) -> Value {
        let min = map.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
        let prefix: Vec<&Value> = map
            .get("prefixItems")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        let items = map.get("items").filter(|items| items.is_object());
        let count = min.max(prefix.len()).min(32);
        (0..count)
            .map(|i| match prefix.get(i).copied().or(items) {
                Some(schema) => self.value(schema, name, depth + 1),
                None => Value::Null,
            })
            .collect()
    }

    fn string(&self, map: &Map<String, Value>, name: &str) -> String {
        let by_format = match map.get("format").and_then(Value::as_str) {
            Some("date-time") => Some("2026-01-01T00:00:00Z".to_owned()),
            Some("date") => Some("2026-01-01".to_owned()),
            Some("time") => Some("00:00:00Z".to_owned()),
            Some("email") => Some("team@example.com".to_owned()),
            Some("uri" | "url" | "iri") => Some("https://example.com/".to_owned()),
            Some("uuid") => Some("00000000-0000-4000-8000-000000000000".to_owned()),
            Some("hostname") => Some("example.com".to_owned()),
            Some("ipv4") => Some("192.0.2.1".to_owned()),
            Some("ipv6") => Some("2001:db8::1".to_owned()),
            _ => None,
        };
        let mut text = by_format.unwrap_or_else(|| {
            let about = if self.text.is_empty() { &self.title } else { &self.text };
            match name {
                "title" | "name" => self.title.clone(),
                _ => format!("{}: {about}", name.replace('_', " ")),
            }
        });
        // Counted once: the string is padded in one step, never re-counted per piece.
        let min = map.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let have = text.chars().count();
        if have < min {
            let pieces = (min - have).div_ceil(2);
            text.reserve(pieces * " …".len());
            text.extend(std::iter::repeat_n(" …", pieces));
        }
        if let Some(max) = map.get("maxLength").and_then(Value::as_u64) {
            text = text.chars().take(max as usize).collect();
        }
        text
    }

    /// Local references only: a contract never makes us fetch anything.
    fn resolve(&self, reference: &str) -> Option<&Value> {
        let pointer = reference.strip_prefix('#')?;
        if pointer.is_empty() {
            Some(self.root)
        } else {
            self.root.pointer(pointer)
        }
    }
}

/// The smallest multiple of `multipleOf` (default 1) inside the bounds; 1 when unbounded, a
/// safe guess for counts and sizes.
fn number(map: &Map<String, Value>, integer: bool) -> Value {
    let get = |key: &str| map.get(key).and_then(Value::as_f64);
    let step = get("multipleOf").filter(|m| *m > 0.0).unwrap_or(1.0);
    let above = |bound: f64| ((bound / step).floor() + 1.0) * step;
    let mut value = match (get("minimum"), get("exclusiveMinimum")) {
        (Some(min), _) => (min / step).ceil() * step,
        (None, Some(bound)) => above(bound),
        (None, None) => step,
    };
    if let Some(bound) = get("exclusiveMinimum").filter(|bound| value <= *bound) {
        value = above(bound);
    }
    if let Some(max) = get("maximum").filter(|max| value > *max) {
        value = (max / step).floor() * step;
    }
    if let Some(bound) = get("exclusiveMaximum").filter(|bound| value >= *bound) {
        value = ((bound / step).ceil() - 1.0) * step;
    }
    if integer {
        return Value::Number(Number::from(value.round() as i64));
    }
    Number::from_f64(value).map(Value::Number).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use forgeflow_domain::agent::AgentRole;
    use forgeflow_domain::catalog::builtin_agent;
    use forgeflow_domain::project::Template;
    use serde_json::json;

    use crate::contract::Contract;
    use crate::input::AgentInput;
    use crate::offline::respond;

    fn input() -> AgentInput {
        AgentInput {
            step_id: "custom".into(),
            project_name: "Book Loans".into(),
            brief: "Members borrow books.".into(),
            template: Template::RustAxum,
            instructions: None,
            inputs: Default::default(),
            change: None,
        }
    }

    #[test]
    fn custom_contracts_get_placeholders_that_validate() {
        let schema = json!({
            "type": "object",
            "required": ["title", "tags", "score", "ratio", "kind", "when", "contact", "nested", "maybe", "ref"],
            "properties": {
                "title": {"type": "string", "minLength": 3, "maxLength": 40},
                "tags": {"type": "array", "minItems": 2, "items": {"type": "string", "minLength": 1}},
                "score": {"type": "integer", "minimum": 10, "maximum": 20, "multipleOf": 3},
                "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "multipleOf": 0.25},
                "kind": {"enum": ["a", "b"]},
                "when": {"type": "string", "format": "date-time"},
                "contact": {"type": "string", "format": "email"},
                "nested": {"allOf": [{"type": "object", "required": ["x"], "properties": {"x": {"type": "boolean"}}}]},
                "maybe": {"type": ["null", "integer"]},
                "ref": {"$ref": "#/$defs/thing"}
            },
            "$defs": {"thing": {"type": "object", "required": ["id"], "properties": {"id": {"const": 7}}}}
        });
        let mut agent = builtin_agent("reviewer").unwrap();
        agent.role = AgentRole::Custom;
        agent.output_contract = schema;
        let contract = Contract::compile(&agent.output_contract).unwrap();
        let custom = input();
        let output = respond(&agent, &custom, &contract).unwrap();
        assert_eq!(output["score"], 12);
        assert_eq!(output["ratio"], 0.25);
        assert_eq!(output["ref"], json!({"id": 7}));
        assert_eq!(respond(&agent, &custom, &contract).unwrap(), output, "deterministic");

        agent.output_contract =
            json!({"type": "object", "required": ["code"], "properties": {"code": {"pattern": "^[A-Z]{3}$"}}});
        let contract = Contract::compile(&agent.output_contract).unwrap();
        let error = respond(&agent, &custom, &contract).unwrap_err();
        assert!(error.contains("real provider") && error.contains("/code"), "{error}");
    }

    /// A contract that slipped past `contract::check` still cannot make the walk grow without end.
    #[test]
    fn the_walk_stops_at_its_budget_whatever_the_contract() {
        fn count(value: &serde_json::Value) -> usize {
            1 + match value {
                serde_json::Value::Object(map) => map.values().map(count).sum(),
                serde_json::Value::Array(items) => items.iter().map(count).sum(),
                _ => 0,
            }
        }
        let tuples = json!({
            "type": "object", "required": ["m"],
            "properties": {"m": {"$ref": "#/$defs/m"}},
            "$defs": {"m": {"type": "array", "prefixItems": vec![json!({"$ref": "#/$defs/m"}); 32]}}
        });
        let input = input();
        let built = super::fill(&tuples, &crate::offline::Context::new(&input));
        assert!(
            count(&built) <= super::MAX_MINIMAL_OUTPUT_NODES + 1,
            "{}",
            count(&built)
        );
    }

    #[test]
    fn a_built_in_role_with_a_stricter_contract_falls_back_to_placeholders() {
        let mut agent = builtin_agent("reviewer").unwrap();
        agent.output_contract =
            json!({"type": "object", "required": ["verdict"], "properties": {"verdict": {"enum": ["ship"]}}});
        let contract = Contract::compile(&agent.output_contract).unwrap();
        let output = respond(&agent, &input(), &contract).unwrap();
        assert_eq!(output, json!({"verdict": "ship"}));
    }
}
