//! The files of a git directory, listed before any byte of an archive is written, in a stable
//! order so the same repository always gives the same archive layout.

use std::fs;
use std::path::{Path, PathBuf};

use crate::ExportError;

pub(crate) enum Item {
    Dir {
        /// `/`-separated, relative to the git directory.
        rel: String,
    },
    File {
        rel: String,
        path: PathBuf,
        executable: bool,
        size: u64,
    },
}

pub(crate) fn git_dir(git_dir: &Path) -> Result<Vec<Item>, ExportError> {
    if !git_dir.join("HEAD").is_file() {
        return Err(ExportError::MissingGitDir(git_dir.to_owned()));
    }
    let mut items = Vec::new();
    visit(git_dir, "", &mut items)?;
    Ok(items)
}

fn visit(dir: &Path, rel: &str, items: &mut Vec<Item>) -> Result<(), ExportError> {
    let mut entries = fs::read_dir(dir)
        .and_then(|entries| entries.collect::<Result<Vec<_>, _>>())
        .map_err(ExportError::io("list", dir))?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let path = entry.path();
        let Ok(name) = entry.file_name().into_string() else {
            return Err(ExportError::UnsupportedGitDirEntry {
                path,
                reason: "not named in UTF-8",
            });
        };
        let rel = if rel.is_empty() { name } else { format!("{rel}/{name}") };
        // symlink_metadata: a link must not pull files from outside the git directory in.
        let meta = fs::symlink_metadata(&path).map_err(ExportError::io("inspect", &path))?;
        if meta.is_dir() {
            items.push(Item::Dir { rel: rel.clone() });
            visit(&path, &rel, items)?;
        } else if meta.is_file() {
            items.push(Item::File {
                rel,
                executable: is_executable(&meta),
                size: meta.len(),
                path,
            });
        } else {
            return Err(ExportError::UnsupportedGitDirEntry {
                path,
                reason: "a symbolic link or a special file",
            });
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &fs::Metadata) -> bool {
    false
}
