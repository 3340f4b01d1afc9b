//! The audit log: who changed what, when, under which request id.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Id;
use crate::user::User;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    #[schema(value_type = uuid::Uuid)]
    pub id: Id<AuditEntry>,
    #[schema(value_type = uuid::Uuid)]
    pub user_id: Id<User>,
    /// The route, as API Gateway names it: `PATCH /projects/{id}`.
    pub action: String,
    /// The path that was called: `/projects/0193…`.
    pub path: String,
    pub status: u16,
    pub request_id: String,
    pub source_ip: String,
    pub at: DateTime<Utc>,
}

/// Whether a request with this method changes something (and so is audited).
pub fn is_mutation(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_not_mutations() {
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            assert!(is_mutation(method), "{method}");
        }
        for method in ["GET", "HEAD", "OPTIONS"] {
            assert!(!is_mutation(method), "{method}");
        }
    }
}
