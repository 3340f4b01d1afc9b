//! The git directory as one tar.gz, for keeping a project's history in object storage between
//! exports (a Lambda's disk does not survive), and back.

use std::io::{Read, Write};
use std::path::{Component, Path};
use std::time::SystemTime;

use flate2::Compression;
use flate2::read::GzDecoder;

use crate::archive::TarSink;
use crate::archive::sink::{Sink, copy_git_dir};
use crate::{ExportError, walk};

/// Packs every file under `git_dir`, with paths relative to it.
///
/// Fast compression: objects and packs are deflated already, a higher level buys almost nothing.
pub fn pack_git_dir(git_dir: &Path, out: &mut impl Write) -> Result<(), ExportError> {
    let items = walk::git_dir(git_dir)?;
    let mut sink = TarSink::new(out, Compression::fast(), SystemTime::now());
    copy_git_dir(&mut sink, &items, "")?;
    sink.finish()
}

/// Unpacks what [`pack_git_dir`] wrote into `git_dir`, which must be missing or empty (stale refs
/// or objects from another repository must not mix in).
///
/// Only regular files and directories inside `git_dir` are accepted: a link, a device or a path
/// that climbs out is refused, whoever produced the archive.
pub fn unpack_git_dir(input: impl Read, git_dir: &Path) -> Result<(), ExportError> {
    std::fs::create_dir_all(git_dir).map_err(ExportError::io("create", git_dir))?;
    let mut existing = std::fs::read_dir(git_dir).map_err(ExportError::io("list", git_dir))?;
    if existing.next().is_some() {
        return Err(ExportError::NotEmpty(git_dir.to_owned()));
    }
    let failed = |source| ExportError::Io {
        action: "unpack into",
        path: git_dir.to_owned(),
        source,
    };
    let mut archive = tar::Archive::new(GzDecoder::new(input));
    let entries = archive.entries().map_err(failed)?;
    for entry in entries {
        let mut entry = entry.map_err(failed)?;
        let path = entry.path().map_err(failed)?.into_owned();
        let shown = path.to_string_lossy().into_owned();
        if !matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Directory
        ) {
            return Err(ExportError::BadPackEntry {
                path: shown,
                reason: "not a regular file or a directory",
            });
        }
        if !path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(ExportError::BadPackEntry {
                path: shown,
                reason: "outside the git directory",
            });
        }
        let unpacked = entry.unpack_in(git_dir).map_err(failed)?;
        if !unpacked {
            return Err(ExportError::BadPackEntry {
                path: shown,
                reason: "outside the git directory",
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use flate2::write::GzEncoder;
    use tar::{EntryType, Header};

    use super::*;

    /// A tar.gz with one entry, its name set byte by byte: tar's own builder refuses `..`.
    fn packed(name: &str, kind: EntryType, link: Option<&str>) -> Vec<u8> {
        let mut header = Header::new_old();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_entry_type(kind);
        header.set_mode(0o644);
        header.set_size(if kind == EntryType::Regular { 4 } else { 0 });
        if let Some(link) = link {
            header.set_link_name(link).unwrap();
        }
        header.set_cksum();
        let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
        let data: &[u8] = if kind == EntryType::Regular { b"evil" } else { b"" };
        builder.append(&header, data).unwrap();
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn entries_outside_the_git_dir_links_and_devices_are_refused() {
        let dir = tempfile::TempDir::new().unwrap();
        let cases = [
            ("climbing", packed("../outside.txt", EntryType::Regular, None)),
            ("absolute", packed("/tmp/outside.txt", EntryType::Regular, None)),
            (
                "symlink",
                packed("hooks/pre-commit", EntryType::Symlink, Some("/bin/sh")),
            ),
            ("hardlink", packed("config", EntryType::Link, Some("/etc/passwd"))),
            ("fifo", packed("fifo", EntryType::Fifo, None)),
        ];
        for (name, archive) in cases {
            let target = dir.path().join(name).join(".git");
            let error = unpack_git_dir(archive.as_slice(), &target).unwrap_err();
            assert!(matches!(error, ExportError::BadPackEntry { .. }), "{name}: {error}");
        }
        assert!(!dir.path().join("outside.txt").exists());
    }

    #[test]
    fn unpacking_into_a_non_empty_directory_is_refused() {
        let dir = tempfile::TempDir::new().unwrap();
        std::fs::write(dir.path().join("HEAD"), "ref: refs/heads/old\n").unwrap();
        let archive = packed("HEAD", EntryType::Regular, None);
        let error = unpack_git_dir(archive.as_slice(), dir.path()).unwrap_err();
        assert!(matches!(error, ExportError::NotEmpty(_)), "{error}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("HEAD")).unwrap(),
            "ref: refs/heads/old\n"
        );
    }

    #[test]
    fn packing_something_that_is_not_a_git_dir_is_refused() {
        let dir = tempfile::TempDir::new().unwrap();
        let error = pack_git_dir(dir.path(), &mut Vec::new()).unwrap_err();
        assert!(matches!(error, ExportError::MissingGitDir(_)), "{error}");
    }
}
