//! What tests see and steer: the recorded requests and the scripted failures.

use std::time::{Instant, SystemTime};

use serde_json::Value;

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Call {
    pub at: Instant,
    /// Wall-clock time, to compare with epoch-second headers like `x-ratelimit-reset`.
    pub wall: SystemTime,
    pub method: String,
    /// Raw (still percent-encoded) path.
    pub path: String,
    pub query: String,
    /// `Authorization` (GitHub) or `PRIVATE-TOKEN` (GitLab), as sent.
    pub auth: Option<String>,
    /// The JSON body (`Null` if none or not JSON).
    pub body: Value,
    /// The status answered.
    pub status: u16,
}

/// A scripted failure: requests with `method` whose path contains `path` are counted, and the
/// `nth` (1-based) up to `nth + times - 1` get this answer instead of the real one.
#[derive(Debug, Clone)]
pub struct Fail {
    pub method: String,
    pub path: String,
    pub nth: usize,
    pub times: usize,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// `{token}` in it is replaced by the token the request carried (like services that echo it).
    pub body: Value,
    pub(crate) seen: usize,
}

impl Fail {
    pub fn on(method: &str, path: &str) -> Self {
        Fail {
            method: method.to_owned(),
            path: path.to_owned(),
            nth: 1,
            times: 1,
            status: 500,
            headers: Vec::new(),
            body: serde_json::json!({"message": "Server Error"}),
            seen: 0,
        }
    }

    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn nth(mut self, nth: usize) -> Self {
        self.nth = nth;
        self
    }

    pub fn times(mut self, times: usize) -> Self {
        self.times = times;
        self
    }

    pub fn header(mut self, name: &str, value: impl ToString) -> Self {
        self.headers.push((name.to_owned(), value.to_string()));
        self
    }

    pub fn message(mut self, message: &str) -> Self {
        self.body = serde_json::json!({"message": message, "documentation_url": "https://docs.github.com/rest"});
        self
    }
}
