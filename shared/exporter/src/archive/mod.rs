//! Archives of an export: the working tree under `<root>/` and the git directory as
//! `<root>/.git/`, streamed entry by entry into a zip or a tar.gz.

pub(crate) mod sink;
pub(crate) mod tar;
mod zip;

use std::collections::HashSet;
use std::io::{Seek, Write};
use std::path::Path;
use std::time::SystemTime;

use flate2::Compression;

use self::sink::{Sink, copy_git_dir};
pub(crate) use self::tar::TarSink;
use self::zip::ZipSink;
use crate::{ExportError, FileEntry, path, walk};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Zip,
    TarGz,
}

impl Format {
    /// Without the dot: `zip`, `tar.gz`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Zip => "zip",
            Format::TarGz => "tar.gz",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Zip => "application/zip",
            Format::TarGz => "application/gzip",
        }
    }
}

/// Writes `<root>/<path>` for each of `files` (content fetched through `read`, one file at a time,
/// in the order given), then every file under `git_dir` as `<root>/.git/...`, into `out`.
///
/// Memory is bounded by the largest single file: working-tree contents are dropped once written
/// and git files are streamed from disk. `100755` files are executable once unpacked, from either
/// format. `root` may be empty for an archive without a top-level directory. Every path is checked
/// (and the git directory listed) before anything is written.
pub fn write(
    format: Format,
    out: &mut (impl Write + Seek),
    root: &str,
    files: &[FileEntry],
    read: &mut dyn FnMut(&FileEntry) -> Result<Vec<u8>, ExportError>,
    git_dir: &Path,
) -> Result<(), ExportError> {
    path::check_root(root)?;
    path::check_all(files)?;
    let git_items = walk::git_dir(git_dir)?;
    let mtime = SystemTime::now();
    match format {
        Format::Zip => fill(ZipSink::new(out, mtime), root, files, read, &git_items),
        Format::TarGz => fill(
            TarSink::new(out, Compression::default(), mtime),
            root,
            files,
            read,
            &git_items,
        ),
    }
}

fn fill(
    mut sink: impl Sink,
    root: &str,
    files: &[FileEntry],
    read: &mut dyn FnMut(&FileEntry) -> Result<Vec<u8>, ExportError>,
    git_items: &[walk::Item],
) -> Result<(), ExportError> {
    let under_root = |rel: &str| {
        if root.is_empty() {
            rel.to_owned()
        } else {
            format!("{root}/{rel}")
        }
    };
    let mut dirs = Directories::default();
    for file in files {
        let path = under_root(&file.path);
        dirs.enter(&mut sink, &path)?;
        let content = read(file)?;
        let executable = file.mode == "100755";
        sink.file(&path, executable, content.len() as u64, false, &mut content.as_slice())?;
    }
    let git_root = under_root(".git");
    dirs.enter(&mut sink, &format!("{git_root}/"))?;
    copy_git_dir(&mut sink, git_items, &git_root)?;
    sink.finish()
}

/// Explicit directory entries, each written before its first file: some unzip tools give implied
/// directories odd permissions, and listings read better.
#[derive(Default)]
struct Directories(HashSet<String>);

impl Directories {
    fn enter(&mut self, sink: &mut impl Sink, path: &str) -> Result<(), ExportError> {
        for (at, _) in path.match_indices('/') {
            if self.0.insert(path[..at].to_owned()) {
                sink.directory(&path[..at])?;
            }
        }
        Ok(())
    }
}
