//! What must change on the forge to make a branch's tree equal the export: computed against what
//! the last export left (when the branch still points at it) or against the remote tree itself.
//! Both sides are compared by git blob id and mode, so unchanged files are never read.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use sha1::{Digest, Sha1};

use crate::RemoteFile;

/// A path as the base side has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub mode: String,
    /// The git object id (a blob's, or a submodule's commit for mode 160000).
    pub sha: String,
}

pub(crate) type Base = BTreeMap<String, Entry>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change<'a> {
    /// The base lacks the path.
    Create(&'a RemoteFile),
    /// The content differs (the mode may too; `chmod` says so).
    Update { file: &'a RemoteFile, chmod: bool },
    /// Same content, other mode.
    Chmod(&'a RemoteFile),
    /// The base has a path the export does not.
    Delete { path: String, mode: String },
}

impl Change<'_> {
    pub(crate) fn path(&self) -> &str {
        match self {
            Change::Create(file) | Change::Update { file, .. } | Change::Chmod(file) => &file.path,
            Change::Delete { path, .. } => path,
        }
    }
}

/// The base an earlier export left, as its manifest describes it.
pub(crate) fn base_from_files(files: &[RemoteFile]) -> Base {
    files
        .iter()
        .map(|file| {
            let entry = Entry {
                mode: file.mode.clone(),
                sha: file.git_blob_id.clone(),
            };
            (file.path.clone(), entry)
        })
        .collect()
}

/// The changes turning `base` into exactly `files`, in path order (deletions included).
pub(crate) fn changes<'a>(files: &'a [RemoteFile], base: &Base) -> Vec<Change<'a>> {
    let mut out = Vec::new();
    let exported: BTreeSet<&str> = files.iter().map(|file| file.path.as_str()).collect();
    for file in files {
        match base.get(&file.path) {
            None => out.push(Change::Create(file)),
            Some(entry) if entry.sha != file.git_blob_id => out.push(Change::Update {
                file,
                chmod: entry.mode != file.mode,
            }),
            Some(entry) if entry.mode != file.mode => out.push(Change::Chmod(file)),
            Some(_) => {}
        }
    }
    for (path, entry) in base {
        if !exported.contains(path.as_str()) {
            out.push(Change::Delete {
                path: path.clone(),
                mode: entry.mode.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.path().cmp(b.path()));
    out
}

/// Blob ids the base already holds: a file with one of these can be referenced, not uploaded.
pub(crate) fn known_blobs(base: &Base) -> HashSet<&str> {
    base.values()
        .filter(|entry| entry.mode != "160000")
        .map(|entry| entry.sha.as_str())
        .collect()
}

/// The id git gives `content` as a blob (what `git hash-object` prints).
pub(crate) fn blob_id(content: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content);
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, mode: &str, sha: &str) -> RemoteFile {
        RemoteFile {
            path: path.into(),
            mode: mode.into(),
            git_blob_id: sha.into(),
            size: 1,
        }
    }

    #[test]
    fn only_what_differs_is_changed_and_missing_paths_are_deleted() {
        let before = [
            file("same.txt", "100644", "a"),
            file("edit.txt", "100644", "b"),
            file("run.sh", "100644", "c"),
            file("gone.txt", "100644", "d"),
            file("both.sh", "100644", "e"),
        ];
        let after = [
            file("same.txt", "100644", "a"),
            file("edit.txt", "100644", "B"),
            file("run.sh", "100755", "c"),
            file("new.txt", "100644", "f"),
            file("both.sh", "100755", "E"),
        ];
        let changes = changes(&after, &base_from_files(&before));
        assert_eq!(
            changes,
            vec![
                Change::Update {
                    file: &after[4],
                    chmod: true
                },
                Change::Update {
                    file: &after[1],
                    chmod: false
                },
                Change::Delete {
                    path: "gone.txt".into(),
                    mode: "100644".into()
                },
                Change::Create(&after[3]),
                Change::Chmod(&after[2]),
            ]
        );
        assert!(super::changes(&after, &base_from_files(&after)).is_empty());
    }

    #[test]
    fn blob_ids_are_gits() {
        assert_eq!(blob_id(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
        assert_eq!(blob_id(b"hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
    }

    #[test]
    fn submodules_are_not_reusable_blobs() {
        let mut base = base_from_files(&[file("a", "100644", "x")]);
        base.insert(
            "vendor/lib".into(),
            Entry {
                mode: "160000".into(),
                sha: "y".into(),
            },
        );
        assert_eq!(known_blobs(&base), HashSet::from(["x"]));
    }
}
