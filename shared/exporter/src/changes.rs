//! What an export changed against the previous one, computed from the two flattened trees (path →
//! blob id and mode) rather than a tree diff, which gix ships only with its heavier diff feature.

use std::collections::BTreeMap;

use gix::ObjectId;
use gix::objs::tree::EntryKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    Added,
    /// Content or mode (a file that became executable is modified).
    Modified,
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
}

/// Both maps are ordered by path, so the result is too.
pub(crate) fn between(
    before: &BTreeMap<String, (ObjectId, EntryKind)>,
    after: &BTreeMap<&str, (ObjectId, EntryKind)>,
) -> Vec<Change> {
    let mut changes: Vec<Change> = Vec::new();
    for (path, entry) in after {
        let kind = match before.get(*path) {
            None => ChangeKind::Added,
            Some(old) if old != entry => ChangeKind::Modified,
            Some(_) => continue,
        };
        changes.push(Change {
            path: (*path).to_owned(),
            kind,
        });
    }
    for path in before.keys().filter(|path| !after.contains_key(path.as_str())) {
        changes.push(Change {
            path: path.clone(),
            kind: ChangeKind::Deleted,
        });
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(byte: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[byte; 20])
    }

    #[test]
    fn added_modified_deleted_and_mode_changes_are_listed_by_path() {
        let before: BTreeMap<String, _> = [
            ("a", (id(1), EntryKind::Blob)),
            ("b", (id(2), EntryKind::Blob)),
            ("c", (id(3), EntryKind::Blob)),
            ("d", (id(4), EntryKind::Blob)),
        ]
        .into_iter()
        .map(|(p, e)| (p.to_owned(), e))
        .collect();
        let after: BTreeMap<&str, _> = [
            ("a", (id(1), EntryKind::Blob)),
            ("b", (id(9), EntryKind::Blob)),
            ("d", (id(4), EntryKind::BlobExecutable)),
            ("e", (id(5), EntryKind::Blob)),
        ]
        .into_iter()
        .collect();
        let kinds: Vec<_> = between(&before, &after)
            .into_iter()
            .map(|change| (change.path, change.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("b".to_owned(), ChangeKind::Modified),
                ("c".to_owned(), ChangeKind::Deleted),
                ("d".to_owned(), ChangeKind::Modified),
                ("e".to_owned(), ChangeKind::Added),
            ]
        );
    }
}
