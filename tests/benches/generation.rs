//! `cargo bench -p forgeflow-tests --bench generation`: rendering and writing 1,000 and 10,000
//! files to S3 (moto) through the generate-worker's path, against a raw parallel PutObject loop
//! with the same concurrency and bytes. Results go to BENCHMARKS.md.

use std::time::{Duration, Instant};

use chrono::Utc;
use forgeflow_domain::Id;
use forgeflow_domain::agent::WrittenFile;
use forgeflow_domain::generation::{Generation, GenerationJob};
use forgeflow_domain::project::Template;
use forgeflow_generator::{GenerationInput, Limits};
use forgeflow_tests::bench::{machine, record};
use forgeflow_tests::{Options, spawn_app_with};
use forgeflow_workers::generate::{UPLOAD_CONCURRENCY, upload};
use futures_util::{StreamExt, TryStreamExt, stream};

const FILE_BYTES: usize = 1024;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

#[tokio::main]
async fn main() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let worker = app.workers_generate();
    let mut rows = Vec::new();
    for count in [1_000usize, 10_000] {
        let agent_files: Vec<WrittenFile> = (0..count)
            .map(|i| WrittenFile {
                path: format!("src/module_{:02}/file_{i:05}.txt", i % 50),
                content: format!("{i:05}").repeat(FILE_BYTES / 5),
            })
            .collect();
        let input = GenerationInput {
            project_name: "Bench".into(),
            brief: "A benchmark project.".into(),
            template: Template::PythonFastapi,
            stories: Vec::new(),
            sprints: Vec::new(),
            agent_files,
            review: None,
        };
        let rendered = Instant::now();
        let tree = forgeflow_generator::generate(&input, &Limits::default()).expect("renders");
        let render = rendered.elapsed();
        let job = GenerationJob {
            generation_id: Id::new(),
            execution_id: Id::new(),
            project_id: Id::new(),
            owner: Id::new(),
            template: Template::PythonFastapi,
            parent: None,
            change_request: None,
        };
        let generation = Generation::new(&job, Utc::now());
        let started = Instant::now();
        upload(&worker.engine.blobs, &generation, &tree.files, &|_| {})
            .await
            .expect("upload");
        let ours = started.elapsed() + render;
        let files = tree.files.len();

        let s3 = &app.context.clients.s3;
        let bucket = &app.stack.bucket;
        let raw_started = Instant::now();
        stream::iter(0..files)
            .map(|index| {
                let file = &tree.files[index];
                let key = format!("raw/{}/{}", generation.id, file.path);
                let body = file.content.clone();
                async move {
                    s3.put_object()
                        .bucket(bucket)
                        .key(key)
                        .body(body.into())
                        .send()
                        .await
                        .map(|_| ())
                }
            })
            .buffer_unordered(UPLOAD_CONCURRENCY)
            .try_collect::<Vec<()>>()
            .await
            .expect("raw puts");
        let raw = raw_started.elapsed();
        rows.push(row(files, render, ours, raw));
    }
    record(
        "generation",
        &format!(
            "## Project generation ([3/8])\n\n\
             Command: `cargo bench -p forgeflow-tests --bench generation` · machine: {} · S3 on moto (loopback), \
             {UPLOAD_CONCURRENCY} uploads in flight, ~1 KiB files plus the template's.\n\n\
             | files | render | render + upload (ours) | raw parallel PutObject loop | files/s (ours) | ratio ours / raw |\n\
             |---|---|---|---|---|---|\n{}\n\n\
             Peak resident memory of the bench process after both runs: **{:.0} MiB** (the tree is held in memory \
             while it uploads; the 10,000-file tree is ~10 MiB of content).",
            machine(),
            rows.join("\n"),
            peak_rss_mib(),
        ),
    );
}

fn row(files: usize, render: Duration, ours: Duration, raw: Duration) -> String {
    format!(
        "| {files} | {:.0} ms | {:.2} s | {:.2} s | {:.0} | {:.2}× |",
        render.as_secs_f64() * 1000.0,
        ours.as_secs_f64(),
        raw.as_secs_f64(),
        files as f64 / ours.as_secs_f64(),
        ours.as_secs_f64() / raw.as_secs_f64()
    )
}
