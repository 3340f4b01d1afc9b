use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// A typed identifier: a UUIDv7, so ids sort by creation time and listings keep a stable order.
/// The type parameter keeps a project id from being passed where a user id is expected.
pub struct Id<T> {
    uuid: Uuid,
    kind: PhantomData<fn() -> T>,
}

impl<T> Id<T> {
    pub fn new() -> Self {
        Self::from_uuid(Uuid::now_v7())
    }

    pub fn from_uuid(uuid: Uuid) -> Self {
        Self {
            uuid,
            kind: PhantomData,
        }
    }

    /// The id named by `key`: the same key always gives the same id (a UUIDv8 over its SHA-256),
    /// so a job keyed by, say, a schedule slot is created once however often it is attempted.
    pub fn derived(key: &str) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(key.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Self::from_uuid(Uuid::new_v8(bytes))
    }

    pub fn as_uuid(&self) -> Uuid {
        self.uuid
    }
}

impl<T> Default for Id<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for Id<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Id<T> {}

impl<T> PartialEq for Id<T> {
    fn eq(&self, other: &Self) -> bool {
        self.uuid == other.uuid
    }
}
impl<T> Eq for Id<T> {}

impl<T> PartialOrd for Id<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Id<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.uuid.cmp(&other.uuid)
    }
}

impl<T> std::hash::Hash for Id<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.uuid.hash(state)
    }
}

impl<T> fmt::Display for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Lower-case hyphenated form: fixed width, so string order equals time order.
        self.uuid.hyphenated().fmt(f)
    }
}

impl<T> fmt::Debug for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Only the canonical lower-case hyphenated form is accepted, so one resource has one spelling.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a lower-case hyphenated UUID")]
pub struct InvalidId;

impl<T> FromStr for Id<T> {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let uuid = Uuid::try_parse(s).map_err(|_| InvalidId)?;
        if uuid.hyphenated().to_string() != s {
            return Err(InvalidId);
        }
        Ok(Self::from_uuid(uuid))
    }
}

impl<T> Serialize for Id<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de, T> Deserialize<'de> for Id<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Thing;

    #[test]
    fn ids_round_trip_through_their_string_form() {
        let id = Id::<Thing>::new();
        let parsed: Id<Thing> = id.to_string().parse().expect("parses");
        assert_eq!(parsed, id);
    }

    #[test]
    fn later_ids_sort_after_earlier_ones_as_strings() {
        let first = Id::<Thing>::new();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = Id::<Thing>::new();
        assert!(first.to_string() < second.to_string());
    }

    #[test]
    fn derived_ids_depend_only_on_their_key() {
        assert_eq!(Id::<Thing>::derived("a@1"), Id::<Thing>::derived("a@1"));
        assert_ne!(Id::<Thing>::derived("a@1"), Id::<Thing>::derived("a@2"));
    }

    #[test]
    fn non_canonical_spellings_are_refused() {
        for bad in [
            "",
            "not-a-uuid",
            "0193D5E4-7C1A-7000-8000-000000000000",
            "0193d5e47c1a70008000000000000000",
            "{0193d5e4-7c1a-7000-8000-000000000000}",
            "0193d5e4-7c1a-7000-8000-000000000000 ",
        ] {
            assert!(bad.parse::<Id<Thing>>().is_err(), "{bad:?} was accepted");
        }
    }
}
