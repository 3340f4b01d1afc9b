//! What changed between two generations: which files (from the manifests alone, so a page of a
//! 10,000-file diff reads only its own files' contents), each file's unified diff, and the stat.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::manifest::{FileMode, ManifestEntry};

/// Diffs of files larger than this are not computed (the stat still counts the file).
pub const MAX_DIFF_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Added,
    Modified,
    Deleted,
    /// Same content under a new path (exact renames only: the git blob ids match).
    Renamed,
}

/// One changed file, as two manifests tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The path in the newer tree (the old path for a deletion).
    pub path: String,
    /// The path in the older tree, when it differs (renames).
    pub old_path: Option<String>,
    pub status: FileStatus,
    pub old: Option<ManifestEntry>,
    pub new: Option<ManifestEntry>,
}

impl FileChange {
    pub fn old_mode(&self) -> Option<FileMode> {
        self.old.as_ref().map(|entry| entry.mode)
    }

    pub fn new_mode(&self) -> Option<FileMode> {
        self.new.as_ref().map(|entry| entry.mode)
    }
}

/// Files added, modified, deleted and renamed, by path; content compared by git blob id, so a
/// file rewritten with the same bytes is not a change, and a mode change is.
pub fn changes(old: &[ManifestEntry], new: &[ManifestEntry]) -> Vec<FileChange> {
    let old_by_path: BTreeMap<&str, &ManifestEntry> = old.iter().map(|e| (e.path.as_str(), e)).collect();
    let new_by_path: BTreeMap<&str, &ManifestEntry> = new.iter().map(|e| (e.path.as_str(), e)).collect();
    let mut changes = Vec::new();
    let mut deleted: Vec<&ManifestEntry> = Vec::new();
    let mut added: Vec<&ManifestEntry> = Vec::new();
    for (path, entry) in &new_by_path {
        match old_by_path.get(path) {
            None => added.push(entry),
            Some(before) if before.git_blob_id != entry.git_blob_id || before.mode != entry.mode => {
                changes.push(change(path, None, FileStatus::Modified, Some(before), Some(entry)));
            }
            Some(_) => {}
        }
    }
    deleted.extend(
        old_by_path
            .iter()
            .filter(|(path, _)| !new_by_path.contains_key(*path))
            .map(|(_, e)| *e),
    );

    // Exact renames: a deleted and an added file with the same blob, paired in path order.
    let mut renamed_from = BTreeSet::new();
    for entry in added {
        let source = deleted
            .iter()
            .find(|gone| gone.git_blob_id == entry.git_blob_id && !renamed_from.contains(gone.path.as_str()));
        match source {
            Some(gone) => {
                renamed_from.insert(gone.path.as_str());
                changes.push(change(
                    &entry.path,
                    Some(&gone.path),
                    FileStatus::Renamed,
                    Some(gone),
                    Some(entry),
                ));
            }
            None => changes.push(change(&entry.path, None, FileStatus::Added, None, Some(entry))),
        }
    }
    for gone in deleted
        .into_iter()
        .filter(|gone| !renamed_from.contains(gone.path.as_str()))
    {
        changes.push(change(&gone.path, None, FileStatus::Deleted, Some(gone), None));
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    changes
}

fn change(
    path: &str,
    old_path: Option<&str>,
    status: FileStatus,
    old: Option<&ManifestEntry>,
    new: Option<&ManifestEntry>,
) -> FileChange {
    FileChange {
        path: path.to_owned(),
        old_path: old_path.map(str::to_owned),
        status,
        old: old.cloned(),
        new: new.cloned(),
    }
}

/// How many files changed, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct DiffStat {
    pub files_changed: u64,
    pub added: u64,
    pub modified: u64,
    pub deleted: u64,
    pub renamed: u64,
    /// Bytes of the newer tree's changed files minus the older tree's.
    pub bytes_delta: i64,
}

pub fn stat(changes: &[FileChange]) -> DiffStat {
    let mut stat = DiffStat::default();
    for change in changes {
        stat.files_changed += 1;
        match change.status {
            FileStatus::Added => stat.added += 1,
            FileStatus::Modified => stat.modified += 1,
            FileStatus::Deleted => stat.deleted += 1,
            FileStatus::Renamed => stat.renamed += 1,
        }
        let size = |entry: &Option<ManifestEntry>| entry.as_ref().map_or(0, |e| e.size as i64);
        stat.bytes_delta += size(&change.new) - size(&change.old);
    }
    stat
}

/// One file's unified diff, as `git diff` prints it (`a/` and `b/` prefixes, 3 lines of context).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FileDiff {
    pub additions: u64,
    pub deletions: u64,
    /// Not text (not UTF-8, or has a NUL byte): no diff, as git says "Binary files differ".
    pub binary: bool,
    /// Larger than [`MAX_DIFF_BYTES`] on either side: counted, not diffed.
    pub too_large: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
}

/// The unified diff of one change; `old` and `new` are the contents (absent for an added or a
/// deleted file).
pub fn unified(change: &FileChange, old: Option<&[u8]>, new: Option<&[u8]>) -> FileDiff {
    let too_large = [&change.old, &change.new]
        .iter()
        .any(|entry| entry.as_ref().is_some_and(|e| e.size > MAX_DIFF_BYTES));
    let (old_text, new_text) = (text(old.unwrap_or_default()), text(new.unwrap_or_default()));
    let (Some(old_text), Some(new_text)) = (old_text, new_text) else {
        return FileDiff {
            additions: 0,
            deletions: 0,
            binary: true,
            too_large,
            patch: None,
        };
    };
    if too_large {
        return FileDiff {
            additions: 0,
            deletions: 0,
            binary: false,
            too_large,
            patch: None,
        };
    }
    let from = change.old_path.as_deref().unwrap_or(&change.path);
    let mut options = diffy::DiffOptions::new();
    options
        .set_original_filename(match change.status {
            FileStatus::Added => "/dev/null".to_owned(),
            _ => format!("a/{from}"),
        })
        .set_modified_filename(match change.status {
            FileStatus::Deleted => "/dev/null".to_owned(),
            _ => format!("b/{}", change.path),
        });
    let patch = options.create_patch(old_text, new_text);
    let (mut additions, mut deletions) = (0, 0);
    for hunk in patch.hunks() {
        for line in hunk.lines() {
            match line {
                diffy::Line::Insert(_) => additions += 1,
                diffy::Line::Delete(_) => deletions += 1,
                diffy::Line::Context(_) => {}
            }
        }
    }
    let patch = (!patch.hunks().is_empty()).then(|| patch.to_string());
    FileDiff {
        additions,
        deletions,
        binary: false,
        too_large,
        patch,
    }
}

fn text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok().filter(|text| !text.contains('\0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{GeneratedFile, Source};

    fn file(path: &str, content: &str) -> ManifestEntry {
        GeneratedFile {
            path: path.into(),
            content: content.as_bytes().to_vec(),
            mode: FileMode::Regular,
            source: Source::Agent,
        }
        .manifest_entry()
    }

    #[test]
    fn changes_are_found_from_the_manifests_by_blob_and_mode() {
        let old = vec![
            file("same.txt", "same\n"),
            file("edit.txt", "one\n"),
            file("gone.txt", "bye\n"),
            file("moved/from.txt", "moving\n"),
        ];
        let mut executable = file("same.txt", "same\n");
        executable.mode = FileMode::Executable;
        let new = vec![
            executable,
            file("edit.txt", "two\n"),
            file("new.txt", "hello\n"),
            file("moved/to.txt", "moving\n"),
        ];
        let changed = changes(&old, &new);
        let found: Vec<(&str, FileStatus, Option<&str>)> = changed
            .iter()
            .map(|c| (c.path.as_str(), c.status, c.old_path.as_deref()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("edit.txt", FileStatus::Modified, None),
                ("gone.txt", FileStatus::Deleted, None),
                ("moved/to.txt", FileStatus::Renamed, Some("moved/from.txt")),
                ("new.txt", FileStatus::Added, None),
                ("same.txt", FileStatus::Modified, None),
            ]
        );
        let stat = stat(&changed);
        assert_eq!(
            (
                stat.files_changed,
                stat.added,
                stat.modified,
                stat.deleted,
                stat.renamed
            ),
            (5, 1, 2, 1, 1)
        );
        assert_eq!(stat.bytes_delta, 6 - 4);
        assert!(changes(&old, &old).is_empty());
    }

    #[test]
    fn a_unified_diff_reads_as_git_prints_it() {
        let old = file("src/lib.rs", "a\nb\nc\n");
        let new = file("src/lib.rs", "a\nB\nc\nd\n");
        let change = &changes(std::slice::from_ref(&old), std::slice::from_ref(&new))[0];
        let diff = unified(change, Some(b"a\nb\nc\n"), Some(b"a\nB\nc\nd\n"));
        assert_eq!((diff.additions, diff.deletions, diff.binary), (2, 1, false));
        let patch = diff.patch.unwrap();
        assert!(
            patch.starts_with("--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,4 @@\n"),
            "{patch}"
        );
        assert!(patch.contains("-b\n+B\n"));

        let added = &changes(&[], std::slice::from_ref(&new))[0];
        let diff = unified(added, None, Some(b"a\nB\nc\nd\n"));
        assert!(diff.patch.unwrap().starts_with("--- /dev/null\n+++ b/src/lib.rs\n"));
        assert_eq!(diff.additions, 4);
    }

    #[test]
    fn binary_and_huge_files_are_counted_not_diffed() {
        let old = file("logo.png", "x");
        let new = file("logo.png", "y");
        let change = &changes(std::slice::from_ref(&old), std::slice::from_ref(&new))[0];
        let diff = unified(change, Some(&[0x89, b'P', 0]), Some(&[0x89, b'Q', 0]));
        assert!(diff.binary && diff.patch.is_none());

        let mut big = new.clone();
        big.size = MAX_DIFF_BYTES + 1;
        let change = &changes(std::slice::from_ref(&old), std::slice::from_ref(&big))[0];
        let diff = unified(change, Some(b"x"), Some(b"y"));
        assert!(diff.too_large && diff.patch.is_none() && !diff.binary);
    }
}
