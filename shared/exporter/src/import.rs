//! Reading an archive someone else made (an upload, a forge's tarball) into a tree the project's
//! path policy accepts. Every entry is decompressed under a byte budget (an archive's sizes are
//! claims, not facts), every path goes through the one policy ([`safe_path`]) and is refused with
//! its reason if it fails, links and special files are refused (they could point outside), and a
//! top-level `.git` is set aside as the history to adopt ([`crate::LocalRepo::adopt`]).

use std::collections::BTreeSet;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use forgeflow_domain::path::{case_collision, safe_path};

use crate::{ExportError, FileEntry};

/// What an import may hold: the generations' limits for the tree, and a budget for the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    pub max_files: usize,
    pub max_file_bytes: u64,
    pub max_total_bytes: u64,
    /// The `.git` folder's bytes (pack files are big; they are not part of the tree).
    pub max_history_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    Zip,
    TarGz,
}

/// One file of the imported tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedFile {
    pub path: String,
    /// `"100644"` or `"100755"`.
    pub mode: &'static str,
    pub content: Vec<u8>,
}

impl ImportedFile {
    pub fn entry(&self) -> FileEntry {
        FileEntry::new(self.path.clone(), self.mode)
    }
}

#[derive(Debug, Default)]
pub struct Unpacked {
    /// Sorted by path.
    pub files: Vec<ImportedFile>,
    /// Entries left out, with the reason (an unsafe path, a link, a duplicate).
    pub refused: Vec<(String, String)>,
    /// Where the archive's `.git` was written, if it had one.
    pub git_dir: Option<PathBuf>,
}

enum Kind {
    File { executable: bool, content: Vec<u8> },
    Directory,
    Refused(&'static str),
}

struct Entry {
    path: String,
    kind: Kind,
}

/// Reads `bytes` as `kind`. A single folder holding everything (how forges and most zip tools
/// archive a repository) is stepped into. The `.git` at the top, if any, is written under
/// `history_dir`.
pub fn unpack(
    bytes: &[u8],
    kind: ArchiveKind,
    history_dir: &Path,
    limits: &ImportLimits,
) -> Result<Unpacked, ExportError> {
    let mut budget = Budget {
        limits,
        used: 0,
        files: 0,
    };
    let entries = match kind {
        ArchiveKind::TarGz => tar_entries(bytes, &mut budget)?,
        ArchiveKind::Zip => zip_entries(bytes, &mut budget)?,
    };
    let strip = single_top_folder(&entries);
    let mut unpacked = Unpacked::default();
    let mut seen = BTreeSet::new();
    for entry in entries {
        let raw = match &strip {
            // The top folder's own entry strips to nothing; it is a directory, skipped below.
            Some(top) => entry.path.strip_prefix(top.as_str()).unwrap_or_default().to_owned(),
            None => entry.path,
        };
        let content = match entry.kind {
            Kind::Directory => continue,
            Kind::Refused(reason) => {
                unpacked.refused.push((raw, reason.to_owned()));
                continue;
            }
            Kind::File { executable, content } => (executable, content),
        };
        if let Some(inner) = raw.strip_prefix(".git/") {
            write_history(history_dir, inner, &content.1)?;
            unpacked.git_dir = Some(history_dir.to_owned());
            continue;
        }
        if raw.is_empty() {
            continue;
        }
        let path = match safe_path(&raw) {
            Ok(path) => path,
            Err(reason) => {
                unpacked.refused.push((raw, reason.to_string()));
                continue;
            }
        };
        if !seen.insert(path.clone()) {
            unpacked.refused.push((raw, "it is in the archive twice".into()));
            continue;
        }
        let (executable, content) = content;
        if content.len() as u64 > limits.max_file_bytes {
            return Err(too_large(format!(
                "{path} is {} bytes; a file may have at most {}",
                content.len(),
                limits.max_file_bytes
            )));
        }
        unpacked.files.push(ImportedFile {
            path,
            mode: if executable { "100755" } else { "100644" },
            content,
        });
    }
    unpacked.files.sort_by(|a, b| a.path.cmp(&b.path));
    while let Some((_, other)) = case_collision(unpacked.files.iter().map(|file| file.path.as_str())) {
        let other = other.to_owned();
        unpacked.files.retain(|file| file.path != other);
        unpacked
            .refused
            .push((other, "another file has the same name but for case".into()));
    }
    if unpacked.files.len() > limits.max_files {
        return Err(too_large(format!(
            "{} files; an import may have at most {}",
            unpacked.files.len(),
            limits.max_files
        )));
    }
    crate::check_files(&unpacked.files.iter().map(ImportedFile::entry).collect::<Vec<_>>())?;
    Ok(unpacked)
}

fn too_large(reason: String) -> ExportError {
    ExportError::BadImport(reason)
}

/// Counts decompressed bytes across the whole archive, whatever its headers claim.
struct Budget<'l> {
    limits: &'l ImportLimits,
    used: u64,
    files: usize,
}

impl Budget<'_> {
    fn read(&mut self, path: &str, reader: impl Read) -> Result<Vec<u8>, ExportError> {
        self.files += 1;
        // Files, directories and the history's objects: far more than this is an archive bomb.
        if self.files > self.limits.max_files * 4 + 100_000 {
            return Err(too_large(format!("more than {} entries", self.files - 1)));
        }
        let allowed = self.limits.max_total_bytes + self.limits.max_history_bytes - self.used;
        let mut content = Vec::new();
        reader
            .take(allowed + 1)
            .read_to_end(&mut content)
            .map_err(|err| ExportError::BadImport(format!("{path} cannot be read: {err}")))?;
        self.used += content.len() as u64;
        if content.len() as u64 > allowed {
            return Err(too_large(format!(
                "the archive unpacks to more than {} bytes",
                self.limits.max_total_bytes + self.limits.max_history_bytes
            )));
        }
        Ok(content)
    }
}

fn tar_entries(bytes: &[u8], budget: &mut Budget<'_>) -> Result<Vec<Entry>, ExportError> {
    let bad = |err: std::io::Error| ExportError::BadImport(format!("not a readable tar.gz archive: {err}"));
    let mut archive = tar::Archive::new(GzDecoder::new(bytes));
    let mut entries = Vec::new();
    for entry in archive.entries().map_err(bad)? {
        let entry = entry.map_err(bad)?;
        let header = entry.header();
        let Ok(path) = std::str::from_utf8(&entry.path_bytes()).map(without_dot_slash) else {
            entries.push(Entry {
                path: String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
                kind: Kind::Refused("its name is not UTF-8"),
            });
            continue;
        };
        let kind = match header.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let executable = header.mode().is_ok_and(|mode| mode & 0o111 != 0);
                let content = budget.read(&path, entry)?;
                Kind::File { executable, content }
            }
            tar::EntryType::Directory => Kind::Directory,
            // git archive's commit id comment, and per-file metadata: not files.
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => continue,
            tar::EntryType::Symlink | tar::EntryType::Link => {
                Kind::Refused("a link (it could point outside the project)")
            }
            _ => Kind::Refused("not a regular file"),
        };
        entries.push(Entry { path, kind });
    }
    Ok(entries)
}

fn zip_entries(bytes: &[u8], budget: &mut Budget<'_>) -> Result<Vec<Entry>, ExportError> {
    let bad = |err: zip::result::ZipError| ExportError::BadImport(format!("not a readable zip archive: {err}"));
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(bad)?;
    let mut entries = Vec::new();
    for index in 0..archive.len() {
        let file = archive.by_index(index).map_err(bad)?;
        let Ok(name) = file.name() else {
            entries.push(Entry {
                path: format!("(entry {index})"),
                kind: Kind::Refused("its name is not UTF-8"),
            });
            continue;
        };
        let path = without_dot_slash(&name);
        let unix = file.unix_mode().unwrap_or(0o100644);
        let kind = if file.is_dir() {
            Kind::Directory
        } else if unix & 0o170000 == 0o120000 {
            Kind::Refused("a link (it could point outside the project)")
        } else if unix & 0o170000 != 0o100000 && unix & 0o170000 != 0 {
            Kind::Refused("not a regular file")
        } else {
            let executable = unix & 0o111 != 0;
            let content = budget.read(&path, file)?;
            Kind::File { executable, content }
        };
        entries.push(Entry { path, kind });
    }
    Ok(entries)
}

/// `./src/x` as `src/x`, as most tar tools write it.
fn without_dot_slash(path: &str) -> String {
    path.trim_start_matches("./").to_owned()
}

/// The folder every entry sits in, when there is exactly one and nothing beside it (tar writes
/// a folder's own entry without the trailing slash).
fn single_top_folder(entries: &[Entry]) -> Option<String> {
    let mut top: Option<&str> = None;
    for entry in entries {
        let directory = matches!(entry.kind, Kind::Directory);
        let path = entry.path.trim_end_matches('/');
        let (first, rest) = match path.split_once('/') {
            Some(split) => split,
            None if directory => (path, ""),
            None => return None,
        };
        if first.is_empty() || first == ".git" || (rest.is_empty() && !directory) {
            return None;
        }
        match top {
            None => top = Some(first),
            Some(seen) if seen == first => {}
            Some(_) => return None,
        }
    }
    top.map(|top| format!("{top}/"))
}

/// One file of the archive's `.git`, under `history_dir`. Only plain relative names: the
/// history is never a way to write outside its folder.
fn write_history(history_dir: &Path, inner: &str, content: &[u8]) -> Result<(), ExportError> {
    let refused = || ExportError::BadImport(format!(".git/{inner} is not a name a git directory holds"));
    if inner.is_empty() || inner.starts_with('/') || inner.contains('\\') {
        return Err(refused());
    }
    if inner
        .split('/')
        .any(|segment| segment.is_empty() || segment == "." || segment == ".." || segment.contains(':'))
    {
        return Err(refused());
    }
    let target = history_dir.join(inner);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(ExportError::io("create", parent))?;
    }
    std::fs::write(&target, content).map_err(ExportError::io("write", &target))
}

#[cfg(test)]
mod tests;
