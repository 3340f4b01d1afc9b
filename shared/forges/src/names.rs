//! Checks on everything that ends up in a URL path or a tree: a name with `/`, `..` or `?` in
//! it would address another resource than the one meant, so it is refused before any call.

use std::collections::HashSet;

use forgeflow_domain::path::{case_collision, check_canonical};

use crate::RemoteFile;
use crate::error::ForgeError;

/// A GitHub user or organisation login: letters, digits, single hyphens.
pub(crate) fn github_owner(owner: &str) -> Result<(), ForgeError> {
    let ok = !owner.is_empty()
        && owner.len() <= 39
        && owner.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !owner.starts_with('-');
    ok.then_some(())
        .ok_or_else(|| ForgeError::Invalid(format!("{owner:?} is not a valid GitHub owner name")))
}

/// A repository (or GitLab path segment) name: letters, digits, `.`, `-`, `_`; not `.`/`..`.
pub(crate) fn repo_name(name: &str) -> Result<(), ForgeError> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && name != "."
        && name != ".."
        && !name.ends_with(".git");
    ok.then_some(())
        .ok_or_else(|| ForgeError::Invalid(format!("{name:?} is not a valid repository name")))
}

/// `group/sub/name`: every segment a valid name.
pub(crate) fn gitlab_project_path(path: &str) -> Result<(), ForgeError> {
    if path.split('/').count() > 21 {
        return Err(ForgeError::Invalid(format!("{path:?} nests too many groups")));
    }
    path.split('/').try_for_each(repo_name)
}

/// What `git check-ref-format --branch` accepts, minus the rarely used characters, so that the
/// name is safe to put in a URL path unencoded.
pub(crate) fn branch(name: &str) -> Result<(), ForgeError> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/' | b'+'))
        && !name.starts_with(['/', '-', '.'])
        && !name.ends_with(['/', '.'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("/.")
        && name != "HEAD";
    ok.then_some(())
        .ok_or_else(|| ForgeError::Invalid(format!("{name:?} is not a valid branch name")))
}

/// The export's files: safe relative paths, git's two file modes, blob ids, no duplicates, and no
/// file that is also another file's directory (git cannot store both).
pub(crate) fn files(files: &[RemoteFile]) -> Result<(), ForgeError> {
    let mut paths = HashSet::with_capacity(files.len());
    for file in files {
        let bad = |why: &str| ForgeError::Invalid(format!("file {:?}: {why}", file.path));
        // The generator's and the exporter's path policy, so the three cannot disagree.
        check_canonical(&file.path).map_err(|reason| bad(&reason.to_string()))?;
        if file.mode != "100644" && file.mode != "100755" {
            return Err(bad("the mode must be \"100644\" or \"100755\""));
        }
        if file.git_blob_id.len() != 40 || !file.git_blob_id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad("the git blob id must be 40 lowercase hex digits"));
        }
        if !paths.insert(file.path.as_str()) {
            return Err(bad("listed twice"));
        }
    }
    if let Some((first, second)) = case_collision(files.iter().map(|file| file.path.as_str())) {
        return Err(ForgeError::Invalid(format!(
            "{first:?} and {second:?} differ only by case (or sit in folders that do): one on Windows and macOS"
        )));
    }
    for path in &paths {
        let mut at = 0;
        while let Some(slash) = path[at..].find('/') {
            let dir = &path[..at + slash];
            if paths.contains(dir) {
                return Err(ForgeError::Invalid(format!("{dir:?} is both a file and a directory")));
            }
            at += slash + 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_would_escape_their_url_segment_are_refused() {
        for good in ["octo", "my-org", "A1"] {
            assert!(github_owner(good).is_ok(), "{good}");
        }
        for bad in ["", "-x", "a/b", "a?b", "a b", "..", &"x".repeat(40)] {
            assert!(github_owner(bad).is_err(), "{bad}");
        }
        for good in ["repo", "my.repo", "a_b-c"] {
            assert!(repo_name(good).is_ok(), "{good}");
        }
        for bad in ["", ".", "..", "a/b", "a%2Fb", "x.git", "é"] {
            assert!(repo_name(bad).is_err(), "{bad}");
        }
        assert!(gitlab_project_path("group/sub/name").is_ok());
        for bad in ["group//name", "/name", "group/../name", "name/"] {
            assert!(gitlab_project_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn branch_names_follow_git_rules() {
        for good in ["main", "feature/x-1", "release+2", "forgeflow/export-0123456789ab"] {
            assert!(branch(good).is_ok(), "{good}");
        }
        for bad in [
            "", "/x", "x/", "a..b", "a//b", "x.lock", "-x", "a b", "a?b", "a/.b", "HEAD", "a~1",
        ] {
            assert!(branch(bad).is_err(), "{bad}");
        }
    }

    fn file(path: &str) -> RemoteFile {
        RemoteFile {
            path: path.into(),
            mode: "100644".into(),
            git_blob_id: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391".into(),
            size: 0,
        }
    }

    #[test]
    fn unsafe_or_contradictory_file_lists_are_refused() {
        assert!(files(&[file("src/main.rs"), file("README.md")]).is_ok());
        for bad in [
            "../x",
            "/etc/passwd",
            "a//b",
            ".git/config",
            "a/./b",
            "a\\b",
            "",
            ".git::$INDEX_ALLOCATION/config",
            "CON",
            "x\u{202e}y",
        ] {
            assert!(files(&[file(bad)]).is_err(), "{bad}");
        }
        assert!(files(&[file("a"), file("a")]).is_err());
        assert!(files(&[file("Makefile"), file("makefile")]).is_err());
        assert!(files(&[file("a"), file("a/b/c")]).is_err());
        let mut odd = file("x");
        odd.mode = "120000".into();
        assert!(files(&[odd]).is_err());
        let mut short = file("x");
        short.git_blob_id = "abc".into();
        assert!(files(&[short]).is_err());
    }
}
