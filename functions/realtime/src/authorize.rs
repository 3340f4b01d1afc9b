use forgeflow_api::ApiContext;
use forgeflow_domain::Id;
use forgeflow_domain::progress::{Topic, TopicKind};
use forgeflow_domain::user::User;
use forgeflow_store::StoreError;

/// Whether `user` may listen to `topic`: only the owner of what it names, while its project lives.
/// A generation's topic may be joined as soon as its execution exists (they share the id), so a
/// client can listen before the generation starts.
pub async fn may_listen(ctx: &ApiContext, user: Id<User>, topic: &Topic) -> Result<bool, StoreError> {
    let owns_execution = || async {
        let execution = ctx.engine.executions.load(topic.id_of()).await?;
        Ok::<_, StoreError>(ctx.reachable(user, execution).await?.is_some())
    };
    match topic.kind {
        TopicKind::Execution => owns_execution().await,
        TopicKind::Generation => match ctx.generations.get(topic.id_of()).await? {
            Some(generation) => Ok(ctx.reachable(user, Some(generation)).await?.is_some()),
            None => owns_execution().await,
        },
        TopicKind::Export => Ok(ctx
            .reachable(user, ctx.exports.get(topic.id_of()).await?)
            .await?
            .is_some()),
        TopicKind::Project => Ok(ctx.projects.get(user, topic.id_of()).await?.is_some()),
    }
}
