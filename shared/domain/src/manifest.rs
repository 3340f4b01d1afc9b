//! The generated files and their manifest entries: size, SHA-256 (for integrity checks on S3
//! objects) and the git blob id (so the exporter and a GitHub tree can reuse it as is).

use crate::generation::RefusedFile;
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// A file's git mode; serialised as git writes it (`"100644"`, `"100755"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum FileMode {
    #[serde(rename = "100644")]
    Regular,
    #[serde(rename = "100755")]
    Executable,
}

impl FileMode {
    pub fn as_str(self) -> &'static str {
        match self {
            FileMode::Regular => "100644",
            FileMode::Executable => "100755",
        }
    }

    /// The mode as the number git stores in a tree entry.
    pub fn as_u32(self) -> u32 {
        match self {
            FileMode::Regular => 0o100644,
            FileMode::Executable => 0o100755,
        }
    }
}

/// Who wrote a file: the project template, an agent (which wins over the template), the
/// generator's own docs (stories, sprints, review), or the repository it was imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Template,
    Agent,
    Docs,
    Imported,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Relative, normalised, checked by [`crate::path::safe_path`].
    pub path: String,
    pub content: Vec<u8>,
    pub mode: FileMode,
    pub source: Source,
}

/// `generations/{id}/manifest.json`: what a generation wrote, for the API and the exporter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Manifest {
    pub generation_id: String,
    pub files: Vec<ManifestEntry>,
    pub conflicts: Vec<String>,
    pub refused: Vec<RefusedFile>,
}

impl Manifest {
    pub fn file(&self, path: &str) -> Option<&ManifestEntry> {
        self.files.iter().find(|file| file.path == path)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ManifestEntry {
    pub path: String,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
    /// Lowercase hex SHA-1 of `blob {len}\0{content}`: what `git hash-object` prints.
    pub git_blob_id: String,
    pub mode: FileMode,
    pub source: Source,
}

impl GeneratedFile {
    pub fn manifest_entry(&self) -> ManifestEntry {
        ManifestEntry {
            path: self.path.clone(),
            size: self.content.len() as u64,
            sha256: sha256_hex(&self.content),
            git_blob_id: git_blob_id(&self.content),
            mode: self.mode,
            source: self.source,
        }
    }
}

pub fn sha256_hex(content: &[u8]) -> String {
    hex(&Sha256::digest(content))
}

/// The id git gives `content` as a blob object.
pub fn git_blob_id(content: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content);
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::process::{Command, Stdio};

    use super::*;

    fn git_hash_object(content: &[u8]) -> String {
        let mut child = Command::new("git")
            .args(["hash-object", "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("git is installed");
        child.stdin.take().unwrap().write_all(content).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    #[test]
    fn blob_ids_match_git_hash_object() {
        let contents: [&[u8]; 5] = [
            b"",
            b"hello\n",
            "fn main() {\n    println!(\"héllo\");\n}\n".as_bytes(),
            b"no trailing newline\r\nand CRLF",
            &[0, 159, 146, 150, 255, 10],
        ];
        for content in contents {
            assert_eq!(git_blob_id(content), git_hash_object(content), "{content:?}");
        }
        // The well-known id of the empty blob.
        assert_eq!(git_blob_id(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }

    #[test]
    fn sha256_is_lowercase_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn an_entry_describes_its_file_and_round_trips_with_git_modes() {
        let file = GeneratedFile {
            path: "scripts/check.sh".into(),
            content: b"#!/bin/sh\n".to_vec(),
            mode: FileMode::Executable,
            source: Source::Template,
        };
        let entry = file.manifest_entry();
        assert_eq!(entry.size, 10);
        assert_eq!(entry.git_blob_id, git_hash_object(&file.content));
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(json["mode"], "100755");
        assert_eq!(json["source"], "template");
        assert_eq!(serde_json::from_value::<ManifestEntry>(json).unwrap(), entry);
        assert_eq!(serde_json::to_value(FileMode::Regular).unwrap(), "100644");
        assert_eq!(FileMode::Executable.as_u32(), 0o100755);
        assert_eq!(FileMode::Regular.as_str(), "100644");
    }
}
