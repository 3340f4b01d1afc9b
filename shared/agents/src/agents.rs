//! Running one agent: prompt → provider → JSON → contract, with one repair attempt.

use forgeflow_domain::agent::{Agent, ProviderKind};
use reqwest::Client;
use serde_json::Value;

use crate::anthropic::{self, Anthropic};
use crate::config::{AgentsConfig, ApiKey};
use crate::contract::Contract;
use crate::cost::{cost_usd, price_per_million};
use crate::endpoint::Endpoint;
use crate::error::AgentError;
use crate::extract::extract_json_object;
use crate::http::{Completion, attempt};
use crate::input::{AgentInput, AgentRun, ProgressMeter, TokenProgress, estimate_tokens};
use crate::meter::Meter;
use crate::offline;
use crate::openai::{self, OpenAi};
use crate::prompt::Prompt;
use crate::retry::with_retries;
use forgeflow_domain::budget::Spend;
use forgeflow_domain::credential::Provider;
use forgeflow_egress::EgressError;

/// The AI caller: one HTTP client (connection pools, TLS set up once per container) and the
/// providers' settings. Build it once and share it by reference.
#[derive(Debug, Clone)]
pub struct Agents {
    /// Built on the first remote call: a run on the offline provider never pays for TLS set-up
    /// (root certificates), nor does the step-worker's cold start.
    client: std::sync::OnceLock<Client>,
    config: AgentsConfig,
    /// Whose key the calls use; `None`: the config's.
    endpoint: Option<Endpoint>,
}

/// The providers reached over HTTP.
#[derive(Debug, Clone, Copy)]
enum Remote {
    OpenAi,
    Anthropic,
}

/// One provider call's answer and the HTTP attempts it took.
struct Answer {
    completion: Completion,
    attempts: u32,
    /// What was sent, in estimated tokens, for providers that report no usage.
    prompt_tokens: u64,
}

impl Agents {
    pub fn new(config: AgentsConfig) -> Self {
        Agents {
            client: std::sync::OnceLock::new(),
            config,
            endpoint: None,
        }
    }

    /// These agents, calling with `endpoint`'s key (sharing the connection pool).
    pub fn with_endpoint(&self, endpoint: Endpoint) -> Self {
        Agents {
            client: self.client.clone(),
            config: self.config.clone(),
            endpoint: Some(endpoint),
        }
    }

    fn builder(&self) -> reqwest::ClientBuilder {
        Client::builder()
            .connect_timeout(self.config.connect_timeout)
            .read_timeout(self.config.read_timeout)
            .user_agent(concat!("forgeflow-agents/", env!("CARGO_PKG_VERSION")))
    }

    fn client(&self) -> &Client {
        self.client.get_or_init(|| {
            self.builder().build().unwrap_or_else(|error| {
                // Only a broken TLS setup gets here; the default client still works for plain HTTP.
                tracing::error!(%error, "building the AI HTTP client failed; using reqwest defaults");
                Client::new()
            })
        })
    }

    pub fn config(&self) -> &AgentsConfig {
        &self.config
    }

    /// Runs one agent: prompt → provider → parse JSON → validate against `agent.output_contract`.
    /// On a contract breach, one repair attempt (the bad output and the validator's errors go
    /// back, corrected JSON is asked for); if that fails too, [`AgentError::Contract`].
    pub async fn run(
        &self,
        agent: &Agent,
        input: &AgentInput,
        meter: &dyn Meter,
        progress: &(dyn Fn(TokenProgress) + Send + Sync),
    ) -> Result<AgentRun, AgentError> {
        // Contracts stored before creation checked them meet the same bounds before any work.
        forgeflow_domain::contract::check(&agent.output_contract)
            .map_err(|reason| AgentError::InvalidContract(reason.to_string()))?;
        let contract = Contract::compile(&agent.output_contract).map_err(AgentError::InvalidContract)?;
        let prompt = Prompt::for_step(agent, input);
        let remote = match agent.provider {
            ProviderKind::Offline => {
                let most = self.most(agent, &prompt);
                meter.reserve(&agent.model, most).await?;
                let run = run_offline(agent, input, &prompt, progress).await;
                let used = run.as_ref().map_or(Spend::default(), |run| {
                    Spend::new(run.cost_usd, run.input_tokens + run.output_tokens)
                });
                meter.settle(&agent.model, most, used).await?;
                return run;
            }
            ProviderKind::Openai => Remote::OpenAi,
            ProviderKind::Anthropic => Remote::Anthropic,
        };
        let first = self.metered(remote, agent, &prompt, meter, progress).await?;
        let reason = match judge(&contract, &first.completion) {
            Ok(output) => return Ok(finish(agent, output, &[first], false)),
            Err(reason) => reason,
        };
        tracing::info!(agent = %agent.id, step = %input.step_id, %reason, "contract breach; asking for a repair");
        let repair = prompt.with_repair(&first.completion.text, &reason);
        let second = self
            .metered(remote, agent, &repair, meter, progress)
            .await
            .map_err(|error| with_more_attempts(error, first.attempts))?;
        match judge(&contract, &second.completion) {
            Ok(output) => Ok(finish(agent, output, &[first, second], true)),
            Err(reason) => Err(AgentError::Contract {
                reason: format!("still broken after one repair attempt: {reason}"),
                attempts: first.attempts + second.attempts,
            }),
        }
    }

    /// The most one call with `prompt` can use: its estimated tokens plus the output limit, at
    /// the model's list price.
    fn most(&self, agent: &Agent, prompt: &Prompt) -> Spend {
        let input = estimate_tokens(&prompt.all_text());
        let output = u64::from(self.config.max_output_tokens);
        Spend::new(cost_usd(&agent.model, input, output), input + output)
    }

    /// One provider call, reserved against the budgets first and settled after.
    async fn metered(
        &self,
        remote: Remote,
        agent: &Agent,
        prompt: &Prompt,
        meter: &dyn Meter,
        progress: &(dyn Fn(TokenProgress) + Send + Sync),
    ) -> Result<Answer, AgentError> {
        let most = self.most(agent, prompt);
        meter.reserve(&agent.model, most).await?;
        let answer = self.complete(remote, agent, prompt, progress).await;
        let used = match &answer {
            Ok(answer) => {
                let input = answer.completion.input_tokens.unwrap_or(answer.prompt_tokens);
                let output = answer
                    .completion
                    .output_tokens
                    .unwrap_or_else(|| estimate_tokens(&answer.completion.text));
                let model = answer
                    .completion
                    .model
                    .as_deref()
                    .filter(|m| price_per_million(m).is_some());
                Spend::new(cost_usd(model.unwrap_or(&agent.model), input, output), input + output)
            }
            // A call that failed is not billed by the providers used here.
            Err(_) => Spend::default(),
        };
        meter.settle(&agent.model, most, used).await?;
        answer
    }

    /// One provider call with retries.
    async fn complete(
        &self,
        remote: Remote,
        agent: &Agent,
        prompt: &Prompt,
        progress: &(dyn Fn(TokenProgress) + Send + Sync),
    ) -> Result<Answer, AgentError> {
        let Target {
            name,
            base_url,
            key,
            client,
        } = self.target(remote, &agent.model).await?;
        let (base_url, key, client) = (base_url.as_str(), key.expose(), &client);
        let meter = ProgressMeter::new(progress);
        let meter = &meter;
        let (completion, attempts) = with_retries(name, &self.config.retry, |number| {
            tracing::debug!(provider = name, model = %agent.model, attempt = number, "calling the model");
            let max_tokens = self.config.max_output_tokens;
            async move {
                match remote {
                    Remote::Anthropic => {
                        let request = anthropic::request(client, base_url, key, &agent.model, prompt, max_tokens);
                        attempt::<Anthropic>(request, key, meter).await
                    }
                    Remote::OpenAi => {
                        let request = openai::request(client, base_url, key, &agent.model, prompt);
                        attempt::<OpenAi>(request, key, meter).await
                    }
                }
            }
        })
        .await?;
        meter.finish(
            completion
                .output_tokens
                .unwrap_or_else(|| estimate_tokens(&completion.text)),
        );
        Ok(Answer {
            completion,
            attempts,
            prompt_tokens: estimate_tokens(&prompt.all_text()),
        })
    }
}

/// Where one provider call goes, with which key and client.
struct Target<'a> {
    name: &'static str,
    base_url: String,
    key: &'a ApiKey,
    client: Client,
}

impl Agents {
    /// The owner's or deployment's endpoint for `remote` if one was given, else the config's. An
    /// owner's base URL passes the egress checks first and gets a client pinned to the checked
    /// addresses that follows no redirect (a redirect could lead anywhere).
    async fn target(&self, remote: Remote, model: &str) -> Result<Target<'_>, AgentError> {
        let (name, provider, config) = match remote {
            Remote::OpenAi => ("openai", Provider::Openai, &self.config.openai),
            Remote::Anthropic => ("anthropic", Provider::Anthropic, &self.config.anthropic),
        };
        let Some(endpoint) = self.endpoint.as_ref().filter(|e| e.provider == provider) else {
            let key = config
                .api_key
                .as_ref()
                .ok_or(AgentError::MissingKey { provider: name })?;
            return Ok(Target {
                name,
                base_url: config.base_url.clone(),
                key,
                client: self.client().clone(),
            });
        };
        if !endpoint.settings.allows(model) {
            return Err(AgentError::ModelNotAllowed {
                provider: name,
                model: model.to_owned(),
            });
        }
        let Some(own_url) = &endpoint.settings.base_url else {
            return Ok(Target {
                name,
                base_url: config.base_url.clone(),
                key: &endpoint.key,
                client: self.client().clone(),
            });
        };
        let what = format!("the {name} base URL");
        let checked = forgeflow_egress::check(&what, own_url, self.config.allow_private_network)
            .await
            .map_err(|error| match error {
                EgressError::Unsafe(reason) => AgentError::UnsafeUrl { provider: name, reason },
                EgressError::Unresolved(reason) => AgentError::Exhausted {
                    provider: name,
                    status: None,
                    attempts: 0,
                    reason,
                },
            })?;
        let client = checked
            .pin(self.builder().redirect(reqwest::redirect::Policy::none()))
            .build()
            .map_err(|error| AgentError::Exhausted {
                provider: name,
                status: None,
                attempts: 0,
                reason: format!("building the HTTP client failed: {error}"),
            })?;
        Ok(Target {
            name,
            base_url: checked.url.as_str().trim_end_matches('/').to_owned(),
            key: &endpoint.key,
            client,
        })
    }
}

/// The answer's JSON object, if it meets the contract; else why not, for the repair request.
fn judge(contract: &Contract, completion: &Completion) -> Result<Value, String> {
    let checked = extract_json_object(&completion.text).and_then(|output| contract.check(&output).map(|()| output));
    checked.map_err(|reason| {
        if completion.truncated {
            format!("{reason}\n(the answer was cut off at the output token limit: keep it shorter)")
        } else {
            reason
        }
    })
}

fn finish(agent: &Agent, output: Value, answers: &[Answer], repaired: bool) -> AgentRun {
    let last = answers.last().map(|a| &a.completion);
    let reported = last
        .and_then(|c| c.model.clone())
        .unwrap_or_else(|| agent.model.clone());
    let input_tokens = answers
        .iter()
        .map(|a| a.completion.input_tokens.unwrap_or(a.prompt_tokens))
        .sum();
    let output_tokens = answers
        .iter()
        .map(|a| {
            a.completion
                .output_tokens
                .unwrap_or_else(|| estimate_tokens(&a.completion.text))
        })
        .sum();
    // A dated snapshot the table does not know is priced as the family that was asked for.
    let priced = if price_per_million(&reported).is_some() {
        &reported
    } else {
        &agent.model
    };
    AgentRun {
        output,
        cost_usd: cost_usd(priced, input_tokens, output_tokens),
        model: reported,
        input_tokens,
        output_tokens,
        attempts: answers.iter().map(|a| a.attempts).sum(),
        repaired,
    }
}

fn with_more_attempts(error: AgentError, earlier: u32) -> AgentError {
    match error {
        AgentError::Exhausted {
            provider,
            status,
            attempts,
            reason,
        } => AgentError::Exhausted {
            provider,
            status,
            attempts: attempts + earlier,
            reason,
        },
        AgentError::Rejected {
            provider,
            status,
            attempts,
            message,
        } => AgentError::Rejected {
            provider,
            status,
            attempts: attempts + earlier,
            message,
        },
        AgentError::Contract { reason, attempts } => AgentError::Contract {
            reason,
            attempts: attempts + earlier,
        },
        other => other,
    }
}

/// The offline provider: no network, deterministic, one "attempt". Building and validating the
/// answer is CPU work, so it runs on a blocking thread, not on the async runtime's workers.
async fn run_offline(
    agent: &Agent,
    input: &AgentInput,
    prompt: &Prompt,
    progress: &(dyn Fn(TokenProgress) + Send + Sync),
) -> Result<AgentRun, AgentError> {
    let (owned_agent, owned_input) = (agent.clone(), input.clone());
    let answer = tokio::task::spawn_blocking(move || {
        let contract = Contract::compile(&owned_agent.output_contract)?;
        offline::respond(&owned_agent, &owned_input, &contract)
    })
    .await
    .map_err(|err| AgentError::Contract {
        reason: format!("offline provider: {err}"),
        attempts: 1,
    })?;
    let output = answer.map_err(|reason| AgentError::Contract {
        reason: format!("offline provider: {reason}"),
        attempts: 1,
    })?;
    let output_tokens = estimate_tokens(&output.to_string());
    progress(TokenProgress { output_tokens });
    Ok(AgentRun {
        output,
        model: agent.model.clone(),
        input_tokens: estimate_tokens(&prompt.all_text()),
        output_tokens,
        cost_usd: 0.0,
        attempts: 1,
        repaired: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use forgeflow_domain::catalog::builtin_agent;
    use forgeflow_domain::project::Template;

    fn assert_send<T: Send>(_: &T) {}

    #[tokio::test]
    async fn a_run_can_move_between_threads_and_offline_runs_count_one_attempt() {
        let agents = Agents::new(AgentsConfig::default());
        let agent = builtin_agent("architect").unwrap();
        let input = AgentInput {
            step_id: "design".into(),
            project_name: "Loans".into(),
            brief: "Members borrow books.".into(),
            template: Template::RustAxum,
            instructions: None,
            inputs: Default::default(),
            change: None,
        };
        let future = agents.run(&agent, &input, &crate::Unmetered, &|_| {});
        assert_send(&future);
        let run = future.await.unwrap();
        assert_eq!((run.attempts, run.repaired, run.cost_usd), (1, false, 0.0));
        assert!(run.input_tokens > 0 && run.output_tokens > 0);
    }

    #[tokio::test]
    async fn an_invalid_contract_is_refused_before_anything_runs() {
        let input = AgentInput {
            step_id: "review".into(),
            project_name: "Loans".into(),
            brief: "Members borrow books.".into(),
            template: Template::RustAxum,
            instructions: None,
            inputs: Default::default(),
            change: None,
        };
        // Not a schema; and one stored before today's bounds, whose smallest output doubles per
        // level: each is refused before the provider (here the offline one) builds anything.
        let contracts = [
            serde_json::json!({"type": "object", "required": "summary"}),
            serde_json::json!({"type": "object", "required": ["l", "r"], "properties": {"l": {"$ref": "#"}, "r": {"$ref": "#"}}}),
        ];
        for contract in contracts {
            let mut agent = builtin_agent("reviewer").unwrap();
            agent.output_contract = contract;
            let error = Agents::new(AgentsConfig::default())
                .run(&agent, &input, &crate::Unmetered, &|_| {})
                .await
                .unwrap_err();
            assert!(matches!(error, AgentError::InvalidContract(_)), "{error:?}");
        }
    }
}
