//! `POST /auth/register`, `POST /auth/login`, `GET /me`: one Lambda each.

pub mod login;
pub mod me;
pub mod register;

/// This crate's functions, by the names the manifests give them.
pub const FUNCTIONS: &[forgeflow_api::HttpFunction] = &[
    forgeflow_api::http_function!("auth-register", register::handler),
    forgeflow_api::http_function!("auth-login", login::handler),
    forgeflow_api::http_function!("auth-me", me::handler),
];

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
