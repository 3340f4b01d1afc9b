//! The execution state machine under random interleavings, against moto and the real engine and
//! step-worker: deliveries (and duplicates), workers killed after taking a step or after finishing
//! it (the message comes back), step failures, cancels and retries, in any order; and, with an
//! approval gate, its owner approving or rejecting at any moment.
//!
//! The invariant: whatever happened, the run is never stuck. Delivering the messages still on the
//! queue (as SQS would, without anyone's help) always ends it in a terminal state, or leaves it
//! awaiting a decision on a step that is awaiting one, after which it ends too; and a run that
//! ends `succeeded` has every step succeeded.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::agent::PlanOutput;
use forgeflow_domain::execution::{Execution, ExecutionStatus, StepRun, StepStatus};
use forgeflow_domain::workflow::Approval;
use forgeflow_store::engine::output_key;
use forgeflow_tests::{Options, TestApp, User, spawn_app_with};
use proptest::prelude::*;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
enum Op {
    /// The step-worker handles the i-th message on the queue.
    Deliver(usize),
    /// SQS hands the i-th message out twice.
    Duplicate(usize),
    /// A worker takes the step, then dies: its message comes back once its lease is over.
    CrashAfterStart(usize),
    /// A worker finishes the step, then dies before queuing what follows: the message comes back.
    CrashAfterFinish(usize),
    /// The agent fails the step for good.
    Fail(usize),
    Cancel,
    Retry,
    /// The owner approves the step awaiting approval, if one is.
    Approve,
    /// The owner rejects it with feedback: it runs again.
    Reject,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..4usize).prop_map(Op::Deliver),
        1 => (0..4usize).prop_map(Op::Duplicate),
        1 => (0..4usize).prop_map(Op::CrashAfterStart),
        2 => (0..4usize).prop_map(Op::CrashAfterFinish),
        1 => (0..4usize).prop_map(Op::Fail),
        2 => Just(Op::Cancel),
        2 => Just(Op::Retry),
    ]
}

/// With a gate: the same, and the owner's decisions.
fn gated_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => op(),
        1 => Just(Op::Approve),
        1 => Just(Op::Reject),
    ]
}

/// One run of the workflow `a → b` (product-manager steps: the offline agent answers each), and
/// the step messages SQS holds for it. Two steps keep the interesting interleavings within reach
/// of a few dozen short sequences.
struct Run<'a> {
    app: &'a TestApp,
    id: Id<Execution>,
    messages: Vec<Value>,
    /// Whether its owner ever approved a gate.
    approved: bool,
}

impl<'a> Run<'a> {
    /// A new run of `workflow` on `project`, holding the messages it sent (and only those: the
    /// queue is drained first).
    async fn start(app: &'a TestApp, user: &User, project: &str, workflow: &str) -> Self {
        app.drain_queue("steps").await;
        let id = app.start_execution(user, project, Some(workflow)).await;
        let mut run = Run {
            app,
            id: id.parse().unwrap(),
            messages: Vec::new(),
            approved: false,
        };
        run.collect().await;
        run
    }

    async fn load(&self) -> (Execution, BTreeMap<String, StepRun>) {
        self.app.context.engine.executions.load(self.id).await.unwrap().unwrap()
    }

    /// What the run sent since last time joins the messages SQS holds.
    async fn collect(&mut self) {
        self.messages.extend(self.app.drain_queue("steps").await);
    }

    fn take(&mut self, i: usize) -> Option<Value> {
        if self.messages.is_empty() {
            return None;
        }
        let at = i % self.messages.len();
        Some(self.messages.remove(at))
    }

    async fn deliver(&mut self, message: Value) {
        let event = forgeflow_tests::sqs_batch([message.to_string()]);
        let deadline = Utc::now() + Duration::minutes(5);
        let response = forgeflow_workers::step::handler(&self.app.step_worker, event, deadline).await;
        if !response.batch_item_failures.is_empty() {
            // Handed back (held by a live lease, or a failure to retry): SQS delivers it again.
            self.messages.push(message);
        }
    }

    async fn apply(&mut self, op: &Op) {
        self.perform(op).await;
        self.collect().await;
    }

    async fn perform(&mut self, op: &Op) {
        let engine = &self.app.context.engine;
        match *op {
            Op::Deliver(i) => {
                if let Some(message) = self.take(i) {
                    self.deliver(message).await;
                }
            }
            Op::Duplicate(i) => {
                if !self.messages.is_empty() {
                    let copy = self.messages[i % self.messages.len()].clone();
                    self.messages.push(copy);
                }
            }
            Op::CrashAfterStart(i) | Op::CrashAfterFinish(i) | Op::Fail(i) => {
                let Some(message) = self.take(i) else { return };
                let step = message["step_id"].as_str().unwrap().to_owned();
                let (execution, runs) = self.load().await;
                let startable = execution.status == ExecutionStatus::Running
                    && runs.get(&step).is_some_and(|run| run.can_start(Utc::now()));
                if !startable {
                    // What the worker would do with it.
                    return self.deliver(message).await;
                }
                // The lease ends at once, as if the dead worker's invocation had timed out.
                let now = Utc::now();
                let Ok(mut run) = engine.executions.start_step(self.id, &step, now, now).await else {
                    return self.messages.push(message);
                };
                match op {
                    Op::CrashAfterStart(_) => self.messages.push(message),
                    Op::CrashAfterFinish(_) => {
                        let output = PlanOutput {
                            stories: Vec::new(),
                            sprints: Vec::new(),
                        };
                        engine
                            .blobs
                            .put_json(&output_key(&execution, &step), &output)
                            .await
                            .unwrap();
                        // As the worker finishes it: a gated step then awaits its owner.
                        run.status = if gated(&execution, &step) {
                            StepStatus::AwaitingApproval
                        } else {
                            StepStatus::Succeeded
                        };
                        run.finished_at = Some(Utc::now());
                        let _ = engine.executions.finish_step(self.id, &run).await;
                        self.messages.push(message);
                    }
                    _ => {
                        run.status = StepStatus::Failed;
                        run.error = Some("the provider refused".into());
                        engine.fail(&execution, &run).await.unwrap();
                    }
                }
            }
            Op::Cancel => {
                let (execution, runs) = self.load().await;
                if !execution.status.is_finished() {
                    let _ = engine.cancel(&execution, &runs).await;
                }
            }
            Op::Retry => {
                let (execution, runs) = self.load().await;
                if matches!(execution.status, ExecutionStatus::Failed | ExecutionStatus::Cancelled) {
                    let _ = engine.retry(&execution, &runs).await;
                }
            }
            Op::Approve | Op::Reject => {
                let (execution, runs) = self.load().await;
                let waiting = runs.values().find(|run| run.status == StepStatus::AwaitingApproval);
                let Some(step) = waiting.map(|run| run.step_id.clone()) else {
                    return;
                };
                if execution.status == ExecutionStatus::AwaitingApproval {
                    match op {
                        Op::Approve => self.approved |= engine.approve(&execution, &step).await.is_ok(),
                        _ => drop(engine.reject(&execution, &step, "Once more, shorter.").await),
                    }
                }
            }
        }
    }

    /// [`Self::settle`], and whenever that leaves the run at a gate, the owner approving it.
    async fn settle_deciding(&mut self) -> (Execution, BTreeMap<String, StepRun>) {
        for _ in 0..4 {
            let (execution, runs) = self.settle().await;
            if execution.status != ExecutionStatus::AwaitingApproval {
                return (execution, runs);
            }
            assert!(
                runs.values().any(|run| run.status == StepStatus::AwaitingApproval),
                "awaiting approval with no step awaiting it: {runs:?}"
            );
            self.apply(&Op::Approve).await;
        }
        self.load().await
    }

    /// SQS alone: every message delivered (again) until none is left or the run ended.
    async fn settle(&mut self) -> (Execution, BTreeMap<String, StepRun>) {
        for _ in 0..64 {
            let (execution, _) = self.load().await;
            if execution.status.is_finished() {
                break;
            }
            self.collect().await;
            if self.messages.is_empty() {
                break;
            }
            let message = self.messages.remove(0);
            self.deliver(message).await;
            self.collect().await;
        }
        self.load().await
    }
}

#[test]
fn no_interleaving_leaves_an_execution_stuck() {
    let steps = json!([
        {"id": "a", "agent": "product-manager"},
        {"id": "b", "agent": "product-manager", "depends_on": ["a"]},
    ]);
    interleavings(steps, op(), 48);
}

/// A gate on the first step: no decision, cancel, retry or redelivery in any order passes it
/// without its owner, or leaves the run waiting on nothing.
#[test]
fn no_interleaving_with_an_approval_gate_leaves_an_execution_stuck() {
    let steps = json!([
        {"id": "a", "agent": "product-manager", "approval": "required"},
        {"id": "b", "agent": "product-manager", "depends_on": ["a"]},
    ]);
    interleavings(steps, gated_op(), 32);
}

fn gated(execution: &Execution, step: &str) -> bool {
    execution
        .workflow
        .step(step)
        .is_some_and(|step| step.approval == Approval::Required)
}

/// Runs of a workflow of `steps` through `cases` random sequences of `op`s, each checked.
fn interleavings(steps: Value, op: impl Strategy<Value = Op>, cases: u32) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (app, user, project, workflow) = runtime.block_on(async {
        let app = spawn_app_with(Options {
            workers: false,
            ..Options::default()
        })
        .await;
        let user = app.register().await;
        let project = app.create_project(&user, "Interleavings").await;
        let workflow = app.create_workflow(&user, steps).await;
        (app, user, project["id"].as_str().unwrap().to_owned(), workflow)
    });
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in proptest::collection::vec(&op, 1..8))| {
        runtime.block_on(async {
            let mut run = Run::start(&app, &user, &project, &workflow).await;
            for op in &ops {
                run.apply(op).await;
                let (execution, runs) = run.load().await;
                if execution.status == ExecutionStatus::Succeeded {
                    assert!(runs.values().all(|r| r.status == StepStatus::Succeeded), "{ops:?}: {runs:?}");
                }
                // A gate is passed only by its owner: never by a delivery, a retry or a crash.
                let gate_passed = runs.values().any(|r| gated(&execution, &r.step_id) && r.status == StepStatus::Succeeded);
                assert!(!gate_passed || run.approved, "a gate passed without its owner after {ops:?}: {runs:?}");
            }
            let (execution, runs) = run.settle_deciding().await;
            let statuses: Vec<_> = runs.values().map(|r| (&r.step_id, r.status)).collect();
            assert!(
                execution.status.is_finished(),
                "stuck `{}` with nothing that can move it after {ops:?}: steps {statuses:?}",
                execution.status.as_str()
            );
            if execution.status == ExecutionStatus::Succeeded {
                assert!(runs.values().all(|r| r.status == StepStatus::Succeeded), "{ops:?}: {statuses:?}");
            }
        });
    });
}

/// The interleavings found so far, replayed every time: a cancel between a step's completion and
/// its worker queuing what follows (every step ends `succeeded`, the run `cancelled`), and a
/// cancel while a dead worker still held a step; a retry must move both again.
#[tokio::test]
async fn the_races_found_so_far_end_in_a_terminal_state() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "Races").await;
    let project = project["id"].as_str().unwrap();
    let workflow = app
        .create_workflow(&user, json!([{"id": "a", "agent": "product-manager"}]))
        .await;
    for ops in [
        vec![Op::CrashAfterFinish(0), Op::Cancel, Op::Deliver(0), Op::Retry],
        vec![Op::CrashAfterStart(0), Op::Cancel, Op::Deliver(0), Op::Retry],
    ] {
        let mut run = Run::start(&app, &user, project, &workflow).await;
        for op in &ops {
            run.apply(op).await;
        }
        let (execution, runs) = run.settle().await;
        assert_eq!(execution.status, ExecutionStatus::Succeeded, "{ops:?}: {runs:?}");
    }

    // A worker finished a gated step and died before the run was told to wait: the redelivery
    // tells it, so its owner can decide.
    let gated = app
        .create_workflow(
            &user,
            json!([{"id": "a", "agent": "product-manager", "approval": "required"}]),
        )
        .await;
    let mut run = Run::start(&app, &user, project, &gated).await;
    run.apply(&Op::CrashAfterFinish(0)).await;
    let (execution, _) = run.settle().await;
    assert_eq!(execution.status, ExecutionStatus::AwaitingApproval);
    let (execution, runs) = run.settle_deciding().await;
    assert_eq!(execution.status, ExecutionStatus::Succeeded, "{runs:?}");
}
