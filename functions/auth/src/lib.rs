//! `POST /auth/register`, `POST /auth/login`, `GET /me`: one Lambda each.

pub mod login;
pub mod me;
pub mod register;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// What register and login answer: a bearer token and when it stops working.
#[derive(Serialize)]
pub struct Session<'a, U: Serialize> {
    pub user: U,
    pub token: &'a str,
    pub token_type: &'static str,
    pub expires_at: DateTime<Utc>,
}
