//! The command line (clap derive).

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand};

const ENVIRONMENT: &str = "\
Environment:
  FORGEFLOW_API_URL   the API (default http://127.0.0.1:8787, the local stack)
  FORGEFLOW_WS_URL    the progress WebSocket (default: the API's /config.json, else ws(s)://host/ws)
  FORGEFLOW_TOKEN     an access token (overrides the config file's)
  FORGEFLOW_CONFIG    the config file (default $XDG_CONFIG_HOME/forgeflow/config.json)

Exit codes: 0 ok, 1 error (API or input), 2 usage, 3 cannot connect, 4 run or export failed.";

#[derive(Debug, Parser)]
#[command(
    name = "forgeflow",
    version,
    about = "Forgeflow from the command line: projects, workflow runs with live progress, exports, schedules.",
    after_help = ENVIRONMENT,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The API's base URL [env: FORGEFLOW_API_URL]
    #[arg(long, global = true, value_name = "URL", display_order = 100)]
    pub endpoint: Option<String>,
    /// The progress WebSocket's URL [env: FORGEFLOW_WS_URL]
    #[arg(long, global = true, value_name = "URL", display_order = 101)]
    pub ws_url: Option<String>,
    /// The config file [env: FORGEFLOW_CONFIG]
    #[arg(long, global = true, value_name = "PATH", display_order = 102)]
    pub config: Option<PathBuf>,
    /// Machine-readable output: the API's JSON (JSON lines while watching)
    #[arg(long, global = true, display_order = 103)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in (or register with --register) and save the token in the config file
    Login(LoginArgs),
    /// Forget the saved token
    Logout,
    /// Create, list and show projects
    #[command(subcommand)]
    Projects(ProjectsCommand),
    /// Run a workflow on a project; --watch follows it live until the generation is ready
    Run(RunArgs),
    /// Change the project's latest generation: a change request (`add a field isbn to book`)
    Change(ChangeArgs),
    /// Approve the step a run waits on (optionally with your edit of its output)
    Approve(ApproveArgs),
    /// Reject the step a run waits on, with feedback: it runs again
    Reject(RejectArgs),
    /// Run a stopped execution again (failed, cancelled, or stopped by its budget): finished steps are kept
    Retry(RetryArgs),
    /// What a run would cost before it runs: tokens and a cost range per step
    Estimate(EstimateArgs),
    /// What your runs spent this month (or --month), per project and model; --set-budget caps it
    Usage(UsageArgs),
    /// Follow an execution already started (after an interrupted `run --watch`)
    Watch {
        /// The execution's id
        execution: String,
    },
    /// Export a generation: an archive (unpacked into --out), a GitHub or a GitLab commit
    Export(ExportArgs),
    /// Export the project's latest generation again to every place it went before, continuing
    /// each history (edits made on GitHub/GitLab since are merged, never overwritten)
    ExportAgain(AgainArgs),
    /// Start a new project from an existing repository: a zip / tar.gz you have (its .git keeps
    /// the history), or a GitHub / GitLab branch read with your stored token
    Import(ImportArgs),
    /// What changed between two generations: unified diffs, or the stat alone with --stat
    Diff(DiffArgs),
    /// A project's export schedule
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Your GitHub / GitLab token for exports (stored encrypted, never shown again)
    #[command(subcommand)]
    Credentials(CredentialsCommand),
}

#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// The project's id
    pub project: String,
    /// What to change, in a few words
    pub request: String,
    /// The generation to change (default: the latest ready one)
    #[arg(long, value_name = "GENERATION")]
    pub base: Option<String>,
    /// A workflow of yours to run instead of the built-in `change`
    #[arg(long)]
    pub workflow: Option<String>,
    #[command(flatten)]
    pub budget: BudgetArgs,
    /// Follow it live until its generation is ready (or it fails)
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).multiple(false)))]
pub struct ImportArgs {
    /// The project's id (a project without a generation yet)
    pub project: String,
    /// A .zip or .tar.gz of the repository
    #[arg(long, value_name = "PATH", group = "source")]
    pub archive: Option<PathBuf>,
    /// A GitHub repository (after `forgeflow credentials set github`)
    #[arg(long, value_name = "OWNER/NAME", group = "source")]
    pub github: Option<String>,
    /// A GitLab project (after `forgeflow credentials set gitlab`)
    #[arg(long, value_name = "GROUP/NAME", group = "source")]
    pub gitlab: Option<String>,
    /// A self-hosted GitLab (https://…); gitlab.com by default
    #[arg(long, value_name = "URL", requires = "gitlab")]
    pub gitlab_url: Option<String>,
    /// The branch to read (the repository's default otherwise)
    #[arg(long, conflicts_with = "archive")]
    pub branch: Option<String>,
}

#[derive(Debug, Args)]
pub struct AgainArgs {
    /// The project's id
    pub project: String,
    /// The generation to export (default: the project's latest ready one)
    #[arg(long, value_name = "GENERATION")]
    pub generation: Option<String>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The newer generation's id
    pub generation: String,
    /// The older generation (default: the one it was changed from)
    #[arg(long, value_name = "GENERATION")]
    pub against: Option<String>,
    /// Only the list of changed files and the summary
    #[arg(long)]
    pub stat: bool,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[arg(long, value_name = "ADDRESS")]
    pub email: String,
    /// Read the password from standard input (one line) instead of prompting
    #[arg(long)]
    pub password_stdin: bool,
    /// Create the account first
    #[arg(long)]
    pub register: bool,
}

#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Store a forge token or your own AI provider key (prompted without echo, or one line of
    /// standard input); your agents then run on it
    Set {
        #[arg(value_parser = PROVIDERS)]
        provider: String,
        /// Read the token or key from standard input instead of prompting
        #[arg(long)]
        token_stdin: bool,
        /// openai only: an OpenAI-compatible API root (default https://api.openai.com/v1)
        #[arg(long)]
        base_url: Option<String>,
        /// openai and anthropic only: a model agents may use with this key (repeat; none: any)
        #[arg(long = "model")]
        models: Vec<String>,
    },
    /// Whether a token or key is set, and its settings
    Show {
        #[arg(value_parser = PROVIDERS)]
        provider: String,
    },
    /// Remove the token or key
    Rm {
        #[arg(value_parser = PROVIDERS)]
        provider: String,
    },
}

const PROVIDERS: [&str; 4] = ["github", "gitlab", "openai", "anthropic"];

#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// Create a project from a brief
    Create(CreateProjectArgs),
    /// Your projects, newest first
    List(ListProjectsArgs),
    /// One project
    Show {
        /// The project's id
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct CreateProjectArgs {
    #[arg(long)]
    pub name: String,
    /// What to build, in a few sentences ("-" reads it from standard input)
    #[arg(long)]
    pub brief: String,
    /// rust-axum (the default), python-fastapi or react-vite
    #[arg(long)]
    pub template: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListProjectsArgs {
    /// Projects per page (1-100)
    #[arg(long)]
    pub limit: Option<u32>,
    /// The next_cursor of the previous page
    #[arg(long)]
    pub cursor: Option<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The project's id
    pub project: String,
    /// The workflow's id (default full-project)
    #[arg(long)]
    pub workflow: Option<String>,
    #[command(flatten)]
    pub budget: BudgetArgs,
    /// Wait for your approval after this step (repeat for more; full-project offers plan and architecture)
    #[arg(long, value_name = "STEP")]
    pub gate: Vec<String>,
    /// Follow the run live until its generation is ready (or it fails, or waits for you)
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The execution's id
    pub execution: String,
    /// The step awaiting approval
    pub step: String,
    /// Your version of the step's output (a JSON file meeting its agent's contract)
    #[arg(long, value_name = "FILE")]
    pub edit: Option<PathBuf>,
    /// Follow the run live afterwards
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, Args)]
pub struct RejectArgs {
    /// The execution's id
    pub execution: String,
    /// The step awaiting approval
    pub step: String,
    /// What is wrong: the step runs again with it in its prompt
    #[arg(long)]
    pub feedback: String,
    /// Follow the run live afterwards
    #[arg(long)]
    pub watch: bool,
}

/// A budget: caps on what a run (or a month) may spend.
#[derive(Debug, Clone, Args)]
pub struct BudgetArgs {
    /// At most this many US dollars of provider calls
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// At most this many tokens, in and out
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,
}

impl BudgetArgs {
    /// The API's `budget` object (`{}`: unlimited).
    pub fn to_json(&self) -> serde_json::Value {
        let mut budget = serde_json::json!({});
        if let Some(cost) = self.max_cost {
            budget["max_cost_usd"] = serde_json::json!(cost);
        }
        if let Some(tokens) = self.max_tokens {
            budget["max_tokens"] = serde_json::json!(tokens);
        }
        budget
    }

    pub fn is_set(&self) -> bool {
        self.max_cost.is_some() || self.max_tokens.is_some()
    }
}

#[derive(Debug, Args)]
pub struct RetryArgs {
    /// The execution's id
    pub execution: String,
    /// A new budget for the run (to go on after it stopped on its budget)
    #[command(flatten)]
    pub budget: BudgetArgs,
    /// Follow it live until its generation is ready (or it fails)
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// The project's id
    pub project: String,
    /// The workflow's id (default full-project)
    #[arg(long)]
    pub workflow: Option<String>,
}

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// The month, YYYY-MM (default: this month)
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<String>,
    /// Set your monthly budget (with --max-cost and/or --max-tokens; neither removes it)
    #[arg(long)]
    pub set_budget: bool,
    #[command(flatten)]
    pub budget: BudgetArgs,
}

#[derive(Debug, Args)]
#[group(skip)]
#[command(group(ArgGroup::new("target").required(true).multiple(false)))]
#[command(group(ArgGroup::new("forge").multiple(false)))]
pub struct TargetArgs {
    /// A zip archive of the repository
    #[arg(long, group = "target")]
    pub zip: bool,
    /// A tar.gz archive of the repository
    #[arg(long, group = "target")]
    pub tar: bool,
    /// A commit on GitHub (after `forgeflow credentials set github`)
    #[arg(long, value_name = "OWNER/NAME", groups = ["target", "forge"])]
    pub github: Option<String>,
    /// A commit on GitLab (after `forgeflow credentials set gitlab`)
    #[arg(long, value_name = "GROUP/NAME", groups = ["target", "forge"])]
    pub gitlab: Option<String>,
    /// A self-hosted GitLab (https://…); gitlab.com by default
    #[arg(long, value_name = "URL", conflicts_with_all = ["zip", "tar", "github"])]
    pub gitlab_url: Option<String>,
    /// The branch to commit to (the repository's default otherwise)
    #[arg(long, requires = "forge")]
    pub branch: Option<String>,
    /// Commit on a new branch and open a pull request (GitHub) or merge request (GitLab)
    #[arg(long, visible_alias = "mr", requires = "forge")]
    pub pr: bool,
    /// Create the repository public (private by default)
    #[arg(long, requires = "forge")]
    pub public: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The generation's id (the id of the execution that made it)
    pub generation: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Download the archive and unpack it into this directory (else print its download URL)
    #[arg(long, value_name = "DIR", conflicts_with = "forge")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Set or replace the project's export schedule
    Set(SetScheduleArgs),
    /// The schedule and its next run
    Show {
        /// The project's id
        project: String,
    },
    /// Remove the schedule
    Rm {
        /// The project's id
        project: String,
    },
}

#[derive(Debug, Args)]
pub struct SetScheduleArgs {
    /// The project's id
    pub project: String,
    /// A 5-field cron expression ("0 3 * * 1-5") or "rate(15 minutes)"
    #[arg(long, value_name = "EXPRESSION")]
    pub cron: String,
    /// An IANA time zone (default UTC)
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
    /// Save the schedule switched off
    #[arg(long)]
    pub disabled: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

impl TargetArgs {
    /// The API's `target` object.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        if let Some(repository) = &self.github {
            let mut target = json!({"type": "github", "repository": repository, "private": !self.public,
                "pull_request": self.pr});
            if let Some(branch) = &self.branch {
                target["branch"] = json!(branch);
            }
            target
        } else if let Some(project) = &self.gitlab {
            let mut target = json!({"type": "gitlab", "project": project, "private": !self.public,
                "merge_request": self.pr});
            if let Some(branch) = &self.branch {
                target["branch"] = json!(branch);
            }
            if let Some(url) = &self.gitlab_url {
                target["base_url"] = json!(url);
            }
            target
        } else if self.zip {
            json!({"type": "zip"})
        } else {
            json!({"type": "tar.gz"})
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use serde_json::json;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("forgeflow").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn exactly_one_target() {
        assert!(parse(&["export", "g"]).is_err());
        assert!(parse(&["export", "g", "--zip", "--tar"]).is_err());
        assert!(parse(&["export", "g", "--zip", "--pr"]).is_err());
        assert!(parse(&["export", "g", "--github", "a/b", "--out", "x"]).is_err());
        assert!(parse(&["export", "g", "--tar", "--branch", "main"]).is_err());
        assert!(parse(&["export", "g", "--zip", "--gitlab-url", "https://x"]).is_err());
        assert!(parse(&["export", "g", "--zip", "--public"]).is_err());
        let Command::Export(export) = parse(&["export", "g", "--zip", "--out", "x"]).unwrap().command else {
            panic!()
        };
        assert_eq!(export.target.to_json(), json!({"type": "zip"}));
    }

    #[test]
    fn forge_targets_carry_their_options() {
        let cli = parse(&[
            "--json", "export", "g", "--github", "ada/lib", "--pr", "--branch", "dev",
        ])
        .unwrap();
        assert!(cli.global.json);
        let Command::Export(export) = cli.command else { panic!() };
        assert_eq!(
            export.target.to_json(),
            json!({"type": "github", "repository": "ada/lib", "private": true, "pull_request": true, "branch": "dev"})
        );
        let Command::Schedule(ScheduleCommand::Set(set)) = parse(&[
            "schedule",
            "set",
            "p",
            "--cron",
            "0 3 * * *",
            "--gitlab",
            "g/n",
            "--gitlab-url",
            "https://git.example.com",
            "--public",
        ])
        .unwrap()
        .command
        else {
            panic!()
        };
        assert_eq!(
            set.target.to_json(),
            json!({"type": "gitlab", "project": "g/n", "private": false, "merge_request": false,
                "base_url": "https://git.example.com"})
        );
        let Command::Export(export) = parse(&["export", "g", "--gitlab", "g/n", "--mr"]).unwrap().command else {
            panic!()
        };
        assert_eq!(
            export.target.to_json(),
            json!({"type": "gitlab", "project": "g/n", "private": true, "merge_request": true})
        );
    }

    #[test]
    fn global_flags_go_anywhere() {
        let cli = parse(&["projects", "list", "--json", "--endpoint", "http://x"]).unwrap();
        assert!(cli.global.json);
        assert_eq!(cli.global.endpoint.as_deref(), Some("http://x"));
    }
}
