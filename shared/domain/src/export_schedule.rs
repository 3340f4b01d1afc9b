//! A project's export schedule: a cron or rate expression in a time zone, and where to export.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::export::ExportTarget;
use crate::project::Project;
use crate::schedule::{ParsedSchedule, ScheduleSpec};
use crate::user::User;
use crate::{Id, ValidationError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExportSchedule {
    #[schema(value_type = uuid::Uuid)]
    pub project_id: Id<Project>,
    #[schema(value_type = uuid::Uuid)]
    pub owner: Id<User>,
    pub expression: String,
    pub time_zone: String,
    pub target: ExportTarget,
    pub enabled: bool,
    /// The next slot to run; a tick at or after it runs the schedule.
    pub next_run: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_slot: Option<DateTime<Utc>>,
    /// Rate schedules count their slots from here.
    pub anchor: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ExportSchedule {
    pub fn parsed(&self) -> Result<ParsedSchedule, ValidationError> {
        ScheduleSpec {
            expression: self.expression.clone(),
            time_zone: self.time_zone.clone(),
        }
        .parse(self.anchor)
    }
}

fn utc() -> String {
    "UTC".to_owned()
}

fn yes() -> bool {
    true
}

/// Body of `PUT /projects/{id}/export-schedule`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutSchedule {
    /// A 5-field cron expression (`0 3 * * MON-FRI`) or a rate (`rate(15 minutes)`).
    #[schema(min_length = 1, max_length = 200)]
    pub expression: String,
    #[serde(default = "utc")]
    pub time_zone: String,
    pub target: ExportTarget,
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl PutSchedule {
    /// The schedule as it will be stored; `existing` keeps its creation time and rate anchor.
    pub fn into_schedule(
        self,
        project_id: Id<Project>,
        owner: Id<User>,
        existing: Option<&ExportSchedule>,
        now: DateTime<Utc>,
    ) -> Result<ExportSchedule, ValidationError> {
        self.target.validate()?;
        let anchor = existing.map_or(now, |schedule| schedule.anchor);
        let spec = ScheduleSpec {
            expression: self.expression.trim().to_owned(),
            time_zone: self.time_zone.trim().to_owned(),
        };
        let parsed = spec.parse(anchor)?;
        let next_run = parsed
            .next_after(now)
            .ok_or_else(|| ValidationError::new("expression", "never comes due"))?;
        Ok(ExportSchedule {
            project_id,
            owner,
            expression: spec.expression,
            time_zone: spec.time_zone,
            target: self.target,
            enabled: self.enabled,
            next_run,
            last_slot: existing.and_then(|schedule| schedule.last_slot),
            anchor,
            created_at: existing.map_or(now, |schedule| schedule.created_at),
            updated_at: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(json: serde_json::Value) -> Result<ExportSchedule, ValidationError> {
        let body: PutSchedule = serde_json::from_value(json).unwrap();
        body.into_schedule(Id::new(), Id::new(), None, "2026-11-25T10:07:00Z".parse().unwrap())
    }

    #[test]
    fn a_schedule_starts_at_its_first_slot_after_now() {
        let schedule = put(
            serde_json::json!({"expression": "0 3 * * *", "time_zone": "Europe/Berlin", "target": {"type": "zip"}}),
        )
        .unwrap();
        assert_eq!(
            schedule.next_run,
            "2026-11-26T02:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert!(schedule.enabled);
    }

    #[test]
    fn bad_expressions_zones_and_targets_name_their_field() {
        let cases = [
            (
                serde_json::json!({"expression": "every day", "target": {"type": "zip"}}),
                "expression",
            ),
            (
                serde_json::json!({"expression": "0 3 * * *", "time_zone": "Mars/Olympus", "target": {"type": "zip"}}),
                "time_zone",
            ),
            (
                serde_json::json!({"expression": "0 3 * * *", "target": {"type": "github", "repository": "x"}}),
                "target.repository",
            ),
        ];
        for (json, field) in cases {
            assert_eq!(put(json.clone()).unwrap_err().field, field, "{json}");
        }
    }
}
