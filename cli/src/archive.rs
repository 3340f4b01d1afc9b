//! Unpacking an export's archive: one top-level directory (the repository, `.git` included),
//! written under the output directory. Paths that would leave it are refused by the archive
//! crates themselves (`enclosed_name`, `unpack_in`).

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use crate::error::CliError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Zip,
    TarGz,
}

/// Unpacks `archive` into `into` and returns the repository's directory.
pub fn unpack(archive: &mut File, format: Format, into: &Path) -> Result<PathBuf, CliError> {
    std::fs::create_dir_all(into).map_err(|err| CliError::io(format!("cannot create {}", into.display()), err))?;
    archive
        .seek(SeekFrom::Start(0))
        .map_err(|err| CliError::io("cannot read the archive", err))?;
    match format {
        Format::Zip => unpack_zip(archive, into),
        Format::TarGz => unpack_tar_gz(archive, into),
    }
}

fn broken(reason: impl std::fmt::Display) -> CliError {
    CliError::Failed(format!("the downloaded archive cannot be unpacked: {reason}"))
}

/// The first component of an archive path, if it is a plain name.
fn top(path: &Path) -> Option<PathBuf> {
    match path.components().next() {
        Some(Component::Normal(name)) => Some(PathBuf::from(name)),
        _ => None,
    }
}

/// The one directory every entry sits in; it must not exist yet with something in it.
fn root_of(into: &Path, tops: impl IntoIterator<Item = Option<PathBuf>>) -> Result<PathBuf, CliError> {
    let mut root: Option<PathBuf> = None;
    for top in tops {
        let top = top.ok_or_else(|| broken("an entry has an unsafe path"))?;
        match &root {
            Some(root) if *root != top => return Err(broken("more than one top-level directory")),
            Some(_) => {}
            None => root = Some(top),
        }
    }
    let root = into.join(root.ok_or_else(|| broken("it is empty"))?);
    let occupied = std::fs::read_dir(&root).is_ok_and(|mut entries| entries.next().is_some());
    if occupied {
        return Err(CliError::Usage(format!(
            "{} already exists and is not empty: remove it or choose another --out",
            root.display()
        )));
    }
    Ok(root)
}

fn unpack_zip(archive: &mut File, into: &Path) -> Result<PathBuf, CliError> {
    let mut zip = zip::ZipArchive::new(archive).map_err(broken)?;
    let mut tops = Vec::with_capacity(zip.len());
    for index in 0..zip.len() {
        let entry = zip.by_index_raw(index).map_err(broken)?;
        tops.push(entry.enclosed_name().as_deref().and_then(top));
    }
    let root = root_of(into, tops)?;
    zip.extract(into).map_err(broken)?;
    Ok(root)
}

fn unpack_tar_gz(archive: &mut File, into: &Path) -> Result<PathBuf, CliError> {
    // First pass: the names (a tar has no index); second: the files.
    let mut tops = Vec::new();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&mut *archive));
    for entry in tar.entries().map_err(broken)? {
        let entry = entry.map_err(broken)?;
        let path = entry.path().map_err(broken)?;
        let safe = !path.components().any(|component| {
            matches!(
                component,
                Component::ParentDir | Component::RootDir | Component::Prefix(_)
            )
        });
        tops.push(top(&path).filter(|_| safe));
    }
    let root = root_of(into, tops)?;
    archive
        .seek(SeekFrom::Start(0))
        .map_err(|err| CliError::io("cannot read the archive", err))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&mut *archive));
    for entry in tar.entries().map_err(broken)? {
        let mut entry = entry.map_err(broken)?;
        if !entry.unpack_in(into).map_err(broken)? {
            return Err(broken("an entry leaves the output directory"));
        }
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn tar_gz(entries: &[(&str, &[u8])]) -> File {
        let mut file = tempfile::tempfile().unwrap();
        {
            let gz = flate2::write::GzEncoder::new(&mut file, flate2::Compression::fast());
            let mut tar = tar::Builder::new(gz);
            for (path, data) in entries {
                let mut header = tar::Header::new_gnu();
                header.set_size(data.len() as u64);
                header.set_mode(0o644);
                header.set_cksum();
                tar.append_data(&mut header, path, *data).unwrap();
            }
            tar.into_inner().unwrap().finish().unwrap();
        }
        file
    }

    fn zip_file(entries: &[(&str, &[u8])]) -> File {
        let mut file = tempfile::tempfile().unwrap();
        {
            let mut zip = zip::ZipWriter::new(&mut file);
            for (path, data) in entries {
                zip.start_file(*path, zip::write::SimpleFileOptions::default().unix_permissions(0o755))
                    .unwrap();
                zip.write_all(data).unwrap();
            }
            zip.finish().unwrap();
        }
        file
    }

    #[test]
    fn both_formats_unpack_under_their_root() {
        for format in [Format::Zip, Format::TarGz] {
            let entries: &[(&str, &[u8])] = &[("lib/README.md", b"hi"), ("lib/.git/HEAD", b"ref: refs/heads/main\n")];
            let mut file = match format {
                Format::Zip => zip_file(entries),
                Format::TarGz => tar_gz(entries),
            };
            let out = tempfile::tempdir().unwrap();
            let root = unpack(&mut file, format, out.path()).unwrap();
            assert_eq!(root, out.path().join("lib"));
            assert_eq!(std::fs::read(root.join("README.md")).unwrap(), b"hi");
            assert!(root.join(".git/HEAD").is_file());
            // Not over an earlier export.
            let err = unpack(&mut file, format, out.path()).unwrap_err();
            assert!(err.to_string().contains("already exists"), "{err}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn zip_modes_survive() {
        use std::os::unix::fs::PermissionsExt;
        let mut file = zip_file(&[("r/run.sh", b"#!/bin/sh\n")]);
        let out = tempfile::tempdir().unwrap();
        let root = unpack(&mut file, Format::Zip, out.path()).unwrap();
        let mode = std::fs::metadata(root.join("run.sh")).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111);
    }

    #[test]
    fn two_roots_or_escapes_are_refused() {
        let mut file = tar_gz(&[("a/x", b"1"), ("b/y", b"2")]);
        let out = tempfile::tempdir().unwrap();
        assert!(unpack(&mut file, Format::TarGz, out.path()).is_err());
        let mut file = zip_file(&[("../evil", b"1")]);
        assert!(unpack(&mut file, Format::Zip, out.path()).is_err());
        assert!(!out.path().parent().unwrap().join("evil").exists());
    }
}
