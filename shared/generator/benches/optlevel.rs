//! `CARGO_PROFILE_BENCH_OPT_LEVEL=<3|s|z> cargo bench -p forgeflow-generator --bench optlevel`:
//! the CPU-bound work our Lambdas do, with no I/O, to choose the release `opt-level`.
//! Prints one line; `scripts/bench-optlevel.sh` runs it per level and writes BENCHMARKS.md.

// A bench: a failure should stop it loudly.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use chrono::Utc;
use forgeflow_api::request::parse_json;
use forgeflow_api::token::Tokens;
use forgeflow_domain::Id;
use forgeflow_domain::agent::WrittenFile;
use forgeflow_domain::project::{CreateProject, Template};
use forgeflow_generator::{GenerationInput, Limits};

fn main() {
    let tokens = Tokens::new(&[7u8; 48], "forgeflow", "forgeflow-api", chrono::Duration::hours(1)).unwrap();
    let started = Instant::now();
    for _ in 0..20_000 {
        let issued = tokens.issue(Id::new(), Utc::now()).unwrap();
        tokens.verify(&issued.token).unwrap();
    }
    let jwt = started.elapsed();

    let body = serde_json::json!({"name": "Library", "brief": "word ".repeat(2_000), "template": "python-fastapi", "settings": {"auto_export": true}}).to_string();
    let started = Instant::now();
    for _ in 0..5_000 {
        let input: CreateProject = parse_json(body.as_bytes()).unwrap();
        input.into_project(Id::new(), Utc::now()).unwrap();
    }
    let parse = started.elapsed();

    let input = GenerationInput {
        project_name: "Bench".into(),
        brief: "A benchmark.".into(),
        template: Template::RustAxum,
        stories: Vec::new(),
        sprints: Vec::new(),
        agent_files: (0..10_000)
            .map(|i| WrittenFile {
                path: format!("src/f{i}.rs"),
                content: "x".repeat(1024),
            })
            .collect(),
        review: None,
    };
    let started = Instant::now();
    let tree = forgeflow_generator::generate(&input, &Limits::default()).unwrap();
    let manifest: Vec<_> = tree.files.iter().map(|file| file.manifest_entry()).collect();
    let generate = started.elapsed();
    assert!(manifest.len() > 10_000);

    println!(
        "OPTLEVEL jwt_20k_ms={:.0} parse_5k_ms={:.0} generate_10k_ms={:.0}",
        jwt.as_secs_f64() * 1000.0,
        parse.as_secs_f64() * 1000.0,
        generate.as_secs_f64() * 1000.0
    );
}
