//! Size limits on a generated project, so one runaway agent cannot fill a Lambda's memory, an
//! S3 prefix or a git host's push limit.

use crate::error::GenerateError;
use forgeflow_domain::manifest::GeneratedFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_files: usize,
    pub max_file_bytes: u64,
    pub max_total_bytes: u64,
}

impl Default for Limits {
    /// 20,000 files, 5 MiB a file, 200 MiB in all: far above any real project, well under a
    /// 1 GiB Lambda holding the whole tree in memory.
    fn default() -> Self {
        Limits {
            max_files: 20_000,
            max_file_bytes: 5 * 1024 * 1024,
            max_total_bytes: 200 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Checks the final tree (sorted by path, so the file named in an error is deterministic).
    pub(crate) fn check(&self, files: &[GeneratedFile]) -> Result<(), GenerateError> {
        let sizes: Vec<(&str, u64)> = files
            .iter()
            .map(|f| (f.path.as_str(), f.content.len() as u64))
            .collect();
        self.check_sizes(&sizes)
    }

    /// The same check over paths and sizes (a change's tree keeps most files unread).
    pub(crate) fn check_sizes(&self, files: &[(&str, u64)]) -> Result<(), GenerateError> {
        if let Some((first_past, _)) = files.get(self.max_files) {
            return Err(GenerateError::TooManyFiles {
                count: files.len(),
                limit: self.max_files,
                path: (*first_past).to_owned(),
            });
        }
        let mut total: u64 = 0;
        for (path, size) in files {
            if *size > self.max_file_bytes {
                return Err(GenerateError::FileTooLarge {
                    path: (*path).to_owned(),
                    size: *size,
                    limit: self.max_file_bytes,
                });
            }
            total += size;
            if total > self.max_total_bytes {
                return Err(GenerateError::TooLarge {
                    total: files.iter().map(|(_, size)| size).sum(),
                    limit: self.max_total_bytes,
                    path: (*path).to_owned(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forgeflow_domain::manifest::{FileMode, Source};

    fn file(path: &str, size: usize) -> GeneratedFile {
        GeneratedFile {
            path: path.to_owned(),
            content: vec![b'x'; size],
            mode: FileMode::Regular,
            source: Source::Agent,
        }
    }

    #[test]
    fn a_tree_within_every_limit_passes() {
        let limits = Limits {
            max_files: 2,
            max_file_bytes: 10,
            max_total_bytes: 20,
        };
        assert_eq!(limits.check(&[file("a", 10), file("b", 10)]), Ok(()));
    }

    #[test]
    fn each_limit_names_itself_the_value_and_the_path() {
        let limits = Limits {
            max_files: 2,
            max_file_bytes: 10,
            max_total_bytes: 15,
        };
        let too_many = limits.check(&[file("a", 1), file("b", 1), file("c", 1)]).unwrap_err();
        assert_eq!(
            too_many,
            GenerateError::TooManyFiles {
                count: 3,
                limit: 2,
                path: "c".into()
            }
        );
        assert!(too_many.to_string().contains("max_files"), "{too_many}");

        let too_big = limits.check(&[file("a", 1), file("big", 11)]).unwrap_err();
        assert_eq!(
            too_big,
            GenerateError::FileTooLarge {
                path: "big".into(),
                size: 11,
                limit: 10
            }
        );
        assert!(too_big.to_string().contains("`big` is 11 bytes"), "{too_big}");

        let too_large = limits.check(&[file("a", 8), file("b", 8)]).unwrap_err();
        assert_eq!(
            too_large,
            GenerateError::TooLarge {
                total: 16,
                limit: 15,
                path: "b".into()
            }
        );
        assert!(too_large.to_string().contains("max_total_bytes"), "{too_large}");
    }

    #[test]
    fn the_defaults_are_generous() {
        let limits = Limits::default();
        assert_eq!(limits.max_files, 20_000);
        assert_eq!(limits.max_file_bytes, 5 << 20);
        assert_eq!(limits.max_total_bytes, 200 << 20);
    }
}
