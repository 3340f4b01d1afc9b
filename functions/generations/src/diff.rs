use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, cursor, ensure_ready, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::diff::{self, DiffStat, FileChange, FileDiff, FileStatus};
use forgeflow_domain::generation::{Generation, files_prefix};
use forgeflow_domain::manifest::{FileMode, Manifest};
use futures_util::{StreamExt, TryStreamExt, stream};
use serde::Serialize;
use utoipa::ToSchema;

use crate::load_owned;

/// Files read from S3 at once for a page's diffs.
const READ_CONCURRENCY: usize = 16;

#[derive(Serialize, ToSchema)]
pub struct GenerationDiff {
    #[schema(value_type = uuid::Uuid)]
    pub generation_id: Id<Generation>,
    /// The older generation this one is compared with.
    #[schema(value_type = uuid::Uuid)]
    pub against: Id<Generation>,
    /// Every changed file of the two trees, counted from their manifests (all pages).
    pub stat: DiffStat,
    /// This page's changed files, by path.
    pub files: Vec<FileDiffView>,
    /// Pass back as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FileDiffView {
    pub path: String,
    /// The path in the older generation, for a rename.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    pub status: FileStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_mode: Option<FileMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_mode: Option<FileMode>,
    #[serde(flatten)]
    pub diff: FileDiff,
}

/// What changed from `against` (by default the generation's parent) to this generation: each
/// file's status and unified diff, and the stat of the whole diff.
#[utoipa::path(
    get, path = "/generations/{id}/diff", tag = "generations", operation_id = "generations-diff",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The newer generation"),
        ("against" = Option<uuid::Uuid>, Query, description = "The older generation of the same project; the parent by default"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Files per page, 20 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of the diff", body = GenerationDiff),
        (status = 400, description = "A malformed id, `against` missing for a generation without parent or of another project, `limit` out of range or a foreign `cursor`"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such generation of the caller's (either one)"),
        (status = 409, description = "One of the generations is not ready"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let cursor::PageRequest::<String> { limit, after } = cursor::page_request(&req)?;
    let generation = load_owned(ctx, owner, &req).await?;
    let against_id = match request::query_param::<Id<Generation>>(&req, "against")? {
        Some(id) => id,
        None => generation.parent.ok_or_else(|| {
            ApiError::bad_request("against", "is required: this generation has no parent to compare with")
        })?,
    };
    let against = ctx.owned_generation(owner, against_id).await?;
    if against.project_id != generation.project_id {
        return Err(ApiError::bad_request(
            "against",
            "must be a generation of the same project",
        ));
    }
    ensure_ready(&generation)?;
    ensure_ready(&against)?;
    let blobs = &ctx.engine.blobs;
    let (new_key, old_key) = (generation.manifest_key(), against.manifest_key());
    let (new, old): (Manifest, Manifest) = futures_util::try_join!(blobs.get_json(&new_key), blobs.get_json(&old_key))?;
    let changes = diff::changes(&old.files, &new.files);
    let stat = diff::stat(&changes);
    let start = after.map_or(0, |after| changes.partition_point(|change| change.path <= after));
    let (start, end) = (start.min(changes.len()), (start + limit).min(changes.len()));
    // Indices, not `&FileChange`s: a closure over borrowed items would make the future's lifetime
    // higher-ranked, which the Send bound on the Lambda handler cannot express.
    let files: Vec<FileDiffView> = stream::iter(start..end)
        .map(|index| file_diff(ctx, &generation, &against, &changes[index]))
        .buffered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    let (files, cut) = cursor::fit(files);
    let more = cut || start + files.len() < changes.len();
    let next_cursor = more
        .then(|| files.last().map(|file| cursor::encode(&file.path)))
        .flatten();
    response::ok(&GenerationDiff {
        generation_id: generation.id,
        against: against.id,
        stat,
        files,
        next_cursor,
    })
}

async fn file_diff(
    ctx: &ApiContext,
    generation: &Generation,
    against: &Generation,
    change: &FileChange,
) -> Result<FileDiffView, ApiError> {
    let blobs = &ctx.engine.blobs;
    // A rename is the same blob under a new path: nothing to read. Nor is a file too large to diff.
    let wanted = |entry: &Option<forgeflow_domain::manifest::ManifestEntry>| {
        change.status != FileStatus::Renamed && entry.as_ref().is_some_and(|entry| entry.size <= diff::MAX_DIFF_BYTES)
    };
    let old_key = (change.status != FileStatus::Added && wanted(&change.old)).then(|| {
        format!(
            "{}{}",
            files_prefix(against.id),
            change.old_path.as_deref().unwrap_or(&change.path)
        )
    });
    let new_key = (change.status != FileStatus::Deleted && wanted(&change.new))
        .then(|| format!("{}{}", files_prefix(generation.id), change.path));
    let read = |key: Option<String>| async move {
        match key {
            Some(key) => blobs.get_bytes(&key).await.map(Some),
            None => Ok(None),
        }
    };
    let (old, new) = futures_util::try_join!(read(old_key), read(new_key))?;
    Ok(FileDiffView {
        path: change.path.clone(),
        old_path: change.old_path.clone(),
        status: change.status,
        old_mode: change.old_mode(),
        new_mode: change.new_mode(),
        diff: diff::unified(change, old.as_deref(), new.as_deref()),
    })
}
