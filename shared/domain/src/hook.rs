//! Inbound webhooks: a URL another system (CI, a chat tool) calls, signed with a shared secret,
//! to export a project's latest generation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Id;
use crate::export::ExportTarget;
use crate::project::Project;
use crate::user::User;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hook {
    pub id: Id<Hook>,
    pub project_id: Id<Project>,
    pub owner: Id<User>,
    pub target: ExportTarget,
    /// Hex HMAC-SHA256 key. Shown to the owner once (on creation and rotation), kept only in
    /// the hook's row (DynamoDB encrypts it at rest): verifying a signature needs the key itself.
    pub secret: String,
    pub created_at: DateTime<Utc>,
    pub rotated_at: DateTime<Utc>,
}

/// Body of `POST /projects/{id}/hooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHook {
    pub target: ExportTarget,
}

/// The header a caller signs with: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{body}">`.
pub const SIGNATURE_HEADER: &str = "x-forgeflow-signature";
