//! The exporter against the real `git` CLI: object ids, fsck, archives unpacked by the system's
//! tools, history across exports and across packing the git directory.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, TimeZone, Utc};
use forgeflow_exporter::archive::{self, Format};
use forgeflow_exporter::{Author, ChangeKind, ExportError, FileEntry, LocalRepo, pack_git_dir, unpack_git_dir};
use tempfile::TempDir;

/// Files of a test tree: path → (content, executable).
type Tree = BTreeMap<String, (Vec<u8>, bool)>;

fn entries(tree: &Tree) -> Vec<FileEntry> {
    let mode = |exec: bool| if exec { "100755" } else { "100644" };
    tree.iter()
        .map(|(path, (_, exec))| FileEntry::new(path.clone(), mode(*exec)))
        .collect()
}

fn reader(tree: &Tree) -> impl FnMut(&FileEntry) -> Result<Vec<u8>, ExportError> + '_ {
    |file| Ok(tree[&file.path].0.clone())
}

fn author() -> Author {
    Author {
        name: "Forgeflow Bot".into(),
        email: "bot@forgeflow.test".into(),
    }
}

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
}

/// `git` with no system or user configuration, so the machine's settings change nothing.
fn git_cmd(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    command
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_cmd(dir).args(args).output().expect("git is installed");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn hash_object(content: &[u8]) -> String {
    let mut child = git_cmd(Path::new("/"))
        .args(["hash-object", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(content).unwrap();
    String::from_utf8(child.wait_with_output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_owned()
}

/// ~50 files in nested directories, one executable, one binary, one empty.
fn sample_tree() -> Tree {
    let mut tree = Tree::new();
    for i in 0..45 {
        let path = format!("src/module_{}/level_{}/file_{i}.rs", i % 5, i % 3);
        tree.insert(path, (format!("// file {i}\npub fn f{i}() {{}}\n").into_bytes(), false));
    }
    tree.insert(
        "README.md".into(),
        ("# Sample ✓ — ünïcödé\n".as_bytes().to_vec(), false),
    );
    tree.insert("scripts/run.sh".into(), (b"#!/bin/sh\necho run\n".to_vec(), true));
    tree.insert(
        "assets/logo.bin".into(),
        ((0..=255u8).cycle().take(3000).collect(), false),
    );
    tree.insert("empty.txt".into(), (Vec::new(), false));
    tree.insert(".github/workflows/ci.yml".into(), (b"on: push\n".to_vec(), false));
    tree
}

fn commit(repo: &mut LocalRepo, tree: &Tree, message: &str, time: DateTime<Utc>) -> forgeflow_exporter::CommitInfo {
    repo.commit(&entries(tree), &mut reader(tree), &author(), message, time)
        .unwrap()
}

/// Every file under `dir` except `.git`, with its content and executable bit.
fn read_worktree(dir: &Path) -> Tree {
    use std::os::unix::fs::PermissionsExt;
    fn visit(dir: &Path, rel: &str, tree: &mut Tree) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            let rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let meta = entry.metadata().unwrap();
            if meta.is_dir() && name != ".git" {
                visit(&entry.path(), &rel, tree);
            } else if meta.is_file() {
                let exec = meta.permissions().mode() & 0o111 != 0;
                tree.insert(rel, (std::fs::read(entry.path()).unwrap(), exec));
            }
        }
    }
    let mut tree = Tree::new();
    visit(dir, "", &mut tree);
    tree
}

fn write_archive(format: Format, dir: &Path, tree: &Tree, git_dir: &Path) -> PathBuf {
    let path = dir.join(format!("export.{}", format.extension()));
    let mut out = std::fs::File::create(&path).unwrap();
    archive::write(format, &mut out, "sample", &entries(tree), &mut reader(tree), git_dir).unwrap();
    path
}

/// Unpacks with the system's tools: `tar` always; `unzip` when installed, else the zip crate.
fn unpack(archive: &Path, into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    let name = archive.to_str().unwrap();
    let status = if name.ends_with(".tar.gz") {
        Command::new("tar")
            .args(["xzf", name, "-C"])
            .arg(into)
            .status()
            .unwrap()
    } else if Command::new("unzip")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        Command::new("unzip")
            .args(["-q", name, "-d"])
            .arg(into)
            .status()
            .unwrap()
    } else {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(archive).unwrap()).unwrap();
        zip.extract(into).unwrap();
        return;
    };
    assert!(status.success(), "unpacking {name} failed");
}

#[test]
fn blobs_trees_and_commits_have_the_ids_git_gives_and_pass_fsck() {
    let dir = TempDir::new().unwrap();
    let mut tree = Tree::new();
    tree.insert("empty".into(), (Vec::new(), false));
    tree.insert(
        "binary.bin".into(),
        ((0..=255u8).rev().cycle().take(70_000).collect(), false),
    );
    tree.insert(
        "dir/unicode.txt".into(),
        ("héllo wörld ✓ 🚀 漢字\n".as_bytes().to_vec(), false),
    );
    tree.insert("dir/sub/tool".into(), (b"#!/bin/sh\n".to_vec(), true));
    let git_dir = dir.path().join("repo/.git");
    let mut repo = LocalRepo::open_or_init(&git_dir, "main").unwrap();
    let info = commit(&mut repo, &tree, "First export", at(0));

    let listed = git(&git_dir, &["ls-tree", "-r", "HEAD"]);
    assert_eq!(listed.lines().count(), tree.len());
    for line in listed.lines() {
        let (meta, path) = line.split_once('\t').unwrap();
        let (content, exec) = &tree[path];
        let fields: Vec<&str> = meta.split(' ').collect();
        assert_eq!(fields[0], if *exec { "100755" } else { "100644" }, "{path}");
        assert_eq!(fields[2], hash_object(content), "blob id of {path}");
        assert_eq!(git_cat(&git_dir, fields[2]), *content, "stored content of {path}");
    }
    git(&git_dir, &["fsck", "--full", "--strict"]);

    // System git, given the same files, author and time, must arrive at the same ids.
    let work = dir.path().join("by-git");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q"]);
    for (path, (content, exec)) in &tree {
        let file = work.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
        if *exec {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    git(&work, &["add", "-A"]);
    assert_eq!(git(&work, &["write-tree"]).trim(), info.tree);
    let date = format!("{} +0000", at(0).timestamp());
    let output = git_cmd(&work)
        .args(["commit-tree", &info.tree, "-m", "First export"])
        .envs([
            ("GIT_AUTHOR_NAME", "Forgeflow Bot"),
            ("GIT_COMMITTER_NAME", "Forgeflow Bot"),
        ])
        .envs([
            ("GIT_AUTHOR_EMAIL", "bot@forgeflow.test"),
            ("GIT_COMMITTER_EMAIL", "bot@forgeflow.test"),
        ])
        .envs([("GIT_AUTHOR_DATE", &date), ("GIT_COMMITTER_DATE", &date)])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap().trim(), info.commit);
    assert_eq!(repo.head().unwrap().as_deref(), Some(info.commit.as_str()));
    assert_eq!(git(&git_dir, &["symbolic-ref", "HEAD"]).trim(), "refs/heads/main");
}

fn git_cat(git_dir: &Path, id: &str) -> Vec<u8> {
    git_cmd(git_dir).args(["cat-file", "blob", id]).output().unwrap().stdout
}

#[test]
fn zip_and_tar_gz_unpack_into_a_clean_repository_holding_exactly_the_files() {
    let dir = TempDir::new().unwrap();
    let tree = sample_tree();
    let git_dir = dir.path().join("state/.git");
    let mut repo = LocalRepo::open_or_init(&git_dir, "main").unwrap();
    let info = commit(&mut repo, &tree, "Export sample", at(0));
    repo.write_index().unwrap();

    for format in [Format::Zip, Format::TarGz] {
        let archive = write_archive(format, dir.path(), &tree, &git_dir);
        let into = dir.path().join(format!("unpacked-{}", format.extension()));
        unpack(&archive, &into);
        let root = into.join("sample");

        git(&root, &["fsck", "--full", "--strict"]);
        let log = git(&root, &["log", "--format=%H|%P|%an <%ae>|%at|%s"]);
        let expected = format!(
            "{}||Forgeflow Bot <bot@forgeflow.test>|{}|Export sample\n",
            info.commit,
            at(0).timestamp()
        );
        assert_eq!(log, expected, "{format:?}");
        assert_eq!(
            git(&root, &["status", "--porcelain"]),
            "",
            "{format:?}: the index matches the tree"
        );
        let staged = git(&root, &["ls-files", "-s"]);
        assert_eq!(staged.lines().count(), tree.len());
        for line in staged.lines() {
            let (meta, path) = line.split_once('\t').unwrap();
            let expected_mode = if tree[path].1 { "100755" } else { "100644" };
            assert!(meta.starts_with(expected_mode), "{format:?} {path}: {meta}");
        }
        assert_eq!(
            read_worktree(&root),
            tree,
            "{format:?}: byte-for-byte, with executable bits"
        );
    }
}

#[test]
fn successive_exports_form_a_linear_history_across_packing_the_git_dir() {
    let dir = TempDir::new().unwrap();
    let first_dir = dir.path().join("one/.git");
    let mut tree = sample_tree();
    let mut repo = LocalRepo::open_or_init(&first_dir, "main").unwrap();
    let first = commit(&mut repo, &tree, "one", at(0));
    assert_eq!(first.parent, None);
    assert_eq!(first.changes.len(), tree.len());
    assert!(first.changes.iter().all(|change| change.kind == ChangeKind::Added));

    // As the worker does: pack the history away, bring it back into a fresh directory.
    let carry = |from: &Path, to: &Path| {
        let mut packed = Vec::new();
        pack_git_dir(from, &mut packed).unwrap();
        unpack_git_dir(packed.as_slice(), to).unwrap();
    };
    let second_dir = dir.path().join("two/.git");
    carry(&first_dir, &second_dir);
    let mut repo = LocalRepo::open_or_init(&second_dir, "main").unwrap();
    assert_eq!(repo.head().unwrap(), Some(first.commit.clone()));
    let second = commit(&mut repo, &tree, "two", at(60));
    assert_eq!(second.parent.as_deref(), Some(first.commit.as_str()));
    assert_eq!(second.tree, first.tree);
    assert!(second.changes.is_empty(), "unchanged files: {:?}", second.changes);

    tree.insert("new/added.txt".into(), (b"added\n".to_vec(), false));
    tree.get_mut("README.md").unwrap().0 = b"# Changed\n".to_vec();
    tree.get_mut("empty.txt").unwrap().1 = true;
    tree.remove("src/module_0/level_0/file_0.rs");
    let third_dir = dir.path().join("three/.git");
    carry(&second_dir, &third_dir);
    let mut repo = LocalRepo::open_or_init(&third_dir, "main").unwrap();
    let third = commit(&mut repo, &tree, "three", at(120));
    assert_eq!(third.parent.as_deref(), Some(second.commit.as_str()));
    let changes: Vec<(&str, ChangeKind)> = third.changes.iter().map(|c| (c.path.as_str(), c.kind)).collect();
    assert_eq!(
        changes,
        [
            ("README.md", ChangeKind::Modified),
            ("empty.txt", ChangeKind::Modified),
            ("new/added.txt", ChangeKind::Added),
            ("src/module_0/level_0/file_0.rs", ChangeKind::Deleted),
        ]
    );

    let log = git(&third_dir, &["log", "--format=%H %P|%s"]);
    let expected = format!(
        "{} {}|three\n{} {}|two\n{} |one\n",
        third.commit, second.commit, second.commit, first.commit, first.commit
    );
    assert_eq!(log, expected);
    assert_eq!(
        git(&third_dir, &["rev-list", "--count", "--merges", "HEAD"]).trim(),
        "0"
    );
    git(&third_dir, &["fsck", "--full", "--strict"]);
    let names = git(&third_dir, &["diff", "--name-status", &second.commit, &third.commit]);
    assert_eq!(names.lines().count(), 4, "git agrees on what changed: {names}");
}

#[test]
fn archives_stream_a_20_mb_file_among_many_small_ones() {
    let dir = TempDir::new().unwrap();
    let mut tree = Tree::new();
    let big: Vec<u8> = (0..20 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    tree.insert("data/big.bin".into(), (big, false));
    for i in 0..500 {
        tree.insert(
            format!("small/{}/f{i}.txt", i % 20),
            (format!("small {i}\n").into_bytes(), false),
        );
    }
    let git_dir = dir.path().join("state/.git");
    let mut repo = LocalRepo::open_or_init(&git_dir, "main").unwrap();
    commit(&mut repo, &tree, "big", at(0));
    repo.write_index().unwrap();
    for format in [Format::TarGz, Format::Zip] {
        let archive = write_archive(format, dir.path(), &tree, &git_dir);
        let into = dir.path().join(format!("out-{}", format.extension()));
        unpack(&archive, &into);
        assert_eq!(read_worktree(&into.join("sample")), tree, "{format:?}");
        assert_eq!(git(&into.join("sample"), &["status", "--porcelain"]), "");
    }
}

#[test]
fn unsafe_paths_are_refused_before_anything_is_written() {
    let dir = TempDir::new().unwrap();
    let git_dir = dir.path().join(".git");
    let mut repo = LocalRepo::open_or_init(&git_dir, "main").unwrap();
    for bad in [
        "../escape.txt",
        "/etc/passwd",
        ".git/config",
        "a/.git/hooks/x",
        "a/../../b",
    ] {
        let files = [FileEntry::new("ok.txt", "100644"), FileEntry::new(bad, "100644")];
        let mut read = |_: &FileEntry| -> Result<Vec<u8>, ExportError> { panic!("nothing is read for {bad}") };
        let error = repo.commit(&files, &mut read, &author(), "x", at(0)).unwrap_err();
        assert!(matches!(error, ExportError::UnsafePath { .. }), "{bad}: {error}");
        let mut out = std::io::Cursor::new(Vec::new());
        let error = archive::write(Format::Zip, &mut out, "root", &files, &mut read, &git_dir).unwrap_err();
        assert!(matches!(error, ExportError::UnsafePath { .. }), "{bad}: {error}");
        assert!(out.get_ref().is_empty(), "{bad}: nothing written");
    }
    assert_eq!(repo.head().unwrap(), None);
    let error = repo
        .commit(
            &[FileEntry::new("link", "120000")],
            &mut |_| Ok(Vec::new()),
            &author(),
            "x",
            at(0),
        )
        .unwrap_err();
    assert!(matches!(error, ExportError::UnsupportedMode { .. }), "{error}");
}
