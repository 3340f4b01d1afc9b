use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::execution::ExecutionStatus;

/// Error texts and URLs are cut to this many characters, so one event always fits in a frame.
const MAX_TEXT_CHARS: usize = 2_000;

/// What workers report. The `kind` tag and field names are the wire format (`docs/progress.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProgressEvent {
    StepStarted {
        step: String,
        role: String,
        delivery: u32,
    },
    StepProgress {
        step: String,
        output_tokens: u64,
    },
    StepCompleted {
        step: String,
        input_tokens: u64,
        output_tokens: u64,
        cost_usd: f64,
        attempts: u32,
    },
    StepFailed {
        step: String,
        error: String,
    },
    /// A gated step ran; the run waits for its owner until `deadline`.
    ApprovalRequested {
        step: String,
        deadline: chrono::DateTime<chrono::Utc>,
    },
    /// Its owner approved the step (`edited`: with their own version of its output).
    ApprovalGiven {
        step: String,
        edited: bool,
    },
    /// Its owner rejected the step: it runs again with the feedback.
    ApprovalRejected {
        step: String,
        feedback: String,
    },
    /// A run (or a change request's run) was accepted and its first steps queued.
    ExecutionStarted {
        execution_id: Uuid,
        project_id: Uuid,
        workflow: String,
    },
    ExecutionFinished {
        execution_id: Uuid,
        project_id: Uuid,
        status: ExecutionStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    FilesWritten {
        generation_id: Uuid,
        written: u64,
        total: u64,
    },
    GenerationReady {
        generation_id: Uuid,
        project_id: Uuid,
        files: u64,
        bytes: u64,
    },
    GenerationFailed {
        generation_id: Uuid,
        project_id: Uuid,
        error: String,
    },
    ExportPhase {
        export_id: Uuid,
        phase: ExportPhase,
        done: u64,
        total: u64,
    },
    ExportDone {
        export_id: Uuid,
        project_id: Uuid,
        target: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        commit: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    ExportFailed {
        export_id: Uuid,
        project_id: Uuid,
        error: String,
    },
}

/// The export-worker's stages, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportPhase {
    /// Making the commit on top of the project's history.
    Committing,
    /// Writing the archive, or sending the commit to GitHub or GitLab.
    Delivering,
}

impl ExportPhase {
    pub const ALL: [Self; 2] = [Self::Committing, Self::Delivering];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Committing => "committing",
            Self::Delivering => "delivering",
        }
    }

    /// 1-based position among [`ExportPhase::ALL`].
    pub fn number(self) -> u64 {
        Self::ALL
            .iter()
            .position(|phase| *phase == self)
            .map_or(0, |index| index as u64 + 1)
    }
}

impl ProgressEvent {
    /// The event with its free texts cut short enough for any frame.
    pub fn bounded(mut self) -> Self {
        match &mut self {
            Self::StepFailed { error, .. }
            | Self::ApprovalRejected { feedback: error, .. }
            | Self::GenerationFailed { error, .. }
            | Self::ExportFailed { error, .. }
            | Self::ExecutionFinished { error: Some(error), .. } => cut(error),
            Self::ExportDone { url: Some(url), .. } => cut(url),
            _ => {}
        }
        self
    }

    /// Events the project's topic carries besides their own: the outcomes worth a dashboard line.
    pub fn concerns_project(&self) -> Option<Uuid> {
        match self {
            Self::ExecutionStarted { project_id, .. }
            | Self::ExecutionFinished { project_id, .. }
            | Self::GenerationReady { project_id, .. }
            | Self::GenerationFailed { project_id, .. }
            | Self::ExportDone { project_id, .. }
            | Self::ExportFailed { project_id, .. } => Some(*project_id),
            _ => None,
        }
    }
}

fn cut(text: &mut String) {
    if let Some((index, _)) = text.char_indices().nth(MAX_TEXT_CHARS) {
        text.truncate(index);
        text.push('…');
    }
}

/// An event as stored and sent: numbered within its topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StoredEvent {
    pub seq: u64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub event: ProgressEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_flat_with_its_kind() {
        let stored = StoredEvent {
            seq: 3,
            at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            event: ProgressEvent::StepStarted {
                step: "plan".into(),
                role: "product_manager".into(),
                delivery: 1,
            },
        };
        let json = serde_json::to_value(&stored).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"seq": 3, "at": "2023-11-14T22:13:20Z", "kind": "step_started", "step": "plan", "role": "product_manager", "delivery": 1})
        );
        assert_eq!(serde_json::from_value::<StoredEvent>(json).unwrap(), stored);
    }

    #[test]
    fn bounded_cuts_long_errors_and_urls_on_a_char_boundary() {
        let long = "é".repeat(10_000);
        let event = ProgressEvent::StepFailed {
            step: "code".into(),
            error: long.clone(),
        }
        .bounded();
        let ProgressEvent::StepFailed { error, .. } = event else {
            unreachable!()
        };
        assert_eq!(error.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(error.ends_with('…'));

        let short = ProgressEvent::StepFailed {
            step: "code".into(),
            error: "boom".into(),
        };
        assert_eq!(short.clone().bounded(), short);
    }

    #[test]
    fn outcomes_also_concern_the_project_and_progress_does_not() {
        let project = Uuid::now_v7();
        let done = ProgressEvent::ExportDone {
            export_id: Uuid::now_v7(),
            project_id: project,
            target: "zip".into(),
            commit: None,
            url: None,
        };
        assert_eq!(done.concerns_project(), Some(project));
        let progress = ProgressEvent::FilesWritten {
            generation_id: Uuid::now_v7(),
            written: 1,
            total: 2,
        };
        assert_eq!(progress.concerns_project(), None);
    }
}
