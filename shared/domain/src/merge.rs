//! Three-way merge of trees, for an export whose remote branch moved: base = the tree we last
//! exported, theirs = the remote head, ours = the new generation. The result starts from theirs,
//! so a remote edit is never overwritten: only what we changed since base is applied to it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A tree by path → git blob id (the mode is part of the id's comparison through the caller).
pub type Tree = BTreeMap<String, String>;

/// What to do to theirs for one path. Paths not listed keep theirs as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Only we changed it: write our version.
    TakeOurs(String),
    /// Only we deleted it.
    Delete(String),
    /// Both changed it differently: merge the texts ([`merge_text`]); a binary file conflicts.
    MergeText { path: String, added_on_both: bool },
    /// One side deleted what the other changed.
    Conflict { path: String, kind: ConflictKind },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Both sides changed the same lines.
    BothModified,
    /// Both sides added the file with different contents that do not merge.
    BothAdded,
    /// We deleted a file they changed.
    DeletedByUs,
    /// They deleted a file we changed.
    DeletedByThem,
    /// Both changed a binary file.
    Binary,
}

/// One conflicted path, as a pull request lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MergeConflict {
    pub path: String,
    pub kind: ConflictKind,
}

/// The steps that bring our changes since `base` onto `theirs`, by path.
pub fn plan(base: &Tree, theirs: &Tree, ours: &Tree) -> Vec<Step> {
    let paths: BTreeSet<&String> = base.keys().chain(theirs.keys()).chain(ours.keys()).collect();
    let mut steps = Vec::new();
    for path in paths {
        let (b, t, o) = (base.get(path), theirs.get(path), ours.get(path));
        if o == b || t == o {
            continue;
        }
        let path = path.clone();
        let step = match (b, t, o) {
            _ if t == b => match o {
                Some(_) => Step::TakeOurs(path),
                None => Step::Delete(path),
            },
            (_, Some(_), Some(_)) => Step::MergeText {
                added_on_both: b.is_none(),
                path,
            },
            (_, None, Some(_)) => Step::Conflict {
                path,
                kind: ConflictKind::DeletedByThem,
            },
            (_, Some(_), None) => Step::Conflict {
                path,
                kind: ConflictKind::DeletedByUs,
            },
            // Both deleted: t == o, skipped above.
            (_, None, None) => continue,
        };
        steps.push(step);
    }
    steps
}

/// Merges one file's three texts line by line; `Err` carries the text with git's conflict
/// markers (`<<<<<<< ours`, `=======`, `>>>>>>> theirs`), for the pull request's branch.
pub fn merge_text(base: &str, theirs: &str, ours: &str) -> Result<String, String> {
    diffy::merge(base, ours, theirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(entries: &[(&str, &str)]) -> Tree {
        entries.iter().map(|(p, b)| (p.to_string(), b.to_string())).collect()
    }

    #[test]
    fn each_side_keeps_what_only_it_changed() {
        let base = tree(&[
            ("same", "1"),
            ("ours-edit", "1"),
            ("their-edit", "1"),
            ("ours-del", "1"),
            ("their-del", "1"),
        ]);
        let theirs = tree(&[
            ("same", "1"),
            ("ours-edit", "1"),
            ("their-edit", "2"),
            ("ours-del", "1"),
            ("their-new", "9"),
        ]);
        let ours = tree(&[
            ("same", "1"),
            ("ours-edit", "2"),
            ("their-edit", "1"),
            ("their-del", "1"),
            ("our-new", "7"),
        ]);
        assert_eq!(
            plan(&base, &theirs, &ours),
            vec![
                Step::TakeOurs("our-new".into()),
                Step::Delete("ours-del".into()),
                Step::TakeOurs("ours-edit".into()),
            ]
        );
    }

    #[test]
    fn both_changing_a_file_merges_it_and_delete_against_edit_conflicts() {
        let base = tree(&[
            ("both", "1"),
            ("we-deleted", "1"),
            ("they-deleted", "1"),
            ("same-edit", "1"),
        ]);
        let theirs = tree(&[("both", "2"), ("we-deleted", "2"), ("added", "5"), ("same-edit", "3")]);
        let ours = tree(&[("both", "3"), ("they-deleted", "2"), ("added", "6"), ("same-edit", "3")]);
        assert_eq!(
            plan(&base, &theirs, &ours),
            vec![
                Step::MergeText {
                    path: "added".into(),
                    added_on_both: true
                },
                Step::MergeText {
                    path: "both".into(),
                    added_on_both: false
                },
                Step::Conflict {
                    path: "they-deleted".into(),
                    kind: ConflictKind::DeletedByThem
                },
                Step::Conflict {
                    path: "we-deleted".into(),
                    kind: ConflictKind::DeletedByUs
                },
            ]
        );
    }

    #[test]
    fn texts_merge_where_edits_do_not_overlap_and_conflicts_carry_markers() {
        let base = "a\nb\nc\nd\ne\n";
        let theirs = "A\nb\nc\nd\ne\n";
        let ours = "a\nb\nc\nd\nE\n";
        assert_eq!(merge_text(base, theirs, ours).unwrap(), "A\nb\nc\nd\nE\n");

        let clash = merge_text(base, "a\nX\nc\nd\ne\n", "a\nY\nc\nd\ne\n").unwrap_err();
        assert!(
            clash.contains("<<<<<<<") && clash.contains("X") && clash.contains("Y"),
            "{clash}"
        );
    }
}
