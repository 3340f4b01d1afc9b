//! Opening or creating the git directory, choosing the branch, and the commit signature.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use gix::ObjectId;
use gix::refs::FullName;
use gix::refs::store::WriteReflog;
use gix::refs::transaction::{PreviousValue, RefEdit};

use super::LocalRepo;
use crate::{Author, ExportError};

/// What `git init` writes on Linux, fixed rather than probed: the archive is unpacked on the
/// user's machine, not on the one that built it. `bare = false` because the git directory ships
/// as `<root>/.git` next to its working tree.
const CONFIG: &str =
    "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n";

impl LocalRepo {
    /// Points `HEAD` at the branch, creating the branch at `HEAD`'s commit if it is new.
    pub(super) fn switch_to(&mut self, branch: FullName) -> Result<(), ExportError> {
        let head = self.repo.head().map_err(ExportError::git("read HEAD"))?;
        if head.referent_name() == Some(branch.as_ref()) {
            return Ok(());
        }
        let current = head.id().map(|id| id.detach());
        let existing = self.head_id()?;
        // Neither edit is a commit, and a reflog line needs a committer we do not have here;
        // `git branch` and `git symbolic-ref` log nothing for HEAD either.
        let write_reflog = std::mem::replace(&mut self.repo.refs.write_reflog, WriteReflog::Disable);
        let result = self.point_head_at(branch, current.filter(|_| existing.is_none()));
        self.repo.refs.write_reflog = write_reflog;
        result
    }

    fn point_head_at(&self, branch: FullName, start_at: Option<ObjectId>) -> Result<(), ExportError> {
        if let Some(commit) = start_at {
            self.repo
                .reference(
                    branch.clone(),
                    commit,
                    PreviousValue::MustNotExist,
                    "branch: Created from HEAD",
                )
                .map_err(ExportError::git("create the branch"))?;
        }
        let head = FullName::try_from("HEAD").map_err(|_| ExportError::InvalidBranch { name: "HEAD".into() })?;
        self.repo
            .edit_reference(RefEdit::update(head, branch, PreviousValue::Any, ""))
            .map_err(ExportError::git("point HEAD at the branch"))?;
        Ok(())
    }
}

pub(super) fn branch_ref(branch: &str) -> Result<FullName, ExportError> {
    let invalid = || ExportError::InvalidBranch {
        name: branch.to_owned(),
    };
    // git itself refuses these as branch names (`-x` reads as an option, `HEAD` is ambiguous).
    if branch.starts_with('-') || branch == "HEAD" {
        return Err(invalid());
    }
    let name = FullName::try_from(format!("refs/heads/{branch}")).map_err(|_| invalid())?;
    gix::validate::reference::branch_name(name.as_bstr()).map_err(|_| invalid())?;
    Ok(name)
}

pub(super) fn open(git_dir: &Path) -> Result<gix::Repository, ExportError> {
    // Isolated: the machine's or user's git configuration must not change what gets written.
    gix::open_opts(git_dir, gix::open::Options::isolated()).map_err(ExportError::git("open the repository"))
}

pub(super) fn init(git_dir: &Path) -> Result<gix::Repository, ExportError> {
    std::fs::create_dir_all(git_dir).map_err(ExportError::io("create", git_dir))?;
    let mut entries = std::fs::read_dir(git_dir).map_err(ExportError::io("list", git_dir))?;
    if entries.next().is_some() {
        return Err(ExportError::NotARepository(git_dir.to_owned()));
    }
    // gix lays out a bare repository directly in `git_dir` (objects, refs, HEAD, hooks); the
    // configuration is then replaced so that it is a working tree's `.git` instead.
    gix::create::into(git_dir, gix::create::Kind::Bare, gix::create::Options::default())
        .map_err(ExportError::git("create the repository"))?;
    let config: PathBuf = git_dir.join("config");
    std::fs::write(&config, CONFIG).map_err(ExportError::io("write", &config))?;
    open(git_dir)
}

pub(super) fn signature(author: &Author, time: DateTime<Utc>) -> Result<gix::actor::Signature, ExportError> {
    let (name, email) = (author.name.trim(), author.email.trim());
    let invalid = |reason| ExportError::InvalidAuthor {
        name: author.name.clone(),
        email: author.email.clone(),
        reason,
    };
    if name.is_empty() {
        return Err(invalid("the name is empty"));
    }
    // These would end the name or e-mail early, or the header line: `git fsck` rejects them.
    let forbidden = |s: &str| s.contains(['<', '>', '\n', '\r', '\0']);
    if forbidden(name) || forbidden(email) {
        return Err(invalid("it contains '<', '>', a line break or a NUL byte"));
    }
    Ok(gix::actor::Signature {
        name: name.into(),
        email: email.into(),
        time: gix::date::Time::new(time.timestamp(), 0),
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::FileEntry;

    fn author() -> Author {
        Author {
            name: "Bot".into(),
            email: "bot@example.test".into(),
        }
    }

    fn commit_one(repo: &mut LocalRepo, content: &str) -> String {
        let files = [FileEntry::new("a.txt", "100644")];
        let time = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        let mut read = |_: &FileEntry| Ok(content.as_bytes().to_vec());
        repo.commit(&files, &mut read, &author(), "x", time).unwrap().commit
    }

    fn head_file(git_dir: &Path) -> String {
        std::fs::read_to_string(git_dir.join("HEAD")).unwrap()
    }

    #[test]
    fn a_new_repository_starts_on_the_given_branch_as_a_working_trees_git_dir() {
        let dir = tempfile::TempDir::new().unwrap();
        let git_dir = dir.path().join("nested/.git");
        let repo = LocalRepo::open_or_init(&git_dir, "develop").unwrap();
        assert_eq!(repo.head().unwrap(), None);
        assert_eq!(head_file(&git_dir), "ref: refs/heads/develop\n");
        assert_eq!(std::fs::read_to_string(git_dir.join("config")).unwrap(), CONFIG);
    }

    #[test]
    fn a_new_branch_name_continues_the_history_of_the_previous_one() {
        let dir = tempfile::TempDir::new().unwrap();
        let git_dir = dir.path().join(".git");
        let first = commit_one(&mut LocalRepo::open_or_init(&git_dir, "main").unwrap(), "1");
        let mut repo = LocalRepo::open_or_init(&git_dir, "trunk").unwrap();
        assert_eq!(head_file(&git_dir), "ref: refs/heads/trunk\n");
        assert_eq!(repo.head().unwrap(), Some(first.clone()));
        commit_one(&mut repo, "2");
        let info = commit_one(&mut repo, "3");
        let reopened = LocalRepo::open_or_init(&git_dir, "trunk").unwrap();
        assert_eq!(reopened.head().unwrap(), Some(info));
        // The old branch stays where it was.
        let main = LocalRepo::open_or_init(&git_dir, "main").unwrap();
        assert_eq!(main.head().unwrap(), Some(first));
    }

    #[test]
    fn names_git_would_refuse_as_branches_are_refused() {
        for bad in [
            "",
            "a..b",
            "with space",
            "-x",
            "HEAD",
            "a.lock",
            "x~1",
            "a//b",
            "a/",
            "@{x}",
        ] {
            assert!(
                matches!(branch_ref(bad), Err(ExportError::InvalidBranch { .. })),
                "{bad:?} accepted"
            );
        }
        for good in ["main", "feature/export-1", "release-2.0"] {
            assert!(branch_ref(good).is_ok(), "{good:?} refused");
        }
    }

    #[test]
    fn a_non_empty_directory_that_is_no_repository_is_left_alone() {
        let dir = tempfile::TempDir::new().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let error = LocalRepo::open_or_init(dir.path(), "main").err().unwrap();
        assert!(matches!(error, ExportError::NotARepository(_)), "{error}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn authors_that_would_corrupt_the_commit_header_are_refused() {
        let time = Utc::now();
        for (name, email) in [
            ("", "a@b"),
            ("  ", "a@b"),
            ("a <x>", "a@b"),
            ("a", "a>@b"),
            ("a\nb", "a@b"),
        ] {
            let author = Author {
                name: name.into(),
                email: email.into(),
            };
            assert!(
                matches!(signature(&author, time), Err(ExportError::InvalidAuthor { .. })),
                "{name:?} <{email}>"
            );
        }
        let signature = signature(&author(), time).unwrap();
        assert_eq!(signature.time.seconds, time.timestamp());
    }
}
