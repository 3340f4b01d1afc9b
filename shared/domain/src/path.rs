//! Path safety: an agent's path becomes a relative, normalised path that cannot leave the
//! project, touch its `.git`, or mean something else on another file system — or it is refused.
//!
//! The checks follow what git itself refuses in a tree (`verify_path`): `..`, `.git` in any case,
//! and the spellings of `.git` that NTFS and HFS+ treat as the same name (`.git.`, `git~1`,
//! `.g\u{200c}it`, `.git::$INDEX_ALLOCATION`), because the tree ends up checked out on those
//! systems too. So are names Windows cannot hold (`CON`, `aux.txt`, `<>:"|?*`, a trailing dot or
//! space) and bidirectional-control characters, which make a name display as another.
//!
//! This is the one policy: the generator normalises with [`safe_path`], and the exporter, the
//! GitHub tree and the GitLab actions check with [`check_canonical`] and [`case_collision`].

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
    TooLong {
        bytes: usize,
    },
    SegmentTooLong {
        bytes: usize,
    },
    BidiControl,
    ReservedCharacter(char),
    DeviceName,
    TrailingDotOrSpace,
    /// Given to [`check_canonical`] in another spelling than [`safe_path`] gives.
    NotNormalised,
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
            PathError::BidiControl => write!(
                f,
                "the path contains a bidirectional-control character (U+202E and its family), which makes it display as another name"
            ),
            PathError::ReservedCharacter(c) => write!(
                f,
                "the path contains {c:?}, which Windows does not allow in a name (`:` also opens an NTFS stream)"
            ),
            PathError::DeviceName => write!(
                f,
                "a path segment is a Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9), with or without an extension"
            ),
            PathError::TrailingDotOrSpace => write!(
                f,
                "a path segment ends with a dot or a space, which Windows drops, so it would be another name there"
            ),
            PathError::NotNormalised => write!(f, "the path is not in its normal form (`./`, `//`)"),
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
    if raw.chars().any(is_bidi_control) {
        return Err(PathError::BidiControl);
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
        if let Some(c) = segment.chars().find(|c| WINDOWS_RESERVED.contains(c)) {
            return Err(PathError::ReservedCharacter(c));
        }
        if is_device_name(segment) {
            return Err(PathError::DeviceName);
        }
        if segment.ends_with(['.', ' ']) {
            return Err(PathError::TrailingDotOrSpace);
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

/// Checks a path that should already be normal (what the exporter and the forges receive): it
/// passes [`safe_path`] unchanged, or it is refused.
pub fn check_canonical(path: &str) -> Result<(), PathError> {
    if safe_path(path)? == path {
        Ok(())
    } else {
        Err(PathError::NotNormalised)
    }
}

/// Two files whose names, or the names of folders they are in, differ only by case: one file or
/// folder on Windows and macOS, where the second lands on the first at checkout (`README.md` and
/// `readme.md`, `Readme` and `readme/x`, `Src/a` and `src/b`). The two paths, in the order given.
pub fn case_collision<'a>(paths: impl IntoIterator<Item = &'a str>) -> Option<(&'a str, &'a str)> {
    use std::collections::hash_map::Entry;
    // Each name's lower case → the name as first seen, and the path it was seen in.
    let mut seen: std::collections::HashMap<String, (&str, &str)> = std::collections::HashMap::new();
    for path in paths {
        let ends = path.match_indices('/').map(|(end, _)| end).chain([path.len()]);
        for name in ends.map(|end| &path[..end]) {
            match seen.entry(name.to_lowercase()) {
                Entry::Occupied(first) if first.get().0 != name => return Some((first.get().1, path)),
                Entry::Occupied(_) => {}
                Entry::Vacant(slot) => {
                    slot.insert((name, path));
                }
            }
        }
    }
    None
}

/// What Windows refuses in a name; `:` is also NTFS's stream separator (`.git::$INDEX_ALLOCATION`).
const WINDOWS_RESERVED: [char; 7] = ['<', '>', ':', '"', '|', '?', '*'];

/// `CON`, `aux.txt`, `Com1.tar.gz`: Windows opens the device whatever the extension, and reads
/// superscript digits as digits (`COM¹`).
fn is_device_name(segment: &str) -> bool {
    let stem = segment.split('.').next().unwrap_or_default().trim_end_matches(' ');
    let upper = stem.to_ascii_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let Some(rest) = upper.strip_prefix("COM").or_else(|| upper.strip_prefix("LPT")) else {
                return false;
            };
            let mut digits = rest.chars();
            matches!(
                (digits.next(), digits.next()),
                (Some('1'..='9' | '¹' | '²' | '³'), None)
            )
        }
    }
}

/// The explicit directional formatting characters (Unicode's `Bidi_Control`).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `C:`, `c:x`, `C:/…`: a drive-relative or absolute Windows path.
fn has_drive_letter(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// `.git` in any case, also as NTFS (trailing dots and spaces, the 8.3 name `git~1`, a stream
/// suffix `:…`) and HFS+ (ignorable code points inside the name) would read it.
fn is_git_name(segment: &str) -> bool {
    let name = segment.split(':').next().unwrap_or_default();
    let visible: String = name
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
            ("src/[id]/(group)/page.tsx", "src/[id]/(group)/page.tsx"),
            ("console.rs", "console.rs"),
            ("com10.txt", "com10.txt"),
            ("a/.b", "a/.b"),
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
            (".git::$INDEX_ALLOCATION/config", PathError::GitSegment),
            (".git:stream", PathError::GitSegment),
            ("ab:c/d", PathError::ReservedCharacter(':')),
            ("src/file.txt::$DATA", PathError::ReservedCharacter(':')),
            ("a<b", PathError::ReservedCharacter('<')),
            ("what?.md", PathError::ReservedCharacter('?')),
            ("a|b", PathError::ReservedCharacter('|')),
            ("q\"uote", PathError::ReservedCharacter('"')),
            ("star*", PathError::ReservedCharacter('*')),
            ("CON", PathError::DeviceName),
            ("src/aux.txt", PathError::DeviceName),
            ("Nul.tar.gz", PathError::DeviceName),
            ("lpt9", PathError::DeviceName),
            ("COM\u{b9}.txt", PathError::DeviceName),
            ("prn .md", PathError::DeviceName),
            ("a/...", PathError::TrailingDotOrSpace),
            ("notes.", PathError::TrailingDotOrSpace),
            ("dir /x", PathError::TrailingDotOrSpace),
            ("invoice\u{202e}fdp.exe", PathError::BidiControl),
            ("a\u{2066}b", PathError::BidiControl),
            ("a\u{200f}b", PathError::BidiControl),
            ("a\u{061c}b", PathError::BidiControl),
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
    fn canonical_paths_pass_and_other_spellings_are_refused() {
        assert_eq!(check_canonical("src/main.rs"), Ok(()));
        assert_eq!(check_canonical("./src/main.rs"), Err(PathError::NotNormalised));
        assert_eq!(check_canonical("src//main.rs"), Err(PathError::NotNormalised));
        assert_eq!(
            check_canonical(".git::$INDEX_ALLOCATION/config"),
            Err(PathError::GitSegment)
        );
        assert_eq!(check_canonical("../x"), Err(PathError::ParentSegment));
    }

    #[test]
    fn paths_that_differ_only_by_case_collide() {
        assert_eq!(
            case_collision(["README.md", "src/a.rs", "readme.md"]),
            Some(("README.md", "readme.md"))
        );
        assert_eq!(case_collision(["Ünï.rs", "ünï.rs"]), Some(("Ünï.rs", "ünï.rs")));
        assert_eq!(case_collision(["a.rs", "b.rs", "A/b.rs"]), None);
        assert_eq!(
            case_collision(["Readme", "readme/x.md"]),
            Some(("Readme", "readme/x.md"))
        );
        assert_eq!(case_collision(["Src/a.rs", "src/b.rs"]), Some(("Src/a.rs", "src/b.rs")));
        assert_eq!(case_collision(["src/a.rs", "src/b.rs", "src/c/d.rs"]), None);
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
