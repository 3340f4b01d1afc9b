//! What every HTTP Lambda shares. A handler is `async fn(&ApiContext, Request) -> ApiResult`;
//! `respond` is the one place where its error becomes an HTTP response.

pub mod config;
pub mod context;
pub mod cursor;
pub mod error;
pub mod function;
pub mod guard;
pub mod ownership;
pub mod password;
pub mod request;
pub mod response;
pub mod signing_key;
pub mod token;

pub use config::ApiConfig;
pub use context::{ApiContext, ensure_ready};
pub use error::{ApiError, ApiResult, respond};
pub use function::HttpFunction;
pub use guard::guarded;
pub use lambda_http::{Body, Request, Response};
pub use signing_key::KeyLoad;

#[doc(hidden)]
pub use pastey as __pastey;
