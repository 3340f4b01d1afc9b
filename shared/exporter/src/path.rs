//! Defense in depth: the generator already confines paths, but nothing that could escape the
//! tree, be absolute, write into a `.git` directory or break a checkout on Windows or macOS may
//! reach a repository or an archive. The policy is the generator's own
//! (`forgeflow_domain::path`), applied to paths that must already be in normal form.

use std::collections::{BTreeMap, BTreeSet};

use forgeflow_domain::path::{case_collision, check_canonical};
use gix::objs::tree::EntryKind;

use crate::{ExportError, FileEntry};

/// Checks one relative, `/`-separated path.
pub(crate) fn check(path: &str) -> Result<(), ExportError> {
    check_canonical(path).map_err(|reason| ExportError::UnsafePath {
        path: path.to_owned(),
        reason: reason.to_string(),
    })
}

/// The archive's top-level directory: empty (no prefix) or a safe relative path.
pub(crate) fn check_root(root: &str) -> Result<(), ExportError> {
    if root.is_empty() { Ok(()) } else { check(root) }
}

pub(crate) fn entry_kind(file: &FileEntry) -> Result<EntryKind, ExportError> {
    match file.mode.as_str() {
        "100644" => Ok(EntryKind::Blob),
        "100755" => Ok(EntryKind::BlobExecutable),
        _ => Err(ExportError::UnsupportedMode {
            path: file.path.clone(),
            mode: file.mode.clone(),
        }),
    }
}

/// Checks every file before anything is written: safe paths, known modes, no path listed twice
/// and no path that is a file and a directory at once (a tree cannot hold both).
pub(crate) fn check_all(files: &[FileEntry]) -> Result<BTreeMap<&str, EntryKind>, ExportError> {
    let mut kinds = BTreeMap::new();
    for file in files {
        check(&file.path)?;
        if kinds.insert(file.path.as_str(), entry_kind(file)?).is_some() {
            return Err(ExportError::DuplicatePath {
                path: file.path.clone(),
            });
        }
    }
    if let Some((path, other)) = case_collision(kinds.keys().copied()) {
        return Err(ExportError::CaseCollision {
            path: path.to_owned(),
            other: other.to_owned(),
        });
    }
    let mut dirs = BTreeSet::new();
    for path in kinds.keys() {
        for (at, _) in path.match_indices('/') {
            dirs.insert(&path[..at]);
        }
    }
    if let Some(dir) = dirs.iter().find(|dir| kinds.contains_key(*dir)) {
        return Err(ExportError::FileDirectoryConflict {
            path: (*dir).to_owned(),
        });
    }
    Ok(kinds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_paths_pass() {
        for path in [
            "README.md",
            "src/main.rs",
            "a/b/c/d.txt",
            ".github/workflows/ci.yml",
            ".gitignore",
            "x..y",
        ] {
            assert!(check(path).is_ok(), "{path}");
        }
    }

    #[test]
    fn unsafe_paths_are_refused_with_the_generators_reason() {
        for path in [
            "",
            "/etc/passwd",
            "../escape",
            "a/./b",
            "a//b",
            ".git/config",
            ".GIT/HEAD",
            ".git::$INDEX_ALLOCATION/config",
            "a\\..\\b",
            "a\0b",
            "aux.txt",
            "a\u{202e}b",
        ] {
            let expected = check_canonical(path).unwrap_err().to_string();
            match check(path) {
                Err(ExportError::UnsafePath { reason, .. }) => assert_eq!(reason, expected, "{path:?}"),
                other => panic!("{path:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn files_that_differ_only_by_case_are_refused() {
        let files = [
            FileEntry::new("README.md", "100644"),
            FileEntry::new("readme.md", "100644"),
        ];
        assert!(matches!(check_all(&files), Err(ExportError::CaseCollision { .. })));
    }

    #[test]
    fn modes_other_than_regular_and_executable_are_refused() {
        assert_eq!(entry_kind(&FileEntry::new("a", "100644")).unwrap(), EntryKind::Blob);
        assert_eq!(
            entry_kind(&FileEntry::new("a", "100755")).unwrap(),
            EntryKind::BlobExecutable
        );
        for mode in ["120000", "160000", "644", ""] {
            assert!(matches!(
                entry_kind(&FileEntry::new("a", mode)),
                Err(ExportError::UnsupportedMode { .. })
            ));
        }
    }

    #[test]
    fn duplicates_and_file_directory_conflicts_are_refused() {
        let files = [FileEntry::new("a/b", "100644"), FileEntry::new("a/b", "100755")];
        assert!(matches!(check_all(&files), Err(ExportError::DuplicatePath { path }) if path == "a/b"));
        let files = [FileEntry::new("a/b/c", "100644"), FileEntry::new("a/b", "100644")];
        assert!(matches!(check_all(&files), Err(ExportError::FileDirectoryConflict { path, .. }) if path == "a/b"));
        let files = [FileEntry::new("a/b", "100644"), FileEntry::new("a/bc", "100644")];
        assert_eq!(check_all(&files).unwrap().len(), 2);
    }
}
