//! What the zip and tar.gz writers have in common: entries go in one at a time, in order, and
//! the format-specific part is only how one entry is framed.

use std::fs::File;
use std::io::Read;

use crate::ExportError;
use crate::walk::Item;

pub(crate) trait Sink {
    fn directory(&mut self, path: &str) -> Result<(), ExportError>;

    /// `stored_compressed`: the content is already deflated (git objects and packs), so a format
    /// that compresses per entry can store it as is instead of spending CPU for nothing.
    fn file(
        &mut self,
        path: &str,
        executable: bool,
        size: u64,
        stored_compressed: bool,
        content: &mut dyn Read,
    ) -> Result<(), ExportError>;

    fn finish(self) -> Result<(), ExportError>;
}

/// Streams a git directory's items under `prefix` (`""` for none), straight from the disk:
/// a pack file is never held in memory, whatever its size.
pub(crate) fn copy_git_dir(sink: &mut impl Sink, items: &[Item], prefix: &str) -> Result<(), ExportError> {
    let under = |rel: &str| {
        if prefix.is_empty() {
            rel.to_owned()
        } else {
            format!("{prefix}/{rel}")
        }
    };
    for item in items {
        match item {
            Item::Dir { rel } => sink.directory(&under(rel))?,
            Item::File {
                rel,
                path,
                executable,
                size,
            } => {
                let mut file = File::open(path).map_err(ExportError::io("open", path))?;
                let stored_compressed = rel.starts_with("objects/");
                sink.file(&under(rel), *executable, *size, stored_compressed, &mut file)?;
            }
        }
    }
    Ok(())
}
