//! A function's environment, read once at init. Settings are parsed from an [`Env`], never from
//! `std::env` directly, so each kind of function's configuration (`forgeflow_api::ApiConfig`,
//! `forgeflow_workers::WorkerConfig`) lists every variable it reads, and tests build one from pairs.

use std::collections::BTreeMap;

use crate::StoreError;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// This process's environment: the one place a function reads it.
    pub fn process() -> Self {
        Self::from_pairs(std::env::vars())
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Self {
            vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
        }
    }

    /// `name`'s value; an empty one counts as unset (CDK writes "" for an absent optional).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<String, StoreError> {
        self.get(name)
            .map(str::to_owned)
            .ok_or(StoreError::MissingSetting(name))
    }

    /// A number, or `default` when unset or unparsable.
    pub fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> T {
        self.get(name)
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(default)
    }

    pub fn flag(&self, name: &str) -> bool {
        self.get(name) == Some("1")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_unset_and_required_ones_are_named() {
        let env = Env::from_pairs([("A", ""), ("B", "x"), ("N", "12"), ("F", "1")]);
        assert_eq!(env.get("A"), None);
        assert_eq!(env.get("B"), Some("x"));
        assert!(matches!(env.required("A"), Err(StoreError::MissingSetting("A"))));
        assert_eq!(env.number("N", 3u64), 12);
        assert_eq!(env.number("B", 3u64), 3);
        assert!(env.flag("F") && !env.flag("B"));
    }
}
