use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Id;
use crate::agent::{Sprint, Story};
use crate::execution::Execution;
use crate::project::Project;

/// A project's user stories and sprints, as the latest successful execution planned them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectPlan {
    pub project_id: Id<Project>,
    pub execution_id: Id<Execution>,
    pub stories: Vec<Story>,
    pub sprints: Vec<Sprint>,
    pub updated_at: DateTime<Utc>,
}
