//! The agent and workflow catalog: built-ins for everyone, plus each user's own.
//! `/agents` and `/workflows`, one Lambda per endpoint.

pub mod agents;
pub mod prices;
pub mod workflows;

/// This crate's functions, by the names the manifests give them.
pub const FUNCTIONS: &[forgeflow_api::HttpFunction] = &[
    forgeflow_api::http_function!("agents-list", agents::list::handler),
    forgeflow_api::http_function!("agents-get", agents::get::handler),
    forgeflow_api::http_function!("agents-create", agents::create::handler),
    forgeflow_api::http_function!("workflows-list", workflows::list::handler),
    forgeflow_api::http_function!("workflows-get", workflows::get::handler),
    forgeflow_api::http_function!("workflows-create", workflows::create::handler),
    forgeflow_api::http_function!("prices-get", prices::handler, keyless),
];

use forgeflow_api::{ApiContext, ApiError};
use forgeflow_domain::Id;
use forgeflow_domain::agent::Agent;
use forgeflow_domain::catalog;
use forgeflow_domain::user::User;

/// A built-in agent by slug, or one of the caller's own by id; anything else is not found.
pub async fn find_agent(ctx: &ApiContext, owner: Id<User>, id: &str) -> Result<Option<Agent>, ApiError> {
    if let Some(agent) = catalog::builtin_agent(id) {
        return Ok(Some(agent));
    }
    if id.parse::<Id<Agent>>().is_err() {
        return Ok(None);
    }
    Ok(ctx.agents.get(owner, id).await?)
}

/// A catalog listing: the built-ins (on the first page only), then a page of the caller's own,
/// cut to fit one response (a big custom entry ends a page early, and the cursor then continues
/// after the last one sent). The items and the position to continue after.
pub(crate) fn listing<T: serde::Serialize>(
    builtins: Vec<T>,
    own: forgeflow_store::Page<T, String>,
    id_of: impl Fn(&T) -> &str,
) -> (Vec<T>, Option<String>) {
    let first = builtins.len();
    let mut items = builtins;
    items.extend(own.items);
    let (items, cut) = forgeflow_api::cursor::fit(items);
    let next = if cut {
        items
            .get(first..)
            .and_then(<[_]>::last)
            .map(|last| id_of(last).to_owned())
    } else {
        own.next
    };
    (items, next)
}
