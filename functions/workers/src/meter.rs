//! The step-worker's [`Meter`]: every provider call of a step reserves against the execution's
//! budget and the owner's month in DynamoDB before it is made, and settles after.

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use forgeflow_agents::{AgentError, Meter};
use forgeflow_domain::budget::{Budget, Spend, month_of};
use forgeflow_domain::execution::Execution;
use forgeflow_store::SpendingStore;
use futures_util::future::BoxFuture;

pub struct StepMeter<'a> {
    spending: &'a SpendingStore,
    execution: &'a Execution,
    monthly: Budget,
    month: String,
    /// A settled call left the execution past its budget (its prompt was longer than estimated):
    /// the step's work is kept, the run stops after it.
    passed: AtomicBool,
}

impl<'a> StepMeter<'a> {
    pub async fn new(
        spending: &'a SpendingStore,
        execution: &'a Execution,
    ) -> Result<Self, forgeflow_store::StoreError> {
        Ok(Self {
            monthly: spending.monthly_budget(execution.owner).await?,
            month: month_of(Utc::now()),
            spending,
            execution,
            passed: AtomicBool::new(false),
        })
    }

    /// Whether the execution went past its budget on a call's actual usage.
    pub fn passed(&self) -> bool {
        self.passed.load(Ordering::SeqCst)
    }
}

impl Meter for StepMeter<'_> {
    fn reserve<'m>(&'m self, _model: &'m str, most: Spend) -> BoxFuture<'m, Result<(), AgentError>> {
        Box::pin(async move {
            match self
                .spending
                .reserve(self.execution, &self.monthly, &self.month, most)
                .await
            {
                Ok(Ok(())) => Ok(()),
                Ok(Err(refusal)) => {
                    let budget = match refusal.scope {
                        forgeflow_domain::budget::BudgetScope::Execution => &self.execution.budget,
                        forgeflow_domain::budget::BudgetScope::Month => &self.monthly,
                    };
                    Err(AgentError::Budget {
                        scope: refusal.scope,
                        reason: budget.describe_refusal(refusal.scope, refusal.committed, most),
                        attempts: 0,
                    })
                }
                Err(error) => Err(AgentError::Metering(error.to_string())),
            }
        })
    }

    fn settle<'m>(&'m self, model: &'m str, reserved: Spend, used: Spend) -> BoxFuture<'m, Result<(), AgentError>> {
        Box::pin(async move {
            let spent = self
                .spending
                .settle(self.execution, &self.month, model, reserved, used)
                .await
                .map_err(|error| AgentError::Metering(error.to_string()))?;
            if self.execution.budget.exceeded_by(spent) {
                self.passed.store(true, Ordering::SeqCst);
            }
            Ok(())
        })
    }
}
