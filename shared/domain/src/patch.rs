//! A change request's edit to a project's tree, as the engineer answers it, and the one function
//! that applies it. Pure: the caller says which paths exist and hands over the text of the files
//! the patch edits with a diff ([`Patch::needs_text`]); nothing else is read.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::path::safe_path;

/// The engineer's answer in the `change` workflow.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct Patch {
    pub edits: Vec<FileEdit>,
}

/// One file's edit. A modification carries either the whole new content or a unified diff
/// against the current content (hunks may be off by a few lines: they are found by context).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum FileEdit {
    Add {
        path: String,
        content: String,
    },
    Modify {
        path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        diff: Option<String>,
    },
    Delete {
        path: String,
    },
    Rename {
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        diff: Option<String>,
    },
}

/// What applying a patch does to the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Write { path: String, content: String },
    Remove { path: String },
}

/// Why an edit does not apply: fed back to the engineer once, then the step's failure reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PatchConflict {
    pub path: String,
    pub reason: String,
}

impl fmt::Display for PatchConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// The conflicts as the engineer's retry reads them, one per line.
pub fn describe(conflicts: &[PatchConflict]) -> String {
    conflicts.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

impl Patch {
    /// The paths whose current text [`Patch::apply`] needs: those edited by a diff, and renamed
    /// files (their content moves).
    pub fn needs_text(&self) -> Vec<&str> {
        self.edits
            .iter()
            .filter_map(|edit| match edit {
                FileEdit::Modify {
                    path, diff: Some(_), ..
                } => Some(path.as_str()),
                FileEdit::Rename { from, .. } => Some(from.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Applies every edit or none: each path is checked by the path policy, edited at most once,
    /// must exist (modify, delete, rename's source) or must not (add, rename's target), and every
    /// diff must apply. `exists` answers for the current tree; `text` gives the current text of
    /// the paths in [`Patch::needs_text`].
    pub fn apply(
        &self,
        exists: impl Fn(&str) -> bool,
        text: impl Fn(&str) -> Option<String>,
    ) -> Result<Vec<Applied>, Vec<PatchConflict>> {
        let mut conflicts = Vec::new();
        let mut applied = Vec::new();
        let mut touched = BTreeSet::new();
        if self.edits.is_empty() {
            conflicts.push(conflict("(patch)", "the patch has no edits"));
        }
        for edit in &self.edits {
            match apply_one(edit, &exists, &text, &mut touched) {
                Ok(mut done) => applied.append(&mut done),
                Err(conflict) => conflicts.push(conflict),
            }
        }
        if conflicts.is_empty() {
            Ok(applied)
        } else {
            Err(conflicts)
        }
    }
}

fn apply_one(
    edit: &FileEdit,
    exists: &impl Fn(&str) -> bool,
    text: &impl Fn(&str) -> Option<String>,
    touched: &mut BTreeSet<String>,
) -> Result<Vec<Applied>, PatchConflict> {
    match edit {
        FileEdit::Add { path, content } => {
            let path = claim(path, touched)?;
            if exists(&path) {
                return Err(conflict(&path, "already exists; modify it instead"));
            }
            Ok(vec![Applied::Write {
                path,
                content: content.clone(),
            }])
        }
        FileEdit::Modify { path, content, diff } => {
            let path = claim(path, touched)?;
            if !exists(&path) {
                return Err(conflict(&path, "does not exist; add it instead"));
            }
            let content = match (content, diff) {
                (Some(content), None) => content.clone(),
                (None, Some(diff)) => patched(&path, text, diff)?,
                _ => return Err(conflict(&path, "a modification carries either `content` or `diff`")),
            };
            Ok(vec![Applied::Write { path, content }])
        }
        FileEdit::Delete { path } => {
            let path = claim(path, touched)?;
            if !exists(&path) {
                return Err(conflict(&path, "does not exist"));
            }
            Ok(vec![Applied::Remove { path }])
        }
        FileEdit::Rename { from, to, diff } => {
            let from = claim(from, touched)?;
            let to = claim(to, touched)?;
            if !exists(&from) {
                return Err(conflict(&from, "does not exist"));
            }
            if exists(&to) {
                return Err(conflict(&to, "already exists"));
            }
            let content = match diff {
                Some(diff) => patched(&from, text, diff)?,
                None => text(&from).ok_or_else(|| conflict(&from, "its text was not read"))?,
            };
            Ok(vec![
                Applied::Remove { path: from },
                Applied::Write { path: to, content },
            ])
        }
    }
}

/// The path as the policy normalises it, refused if this patch already edits it.
fn claim(raw: &str, touched: &mut BTreeSet<String>) -> Result<String, PatchConflict> {
    let path = safe_path(raw).map_err(|error| conflict(raw, &error.to_string()))?;
    if !touched.insert(path.clone()) {
        return Err(conflict(&path, "is edited more than once in this patch"));
    }
    Ok(path)
}

fn patched(path: &str, text: &impl Fn(&str) -> Option<String>, diff: &str) -> Result<String, PatchConflict> {
    let current = text(path).ok_or_else(|| conflict(path, "its text was not read"))?;
    let parsed =
        diffy::Patch::from_str(diff).map_err(|error| conflict(path, &format!("the diff does not parse: {error}")))?;
    diffy::apply(&current, &parsed).map_err(|error| {
        conflict(
            path,
            &format!("the diff does not apply to the current content ({error}); send the whole file instead"),
        )
    })
}

fn conflict(path: &str, reason: &str) -> PatchConflict {
    PatchConflict {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn tree() -> BTreeMap<&'static str, &'static str> {
        BTreeMap::from([
            ("src/main.rs", "fn main() {\n    println!(\"hi\");\n}\n"),
            ("src/book.rs", "pub struct Book {\n    pub name: String,\n}\n"),
            ("README.md", "# Books\n"),
        ])
    }

    fn apply(edits: Vec<FileEdit>) -> Result<Vec<Applied>, Vec<PatchConflict>> {
        let tree = tree();
        Patch { edits }.apply(
            |path| tree.contains_key(path),
            |path| tree.get(path).map(|t| t.to_string()),
        )
    }

    fn diff(old: &str, new: &str) -> String {
        diffy::create_patch(old, new).to_string()
    }

    #[test]
    fn every_kind_of_edit_applies() {
        let book = tree()["src/book.rs"];
        let with_isbn = "pub struct Book {\n    pub name: String,\n    pub isbn: String,\n}\n";
        let applied = apply(vec![
            FileEdit::Add {
                path: "src/loan.rs".into(),
                content: "pub struct Loan;\n".into(),
            },
            FileEdit::Modify {
                path: "src/book.rs".into(),
                content: None,
                diff: Some(diff(book, with_isbn)),
            },
            FileEdit::Modify {
                path: "./README.md".into(),
                content: Some("# Library\n".into()),
                diff: None,
            },
            FileEdit::Rename {
                from: "src/main.rs".into(),
                to: "src/bin/app.rs".into(),
                diff: None,
            },
        ])
        .unwrap();
        assert_eq!(
            applied,
            vec![
                Applied::Write {
                    path: "src/loan.rs".into(),
                    content: "pub struct Loan;\n".into()
                },
                Applied::Write {
                    path: "src/book.rs".into(),
                    content: with_isbn.into()
                },
                Applied::Write {
                    path: "README.md".into(),
                    content: "# Library\n".into()
                },
                Applied::Remove {
                    path: "src/main.rs".into()
                },
                Applied::Write {
                    path: "src/bin/app.rs".into(),
                    content: tree()["src/main.rs"].into()
                },
            ]
        );
    }

    #[test]
    fn a_diff_whose_line_numbers_are_off_still_applies_by_context() {
        let shifted = "--- a/src/book.rs\n+++ b/src/book.rs\n@@ -5,3 +5,4 @@\n pub struct Book {\n     pub name: String,\n+    pub year: u16,\n }\n";
        let applied = apply(vec![FileEdit::Modify {
            path: "src/book.rs".into(),
            content: None,
            diff: Some(shifted.into()),
        }])
        .unwrap();
        assert!(matches!(&applied[0], Applied::Write { content, .. } if content.contains("pub year: u16")));
    }

    #[test]
    fn conflicts_name_every_edit_that_does_not_apply_and_nothing_applies() {
        let conflicts = apply(vec![
            FileEdit::Add {
                path: "README.md".into(),
                content: "x".into(),
            },
            FileEdit::Modify {
                path: "src/gone.rs".into(),
                content: Some("x".into()),
                diff: None,
            },
            FileEdit::Modify {
                path: "src/book.rs".into(),
                content: None,
                diff: Some(diff("struct Other;\n", "struct Other2;\n")),
            },
            FileEdit::Delete {
                path: "nope.txt".into(),
            },
            FileEdit::Add {
                path: ".git/config".into(),
                content: "x".into(),
            },
            FileEdit::Rename {
                from: "src/main.rs".into(),
                to: "src/book.rs".into(),
                diff: None,
            },
        ])
        .unwrap_err();
        let paths: Vec<&str> = conflicts.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "README.md",
                "src/gone.rs",
                "src/book.rs",
                "nope.txt",
                ".git/config",
                "src/book.rs"
            ]
        );
        assert!(conflicts[2].reason.contains("does not apply"), "{}", conflicts[2]);
        assert!(describe(&conflicts).lines().count() == 6);
    }

    #[test]
    fn a_path_is_edited_once_per_patch() {
        let conflicts = apply(vec![
            FileEdit::Delete {
                path: "README.md".into(),
            },
            FileEdit::Add {
                path: "README.md".into(),
                content: "new".into(),
            },
        ])
        .unwrap_err();
        assert_eq!(conflicts.len(), 1);
        assert!(conflicts[0].reason.contains("more than once"));
    }

    #[test]
    fn a_modification_needs_exactly_one_of_content_and_diff_and_an_empty_patch_is_refused() {
        let both = apply(vec![FileEdit::Modify {
            path: "README.md".into(),
            content: Some("a".into()),
            diff: Some("b".into()),
        }]);
        assert!(both.unwrap_err()[0].reason.contains("either"));
        assert!(apply(Vec::new()).unwrap_err()[0].reason.contains("no edits"));
    }

    #[test]
    fn only_diffed_and_renamed_files_are_read() {
        let patch = Patch {
            edits: vec![
                FileEdit::Modify {
                    path: "a".into(),
                    content: Some("x".into()),
                    diff: None,
                },
                FileEdit::Modify {
                    path: "b".into(),
                    content: None,
                    diff: Some("d".into()),
                },
                FileEdit::Rename {
                    from: "c".into(),
                    to: "e".into(),
                    diff: None,
                },
                FileEdit::Delete { path: "f".into() },
            ],
        };
        assert_eq!(patch.needs_text(), ["b", "c"]);
    }

    #[test]
    fn the_wire_form_is_tagged_by_op() {
        let patch: Patch = serde_json::from_value(serde_json::json!({"edits": [
            {"op": "add", "path": "a.txt", "content": "a"},
            {"op": "rename", "from": "a.txt", "to": "b.txt"},
            {"op": "delete", "path": "c.txt"}
        ]}))
        .unwrap();
        assert_eq!(patch.edits.len(), 3);
        assert!(matches!(&patch.edits[1], FileEdit::Rename { diff: None, .. }));
    }
}
