//! Package names for the generated project. The template must name the crate exactly as the
//! engineers' `Cargo.toml` does (its tests import it), so an agent's manifest decides when
//! there is one; otherwise the name comes from the project's name.

/// Rust keywords and the crate names Cargo refuses for a package.
const RESERVED: &[&str] = &[
    "abstract",
    "alloc",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "core",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "proc_macro",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "std",
    "struct",
    "super",
    "test",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
];

const MAX_CHARS: usize = 64;

/// `Book Loans!` → `book_loans`: lowercase ASCII words joined by `_`, usable as a crate, Python
/// module and (with `-`) npm or PyPI name.
pub(crate) fn package_name(project: &str) -> String {
    let without_apostrophes: String = project.chars().filter(|c| !matches!(c, '\'' | '’')).collect();
    let words: Vec<String> = without_apostrophes
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut name = words.join("_");
    if name.len() > MAX_CHARS {
        name.truncate(MAX_CHARS);
        name = name.trim_end_matches('_').to_owned();
    }
    match name.chars().next() {
        None => "generated_app".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("app_{name}"),
        Some(_) if RESERVED.contains(&name.as_str()) => format!("{name}_app"),
        Some(_) => name,
    }
}

/// The `[package] name` of a `Cargo.toml`, if it is a plain one (`name = "book-loans"`).
pub(crate) fn cargo_package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if !in_package || key.trim() != "name" {
            continue;
        }
        let name = value.trim().strip_prefix('"')?.split('"').next()?;
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        return valid.then(|| name.to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_become_package_names() {
        let cases = [
            ("Book Loans", "book_loans"),
            ("Book Loans!", "book_loans"),
            ("  Clinic -- Rota (beta) ", "clinic_rota_beta"),
            ("Bob's Books", "bobs_books"),
            ("3D Printer Queue", "app_3d_printer_queue"),
            ("Test", "test_app"),
            ("Café", "caf"),
            ("日本", "generated_app"),
            ("", "generated_app"),
        ];
        for (project, expected) in cases {
            assert_eq!(package_name(project), expected, "{project:?}");
        }
        assert!(package_name(&"word ".repeat(40)).len() <= MAX_CHARS);
    }

    #[test]
    fn a_cargo_manifest_names_the_crate() {
        let manifest =
            "[package]\nname = \"book_loans\" # the crate\nversion = \"0.1.0\"\n\n[dependencies]\nname = \"x\"\n";
        assert_eq!(cargo_package_name(manifest).as_deref(), Some("book_loans"));
        let later = "[dependencies]\nname = \"x\"\n[package]\nversion = \"1\"\nname=\"my-app\"\n";
        assert_eq!(cargo_package_name(later).as_deref(), Some("my-app"));
        assert_eq!(cargo_package_name("[package]\nname = \"bad name\"\n"), None);
        assert_eq!(cargo_package_name("[package]\nname.workspace = true\n"), None);
        assert_eq!(cargo_package_name("[workspace]\nmembers = []\n"), None);
    }
}
