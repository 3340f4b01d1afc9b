//! The `forgeflow` CLI against the local stack: every command in-process through
//! `forgeflow_cli::run` (its own config file per test, output captured), and the real binary as a
//! subprocess for what only a process shows (exit codes, a piped password).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use forgeflow_cli::{Env, Io};
use forgeflow_tests::ai_server::{AiServer, Reply};
use forgeflow_tests::forge_server::{ForgeServer, TOKEN, USER};
use forgeflow_tests::{Options, TestApp, spawn_app, spawn_app_with, unique_email};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

/// A user's machine: a config file of its own, pointed at the test's stack.
struct Cli {
    dir: tempfile::TempDir,
    env: Env,
}

#[derive(Debug)]
struct Output {
    code: u8,
    stdout: String,
    stderr: String,
}

impl Output {
    fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|err| panic!("{err}: {self:?}"))
    }

    fn lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|line| line.starts_with('{'))
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    fn ok(self) -> Self {
        assert_eq!(self.code, 0, "{self:?}");
        self
    }
}

impl Cli {
    fn new(app: &TestApp) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::empty()
            .with("FORGEFLOW_CONFIG", dir.path().join("config.json").to_str().unwrap())
            .with("FORGEFLOW_API_URL", app.url.clone());
        Self { dir, env }
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.json")
    }

    async fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, "").await
    }

    async fn run_with(&self, args: &[&str], stdin: &str) -> Output {
        let (io, stdout, stderr) = Io::captured(stdin);
        let args = std::iter::once("forgeflow")
            .chain(args.iter().copied())
            .map(Into::into)
            .collect();
        let code = forgeflow_cli::run(args, self.env.clone(), io).await;
        Output {
            code,
            stdout: stdout.text(),
            stderr: stderr.text(),
        }
    }

    /// Registers a fresh account through the CLI; returns its address.
    async fn sign_up(&self) -> String {
        let email = unique_email();
        self.run_with(
            &["login", "--register", "--email", &email, "--password-stdin"],
            &format!("{PASSWORD}\n"),
        )
        .await
        .ok();
        email
    }

    fn saved(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.config_path()).unwrap()).unwrap()
    }

    async fn create_project(&self, name: &str) -> String {
        let created = self
            .run(&[
                "--json",
                "projects",
                "create",
                "--name",
                name,
                "--brief",
                "Members borrow and return books.",
            ])
            .await
            .ok()
            .json();
        created["id"].as_str().unwrap().to_owned()
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_then_login_saves_a_private_token_and_never_shows_it() {
    let app = spawn_app().await;
    let cli = Cli::new(&app);
    let email = unique_email();

    let registered = cli
        .run_with(
            &["login", "--register", "--email", &email, "--password-stdin"],
            &format!("{PASSWORD}\n"),
        )
        .await
        .ok();
    assert!(
        registered.stdout.contains("registered and logged in as"),
        "{registered:?}"
    );
    let first = cli.saved();
    assert_eq!(first["endpoint"], app.url.as_str());
    let token = first["token"].as_str().unwrap().to_owned();
    assert!(!registered.stdout.contains(&token) && !registered.stderr.contains(&token));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cli.config_path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Piped without --password-stdin: standard input is not a terminal, so it is read as well.
    let logged_in = cli
        .run_with(&["--json", "login", "--email", &email], PASSWORD)
        .await
        .ok();
    let body = logged_in.json();
    assert_eq!(body["user"]["email"], email.as_str());
    assert!(body.get("token").is_none(), "the token is not printed: {body}");
    assert_eq!(body["endpoint"], app.url.as_str());
    let me = app.call(Method::GET, "/me", cli.saved()["token"].as_str(), None).await;
    assert_eq!(me.status, StatusCode::OK, "the saved token works");

    let again = cli
        .run_with(
            &["login", "--register", "--email", &email, "--password-stdin"],
            PASSWORD,
        )
        .await;
    assert_eq!(again.code, 1, "{again:?}");
    assert!(
        again
            .stderr
            .contains("error: an account with this email already exists"),
        "{again:?}"
    );

    let logout = cli.run(&["logout"]).await.ok();
    assert!(logout.stdout.contains("logged out"));
    assert!(cli.saved().get("token").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_exit_1_with_the_apis_message() {
    let app = spawn_app().await;
    let cli = Cli::new(&app);
    let email = cli.sign_up().await;
    let wrong = cli
        .run_with(&["login", "--email", &email, "--password-stdin"], "not the password\n")
        .await;
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(wrong.stderr.contains("error: wrong email or password"), "{wrong:?}");
    assert!(wrong.stdout.is_empty());

    let empty = cli
        .run_with(&["login", "--email", &email, "--password-stdin"], "\n")
        .await;
    assert_eq!(empty.code, 1);
    assert!(empty.stderr.contains("no password given"), "{empty:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projects_create_list_and_show_print_the_apis_json() {
    let app = spawn_app().await;
    let cli = Cli::new(&app);
    cli.sign_up().await;

    let created = cli
        .run(&[
            "--json",
            "projects",
            "create",
            "--name",
            "Lending library",
            "--brief",
            "Members borrow books.",
            "--template",
            "python-fastapi",
        ])
        .await
        .ok()
        .json();
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["template"], "python-fastapi");
    let second = cli.create_project("Second").await;

    let page = cli
        .run(&["projects", "list", "--json", "--limit", "1"])
        .await
        .ok()
        .json();
    assert_eq!(page["items"][0]["id"], second.as_str(), "newest first: {page}");
    let cursor = page["next_cursor"].as_str().expect("a second page");
    let next = cli
        .run(&["--json", "projects", "list", "--limit", "1", "--cursor", cursor])
        .await
        .ok()
        .json();
    assert_eq!(next["items"][0]["id"], id);

    let shown = cli.run(&["--json", "projects", "show", id]).await.ok().json();
    assert_eq!(shown["name"], "Lending library");
    assert_eq!(shown, created);

    let human = cli.run(&["projects", "list"]).await.ok();
    assert!(
        human.stdout.contains("Lending library") && human.stdout.contains(id),
        "{human:?}"
    );
    let human = cli.run(&["projects", "show", id]).await.ok();
    assert!(human.stdout.contains("Members borrow books."), "{human:?}");

    let from_stdin = cli
        .run_with(
            &["--json", "projects", "create", "--name", "Piped", "--brief", "-"],
            "A brief from a pipe.\n",
        )
        .await
        .ok()
        .json();
    assert_eq!(from_stdin["brief"], "A brief from a pipe.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_and_input_errors_are_exit_1_with_a_clear_message() {
    let app = spawn_app().await;
    let cli = Cli::new(&app);

    let no_token = cli.run(&["projects", "list"]).await;
    assert_eq!(no_token.code, 1, "{no_token:?}");
    assert!(
        no_token.stderr.contains("not logged in to") && no_token.stderr.contains("forgeflow login"),
        "{no_token:?}"
    );

    cli.sign_up().await;
    let bad_template = cli
        .run(&[
            "projects",
            "create",
            "--name",
            "X",
            "--brief",
            "Y",
            "--template",
            "cobol-cics",
        ])
        .await;
    assert_eq!(bad_template.code, 1, "{bad_template:?}");
    assert!(bad_template.stderr.contains("(field: template)"), "{bad_template:?}");

    let unknown = uuid::Uuid::now_v7().to_string();
    for args in [
        vec!["projects", "show", unknown.as_str()],
        vec!["run", unknown.as_str()],
        vec!["watch", unknown.as_str()],
        vec!["schedule", "show", unknown.as_str()],
        vec!["export", unknown.as_str(), "--zip"],
    ] {
        let missing = cli.run(&args).await;
        assert_eq!(missing.code, 1, "{args:?}: {missing:?}");
        assert!(missing.stderr.contains("not found"), "{args:?}: {missing:?}");
    }

    let expired = Cli {
        env: cli.env.clone().with("FORGEFLOW_TOKEN", "not-a-jwt"),
        dir: tempfile::tempdir().unwrap(),
    };
    let refused = expired.run(&["projects", "list"]).await;
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("invalid token") && refused.stderr.contains("hint:"),
        "{refused:?}"
    );

    let usage = cli.run(&["export", "x", "--zip", "--tar"]).await;
    assert_eq!(usage.code, 2, "clap's usage errors: {usage:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_is_exit_3() {
    let app = spawn_app().await;
    let cli = Cli::new(&app);
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let down = Cli {
        env: cli.env.clone().with("FORGEFLOW_TOKEN", "t"),
        dir: tempfile::tempdir().unwrap(),
    };
    let output = down.run(&["--endpoint", &endpoint, "projects", "list"]).await;
    assert_eq!(output.code, 3, "{output:?}");
    assert!(
        output.stderr.contains(&format!("cannot reach {endpoint}/projects")),
        "{output:?}"
    );
    assert!(!output.stderr.contains("error: t"), "no token in messages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_watch_follows_every_step_until_the_generation_is_ready_then_export_unpacks_a_repository() {
    let app = spawn_app().await;
    let cli = Cli::new(&app);
    cli.sign_up().await;
    let project = cli.create_project("Lending library").await;

    // No terminal: the events as JSON lines, then the summary.
    let run = cli.run(&["run", &project, "--watch"]).await.ok();
    let events = run.lines();
    let completed: Vec<&str> = events
        .iter()
        .filter(|event| event["kind"] == "step_completed")
        .map(|event| event["step"].as_str().unwrap())
        .collect();
    let mut sorted = completed.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["architecture", "code", "plan", "review", "tests"], "{run:?}");
    for topic in ["execution:", "generation:"] {
        let seqs: Vec<u64> = events
            .iter()
            .filter(|event| event["topic"].as_str().unwrap().starts_with(topic))
            .map(|event| event["seq"].as_u64().unwrap())
            .collect();
        let mut unique = seqs.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), seqs.len(), "no event twice on {topic}: {seqs:?}");
    }
    assert!(
        events.iter().any(|event| event["kind"] == "generation_ready"),
        "{run:?}"
    );
    let execution_id = run
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("execution "))
        .unwrap()
        .to_owned();
    assert!(
        run.stdout.contains(&format!("generation {execution_id}: ready")),
        "{run:?}"
    );
    assert!(run.stdout.contains("succeeded · 5 steps"), "{run:?}");

    // The generation's id is its execution's.
    let out = tempfile::tempdir().unwrap();
    let exported = cli
        .run(&["export", &execution_id, "--zip", "--out", out.path().to_str().unwrap()])
        .await
        .ok();
    let root = repository_in(out.path());
    assert!(
        exported.stdout.contains(&format!("unpacked into {}", root.display())),
        "{exported:?}"
    );
    assert!(root.join(".git").is_dir());
    assert!(root.join("README.md").is_file());
    let log = git(&root, &["log", "--format=%s"]);
    assert!(!log.trim().is_empty(), "git log shows the export's commit");
    git(&root, &["fsck", "--full"]);
    assert_eq!(git(&root, &["status", "--porcelain"]), "", "the tree is the commit");

    // tar.gz, as JSON: the export's JSON with where it went; the same generation is the same
    // commit (a later generation is a second one: the change test and the demo show it).
    let json = cli
        .run(&[
            "--json",
            "export",
            &execution_id,
            "--tar",
            "--out",
            out.path().join("again").to_str().unwrap(),
        ])
        .await
        .ok()
        .json();
    assert_eq!(json["status"], "succeeded");
    let path = PathBuf::from(json["path"].as_str().unwrap());
    assert_eq!(git(&path, &["rev-list", "--count", "HEAD"]).trim(), "1");
    assert_eq!(git(&path, &["rev-parse", "HEAD"]), git(&root, &["rev-parse", "HEAD"]));

    // Unpacking over an earlier export is refused, not merged.
    let twice = cli
        .run(&["export", &execution_id, "--zip", "--out", out.path().to_str().unwrap()])
        .await;
    assert_eq!(twice.code, 1, "{twice:?}");
    assert!(twice.stderr.contains("already exists"), "{twice:?}");

    // Without --out: where to download it.
    let link = cli.run(&["export", &execution_id, "--tar"]).await.ok();
    assert!(
        link.stdout.contains("download (link valid for an hour): http"),
        "{link:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_watch_json_ends_with_a_result_line_and_without_watch_prints_the_execution() {
    let app = spawn_app().await;
    let cli = Cli::new(&app);
    cli.sign_up().await;
    let project = cli.create_project("Quiet").await;

    let started = cli.run(&["--json", "run", &project]).await.ok().json();
    assert_eq!(started["status"], "running");
    assert_eq!(started["workflow"]["id"], "full-project");

    let watched = cli.run(&["--json", "run", &project, "--watch"]).await.ok();
    let lines = watched.lines();
    assert_eq!(
        lines.len(),
        watched.stdout.lines().count(),
        "only JSON on stdout: {watched:?}"
    );
    assert!(lines[..lines.len() - 1].iter().all(|line| line["type"] == "event"));
    let result = lines.last().unwrap();
    assert_eq!(result["type"], "result");
    assert_eq!(result["execution"], "succeeded");
    assert_eq!(result["generation"], "ready");
    assert!(result["files"].as_u64().unwrap() > 0, "{result}");
    assert_eq!(result["execution_id"], result["generation_id"]);

    // Watching a finished execution replays it to the same result.
    let id = result["execution_id"].as_str().unwrap();
    let replayed = cli.run(&["--json", "watch", id]).await.ok().lines();
    assert_eq!(replayed.len(), lines.len(), "every event once, then the result");
    assert_eq!(replayed.last().unwrap()["generation"], "ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_is_exit_4_with_the_reason() {
    let server = AiServer::start().await;
    server.always(Reply::status(500));
    let app = spawn_app_with(Options {
        ai: server.config(),
        ..Options::default()
    })
    .await;
    let cli = Cli::new(&app);
    cli.sign_up().await;
    let project = cli.create_project("Doomed").await;
    let token = cli.saved()["token"].as_str().unwrap().to_owned();
    let agent = app
        .call(
            Method::POST,
            "/agents",
            Some(&token),
            Some(json!({
                "name": "Auditor", "system_prompt": "Audit.", "provider": "openai",
                "output_contract": {"type": "object", "required": ["issues"], "properties": {"issues": {"type": "array"}}}
            })),
        )
        .await;
    assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.body);
    let workflow = app
        .call(
            Method::POST,
            "/workflows",
            Some(&token),
            Some(json!({"name": "audit", "steps": [{"id": "audit", "agent": agent.body["id"]}]})),
        )
        .await;
    assert_eq!(workflow.status, StatusCode::CREATED, "{}", workflow.body);

    let run = cli
        .run(&[
            "run",
            &project,
            "--workflow",
            workflow.body["id"].as_str().unwrap(),
            "--watch",
        ])
        .await;
    assert_eq!(run.code, 4, "{run:?}");
    assert!(run.stderr.contains("failed") && run.stderr.contains("500"), "{run:?}");
    assert!(
        run.lines().iter().any(|event| event["kind"] == "step_failed"),
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_set_show_and_rm() {
    let app = spawn_app().await;
    let cli = Cli::new(&app);
    cli.sign_up().await;
    let project = cli.create_project("Nightly").await;

    let set = cli
        .run(&[
            "schedule",
            "set",
            &project,
            "--cron",
            "0 3 * * 1-5",
            "--timezone",
            "Europe/Berlin",
            "--tar",
        ])
        .await
        .ok();
    assert!(
        set.stdout
            .contains("export to tar.gz on \"0 3 * * 1-5\" (Europe/Berlin)"),
        "{set:?}"
    );
    assert!(set.stdout.contains("next run: 20"), "{set:?}");

    let shown = cli.run(&["--json", "schedule", "show", &project]).await.ok().json();
    assert_eq!(shown["expression"], "0 3 * * 1-5");
    assert_eq!(shown["target"], json!({"type": "tar.gz"}));
    assert_eq!(shown["enabled"], true);

    let replaced = cli
        .run(&[
            "--json",
            "schedule",
            "set",
            &project,
            "--cron",
            "rate(15 minutes)",
            "--github",
            "ada/library",
            "--pr",
            "--disabled",
        ])
        .await
        .ok()
        .json();
    assert_eq!(
        replaced["target"],
        json!({"type": "github", "repository": "ada/library", "private": true, "branch": null, "pull_request": true})
    );
    assert_eq!(replaced["enabled"], false);

    let bad = cli
        .run(&["schedule", "set", &project, "--cron", "every tuesday", "--zip"])
        .await;
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stderr.contains("(field: expression)"), "{bad:?}");

    cli.run(&["schedule", "rm", &project]).await.ok();
    let gone = cli.run(&["schedule", "show", &project]).await;
    assert_eq!(gone.code, 1);
    assert!(gone.stderr.contains("export schedule not found"), "{gone:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_github_export_with_a_pull_request_prints_where_the_commit_went() {
    let server = ForgeServer::start().await;
    let app = spawn_app_with(Options {
        forges: forgeflow_workers::export::ForgeSettings {
            github_api_url: Some(server.url()),
            gitlab_allow_private_network: true,
        },
        ..Options::default()
    })
    .await;
    let cli = Cli::new(&app);
    cli.sign_up().await;

    let unset = cli.run(&["credentials", "show", "github"]).await.ok();
    assert!(unset.stdout.contains("no github token"), "{unset:?}");
    let stored = cli
        .run_with(
            &["credentials", "set", "github", "--token-stdin"],
            &format!("{TOKEN}\n"),
        )
        .await
        .ok();
    assert!(!stored.stdout.contains(TOKEN) && !stored.stderr.contains(TOKEN));
    let shown = cli.run(&["--json", "credentials", "show", "github"]).await.ok().json();
    assert_eq!(shown["set"], true, "{shown}");

    let project = cli.create_project("Lending library").await;
    let run = cli.run(&["--json", "run", &project, "--watch"]).await.ok();
    let generation = run.lines().last().unwrap()["generation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let repository = format!("{USER}/library");
    let pr = cli
        .run(&["--json", "export", &generation, "--github", &repository, "--pr"])
        .await
        .ok()
        .json();
    assert_eq!(pr["status"], "succeeded", "{pr}");
    assert_eq!(pr["target"]["pull_request"], true);
    let sha = pr["result"]["commit_sha"].as_str().unwrap();
    assert!(server.commit(sha).is_some(), "the commit is on the forge");
    let human = cli
        .run(&[
            "export",
            &generation,
            "--github",
            &format!("{USER}/other"),
            "--branch",
            "dev",
        ])
        .await
        .ok();
    for line in ["repository: http", "branch: dev", "commit: "] {
        assert!(human.stdout.contains(line), "{line}: {human:?}");
    }

    cli.run(&["credentials", "rm", "github"]).await.ok();
    let failed = cli.run(&["export", &generation, "--github", &repository]).await;
    assert_eq!(failed.code, 4, "an export that fails: {failed:?}");
    assert!(failed.stderr.contains("no github token"), "{failed:?}");
}

/// The real binary, as a script runs it: the password piped in, exit codes as the shell sees them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_logs_in_from_a_pipe_and_exits_with_the_documented_codes() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    let binary = forgeflow_binary();
    let email = unique_email();
    let forgeflow = |args: &[&str], stdin: &str, token: Option<&str>| {
        let binary = binary.clone();
        let token = token.map(str::to_owned);
        let config = config.clone();
        let url = app.url.clone();
        let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        let stdin = stdin.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut command = Command::new(binary);
            command
                .args(&args)
                .env_clear()
                .env("FORGEFLOW_CONFIG", &config)
                .env("FORGEFLOW_API_URL", url);
            if let Some(token) = token {
                command.env("FORGEFLOW_TOKEN", token);
            }
            let mut child = command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
            let output = child.wait_with_output().unwrap();
            Output {
                code: u8::try_from(output.status.code().unwrap()).unwrap(),
                stdout: String::from_utf8(output.stdout).unwrap(),
                stderr: String::from_utf8(output.stderr).unwrap(),
            }
        })
    };

    forgeflow(
        &["login", "--register", "--email", &email, "--password-stdin"],
        PASSWORD,
        None,
    )
    .await
    .unwrap()
    .ok();
    let listed = forgeflow(&["projects", "list", "--json"], "", None).await.unwrap().ok();
    assert_eq!(listed.json()["items"], json!([]));

    let wrong = forgeflow(&["login", "--email", &email, "--password-stdin"], "nope", None)
        .await
        .unwrap();
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(wrong.stderr.contains("wrong email or password"));

    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let down = forgeflow(&["--endpoint", &endpoint, "projects", "list"], "", Some("a-token"))
        .await
        .unwrap();
    assert_eq!(down.code, 3, "{down:?}");
    assert!(down.stderr.starts_with("error: "), "{down:?}");

    let usage = forgeflow(&["projects", "frobnicate"], "", None).await.unwrap();
    assert_eq!(usage.code, 2, "{usage:?}");
}

/// `target/<profile>/forgeflow`, the CLI as a user runs it.
fn forgeflow_binary() -> PathBuf {
    forgeflow_tests::lambda::debug_binary(&format!("forgeflow{}", std::env::consts::EXE_SUFFIX))
}

/// The one directory an export was unpacked into under `out`.
fn repository_in(out: &Path) -> PathBuf {
    let mut entries = std::fs::read_dir(out).unwrap().map(|entry| entry.unwrap().path());
    let root = entries.next().expect("a repository directory");
    assert!(entries.next().is_none());
    root
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_watch_then_diff_prints_what_the_change_did() {
    let app = spawn_app().await;
    let cli = Cli::new(&app);
    cli.sign_up().await;
    let project = cli.create_project("Changed").await;
    let first = cli.run(&["--json", "run", &project, "--watch"]).await.ok();
    let first = first.lines().last().unwrap()["generation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let nothing_yet = cli.run(&["export-again", &project]).await;
    assert_eq!(nothing_yet.code, 1, "nothing to export again yet: {nothing_yet:?}");
    let zip = cli.run(&["--json", "export", &first, "--zip"]).await.ok().json();
    let url = zip["result"]["download_url"].as_str().unwrap();
    let archive = tempfile::tempdir().unwrap();
    let archive = archive.path().join("library.zip");
    std::fs::write(&archive, reqwest::get(url).await.unwrap().bytes().await.unwrap()).unwrap();
    let copy = cli.create_project("Copy").await;
    let imported = cli
        .run(&["import", &copy, "--archive", archive.to_str().unwrap()])
        .await
        .ok();
    assert!(imported.stdout.contains("imported "), "{}", imported.stdout);
    assert!(
        imported.stdout.contains("(1 commits of history kept)"),
        "{}",
        imported.stdout
    );
    let wrong = cli.run(&["import", &copy, "--archive", "library.rar"]).await;
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(wrong.stderr.contains("neither a .zip nor a .tar.gz"), "{wrong:?}");

    let changed = cli
        .run(&["--json", "change", &project, "Add a field isbn to books", "--watch"])
        .await
        .ok();
    let result = changed.lines().last().unwrap().clone();
    assert_eq!(result["generation"], "ready", "{result}");
    let generation = result["generation_id"].as_str().unwrap();

    let stat = cli.run(&["diff", generation, "--stat"]).await.ok();
    assert!(
        stat.stdout.contains("modified  src/routes/book.rs (+"),
        "{}",
        stat.stdout
    );
    assert!(stat.stdout.contains("files changed:"), "{}", stat.stdout);
    let diff = cli.run(&["diff", generation]).await.ok();
    assert!(
        diff.stdout
            .contains("diff --forgeflow a/src/routes/book.rs b/src/routes/book.rs")
    );
    assert!(diff.stdout.contains("+    pub isbn: String,"), "{}", diff.stdout);
    let json = cli.run(&["--json", "diff", generation]).await.ok().json();
    assert_eq!(json["stat"]["files_changed"], json["files"].as_array().unwrap().len());

    let again = cli.run(&["export-again", &project]).await.ok();
    assert!(again.stdout.starts_with("zip: export "), "{}", again.stdout);
    assert!(
        again
            .stdout
            .contains(" succeeded\n  download (link valid for an hour): http"),
        "{}",
        again.stdout
    );
    let again = cli
        .run(&["--json", "export-again", &project, "--generation", &first])
        .await
        .ok()
        .json();
    let items = again["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{again}");
    assert_eq!(items[0]["generation_id"], first.as_str());
    assert_eq!(items[0]["status"], "succeeded");

    let unknown = cli.run(&["change", &project, "make it faster", "--watch"]).await;
    assert_eq!(unknown.code, 4, "a failed change is a failed run: {unknown:?}");
    assert!(unknown.stderr.contains("add a field F to R"), "{unknown:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estimate_budget_usage_and_retry_from_the_command_line() {
    let app = spawn_app().await;
    let cli = Cli::new(&app);
    cli.sign_up().await;
    let project = cli.create_project("Budgeted").await;

    let estimate = cli.run(&["estimate", &project]).await.ok();
    assert!(
        estimate.stdout.starts_with("estimate of full-project"),
        "{}",
        estimate.stdout
    );
    assert!(
        estimate.stdout.contains("  plan ") && estimate.stdout.contains("total: "),
        "{}",
        estimate.stdout
    );

    // The offline provider is free but counts tokens: the first call's reservation (prompt and
    // output limit) is over 5,000 tokens, so it is refused before it runs.
    let stopped = cli.run(&["run", &project, "--max-tokens", "5000", "--watch"]).await;
    assert_eq!(stopped.code, 4, "{stopped:?}");
    assert!(stopped.stderr.contains("budget_exceeded"), "{stopped:?}");
    assert!(stopped.stderr.contains("forgeflow retry"), "{stopped:?}");
    let execution = stopped
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("execution "))
        .map(|rest| rest.split([' ', ':']).next().unwrap().to_owned())
        .expect("the execution's id is printed");

    let resumed = cli.run(&["run", &project, "--max-cost", "abc"]).await;
    assert_eq!(resumed.code, 2, "a cost must be a number: {resumed:?}");
    let done = cli
        .run(&["retry", &execution, "--max-tokens", "10000000", "--watch"])
        .await
        .ok();
    assert!(done.stdout.contains("ready"), "{}", done.stdout);

    let usage = cli.run(&["usage", "--set-budget", "--max-cost", "12.5"]).await.ok();
    assert!(usage.stdout.contains("monthly budget: $12.5"), "{}", usage.stdout);
    assert!(
        usage.stdout.contains("by model:") && usage.stdout.contains("offline"),
        "{}",
        usage.stdout
    );
    let json = cli.run(&["--json", "usage"]).await.ok().json();
    assert!(json["spent"]["tokens"].as_u64().unwrap() > 0, "{json}");
    assert_eq!(json["budget"]["max_cost_usd"], 12.5);
}

#[tokio::test]
async fn your_own_ai_key_is_stored_with_its_base_url_and_models_and_never_shown() {
    const KEY: &str = "sk-or-v1-MyOwnCliKey0123456789";
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let cli = Cli::new(&app);
    cli.sign_up().await;
    let stored = cli
        .run_with(
            &[
                "credentials",
                "set",
                "openai",
                "--token-stdin",
                "--base-url",
                "https://openrouter.ai/api/v1",
                "--model",
                "openai/gpt-4o-mini",
                "--model",
                "anthropic/claude-3.5-haiku",
            ],
            &format!("{KEY}\n"),
        )
        .await
        .ok();
    assert!(stored.stdout.contains("openai key stored"), "{stored:?}");
    assert!(
        stored.stdout.contains("base URL https://openrouter.ai/api/v1"),
        "{stored:?}"
    );
    let shown = cli.run(&["credentials", "show", "openai"]).await.ok();
    assert!(
        shown
            .stdout
            .contains("models openai/gpt-4o-mini, anthropic/claude-3.5-haiku"),
        "{shown:?}"
    );
    for output in [&stored, &shown] {
        assert!(!output.stdout.contains(KEY) && !output.stderr.contains(KEY));
    }
    let refused = cli
        .run_with(
            &[
                "credentials",
                "set",
                "anthropic",
                "--token-stdin",
                "--base-url",
                "https://x.example",
            ],
            &format!("{KEY}\n"),
        )
        .await;
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("base_url"), "{refused:?}");
    let none = cli.run(&["credentials", "show", "anthropic"]).await.ok();
    assert!(none.stdout.contains("no anthropic key"), "{none:?}");
}
