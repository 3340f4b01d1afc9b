//! What a run will cost before it runs: per step, a range of tokens and of USD. The low end
//! assumes short answers; the high end is what the budget checks reserve — every answer at the
//! output limit, and one repair call per step — so a budget set at the high end cannot stop
//! the run.

use serde::Serialize;
use utoipa::ToSchema;

use crate::agent::Agent;
use crate::pricing::{cost_usd, estimate_tokens};
use crate::workflow::Workflow;

/// The output limit of one provider call, unless the deployment sets another.
pub const DEFAULT_MAX_OUTPUT_TOKENS: u64 = 8192;

/// A short answer: the low end of a step's output.
const SHORT_ANSWER_TOKENS: u64 = 400;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct Range<T> {
    pub low: T,
    pub high: T,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StepEstimate {
    pub step: String,
    pub agent: String,
    pub model: String,
    #[schema(value_type = Range<u64>)]
    pub input_tokens: Range<u64>,
    #[schema(value_type = Range<u64>)]
    pub output_tokens: Range<u64>,
    #[schema(value_type = Range<f64>)]
    pub cost_usd: Range<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Estimate {
    pub workflow: String,
    pub steps: Vec<StepEstimate>,
    #[schema(value_type = Range<u64>)]
    pub tokens: Range<u64>,
    #[schema(value_type = Range<f64>)]
    pub cost_usd: Range<f64>,
}

/// The estimate of `workflow` over a project with `brief`, its agents found in `agents`.
pub fn estimate(workflow: &Workflow, agents: &[Agent], brief: &str, max_output_tokens: u64) -> Estimate {
    let mut outputs: std::collections::BTreeMap<&str, Range<u64>> = Default::default();
    let mut steps = Vec::with_capacity(workflow.steps.len());
    for step in &workflow.steps {
        let Some(agent) = agents.iter().find(|agent| agent.id == step.agent) else {
            continue;
        };
        let own = estimate_tokens(&agent.system_prompt)
            + estimate_tokens(&agent.output_contract.to_string())
            + estimate_tokens(brief)
            + step.instructions.as_deref().map_or(0, estimate_tokens);
        let upstream = workflow
            .ancestors(&step.id)
            .into_iter()
            .fold(Range::<u64>::default(), |sum, id| {
                let output = outputs.get(id).copied().unwrap_or_default();
                Range {
                    low: sum.low + output.low,
                    high: sum.high + output.high,
                }
            });
        let input = Range {
            low: own + upstream.low,
            // A repair call sends the prompt again with the broken answer.
            high: 2 * (own + upstream.high) + max_output_tokens,
        };
        let output = Range {
            low: SHORT_ANSWER_TOKENS.min(max_output_tokens),
            high: 2 * max_output_tokens,
        };
        outputs.insert(
            &step.id,
            Range {
                low: output.low,
                high: max_output_tokens,
            },
        );
        steps.push(StepEstimate {
            step: step.id.clone(),
            agent: agent.id.clone(),
            model: agent.model.clone(),
            cost_usd: Range {
                low: cost_usd(&agent.model, input.low, output.low),
                high: cost_usd(&agent.model, input.high, output.high),
            },
            input_tokens: input,
            output_tokens: output,
        });
    }
    let sum = |pick: fn(&StepEstimate) -> (u64, u64)| {
        steps
            .iter()
            .map(pick)
            .fold(Range::<u64>::default(), |total, (low, high)| Range {
                low: total.low + low,
                high: total.high + high,
            })
    };
    let tokens = sum(|s| {
        (
            s.input_tokens.low + s.output_tokens.low,
            s.input_tokens.high + s.output_tokens.high,
        )
    });
    let cost_usd = steps.iter().fold(Range::default(), |total: Range<f64>, s| Range {
        low: total.low + s.cost_usd.low,
        high: total.high + s.cost_usd.high,
    });
    Estimate {
        workflow: workflow.id.clone(),
        steps,
        tokens,
        cost_usd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::ProviderKind;
    use crate::catalog::builtin_agents;
    use crate::workflow::full_project;

    #[test]
    fn later_steps_carry_their_ancestors_output_and_prices_follow_the_model() {
        let mut agents = builtin_agents();
        for agent in &mut agents {
            agent.provider = ProviderKind::Openai;
            agent.model = "gpt-4o-mini".into();
        }
        let estimate = estimate(&full_project(), &agents, "Members borrow books.", 1000);
        let steps: Vec<&str> = estimate.steps.iter().map(|s| s.step.as_str()).collect();
        assert_eq!(steps, ["plan", "architecture", "code", "tests", "review"]);
        let plan = &estimate.steps[0];
        let review = &estimate.steps[4];
        assert!(
            review.input_tokens.low > plan.input_tokens.low,
            "the review reads every output"
        );
        for step in &estimate.steps {
            assert!(
                step.cost_usd.low > 0.0 && step.cost_usd.low < step.cost_usd.high,
                "{step:?}"
            );
            assert_eq!(step.output_tokens.high, 2000, "an answer and a repair at the limit");
        }
        let sum: f64 = estimate.steps.iter().map(|s| s.cost_usd.high).sum();
        assert!((estimate.cost_usd.high - sum).abs() < 1e-12);
        let offline = super::estimate(&full_project(), &builtin_agents(), "b", 1000);
        assert_eq!(offline.cost_usd.high, 0.0, "the offline provider is free");
        assert!(offline.tokens.high > 0);
    }
}
