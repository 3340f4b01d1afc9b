//! Output contracts: JSON Schemas (draft 2020-12) an agent's JSON answer must validate against.
//! No remote `$ref` is ever fetched (the schema engine is built without resolvers), so a
//! user's contract cannot make us call arbitrary URLs.

use jsonschema::Validator;
use serde_json::Value;

/// Errors listed in a contract breach; enough to repair, short enough to store.
const MAX_LISTED_ERRORS: usize = 8;

/// Refuses a schema that is not a draft 2020-12 JSON Schema describing a JSON object (agents
/// answer with one object). Used by `POST /agents` before storing a user's contract.
pub fn validate_contract_schema(schema: &Value) -> Result<(), String> {
    Contract::compile(schema).map(|_| ())
}

/// A compiled contract, ready to check answers.
pub(crate) struct Contract {
    validator: Validator,
}

impl Contract {
    pub(crate) fn compile(schema: &Value) -> Result<Self, String> {
        let Some(object) = schema.as_object() else {
            return Err("must be a JSON Schema object".to_owned());
        };
        match object.get("type") {
            None => {}
            Some(Value::String(kind)) if kind == "object" => {}
            Some(Value::Array(kinds)) if kinds.iter().any(|kind| kind == "object") => {}
            Some(_) => return Err("must describe a JSON object (\"type\": \"object\")".to_owned()),
        }
        let validator = jsonschema::draft202012::new(schema).map_err(|error| {
            let at = error.instance_path().as_str();
            if at.is_empty() {
                error.to_string()
            } else {
                format!("{at}: {error}")
            }
        })?;
        Ok(Contract { validator })
    }

    /// `Ok` when `output` meets the contract, else the reasons, one per line, with JSON pointers.
    pub(crate) fn check(&self, output: &Value) -> Result<(), String> {
        let errors: Vec<String> = self
            .validator
            .iter_errors(output)
            .map(|error| {
                let at = error.instance_path().as_str();
                let message = crate::error::truncate(&error.to_string(), 200);
                format!("{}: {message}", if at.is_empty() { "/" } else { at })
            })
            .collect();
        if errors.is_empty() {
            return Ok(());
        }
        let mut reason = errors
            .iter()
            .take(MAX_LISTED_ERRORS)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        if errors.len() > MAX_LISTED_ERRORS {
            reason.push_str(&format!("\n… and {} more", errors.len() - MAX_LISTED_ERRORS));
        }
        Err(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forgeflow_domain::catalog::{file_tree_contract, files_contract, plan_contract, review_contract};
    use serde_json::json;

    #[test]
    fn the_built_in_contracts_are_valid_schemas() {
        for schema in [
            plan_contract(),
            file_tree_contract(),
            files_contract(),
            review_contract(),
        ] {
            validate_contract_schema(&schema).unwrap();
        }
    }

    #[test]
    fn bad_schemas_are_refused_with_a_reason() {
        let cases = [
            (json!([1]), "object"),
            (json!({"type": "array"}), "JSON object"),
            (
                json!({"type": "object", "properties": {"a": {"type": "strnig"}}}),
                "strnig",
            ),
            (json!({"type": "object", "minProperties": -1}), "-1"),
            (json!({"$ref": "https://example.com/schema.json"}), "example.com"),
        ];
        for (schema, hint) in cases {
            let error = validate_contract_schema(&schema).unwrap_err();
            assert!(error.contains(hint), "{schema}: {error}");
        }
    }

    #[test]
    fn breaches_name_the_place_and_the_rule() {
        let contract = Contract::compile(&review_contract()).unwrap();
        assert!(contract.check(&json!({"summary": "ok", "findings": []})).is_ok());
        let reason = contract
            .check(&json!({"summary": "", "findings": [{"severity": "urgent", "message": "x"}]}))
            .unwrap_err();
        assert!(reason.contains("/summary"), "{reason}");
        assert!(reason.contains("/findings/0/severity"), "{reason}");
        let reason = contract.check(&json!({"findings": []})).unwrap_err();
        assert!(reason.starts_with("/: ") && reason.contains("summary"), "{reason}");
    }

    #[test]
    fn long_breach_lists_are_cut() {
        let contract = Contract::compile(&json!({"type": "object", "additionalProperties": false})).unwrap();
        let many: serde_json::Map<String, Value> = (0..20).map(|i| (format!("k{i}"), json!(i))).collect();
        let reason = contract.check(&Value::Object(many)).unwrap_err();
        assert!(reason.lines().count() <= MAX_LISTED_ERRORS + 1, "{reason}");
    }
}
