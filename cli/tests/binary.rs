//! The `forgeflow` binary itself, without a stack: help, version, and the exit codes of the
//! failures that need no server (these tests also make `cargo test --workspace` build the binary,
//! which the end-to-end tests in `tests/cli.rs` run).

use std::process::{Command, Output};

fn forgeflow(args: &[&str], config_dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_forgeflow"))
        .args(args)
        .env_clear()
        .env("FORGEFLOW_CONFIG", config_dir.join("config.json"))
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_and_version_exit_0_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let help = forgeflow(&["--help"], dir.path());
    assert_eq!(help.status.code(), Some(0));
    let stdout = text(&help.stdout);
    for command in [
        "login",
        "projects",
        "run",
        "export",
        "schedule",
        "FORGEFLOW_API_URL",
        "Exit codes",
    ] {
        assert!(stdout.contains(command), "{command} in {stdout}");
    }
    let version = forgeflow(&["--version"], dir.path());
    assert_eq!(version.status.code(), Some(0));
    assert!(text(&version.stdout).starts_with("forgeflow "));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["projects"][..],
        &["export", "g"],
        &["export", "g", "--zip", "--github", "a/b"],
        &["schedule", "set", "p", "--zip"],
    ] {
        let output = forgeflow(args, dir.path());
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output.stderr));
        assert!(text(&output.stderr).contains("Usage:"), "{args:?}");
    }
}

#[test]
fn without_a_token_it_says_how_to_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let output = forgeflow(&["--endpoint", "http://127.0.0.1:9", "projects", "list"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr).trim(),
        "error: not logged in to http://127.0.0.1:9: run `forgeflow login --email <address>` or set FORGEFLOW_TOKEN"
    );
}

#[test]
fn a_closed_port_is_exit_3() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    let output = Command::new(env!("CARGO_BIN_EXE_forgeflow"))
        .args(["--endpoint", &endpoint, "projects", "show", "p"])
        .env_clear()
        .env("FORGEFLOW_CONFIG", dir.path().join("config.json"))
        .env("FORGEFLOW_TOKEN", "secret-token-value")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with(&format!("error: cannot reach {endpoint}/projects/p: ")),
        "{stderr}"
    );
    assert!(!stderr.contains("secret-token-value"));
}

#[test]
fn a_broken_config_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), "{").unwrap();
    let output = forgeflow(&["projects", "list"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("config.json: not valid JSON"));
}
