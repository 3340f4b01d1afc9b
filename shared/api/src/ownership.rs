//! What a caller may reach by an object's own id (a run, a generation, an export, a hook): their
//! own, and only while its project lives. A project being deleted takes them out of the API at
//! once, before the project-deleter reaches their rows.

use forgeflow_domain::Id;
use forgeflow_domain::export::Export;
use forgeflow_domain::generation::Generation;
use forgeflow_domain::hook::Hook;
use forgeflow_domain::project::Project;
use forgeflow_domain::user::User;
use forgeflow_store::StoreError;
use forgeflow_store::executions::Run;

use crate::{ApiContext, ApiError};

/// An object that belongs to a user's project.
pub trait InProject {
    /// The name a 404 gives it.
    const KIND: &'static str;
    fn owner(&self) -> Id<User>;
    fn project(&self) -> Id<Project>;
}

impl ApiContext {
    /// `found` if it is `owner`'s and its project is not gone.
    pub async fn reachable<T: InProject>(&self, owner: Id<User>, found: Option<T>) -> Result<Option<T>, StoreError> {
        let Some(item) = found.filter(|item| item.owner() == owner) else {
            return Ok(None);
        };
        Ok(self.projects.get(owner, item.project()).await?.map(|_| item))
    }

    /// [`Self::reachable`], or not found: the same answer as for an id that never existed.
    pub async fn owned<T: InProject>(&self, owner: Id<User>, found: Option<T>) -> Result<T, ApiError> {
        self.reachable(owner, found).await?.ok_or(ApiError::NotFound(T::KIND))
    }
}

impl InProject for Generation {
    const KIND: &'static str = "generation";
    fn owner(&self) -> Id<User> {
        self.owner
    }
    fn project(&self) -> Id<Project> {
        self.project_id
    }
}

impl InProject for Run {
    const KIND: &'static str = "execution";
    fn owner(&self) -> Id<User> {
        self.0.owner
    }
    fn project(&self) -> Id<Project> {
        self.0.project
    }
}

impl InProject for Export {
    const KIND: &'static str = "export";
    fn owner(&self) -> Id<User> {
        self.owner
    }
    fn project(&self) -> Id<Project> {
        self.project_id
    }
}

impl InProject for Hook {
    const KIND: &'static str = "hook";
    fn owner(&self) -> Id<User> {
        self.owner
    }
    fn project(&self) -> Id<Project> {
        self.project_id
    }
}
