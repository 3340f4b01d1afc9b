//! Imports: a project's first generation read from an existing repository. `imports-create`
//! queues a forge import at once, or hands out a presigned upload URL for an archive;
//! `imports-start` queues an uploaded archive. The import-worker does the reading.

use std::time::Duration;

use chrono::{DateTime, Utc};
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::generation::{Generation, GenerationStatus};
use forgeflow_domain::import::{ImportJob, ImportSource, UPLOAD_URL_SECONDS, upload_key};
use forgeflow_store::StoreError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

use crate::load_owned;

/// Body of `POST /projects/{id}/imports`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartImport {
    pub source: ImportSource,
}

#[derive(Serialize, ToSchema)]
pub struct ImportView {
    /// The generation the import becomes (poll `GET /generations/{id}`, or follow its progress).
    pub generation: Generation,
    /// For an upload: where to PUT the archive, then call `POST /generations/{id}/import`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload: Option<Upload>,
}

#[derive(Serialize, ToSchema)]
pub struct Upload {
    pub method: &'static str,
    pub url: String,
    /// Headers the PUT must carry as they are (the URL is signed for them, the size included).
    pub headers: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

/// Starts a project from an existing repository: a GitHub or GitLab branch (read with your stored
/// token, queued at once: 202), or a zip / tar.gz you upload (201 with a presigned PUT URL; then
/// `POST /generations/{id}/import`). The import becomes the project's first generation; an
/// archive's `.git` keeps its history, and a forge import's next exports continue the
/// repository's own.
#[utoipa::path(
    post, path = "/projects/{id}/imports", tag = "generations", operation_id = "imports-create",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The project's id")),
    request_body = StartImport,
    responses(
        (status = 201, description = "An upload: the generation awaiting it, and where to PUT it", body = ImportView),
        (status = 202, description = "A forge import, queued", body = ImportView),
        (status = 400, description = "Malformed body or id, or a source that breaks its rules (the field names it)"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's"),
        (status = 409, description = "The project already has a generation (`project_not_empty`)"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn create(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let project_id = request::path_param(&req, "id")?;
    let input: StartImport = request::json_body(&req)?;
    input.source.validate()?;
    let project = ctx.owned_project(owner, project_id).await?;
    if ctx.generations.latest_ready(project.id).await?.is_some() {
        return Err(ApiError::Conflict {
            code: "project_not_empty",
            message: "the project already has a generation: import into a new project".into(),
        });
    }
    let now = Utc::now();
    let generation = Generation::import(&project, input.source, now);
    ctx.generations.create(&generation).await?;
    let upload = match generation.imported.as_ref().map(|imported| &imported.source) {
        Some(ImportSource::Upload { format, size }) => {
            let key = upload_key(generation.id, *format);
            let lifetime = Duration::from_secs(UPLOAD_URL_SECONDS);
            let (url, headers) = ctx.engine.blobs.presigned_put(&key, *size, lifetime).await?;
            Some(Upload {
                method: "PUT",
                url,
                headers: headers.into_iter().collect(),
                expires_at: now + lifetime,
            })
        }
        _ => {
            ctx.imports
                .send(&ImportJob {
                    generation_id: generation.id,
                })
                .await?;
            None
        }
    };
    tracing::info!(generation_id = %generation.id, source = generation.imported.as_ref().map(|i| i.source.kind()), "import started");
    let view = ImportView { generation, upload };
    if view.upload.is_some() {
        response::created(&view)
    } else {
        response::accepted(&view)
    }
}

/// The archive is uploaded: import it. Answers 202 at once; the generation becomes `ready` (or
/// `failed` with the reason: a path refused, a limit passed, not an archive).
#[utoipa::path(
    post, path = "/generations/{id}/import", tag = "generations", operation_id = "imports-start",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The generation's id (from `POST /projects/{id}/imports`)")),
    responses(
        (status = 202, description = "The import, queued", body = ImportView),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such generation of the caller's"),
        (status = 409, description = "Not an upload awaiting its archive (`not_awaiting_upload`), or nothing uploaded yet (`upload_missing`)"),
    ),
)]
pub async fn start(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let mut generation = load_owned(ctx, owner, &req).await?;
    let not_awaiting = || ApiError::Conflict {
        code: "not_awaiting_upload",
        message: "this generation is not an import awaiting its upload".into(),
    };
    let format = match generation.imported.as_ref().map(|imported| &imported.source) {
        Some(ImportSource::Upload { format, .. }) if generation.status == GenerationStatus::AwaitingUpload => *format,
        _ => return Err(not_awaiting()),
    };
    if ctx
        .engine
        .blobs
        .size(&upload_key(generation.id, format))
        .await?
        .is_none()
    {
        return Err(ApiError::Conflict {
            code: "upload_missing",
            message: "nothing was uploaded yet: PUT the archive to the upload URL first".into(),
        });
    }
    let now = Utc::now();
    match ctx.generations.uploaded(generation.id, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Err(not_awaiting()),
        Err(other) => return Err(other.into()),
    }
    ctx.imports
        .send(&ImportJob {
            generation_id: generation.id,
        })
        .await?;
    generation.status = GenerationStatus::Queued;
    generation.updated_at = now;
    response::accepted(&ImportView {
        generation,
        upload: None,
    })
}
