//! zip: deflate per entry, Unix permissions in the external attributes (so `unzip` restores the
//! executable bit), zip64 only for entries that need it.

use std::io::{Read, Seek, Write};
use std::time::SystemTime;

use chrono::{DateTime, Datelike, Timelike, Utc};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::sink::Sink;
use crate::ExportError;

pub(crate) struct ZipSink<W: Write + Seek> {
    writer: ZipWriter<W>,
    options: SimpleFileOptions,
}

impl<W: Write + Seek> ZipSink<W> {
    pub(crate) fn new(out: W, mtime: SystemTime) -> Self {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(dos_time(mtime));
        Self {
            writer: ZipWriter::new(out),
            options,
        }
    }
}

/// Zip stores local time without a zone, from 1980 on; UTC is the honest choice for a server.
fn dos_time(mtime: SystemTime) -> zip::DateTime {
    let utc: DateTime<Utc> = mtime.into();
    let convert = || {
        zip::DateTime::from_date_and_time(
            u16::try_from(utc.year()).ok()?,
            u8::try_from(utc.month()).ok()?,
            u8::try_from(utc.day()).ok()?,
            u8::try_from(utc.hour()).ok()?,
            u8::try_from(utc.minute()).ok()?,
            u8::try_from(utc.second()).ok()?,
        )
        .ok()
    };
    convert().unwrap_or_default()
}

impl<W: Write + Seek> Sink for ZipSink<W> {
    fn directory(&mut self, path: &str) -> Result<(), ExportError> {
        self.writer
            .add_directory(path, self.options.unix_permissions(0o755))
            .map_err(ExportError::Zip)
    }

    fn file(
        &mut self,
        path: &str,
        executable: bool,
        size: u64,
        stored_compressed: bool,
        content: &mut dyn Read,
    ) -> Result<(), ExportError> {
        let method = if stored_compressed {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let options = self
            .options
            .compression_method(method)
            .unix_permissions(if executable { 0o755 } else { 0o644 })
            .large_file(size >= u64::from(u32::MAX));
        self.writer.start_file(path, options).map_err(ExportError::Zip)?;
        std::io::copy(&mut content.take(size), &mut self.writer).map_err(ExportError::Archive)?;
        Ok(())
    }

    fn finish(self) -> Result<(), ExportError> {
        let mut out = self.writer.finish().map_err(ExportError::Zip)?;
        out.flush().map_err(ExportError::Archive)
    }
}
