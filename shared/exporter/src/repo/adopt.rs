//! Adopting an imported repository's history: a fresh git directory that holds the imported
//! objects and its `HEAD` commit as the branch, and nothing else of it. Its config, hooks,
//! alternates (which would make git read objects from anywhere on this machine) and other refs
//! are left behind.

use std::collections::BTreeMap;
use std::path::Path;

use gix::ObjectId;
use gix::refs::store::WriteReflog;
use gix::refs::transaction::PreviousValue;

use super::LocalRepo;
use super::setup::branch_ref;
use crate::ExportError;

/// The history a [`LocalRepo::adopt`] kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adopted {
    /// The imported `HEAD` commit (hex): the branch's head.
    pub head: String,
    /// Commits reachable from it.
    pub commits: u64,
}

impl LocalRepo {
    /// A new repository at `git_dir` (missing or empty) whose `branch` is `source`'s `HEAD`
    /// commit with all its history. `None` when `source` has no commit (an unborn `HEAD`). A
    /// history whose objects are missing or damaged is [`ExportError::BadImport`].
    pub fn adopt(source: &Path, git_dir: &Path, branch: &str) -> Result<Option<(Self, Adopted)>, ExportError> {
        let Some(head) = resolve_head(source)? else {
            return Ok(None);
        };
        let mut repo = Self::open_or_init(git_dir, branch)?;
        copy_objects(&source.join("objects"), &git_dir.join("objects"))?;
        let damaged = |what: &str| {
            let what = what.to_owned();
            move |err: gix::Error| ExportError::BadImport(format!("the archive's .git is damaged ({what}: {err})"))
        };
        let commits = {
            let walk = repo.repo.rev_walk([head]).all().map_err(damaged("walk the history"))?;
            let mut commits = 0_u64;
            for info in walk {
                let info = info.map_err(damaged("walk the history"))?;
                repo.repo.find_commit(info.id).map_err(damaged("read a commit"))?;
                commits += 1;
            }
            commits
        };
        repo.flatten(
            repo.tree_of(head)
                .map_err(|err| ExportError::BadImport(err.to_string()))?,
        )
        .map_err(|err| ExportError::BadImport(format!("the archive's .git is damaged ({err})")))?;
        // No reflog: it would need a committer, and `git update-ref` from a script logs none either.
        let write_reflog = std::mem::replace(&mut repo.repo.refs.write_reflog, WriteReflog::Disable);
        let pointed = repo
            .repo
            .reference(branch_ref(branch)?, head, PreviousValue::Any, "import")
            .map(|_| ())
            .map_err(ExportError::git("point the branch at the imported HEAD"));
        repo.repo.refs.write_reflog = write_reflog;
        pointed?;
        Ok(Some((
            repo,
            Adopted {
                head: head.to_string(),
                commits,
            },
        )))
    }

    /// The branch head's files: path → (blob id hex, mode as git writes it). Empty before the
    /// first commit.
    pub fn head_files(&self) -> Result<BTreeMap<String, (String, String)>, ExportError> {
        let Some(head) = self.head_id()? else {
            return Ok(BTreeMap::new());
        };
        Ok(self
            .flatten(self.tree_of(head)?)?
            .into_iter()
            .map(|(path, (id, kind))| {
                let mode = format!("{:o}", u32::from(gix::objs::tree::EntryMode::from(kind).value()));
                (path, (id.to_string(), mode))
            })
            .collect())
    }
}

/// `HEAD` as a commit id: read from the files, never through the imported config.
fn resolve_head(source: &Path) -> Result<Option<ObjectId>, ExportError> {
    let read = |name: &str| std::fs::read_to_string(source.join(name)).ok();
    let head = read("HEAD").ok_or_else(|| ExportError::BadImport("the archive's .git has no HEAD file".into()))?;
    let head = head.trim();
    let hex = match head.strip_prefix("ref: ") {
        None => Some(head.to_owned()),
        Some(name) => {
            let name = name.trim();
            if !name.starts_with("refs/") || name.split('/').any(|part| part.is_empty() || part == "..") {
                return Err(ExportError::BadImport(format!("the archive's HEAD names {name:?}")));
            }
            read(name).map(|id| id.trim().to_owned()).or_else(|| {
                read("packed-refs")?.lines().find_map(|line| {
                    let (id, refname) = line.split_once(' ')?;
                    (refname.trim() == name).then(|| id.to_owned())
                })
            })
        }
    };
    match hex {
        None => Ok(None),
        Some(hex) => ObjectId::from_hex(hex.as_bytes())
            .map(Some)
            .map_err(|_| ExportError::BadImport(format!("the archive's HEAD is {hex:?}, not a commit id"))),
    }
}

/// Loose objects (`xx/yyyy…`) and packs (`pack/*.pack|idx|rev`), nothing else (`info/alternates`
/// stays behind).
fn copy_objects(from: &Path, to: &Path) -> Result<(), ExportError> {
    let Ok(dirs) = std::fs::read_dir(from) else {
        return Ok(());
    };
    for dir in dirs.flatten() {
        let name = dir.file_name().to_string_lossy().into_owned();
        let loose = name.len() == 2 && name.bytes().all(|b| b.is_ascii_hexdigit());
        if !(loose || name == "pack") || !dir.path().is_dir() {
            continue;
        }
        let target = to.join(&name);
        std::fs::create_dir_all(&target).map_err(ExportError::io("create", &target))?;
        for file in std::fs::read_dir(dir.path())
            .map_err(ExportError::io("list", dir.path()))?
            .flatten()
        {
            let file_name = file.file_name().to_string_lossy().into_owned();
            let wanted = if loose {
                file_name.len() == 38 && file_name.bytes().all(|b| b.is_ascii_hexdigit())
            } else {
                [".pack", ".idx", ".rev"].iter().any(|ext| file_name.ends_with(ext))
            };
            if wanted && file.path().is_file() {
                std::fs::copy(file.path(), target.join(&file_name)).map_err(ExportError::io("copy", file.path()))?;
            }
        }
    }
    Ok(())
}
