//! Path safety: an agent's path becomes a relative, normalised path that cannot leave the
//! project, touch its `.git`, or mean something else on another file system — or it is refused.
//!
//! The checks follow what git itself refuses in a tree (`verify_path`): `..`, `.git` in any case,
//! and the spellings of `.git` that NTFS and HFS+ treat as the same name (`.git.`, `git~1`,
//! `.g\u{200c}it`), because the tree ends up checked out on those systems too.

use std::fmt;

/// Longest accepted path, in bytes (after normalisation).
pub const MAX_PATH_BYTES: usize = 512;
/// Longest accepted path segment, in bytes: what common file systems allow for a name.
pub const MAX_SEGMENT_BYTES: usize = 255;

/// Why a path was refused. `Display` gives the reason in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    Empty,
    ControlCharacter,
    Backslash,
    Absolute,
    DriveLetter,
    TrailingSlash,
    ParentSegment,
    GitSegment,
    TooLong { bytes: usize },
    SegmentTooLong { bytes: usize },
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Empty => write!(f, "the path is empty"),
            PathError::ControlCharacter => write!(f, "the path contains a NUL or other control character"),
            PathError::Backslash => write!(f, "the path contains a backslash; separate folders with `/`"),
            PathError::Absolute => write!(f, "the path is absolute; it must be relative to the project root"),
            PathError::DriveLetter => write!(f, "the path starts with a Windows drive letter"),
            PathError::TrailingSlash => write!(f, "the path ends with `/`, so it names a folder, not a file"),
            PathError::ParentSegment => write!(f, "the path has a `..` segment, which could leave the project"),
            PathError::GitSegment => write!(f, "the path goes through `.git`, which only git may write"),
            PathError::TooLong { bytes } => {
                write!(f, "the path is {bytes} bytes long, over the limit of {MAX_PATH_BYTES}")
            }
            PathError::SegmentTooLong { bytes } => {
                write!(
                    f,
                    "a path segment is {bytes} bytes long, over the limit of {MAX_SEGMENT_BYTES}"
                )
            }
        }
    }
}

impl std::error::Error for PathError {}

/// The normalised form of `raw` (`./` and `.` segments dropped, `//` collapsed), or why it is
/// refused. Non-UTF-8 cannot reach here: the type is `&str`.
pub fn safe_path(raw: &str) -> Result<String, PathError> {
    if raw.is_empty() {
        return Err(PathError::Empty);
    }
    if raw.chars().any(char::is_control) {
        return Err(PathError::ControlCharacter);
    }
    if raw.contains('\\') {
        return Err(PathError::Backslash);
    }
    if raw.starts_with('/') {
        return Err(PathError::Absolute);
    }
    if has_drive_letter(raw) {
        return Err(PathError::DriveLetter);
    }
    if raw.ends_with('/') {
        return Err(PathError::TrailingSlash);
    }
    let segments: Vec<&str> = raw.split('/').filter(|s| !s.is_empty() && *s != ".").collect();
    if segments.is_empty() {
        return Err(PathError::Empty);
    }
    for segment in &segments {
        if *segment == ".." {
            return Err(PathError::ParentSegment);
        }
        if is_git_name(segment) {
            return Err(PathError::GitSegment);
        }
        if segment.len() > MAX_SEGMENT_BYTES {
            return Err(PathError::SegmentTooLong { bytes: segment.len() });
        }
    }
    let path = segments.join("/");
    if path.len() > MAX_PATH_BYTES {
        return Err(PathError::TooLong { bytes: path.len() });
    }
    Ok(path)
}

/// `C:`, `c:x`, `C:/…`: a drive-relative or absolute Windows path.
fn has_drive_letter(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// `.git` in any case, also as NTFS (trailing dots and spaces, the 8.3 name `git~1`) and HFS+
/// (ignorable code points inside the name) would read it.
fn is_git_name(segment: &str) -> bool {
    let visible: String = segment
        .chars()
        .filter(|c| !is_hfs_ignorable(*c))
        .collect::<String>()
        .to_lowercase();
    let trimmed = visible.trim_end_matches(['.', ' ']);
    trimmed == ".git" || trimmed == "git~1"
}

/// The code points HFS+ drops when comparing names (the list git's `is_hfs_dotgit` uses).
fn is_hfs_ignorable(c: char) -> bool {
    matches!(c, '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_paths_are_normalised() {
        let cases = [
            ("src/main.rs", "src/main.rs"),
            ("./src/main.rs", "src/main.rs"),
            ("././README.md", "README.md"),
            ("src//routes///a.rs", "src/routes/a.rs"),
            ("src/./lib.rs", "src/lib.rs"),
            (".gitignore", ".gitignore"),
            (".github/workflows/ci.yml", ".github/workflows/ci.yml"),
            ("docs/.gitkeep", "docs/.gitkeep"),
            ("a/...", "a/..."),
            ("ab:c/d", "ab:c/d"),
            ("src/ünïcode/名前.rs", "src/ünïcode/名前.rs"),
        ];
        for (raw, expected) in cases {
            assert_eq!(safe_path(raw).as_deref(), Ok(expected), "{raw:?}");
        }
    }

    #[test]
    fn every_unsafe_path_is_refused_with_its_reason() {
        let long_segment = "s".repeat(MAX_SEGMENT_BYTES + 1);
        let long_path = format!("{}/x", ["d".repeat(200), "e".repeat(200), "f".repeat(200)].join("/"));
        let cases: Vec<(&str, PathError)> = vec![
            ("", PathError::Empty),
            (".", PathError::Empty),
            ("./.", PathError::Empty),
            ("../../etc/passwd", PathError::ParentSegment),
            ("a/../b", PathError::ParentSegment),
            ("a/..", PathError::ParentSegment),
            ("/abs", PathError::Absolute),
            ("//server/share", PathError::Absolute),
            ("a\\b", PathError::Backslash),
            ("..\\..\\windows", PathError::Backslash),
            ("C:/x", PathError::DriveLetter),
            ("c:x", PathError::DriveLetter),
            ("C:", PathError::DriveLetter),
            (".git/config", PathError::GitSegment),
            ("src/.GIT/x", PathError::GitSegment),
            ("a/.Git", PathError::GitSegment),
            (".git./hooks/pre-commit", PathError::GitSegment),
            (".git /x", PathError::GitSegment),
            ("GIT~1/config", PathError::GitSegment),
            (".g\u{200c}it/config", PathError::GitSegment),
            ("a\0b", PathError::ControlCharacter),
            ("a\nb", PathError::ControlCharacter),
            ("tab\there", PathError::ControlCharacter),
            ("del\u{7f}", PathError::ControlCharacter),
            ("c1\u{85}", PathError::ControlCharacter),
            ("src/", PathError::TrailingSlash),
            ("./", PathError::TrailingSlash),
            (
                &long_segment,
                PathError::SegmentTooLong {
                    bytes: MAX_SEGMENT_BYTES + 1,
                },
            ),
            (&long_path, PathError::TooLong { bytes: long_path.len() }),
        ];
        for (raw, expected) in cases {
            assert_eq!(safe_path(raw), Err(expected), "{raw:?}");
        }
    }

    #[test]
    fn limits_are_inclusive() {
        let segment = "s".repeat(MAX_SEGMENT_BYTES);
        assert!(safe_path(&segment).is_ok());
        let path = format!("{}/{}/c", "a".repeat(255), "b".repeat(MAX_PATH_BYTES - 258));
        assert_eq!(path.len(), MAX_PATH_BYTES);
        assert!(safe_path(&path).is_ok());
        // Normalisation happens first: redundant `./` does not count against the limit.
        assert!(safe_path(&format!("./././{path}")).is_ok());
    }

    #[test]
    fn reasons_read_as_sentences() {
        assert!(PathError::GitSegment.to_string().contains(".git"));
        assert!(PathError::TooLong { bytes: 600 }.to_string().contains("600"));
        assert!(PathError::ParentSegment.to_string().contains(".."));
    }
}
