//! The generation's files on local disk, where git and the archive writers read them one at a
//! time (memory stays bounded by the largest file, whatever the project's size).

use std::path::{Path, PathBuf};

use forgeflow_domain::generation::Generation;
use forgeflow_exporter::FileEntry;
use forgeflow_store::{Blobs, StoreError};
use futures_util::{StreamExt, TryStreamExt, stream};

use crate::batch::JobError;
use crate::generate::Manifest;

const DOWNLOAD_CONCURRENCY: usize = 32;

/// A job's scratch directory, removed when the job ends however it ends.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn create(dir: &Path) -> std::io::Result<Self> {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir)?;
        Ok(Self(dir.to_owned()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Downloads every file of the manifest under `root`, returning the entries in manifest order.
/// The paths are checked first: none is joined to `root` before the exporter's policy passed it.
pub async fn download(
    blobs: &Blobs,
    generation: &Generation,
    manifest: &Manifest,
    root: &Path,
) -> Result<Vec<FileEntry>, JobError> {
    let files: Vec<FileEntry> = manifest
        .files
        .iter()
        .map(|entry| FileEntry::new(entry.path.clone(), entry.mode.as_str()))
        .collect();
    forgeflow_exporter::check_files(&files).map_err(|err| JobError::Final(err.to_string()))?;
    let prefix = generation.files_prefix();
    let entries = &manifest.files;
    stream::iter(0..entries.len())
        .map(|index| {
            let entry = &entries[index];
            let key = format!("{prefix}{}", entry.path);
            let target = root.join(&entry.path);
            async move {
                let bytes = blobs.get_bytes(&key).await?;
                if let Some(parent) = target.parent() {
                    tokio::fs::create_dir_all(parent)
                        .await
                        .map_err(|err| StoreError::backend("write tree", err))?;
                }
                tokio::fs::write(&target, bytes)
                    .await
                    .map_err(|err| StoreError::backend("write tree", err))
            }
        })
        .buffer_unordered(DOWNLOAD_CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(files)
}

/// Reads a downloaded file back, for the git and archive writers.
pub fn reader(root: &Path) -> impl FnMut(&FileEntry) -> Result<Vec<u8>, forgeflow_exporter::ExportError> + '_ {
    move |file| {
        let path = root.join(&file.path);
        std::fs::read(&path).map_err(|err| forgeflow_exporter::ExportError::Io {
            action: "read",
            path: path.clone(),
            source: err,
        })
    }
}
