//! `cargo bench -p forgeflow-tests --bench export`: the exporter against system `git`, `zip` and
//! `tar` on the same 10,000-file tree, and the peak memory of exporting a ~200 MB project.
//! Results go to BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use forgeflow_exporter::archive::{self, Format};
use forgeflow_exporter::{Author, ExportError, FileEntry, LocalRepo};
use forgeflow_tests::bench::{machine, ms, percentile, record};

const FILES: usize = 10_000;
const RUNS: usize = 5;
const BIG_FILES: usize = 200;
const MEMORY_CHILD: &str = "FORGEFLOW_EXPORT_BENCH_MEMORY";

fn main() {
    if let Ok(dir) = std::env::var(MEMORY_CHILD) {
        return memory_child(Path::new(&dir));
    }
    let scratch = tempfile::TempDir::new().unwrap();
    let source = scratch.path().join("source");
    let files = write_tree(&source, FILES, |i| text(i, 1024));

    let (mut ours, mut git) = (Vec::new(), Vec::new());
    let (mut our_zip, mut our_tgz, mut sys_zip, mut sys_tgz) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let has_zip = Command::new("zip").arg("-v").output().is_ok_and(|o| o.status.success());
    let mut sizes = (0, 0, 0, 0);
    for run in 0..RUNS {
        let (a, b) = (
            scratch.path().join(format!("ours-{run}")),
            scratch.path().join(format!("git-{run}")),
        );
        copy_dir(&source, &a);
        copy_dir(&source, &b);

        // (a) the commit: ours reads the files from disk as the worker reads them from S3.
        let started = Instant::now();
        let mut repo = LocalRepo::open_or_init(&a.join(".git"), "main").unwrap();
        let author = Author {
            name: "Bench".into(),
            email: "bench@forgeflow.test".into(),
        };
        repo.commit(&files, &mut from_disk(&a), &author, "x", Utc::now())
            .unwrap();
        repo.write_index().unwrap();
        ours.push(started.elapsed());
        let started = Instant::now();
        sh(
            &b,
            "git init -q && git add -A && git -c user.name=b -c user.email=b@b commit -q -m x",
        );
        git.push(started.elapsed());

        // (b) archives of the same directory: the tree plus our .git.
        let out = scratch.path().join(format!("out-{run}"));
        std::fs::create_dir_all(&out).unwrap();
        for (format, times) in [(Format::Zip, &mut our_zip), (Format::TarGz, &mut our_tgz)] {
            let path = out.join(format!("ours.{}", format.extension()));
            let started = Instant::now();
            let mut file = std::fs::File::create(&path).unwrap();
            archive::write(
                format,
                &mut file,
                "project",
                &files,
                &mut from_disk(&a),
                &a.join(".git"),
            )
            .unwrap();
            times.push(started.elapsed());
        }
        let project = a.file_name().unwrap().to_str().unwrap().to_owned();
        if has_zip {
            let started = Instant::now();
            sh(scratch.path(), &format!("zip -qr {}/sys.zip {project}", out.display()));
            sys_zip.push(started.elapsed());
        }
        let started = Instant::now();
        sh(
            scratch.path(),
            &format!("tar czf {}/sys.tar.gz {project}", out.display()),
        );
        sys_tgz.push(started.elapsed());
        let size = |name: &str| std::fs::metadata(out.join(name)).map(|m| m.len()).unwrap_or(0);
        sizes = (
            size("ours.zip"),
            size("sys.zip"),
            size("ours.tar.gz"),
            size("sys.tar.gz"),
        );
        std::fs::remove_dir_all(&a).unwrap();
        std::fs::remove_dir_all(&b).unwrap();
        std::fs::remove_dir_all(&out).unwrap();
    }

    let memory = measure_memory(scratch.path());
    let median = |samples: &[Duration]| percentile(samples, 50.0);
    let ratio = |ours: &[Duration], base: &[Duration]| {
        if base.is_empty() {
            "—".to_owned()
        } else {
            format!("**{:.2}×**", median(ours).as_secs_f64() / median(base).as_secs_f64())
        }
    };
    let sys_zip_cell = if has_zip {
        format!("{} ({})", ms(median(&sys_zip)), mb(sizes.1))
    } else {
        "`zip` not installed".to_owned()
    };
    record(
        "export",
        &format!(
            "## Export: git repository and archives\n\n\
             Command: `cargo bench -p forgeflow-tests --bench export` · machine: {machine} · tree: {FILES} files of ~1 KiB \
             in nested directories, written to a temp dir; median of {RUNS} runs, each on fresh copies.\n\n\
             | measure | ours (`forgeflow-exporter`) | baseline | ours / baseline |\n|---|---|---|---|\n\
             | commit the tree (blobs, trees, commit, branch, index) | {} | `git init && git add -A && git commit`: {} | {} |\n\
             | zip of the tree + `.git` | {} ({}) | `zip -qr`: {sys_zip_cell} | {} |\n\
             | tar.gz of the tree + `.git` | {} ({}) | `tar czf`: {} ({}) | {} |\n\n\
             Peak memory (VmHWM from `/proc/self/status`, in a child process that does only this) exporting {BIG_FILES} \
             files of 1 MiB ({} in all) read one at a time from disk: {memory}\n\n\
             The archives hold the same directory (working tree and our `.git`). Our zip stores `.git/objects` without \
             recompressing them (they are zlib streams already); `zip -r` deflates them again. Compression is flate2 on \
             zlib-rs (pure Rust, the zlib gix already uses); `tar` pipes through the system's gzip.",
            ms(median(&ours)),
            ms(median(&git)),
            ratio(&ours, &git),
            ms(median(&our_zip)),
            mb(sizes.0),
            ratio(&our_zip, &sys_zip),
            ms(median(&our_tgz)),
            mb(sizes.2),
            ms(median(&sys_tgz)),
            mb(sizes.3),
            ratio(&our_tgz, &sys_tgz),
            mb((BIG_FILES as u64) << 20),
            machine = machine(),
        ),
    );
}

/// Writes `count` files under nested directories and returns their entries (every 97th executable).
fn write_tree(root: &Path, count: usize, content: impl Fn(usize) -> Vec<u8>) -> Vec<FileEntry> {
    (0..count)
        .map(|i| {
            let path = format!("src/m{}/d{}/file_{i}.txt", i % 25, (i / 25) % 20);
            let file = root.join(&path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, content(i)).unwrap();
            let executable = i % 97 == 0;
            if executable {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
            FileEntry::new(path, if executable { "100755" } else { "100644" })
        })
        .collect()
}

/// Source-like text: words drawn by a small PRNG, so it compresses about as code does.
fn text(seed: usize, len: usize) -> Vec<u8> {
    const WORDS: [&str; 16] = [
        "fn ", "let ", "self", ".map(", "value", " => ", "Result<", "String", "\n    ", "impl ", "{ ", "} ", "if ",
        "return ", "x", "0; ",
    ];
    let mut state = (seed as u64)
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(WORDS[(state % 16) as usize].as_bytes());
        out.extend_from_slice(format!("{}", state % 1000).as_bytes());
    }
    out.truncate(len);
    out
}

fn from_disk(root: &Path) -> impl FnMut(&FileEntry) -> Result<Vec<u8>, ExportError> + '_ {
    move |file| Ok(std::fs::read(root.join(&file.path)).unwrap())
}

fn copy_dir(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-r").arg(from).arg(to).status().unwrap();
    assert!(status.success());
}

fn sh(dir: &Path, script: &str) {
    let status = Command::new("sh")
        .args(["-c", script])
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(status.success(), "{script}");
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Runs the memory measure in a fresh process: VmHWM is a high-water mark for the whole process,
/// so the 10,000-file runs above must not be in it.
fn measure_memory(scratch: &Path) -> String {
    let dir = scratch.join("memory");
    let output = Command::new(std::env::current_exe().unwrap())
        .env(MEMORY_CHILD, &dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn memory_child(dir: &Path) {
    let source = dir.join("project");
    let files = write_tree(&source, BIG_FILES, |i| text(i, 1 << 20));
    let start = vm_hwm();
    let git_dir: PathBuf = dir.join("state/.git");
    let mut repo = LocalRepo::open_or_init(&git_dir, "main").unwrap();
    let author = Author {
        name: "Bench".into(),
        email: "bench@forgeflow.test".into(),
    };
    repo.commit(&files, &mut from_disk(&source), &author, "x", Utc::now())
        .unwrap();
    repo.write_index().unwrap();
    let after_commit = vm_hwm();
    for format in [Format::Zip, Format::TarGz] {
        let mut out = std::fs::File::create(dir.join(format!("big.{}", format.extension()))).unwrap();
        archive::write(format, &mut out, "project", &files, &mut from_disk(&source), &git_dir).unwrap();
    }
    let end = vm_hwm();
    print!(
        "**{} peak** after the commit and both archives (VmHWM {} before exporting, {} after the commit).",
        kib(end),
        kib(start),
        kib(after_commit)
    );
}

fn vm_hwm() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn kib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
