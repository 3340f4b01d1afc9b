//! The repository kept between exports: a git directory whose branch gets one commit per export.

mod adopt;
mod setup;

pub use adopt::Adopted;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use gix::ObjectId;
use gix::objs::tree::EntryKind;

use self::setup::{branch_ref, init, open, signature};
use crate::changes::{self, Change};
use crate::{Author, ExportError, FileEntry, path};

/// A repository kept between exports as a git directory (the `.git` of a non-bare layout; the
/// working tree itself is never written, it exists only in archives).
///
/// Not `Send`: gix without its `parallel` feature shares state through `Rc`. Open it inside the
/// blocking task that uses it (the git directory on disk is what persists, not this value).
pub struct LocalRepo {
    repo: gix::Repository,
    /// `refs/heads/<branch>`.
    branch: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Hex ids, as `git` prints them.
    pub commit: String,
    pub tree: String,
    pub parent: Option<String>,
    /// Against the parent's tree (everything `Added` for the first commit), sorted by path.
    pub changes: Vec<Change>,
}

impl LocalRepo {
    /// Opens the repository at `git_dir`, or creates it there (the directory must then be missing
    /// or empty) with `HEAD` on `refs/heads/<branch>`.
    ///
    /// An existing repository is switched to `branch`. If that branch does not exist yet it starts
    /// at the commit `HEAD` was on, so renaming a project's export branch keeps its history
    /// (what `git checkout -b <branch>` does).
    pub fn open_or_init(git_dir: &Path, branch: &str) -> Result<Self, ExportError> {
        let branch_ref = branch_ref(branch)?;
        let repo = if git_dir.join("HEAD").is_file() {
            open(git_dir)?
        } else {
            init(git_dir)?
        };
        let mut this = Self {
            repo,
            branch: branch_ref.as_bstr().to_string(),
        };
        this.switch_to(branch_ref)?;
        Ok(this)
    }

    pub fn git_dir(&self) -> &Path {
        self.repo.git_dir()
    }

    /// The branch's current commit (hex), `None` before the first export.
    pub fn head(&self) -> Result<Option<String>, ExportError> {
        Ok(self.head_id()?.map(|id| id.to_string()))
    }

    /// Commits `files` as the complete tree of the next commit on the branch.
    ///
    /// Each file's content is fetched through `read`, written as a blob and dropped before the
    /// next, so memory is bounded by the largest file. Every path and mode is checked before
    /// anything is written. A message without a final newline gets one, as `git commit` does.
    ///
    /// If the tree equals the parent's, a commit is still made and `changes` is empty: an export
    /// is an event (a nightly re-export, a re-run), and its commit is the record that it happened.
    pub fn commit(
        &mut self,
        files: &[FileEntry],
        read: &mut dyn FnMut(&FileEntry) -> Result<Vec<u8>, ExportError>,
        author: &Author,
        message: &str,
        time: DateTime<Utc>,
    ) -> Result<CommitInfo, ExportError> {
        let kinds = path::check_all(files)?;
        let signature = signature(author, time)?;
        let parent = self.head_id()?;

        let empty_tree = ObjectId::empty_tree(self.repo.object_hash());
        let mut editor = self
            .repo
            .edit_tree(empty_tree)
            .map_err(ExportError::git("start a tree"))?;
        let mut written: BTreeMap<&str, (ObjectId, EntryKind)> = BTreeMap::new();
        for file in files {
            let content = read(file)?;
            let id = self
                .repo
                .write_blob(&content)
                .map_err(ExportError::git("write a blob"))?
                .detach();
            drop(content);
            let kind = kinds.get(file.path.as_str()).copied().unwrap_or(EntryKind::Blob);
            editor
                .upsert(file.path.as_str(), kind, id)
                .map_err(ExportError::git("add a file to the tree"))?;
            written.insert(&file.path, (id, kind));
        }
        let tree = editor.write().map_err(ExportError::git("write the trees"))?.detach();

        let before = match parent {
            Some(parent) => self.flatten(self.tree_of(parent)?)?,
            None => BTreeMap::new(),
        };
        let changes = changes::between(&before, &written);

        let mut time_buf = gix::date::parse::TimeBuf::default();
        let signature = signature.to_ref(&mut time_buf);
        let message = if message.ends_with('\n') {
            message.to_owned()
        } else {
            format!("{message}\n")
        };
        // commit_as moves the branch only if it still points at `parent`: a concurrent writer
        // on the same directory makes this fail instead of losing its commit.
        let commit = self
            .repo
            .commit_as(signature, signature, self.branch.as_str(), message, tree, parent)
            .map_err(ExportError::git("commit and move the branch"))?
            .detach();

        Ok(CommitInfo {
            commit: commit.to_string(),
            tree: tree.to_string(),
            parent: parent.map(|id| id.to_string()),
            changes,
        })
    }

    /// Writes `index` in the git directory to match the branch's commit, so that `git status` in
    /// an unpacked archive is clean. Entries carry no stat data (like `git read-tree`): git then
    /// compares contents once and refreshes the index itself.
    pub fn write_index(&self) -> Result<(), ExportError> {
        let mut index = match self.head_id()? {
            Some(commit) => {
                let tree = self.tree_of(commit)?;
                self.repo
                    .index_from_tree(&tree)
                    .map_err(ExportError::git("build the index from the tree"))?
            }
            None => {
                gix::index::File::from_state(gix::index::State::new(self.repo.object_hash()), self.repo.index_path())
            }
        };
        index
            .write(gix::index::write::Options::default())
            .map_err(ExportError::git("write the index"))
    }

    fn head_id(&self) -> Result<Option<ObjectId>, ExportError> {
        let reference = self
            .repo
            .try_find_reference(self.branch.as_str())
            .map_err(ExportError::git("read the branch"))?;
        match reference {
            None => Ok(None),
            Some(mut reference) => Ok(Some(
                reference
                    .peel_to_id()
                    .map_err(ExportError::git("resolve the branch"))?
                    .detach(),
            )),
        }
    }

    fn tree_of(&self, commit: ObjectId) -> Result<ObjectId, ExportError> {
        let commit = self
            .repo
            .find_commit(commit)
            .map_err(ExportError::git("read a commit"))?;
        Ok(commit
            .tree_id()
            .map_err(ExportError::git("read a commit's tree"))?
            .detach())
    }

    fn flatten(&self, tree: ObjectId) -> Result<BTreeMap<String, (ObjectId, EntryKind)>, ExportError> {
        let tree = self.repo.find_tree(tree).map_err(ExportError::git("read a tree"))?;
        let entries = tree
            .traverse()
            .breadthfirst
            .files()
            .map_err(ExportError::git("walk a tree"))?;
        Ok(entries
            .into_iter()
            .filter(|entry| entry.mode.is_no_tree())
            .map(|entry| (entry.filepath.to_string(), (entry.oid, entry.mode.kind())))
            .collect())
    }
}
