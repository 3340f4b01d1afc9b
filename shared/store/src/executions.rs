use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::execution::{Execution, ExecutionStatus, StepRun, StepStatus};
use forgeflow_domain::project::Project;

use crate::StoreError;
use crate::error::dynamo;
use crate::item::{self, Item, key, s, string_attr, to_item};
use crate::projects::Page;

/// Executions and their steps, one partition per execution: `EXEC#{id}` holds the execution
/// (`EXEC`) and one item per step (`STEP#{step_id}`), so one query reads a whole run.
/// `gsi1` lists a project's executions (`PROJECT#{id}#EXECUTIONS`, newest first).
#[derive(Clone, Debug)]
pub struct ExecutionStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

pub(crate) const EXEC_SK: &str = "EXEC";
const STEP_PREFIX: &str = "STEP#";
/// The deadlines' index partition: executions awaiting an approval, by deadline.
const APPROVALS_INDEX: &str = "APPROVALS";

pub(crate) fn partition(id: Id<Execution>) -> String {
    format!("EXEC#{id}")
}

fn step_key(id: Id<Execution>, step: &str) -> Item {
    key(partition(id), format!("{STEP_PREFIX}{step}"))
}

pub(crate) fn project_index(project: Id<Project>) -> String {
    format!("PROJECT#{project}#EXECUTIONS")
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A loaded execution with its steps by id.
pub type Run = (Execution, BTreeMap<String, StepRun>);

impl ExecutionStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Writes the execution and all its steps in one transaction (at most 1 + 50 items).
    pub async fn create(&self, execution: &Execution, steps: &[StepRun]) -> Result<(), StoreError> {
        let mut head = to_item(key(partition(execution.id), EXEC_SK), execution)?;
        head.insert("gsi1pk".into(), s(project_index(execution.project)));
        head.insert("gsi1sk".into(), s(execution.id.to_string()));
        let mut request = self.client.transact_write_items().transact_items(self.put_new(head)?);
        for step in steps {
            request = request.transact_items(self.put_new(to_item(step_key(execution.id, &step.step_id), step)?)?);
        }
        request
            .send()
            .await
            .map_err(|err| dynamo("create execution", "execution id already used", err))?;
        Ok(())
    }

    fn put_new(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|err| StoreError::backend("build put", err))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The execution and every step, read consistently in one query.
    pub async fn load(&self, id: Id<Execution>) -> Result<Option<Run>, StoreError> {
        let mut execution = None;
        let mut steps = BTreeMap::new();
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(partition(id)))
            .consistent_read(true);
        for item in item::query_all(query, "load execution").await? {
            if string_attr(&item, "sk") == Some(EXEC_SK) {
                execution = Some(item::from_item::<Execution>(item)?);
            } else {
                let step: StepRun = item::from_item(item)?;
                steps.insert(step.step_id.clone(), step);
            }
        }
        Ok(execution.map(|execution| (execution, steps)))
    }

    /// A project's executions, newest first, through the project index.
    pub async fn list_for_project(
        &self,
        project: Id<Project>,
        limit: usize,
        after: Option<Id<Execution>>,
    ) -> Result<Page<Execution, Id<Execution>>, StoreError> {
        crate::index::gsi1_page(
            &self.client,
            &self.table,
            &project_index(project),
            limit,
            after,
            |id| key(partition(id), EXEC_SK),
            |e: &Execution| e.id,
        )
        .await
    }

    /// Takes a step for one delivery: it must be queued, or running with an expired lease.
    /// Returns the step as now stored, or `Conflict` if someone else holds it.
    pub async fn start_step(
        &self,
        id: Id<Execution>,
        step: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<StepRun, StoreError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(step_key(id, step)))
            .update_expression(
                "SET #status = :running, lease_expires_at = :lease, started_at = :now \
                 ADD deliveries :one REMOVE #error, finished_at",
            )
            .condition_expression("#status = :queued OR (#status = :running AND lease_expires_at < :now_ms)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#error", "error")
            .expression_attribute_values(":running", s(StepStatus::Running.as_str()))
            .expression_attribute_values(":queued", s(StepStatus::Queued.as_str()))
            .expression_attribute_values(":lease", n(lease_until.timestamp_millis()))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .expression_attribute_values(":now_ms", n(now.timestamp_millis()))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|err| dynamo("start step", "step is held by another worker or not runnable", err))?;
        let attributes = output
            .attributes
            .ok_or_else(|| StoreError::backend("start step", "no attributes returned"))?;
        item::from_item(attributes)
    }

    /// Records a step's end (`run.status` succeeded or failed) if this delivery still holds it.
    pub async fn finish_step(&self, id: Id<Execution>, run: &StepRun) -> Result<(), StoreError> {
        let mut stored = run.clone();
        stored.lease_expires_at = None;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(step_key(id, &run.step_id), &stored)?))
            .condition_expression("#status = :running AND deliveries = :delivery")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":running", s(StepStatus::Running.as_str()))
            .expression_attribute_values(":delivery", n(run.deliveries))
            .send()
            .await
            .map_err(|err| dynamo("finish step", "step was taken over by a later delivery", err))?;
        Ok(())
    }

    /// Marks a step that is not finished as failed with `reason` (a job that SQS gives up on).
    pub async fn fail_step(
        &self,
        id: Id<Execution>,
        step: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(step_key(id, step)))
            .update_expression("SET #status = :failed, #error = :reason, finished_at = :now REMOVE lease_expires_at")
            .condition_expression("#status IN (:queued, :running)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#error", "error")
            .expression_attribute_values(":failed", s(StepStatus::Failed.as_str()))
            .expression_attribute_values(":queued", s(StepStatus::Queued.as_str()))
            .expression_attribute_values(":running", s(StepStatus::Running.as_str()))
            .expression_attribute_values(":reason", s(reason))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .send()
            .await
            .map_err(|err| dynamo("fail step", "step already finished", err))?;
        Ok(())
    }

    /// Moves a step from one of `from` to `to`; `Conflict` if it was in none of them.
    /// Going back to `pending` (a retry) clears the previous outcome but keeps the counters.
    pub async fn transition_step(
        &self,
        id: Id<Execution>,
        step: &str,
        from: &[StepStatus],
        to: StepStatus,
    ) -> Result<(), StoreError> {
        let placeholders: Vec<String> = (0..from.len()).map(|i| format!(":from{i}")).collect();
        let mut update = "SET #status = :to".to_owned();
        if to == StepStatus::Pending {
            update.push_str(" REMOVE #error, finished_at, lease_expires_at");
        }
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(step_key(id, step)))
            .update_expression(update)
            .condition_expression(format!("#status IN ({})", placeholders.join(", ")))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":to", s(to.as_str()));
        if to == StepStatus::Pending {
            request = request.expression_attribute_names("#error", "error");
        }
        for (placeholder, status) in placeholders.iter().zip(from) {
            request = request.expression_attribute_values(placeholder, s(status.as_str()));
        }
        request
            .send()
            .await
            .map_err(|err| dynamo("move step", "step is not in the expected state", err))?;
        Ok(())
    }

    /// A running execution waits on a gate until `deadline`, listed in the deadlines' index
    /// (`gsi2`: `APPROVALS` by deadline) for the minute tick to cancel it then.
    pub async fn await_approval(&self, id: Id<Execution>, deadline: DateTime<Utc>) -> Result<(), StoreError> {
        let at = s(deadline.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(partition(id), EXEC_SK)))
            .update_expression(
                "SET #status = :awaiting, approval_deadline = :at, gsi2pk = :index, gsi2sk = :at, updated_at = :now",
            )
            .condition_expression("#status = :running")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":awaiting", s(ExecutionStatus::AwaitingApproval.as_str()))
            .expression_attribute_values(":running", s(ExecutionStatus::Running.as_str()))
            .expression_attribute_values(":at", at)
            .expression_attribute_values(":index", s(APPROVALS_INDEX))
            .expression_attribute_values(":now", s(Utc::now().to_rfc3339()))
            .send()
            .await
            .map_err(|err| dynamo("await approval", "execution is not running", err))?;
        Ok(())
    }

    /// The owner's decision on `step`, awaiting its gate: in one transaction the execution runs
    /// again and the step moves on — to `succeeded` (approved) or back to `queued` with the
    /// feedback (rejected). `Conflict` unless both were awaiting: a second decision, a decision
    /// racing the deadline, or one on a step that is not the gated one, changes nothing.
    pub async fn decide(&self, id: Id<Execution>, step: &str, feedback: Option<&str>) -> Result<(), StoreError> {
        let awaiting = || s(ExecutionStatus::AwaitingApproval.as_str());
        let execution = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(partition(id), EXEC_SK)))
            .update_expression("SET #status = :running, updated_at = :now REMOVE approval_deadline, gsi2pk, gsi2sk")
            .condition_expression("#status = :awaiting")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":running", s(ExecutionStatus::Running.as_str()))
            .expression_attribute_values(":awaiting", awaiting())
            .expression_attribute_values(":now", s(Utc::now().to_rfc3339()))
            .build()
            .map_err(|err| StoreError::backend("build update", err))?;
        let mut step_update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(step_key(id, step)))
            .condition_expression("#status = :awaiting")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":awaiting", awaiting());
        step_update = match feedback {
            None => step_update
                .update_expression("SET #status = :to")
                .expression_attribute_values(":to", s(StepStatus::Succeeded.as_str())),
            Some(feedback) => step_update
                .update_expression("SET #status = :to, feedback = :feedback REMOVE finished_at ADD rejections :one")
                .expression_attribute_values(":to", s(StepStatus::Queued.as_str()))
                .expression_attribute_values(":feedback", s(feedback))
                .expression_attribute_values(":one", n(1)),
        };
        let step_update = step_update
            .build()
            .map_err(|err| StoreError::backend("build update", err))?;
        self.client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(execution).build())
            .transact_items(TransactWriteItem::builder().update(step_update).build())
            .send()
            .await
            .map_err(|err| dynamo("decide on a gate", "the step is not awaiting approval", err))?;
        Ok(())
    }

    /// Executions whose gate's deadline is at or before `now`.
    pub async fn expired_approvals(&self, now: DateTime<Utc>) -> Result<Vec<Id<Execution>>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi2")
            .key_condition_expression("gsi2pk = :index AND gsi2sk <= :now")
            .expression_attribute_values(":index", s(APPROVALS_INDEX))
            .expression_attribute_values(":now", s(now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
        let items = item::query_all(query, "list expired approvals").await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                string_attr(item, "pk")
                    .and_then(|pk| pk.strip_prefix("EXEC#"))
                    .and_then(|id| id.parse().ok())
            })
            .collect())
    }

    /// Replaces the execution's budget while it is in one of `from` (stopped): `Conflict` if not.
    pub async fn set_budget(
        &self,
        id: Id<Execution>,
        budget: &forgeflow_domain::budget::Budget,
        from: &[ExecutionStatus],
    ) -> Result<(), StoreError> {
        let placeholders: Vec<String> = (0..from.len()).map(|i| format!(":from{i}")).collect();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(partition(id), EXEC_SK)))
            .update_expression("SET budget = :budget")
            .condition_expression(format!("#status IN ({})", placeholders.join(", ")))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":budget", serde_dynamo::to_attribute_value(budget)?);
        for (placeholder, status) in placeholders.iter().zip(from) {
            request = request.expression_attribute_values(placeholder, s(status.as_str()));
        }
        request
            .send()
            .await
            .map_err(|err| dynamo("set the budget", "execution is not stopped", err))?;
        Ok(())
    }

    /// Moves the execution from one of `from` to `to`; `Conflict` if it was in none of them.
    pub async fn transition(
        &self,
        id: Id<Execution>,
        from: &[ExecutionStatus],
        to: ExecutionStatus,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let placeholders: Vec<String> = (0..from.len()).map(|i| format!(":from{i}")).collect();
        let mut sets = vec!["#status = :to", "updated_at = :now"];
        let mut removes = Vec::new();
        if to.is_finished() {
            sets.push("finished_at = :now");
        } else {
            removes.push("finished_at");
        }
        // Whatever it moves to, it no longer waits on a gate (nor sits in the deadlines' index).
        removes.extend(["approval_deadline", "gsi2pk", "gsi2sk"]);
        match error {
            Some(_) => sets.push("#error = :error"),
            None if to == ExecutionStatus::Running => removes.push("#error"),
            None => {}
        }
        let mut update = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            update.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(partition(id), EXEC_SK)))
            .update_expression(update)
            .condition_expression(format!("#status IN ({})", placeholders.join(", ")))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":now", s(now.to_rfc3339()));
        if error.is_some() || to == ExecutionStatus::Running {
            request = request.expression_attribute_names("#error", "error");
        }
        if let Some(error) = error {
            request = request.expression_attribute_values(":error", s(error));
        }
        for (placeholder, status) in placeholders.iter().zip(from) {
            request = request.expression_attribute_values(placeholder, s(status.as_str()));
        }
        request
            .send()
            .await
            .map_err(|err| dynamo("move execution", "execution is not in the expected state", err))?;
        Ok(())
    }
}
