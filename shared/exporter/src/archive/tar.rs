//! tar.gz: one gzip stream over a tar; needs no `Seek`, so it also packs git directories.

use std::io::{Read, Write};
use std::time::SystemTime;

use flate2::Compression;
use flate2::write::GzEncoder;
use tar::{EntryType, Header};

use super::sink::Sink;
use crate::ExportError;

pub(crate) struct TarSink<W: Write> {
    builder: tar::Builder<GzEncoder<W>>,
    mtime: u64,
}

impl<W: Write> TarSink<W> {
    pub(crate) fn new(out: W, level: Compression, mtime: SystemTime) -> Self {
        let mtime = mtime
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or(0);
        Self {
            builder: tar::Builder::new(GzEncoder::new(out, level)),
            mtime,
        }
    }

    fn header(&self, kind: EntryType, mode: u32, size: u64) -> Header {
        // GNU headers: paths longer than 100 bytes get a long-name entry, which every tar reads.
        let mut header = Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(size);
        header.set_mtime(self.mtime);
        header.set_uid(0);
        header.set_gid(0);
        header
    }
}

impl<W: Write> Sink for TarSink<W> {
    fn directory(&mut self, path: &str) -> Result<(), ExportError> {
        let mut header = self.header(EntryType::Directory, 0o755, 0);
        self.builder
            .append_data(&mut header, path, std::io::empty())
            .map_err(ExportError::Archive)
    }

    fn file(
        &mut self,
        path: &str,
        executable: bool,
        size: u64,
        _stored_compressed: bool,
        content: &mut dyn Read,
    ) -> Result<(), ExportError> {
        let mode = if executable { 0o755 } else { 0o644 };
        let mut header = self.header(EntryType::Regular, mode, size);
        // `take`: a file that grew while being read must not overflow its header's size.
        self.builder
            .append_data(&mut header, path, content.take(size))
            .map_err(ExportError::Archive)
    }

    fn finish(self) -> Result<(), ExportError> {
        let gzip = self.builder.into_inner().map_err(ExportError::Archive)?;
        let mut out = gzip.finish().map_err(ExportError::Archive)?;
        out.flush().map_err(ExportError::Archive)
    }
}
