use std::time::Duration;

use forgeflow_api::{ApiContext, ApiError};
use forgeflow_domain::export::Export;
use serde_json::Value;

/// Download links live this long; every read of the export makes a fresh one.
pub const DOWNLOAD_LINK_FOR: Duration = Duration::from_secs(3600);

/// The export as clients see it: its archive as a presigned download URL.
pub async fn view(ctx: &ApiContext, export: &Export) -> Result<Value, ApiError> {
    let mut body = serde_json::to_value(export).map_err(ApiError::internal)?;
    if let Some(object) = body.as_object_mut() {
        object.remove("local_commit");
        object.remove("remote_commit");
    }
    if let Some(key) = &export.result.archive_key {
        let url = ctx.engine.blobs.presigned_get(key, DOWNLOAD_LINK_FOR).await?;
        body["result"]["download_url"] = Value::String(url);
        if let Some(result) = body["result"].as_object_mut() {
            result.remove("archive_key");
        }
    }
    Ok(body)
}
