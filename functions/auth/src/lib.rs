//! `POST /auth/register`, `POST /auth/login`, `GET /me`: one Lambda each.

pub mod login;
pub mod me;
pub mod register;

use chrono::{DateTime, Utc};
use forgeflow_domain::user::UserView;
use serde::Serialize;
use utoipa::ToSchema;

/// What register and login answer: a bearer token and when it stops working.
#[derive(Serialize, ToSchema)]
pub struct Session {
    pub user: UserView,
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    pub expires_at: DateTime<Utc>,
}
