//! What a run is given, what it gives back, and the progress it reports on the way.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use forgeflow_domain::project::Template;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything one step's agent is told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentInput {
    pub step_id: String,
    pub project_name: String,
    pub brief: String,
    pub template: Template,
    /// The step's own instructions, e.g. "tests" for an engineer that writes only the tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Outputs of the step's dependencies, by step id.
    #[serde(default)]
    pub inputs: BTreeMap<String, Value>,
    /// For a change request: the request, the current tree and its relevant files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<forgeflow_domain::change::ChangeContext>,
}

/// A successful run: output that meets the agent's contract, and what it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentRun {
    pub output: Value,
    /// The model that answered, as the provider named it (a dated snapshot when it says so).
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    /// HTTP attempts made, repair included (1 for offline).
    pub attempts: u32,
    /// The first answer broke the contract and the repair request fixed it.
    pub repaired: bool,
}

/// Output tokens so far, reported while an answer streams in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenProgress {
    pub output_tokens: u64,
}

/// Tokens are estimated as characters / 4 (rounded up) wherever a provider gives no count.
pub(crate) use forgeflow_domain::pricing::estimate_tokens;

/// Reports streamed output at most every `STEP` estimated tokens, so a fast stream does not
/// flood the progress channel (each report may become a WebSocket message). Shared by reference
/// between retry attempts, hence atomics rather than `&mut`.
pub(crate) struct ProgressMeter<'a> {
    callback: &'a (dyn Fn(TokenProgress) + Send + Sync),
    chars: AtomicU64,
    reported: AtomicU64,
}

impl<'a> ProgressMeter<'a> {
    pub(crate) const STEP: u64 = 50;

    pub(crate) fn new(callback: &'a (dyn Fn(TokenProgress) + Send + Sync)) -> Self {
        ProgressMeter {
            callback,
            chars: AtomicU64::new(0),
            reported: AtomicU64::new(0),
        }
    }

    /// A new attempt answers from scratch.
    pub(crate) fn restart(&self) {
        self.chars.store(0, Ordering::Relaxed);
        self.reported.store(0, Ordering::Relaxed);
    }

    pub(crate) fn on_text(&self, text: &str) {
        let chars = self.chars.fetch_add(text.chars().count() as u64, Ordering::Relaxed) + text.chars().count() as u64;
        let estimate = chars.div_ceil(4);
        if estimate >= self.reported.load(Ordering::Relaxed) + Self::STEP {
            self.reported.store(estimate, Ordering::Relaxed);
            (self.callback)(TokenProgress {
                output_tokens: estimate,
            });
        }
    }

    /// The provider's exact count once the answer is complete.
    pub(crate) fn finish(&self, output_tokens: u64) {
        if self.reported.swap(output_tokens, Ordering::Relaxed) != output_tokens {
            (self.callback)(TokenProgress { output_tokens });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn progress_is_throttled_and_ends_on_the_exact_count() {
        let seen = Mutex::new(Vec::new());
        let callback = |progress: TokenProgress| seen.lock().unwrap().push(progress.output_tokens);
        let meter = ProgressMeter::new(&callback);
        for _ in 0..100 {
            meter.on_text("abcd");
        }
        meter.finish(103);
        assert_eq!(*seen.lock().unwrap(), vec![50, 100, 103]);
    }

    #[test]
    fn token_estimates_round_up() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abcde"), 2);
        assert_eq!(estimate_tokens("éééé"), 1);
    }
}
