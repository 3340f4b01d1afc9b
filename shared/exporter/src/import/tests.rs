use std::collections::BTreeMap;
use std::io::Write;

use chrono::Utc;
use flate2::Compression;
use flate2::write::GzEncoder;

use super::*;
use crate::archive::{self, Format};
use crate::{Adopted, Author, LocalRepo};

const LIMITS: ImportLimits = ImportLimits {
    max_files: 100,
    max_file_bytes: 1024,
    max_total_bytes: 64 * 1024,
    max_history_bytes: 1024 * 1024,
};

/// A tar.gz of `(path, mode, content)`, links as `(path, "link", target)`.
fn tarball(entries: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    for (path, mode, content) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(if *mode == "link" { 0 } else { content.len() as u64 });
        if *mode == "link" {
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_link_name(std::str::from_utf8(content).unwrap()).unwrap();
            header.set_mode(0o777);
        } else {
            header.set_mode(u32::from_str_radix(mode, 8).unwrap());
        }
        // Raw names: `set_path` would refuse the `..` this test needs to send.
        let name = header.as_old_mut();
        name.name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_cksum();
        let body: &[u8] = if *mode == "link" { &[] } else { content };
        builder.append(&header, body).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn a_tarball_is_stepped_into_and_what_breaks_the_path_policy_is_refused_with_its_reason() {
    let bytes = tarball(&[
        ("acme-app-1a2b3c4/README.md", "644", b"# App\n"),
        ("acme-app-1a2b3c4/bin/run", "755", b"#!/bin/sh\n"),
        ("acme-app-1a2b3c4/../evil", "644", b"x"),
        ("acme-app-1a2b3c4/docs/.git/config", "644", b"x"),
        ("acme-app-1a2b3c4/latest", "link", b"/etc/passwd"),
        ("acme-app-1a2b3c4/src/a\u{202e}b.rs", "644", b"x"),
        // One name on Windows and macOS: two files, a file and a folder, two folders.
        ("acme-app-1a2b3c4/Readme.md", "644", b"x"),
        ("acme-app-1a2b3c4/readme.md/notes", "644", b"x"),
        ("acme-app-1a2b3c4/Bin/tool", "644", b"x"),
    ]);
    let history = dir();

    let unpacked = unpack(&bytes, ArchiveKind::TarGz, history.path(), &LIMITS).unwrap();

    let files: Vec<(&str, &str, &[u8])> = unpacked
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.mode, f.content.as_slice()))
        .collect();
    assert_eq!(
        files,
        [
            // Of two names one but for case, the first in path order stays.
            ("Bin/tool", "100644", &b"x"[..]),
            ("README.md", "100644", &b"# App\n"[..]),
        ]
    );
    let refused: BTreeMap<&str, &str> = unpacked.refused.iter().map(|(p, r)| (p.as_str(), r.as_str())).collect();
    assert_eq!(refused.len(), 7, "{refused:?}");
    for other in ["Readme.md", "readme.md/notes", "bin/run"] {
        assert!(refused[other].contains("case"), "{refused:?}");
    }
    assert!(refused["latest"].contains("link"));
    assert!(refused.contains_key("../evil") && refused.contains_key("docs/.git/config"));
    assert!(unpacked.git_dir.is_none());
}

#[test]
fn an_archive_that_unpacks_past_the_budget_is_refused_whatever_its_headers_say() {
    let big = vec![b'a'; 2 * 1024 * 1024];
    let bytes = tarball(&[("a.txt", "644", &big)]);
    assert!(bytes.len() < 64 * 1024, "it compresses well: a small upload");
    let error = unpack(&bytes, ArchiveKind::TarGz, dir().path(), &LIMITS).unwrap_err();
    assert!(
        matches!(&error, ExportError::BadImport(m) if m.contains("unpacks to more than")),
        "{error}"
    );
    let file = vec![b'a'; 2048];
    let error = unpack(
        &tarball(&[("a.txt", "644", &file)]),
        ArchiveKind::TarGz,
        dir().path(),
        &LIMITS,
    )
    .unwrap_err();
    assert!(
        matches!(&error, ExportError::BadImport(m) if m.contains("a file may have at most 1024")),
        "{error}"
    );
    let error = unpack(b"not an archive", ArchiveKind::Zip, dir().path(), &LIMITS).unwrap_err();
    assert!(!error.is_retryable() && error.to_string().contains("not a readable zip archive"));
}

/// A repository with two commits, as Forgeflow's own zip export packs it.
fn exported(format: Format, extra_git_file: Option<(&str, &[u8])>) -> (Vec<u8>, String) {
    let work = dir();
    let git_dir = work.path().join("git");
    let mut repo = LocalRepo::open_or_init(&git_dir, "main").unwrap();
    let author = Author {
        name: "Ada".into(),
        email: "ada@example.com".into(),
    };
    let files = [
        FileEntry::new("README.md", "100644"),
        FileEntry::new("run.sh", "100755"),
    ];
    let read = |version: &'static str| {
        move |file: &FileEntry| Ok::<_, ExportError>(format!("{} {version}\n", file.path).into_bytes())
    };
    repo.commit(&files, &mut read("one"), &author, "first", Utc::now())
        .unwrap();
    let head = repo
        .commit(&files, &mut read("two"), &author, "second", Utc::now())
        .unwrap()
        .commit;
    repo.write_index().unwrap();
    if let Some((name, content)) = extra_git_file {
        let path = git_dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::File::create(path).unwrap().write_all(content).unwrap();
    }
    let mut out = std::io::Cursor::new(Vec::new());
    archive::write(format, &mut out, "project", &files, &mut read("two"), &git_dir).unwrap();
    (out.into_inner(), head)
}

#[test]
fn an_archives_git_folder_becomes_the_history_and_nothing_else_of_it_comes_along() {
    for (format, kind) in [(Format::Zip, ArchiveKind::Zip), (Format::TarGz, ArchiveKind::TarGz)] {
        adopts_the_history_of(format, kind);
    }
}

fn adopts_the_history_of(format: Format, kind: ArchiveKind) {
    let (bytes, head) = exported(format, Some(("objects/info/alternates", b"/etc\n")));
    let scratch = dir();
    let history = scratch.path().join("theirs");

    let unpacked = unpack(&bytes, kind, &history, &LIMITS).unwrap();
    assert_eq!(unpacked.files.len(), 2);
    assert_eq!(unpacked.files[1].mode, "100755");
    assert_eq!(unpacked.git_dir.as_deref(), Some(history.as_path()));

    let ours = scratch.path().join("ours");
    let (repo, adopted) = LocalRepo::adopt(&history, &ours, "main").unwrap().unwrap();
    assert_eq!(
        adopted,
        Adopted {
            head: head.clone(),
            commits: 2
        }
    );
    assert_eq!(repo.head().unwrap().as_deref(), Some(head.as_str()));
    let tree = repo.head_files().unwrap();
    assert_eq!(tree["run.sh"].1, "100755");
    assert_eq!(
        tree["README.md"].0,
        forgeflow_domain::manifest::git_blob_id(b"README.md two\n")
    );
    assert!(!ours.join("objects/info/alternates").exists(), "alternates stay behind");
}

#[test]
fn a_history_without_its_objects_is_damaged_not_retried() {
    let scratch = dir();
    let theirs = scratch.path().join("theirs");
    std::fs::create_dir_all(theirs.join("refs/heads")).unwrap();
    std::fs::write(theirs.join("HEAD"), "ref: refs/heads/trunk\n").unwrap();
    std::fs::write(
        theirs.join("packed-refs"),
        format!("{} refs/heads/trunk\n", "ab".repeat(20)),
    )
    .unwrap();
    let error = match LocalRepo::adopt(&theirs, &scratch.path().join("ours"), "main") {
        Err(error) => error,
        Ok(_) => panic!("a history without objects is adopted"),
    };
    assert!(!error.is_retryable(), "{error}");
    assert!(error.to_string().contains("damaged"), "{error}");

    std::fs::write(theirs.join("HEAD"), "ref: refs/heads/none\n").unwrap();
    assert!(
        LocalRepo::adopt(&theirs, &scratch.path().join("unborn"), "main")
            .unwrap()
            .is_none()
    );
}
