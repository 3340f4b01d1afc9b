//! An export onto a branch that moved since our last one: three-way, never overwriting. Base is
//! the tree we last exported, theirs the branch's tree now, ours the new export; the result is
//! theirs plus only what we changed since base ([`forgeflow_domain::merge`]). Files both sides
//! changed are merged line by line; what does not merge is a conflict, carried with git's
//! markers to a branch of its own and a pull/merge request that lists it.

use std::collections::{BTreeMap, HashMap};

use forgeflow_domain::merge::{self, ConflictKind, MergeConflict, Step, Tree};
use futures_util::future::BoxFuture;

use crate::diff::{Base, Entry, blob_id};
use crate::error::ForgeError;
use crate::{Previous, ReadFn, RemoteFile};

/// What the forge must hold after the merge, and what it cost.
#[derive(Debug, Default)]
pub(crate) struct Merged {
    /// The merged tree, every path (theirs untouched included).
    pub files: Vec<RemoteFile>,
    /// Contents made by the merge (clean or with markers), by path.
    pub contents: HashMap<String, Vec<u8>>,
    pub conflicts: Vec<MergeConflict>,
}

/// A text merge the forge must fetch two blobs for.
pub(crate) struct TextMerge {
    pub path: String,
    pub base_sha: Option<String>,
    pub theirs_sha: String,
}

/// The merge's first half: the merged tree where no content is needed, and the files whose
/// contents must be fetched and merged ([`finish`]).
pub(crate) fn plan(previous: &Previous, theirs: &Base, ours: &[RemoteFile]) -> (Merged, Vec<TextMerge>) {
    let key = |mode: &str, sha: &str| format!("{mode} {sha}");
    let base_tree: Tree = previous
        .files
        .iter()
        .map(|f| (f.path.clone(), key(&f.mode, &f.git_blob_id)))
        .collect();
    let theirs_tree: Tree = theirs.iter().map(|(p, e)| (p.clone(), key(&e.mode, &e.sha))).collect();
    let ours_tree: Tree = ours
        .iter()
        .map(|f| (f.path.clone(), key(&f.mode, &f.git_blob_id)))
        .collect();
    let ours_by_path: BTreeMap<&str, &RemoteFile> = ours.iter().map(|f| (f.path.as_str(), f)).collect();

    let mut result: BTreeMap<String, RemoteFile> = theirs
        .iter()
        .map(|(path, entry)| (path.clone(), remote(path, entry)))
        .collect();
    let mut merged = Merged::default();
    let mut texts = Vec::new();
    for step in merge::plan(&base_tree, &theirs_tree, &ours_tree) {
        match step {
            Step::TakeOurs(path) => {
                result.insert(path.clone(), ours_by_path[path.as_str()].clone());
            }
            Step::Delete(path) => {
                result.remove(&path);
            }
            Step::MergeText { path, added_on_both } => {
                let base_sha = (!added_on_both).then(|| {
                    previous
                        .files
                        .iter()
                        .find(|f| f.path == path)
                        .map(|f| f.git_blob_id.clone())
                        .unwrap_or_default()
                });
                texts.push(TextMerge {
                    theirs_sha: theirs[&path].sha.clone(),
                    base_sha,
                    path,
                });
            }
            Step::Conflict { path, kind } => {
                // Theirs deleted what we changed: the pull request shows our version to decide on.
                if kind == ConflictKind::DeletedByThem {
                    result.insert(path.clone(), ours_by_path[path.as_str()].clone());
                }
                merged.conflicts.push(MergeConflict { path, kind });
            }
        }
    }
    merged.files = result.into_values().collect();
    (merged, texts)
}

/// The merge's second half: each text merge from the fetched `base` and `theirs` contents and
/// our own file.
pub(crate) async fn finish(
    mut merged: Merged,
    texts: Vec<(TextMerge, Option<Vec<u8>>, Vec<u8>)>,
    ours: &[RemoteFile],
    read: &ReadFn<'_>,
) -> Result<Merged, ForgeError> {
    for (text, base, theirs) in texts {
        let our_file = ours
            .iter()
            .find(|f| f.path == text.path)
            .ok_or_else(|| ForgeError::Invalid(format!("{} is not in the export", text.path)))?;
        let our_bytes = read(our_file).await?;
        let as_text = |bytes: &[u8]| std::str::from_utf8(bytes).ok().map(str::to_owned);
        let base_text = match &base {
            Some(bytes) => as_text(bytes),
            None => Some(String::new()),
        };
        let (content, kind) = match (base_text, as_text(&theirs), as_text(&our_bytes)) {
            (Some(base), Some(theirs), Some(ours)) => match merge::merge_text(&base, &theirs, &ours) {
                Ok(clean) => (clean.into_bytes(), None),
                Err(marked) => (
                    marked.into_bytes(),
                    Some(if text.base_sha.is_none() {
                        ConflictKind::BothAdded
                    } else {
                        ConflictKind::BothModified
                    }),
                ),
            },
            // Binary: theirs stays on the branch; the conflict says so.
            _ => (theirs.clone(), Some(ConflictKind::Binary)),
        };
        if let Some(kind) = kind {
            merged.conflicts.push(MergeConflict {
                path: text.path.clone(),
                kind,
            });
        }
        let file = RemoteFile {
            path: text.path.clone(),
            mode: our_file.mode.clone(),
            git_blob_id: blob_id(&content),
            size: content.len() as u64,
        };
        if let Some(slot) = merged.files.iter_mut().find(|f| f.path == text.path) {
            *slot = file;
        } else {
            merged.files.push(file);
        }
        merged.contents.insert(text.path, content);
    }
    merged.files.sort_by(|a, b| a.path.cmp(&b.path));
    merged.conflicts.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(merged)
}

/// A forge's way to read a blob by id (only files both sides changed are read).
pub(crate) trait Blobs {
    fn blob(&mut self, sha: &str) -> impl Future<Output = Result<Vec<u8>, ForgeError>> + Send;
}

/// The whole merge of a branch that moved: [`plan`], the blobs its text merges need, [`finish`].
pub(crate) async fn three_way(
    blobs: &mut impl Blobs,
    previous: &Previous,
    theirs: &Base,
    ours: &[RemoteFile],
    read: &ReadFn<'_>,
) -> Result<Merged, ForgeError> {
    let (merged, texts) = plan(previous, theirs, ours);
    let mut fetched = Vec::with_capacity(texts.len());
    for text in texts {
        let base = match &text.base_sha {
            Some(sha) => Some(blobs.blob(sha).await?),
            None => None,
        };
        let theirs = blobs.blob(&text.theirs_sha).await?;
        fetched.push((text, base, theirs));
    }
    finish(merged, fetched, ours, read).await
}

/// Reads the merge's own contents from memory and every other file through the export's reader.
pub(crate) fn reading<'x>(
    contents: &'x HashMap<String, Vec<u8>>,
    read: &'x ReadFn<'_>,
) -> impl Fn(&RemoteFile) -> BoxFuture<'x, Result<Vec<u8>, ForgeError>> + Send + Sync + 'x {
    move |file| match contents.get(&file.path) {
        Some(content) => {
            let content = content.clone();
            Box::pin(async move { Ok(content) })
        }
        None => read(file),
    }
}

fn remote(path: &str, entry: &Entry) -> RemoteFile {
    RemoteFile {
        path: path.to_owned(),
        mode: entry.mode.clone(),
        git_blob_id: entry.sha.clone(),
        size: 0,
    }
}

/// The pull or merge request's description of what did not merge.
pub(crate) fn describe(conflicts: &[MergeConflict], branch: &str) -> String {
    let mut text =
        format!("Forgeflow could not merge these files with the edits made on `{branch}` since its last export:\n\n");
    for conflict in conflicts {
        let why = match conflict.kind {
            ConflictKind::BothModified => "both changed the same lines (conflict markers in the file)",
            ConflictKind::BothAdded => "both added it with different contents (conflict markers in the file)",
            ConflictKind::DeletedByUs => "the new generation deletes it; it was edited on the branch (kept)",
            ConflictKind::DeletedByThem => "it was deleted on the branch; the new generation changes it (ours shown)",
            ConflictKind::Binary => "a binary file both changed (the branch's version kept)",
        };
        text.push_str(&format!("- `{}`: {why}\n", conflict.path));
    }
    text.push_str("\nEverything else merged cleanly. Resolve the files above, then merge.");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, content: &str) -> RemoteFile {
        RemoteFile {
            path: path.into(),
            mode: "100644".into(),
            git_blob_id: blob_id(content.as_bytes()),
            size: content.len() as u64,
        }
    }

    fn base_of(files: &[RemoteFile]) -> Base {
        crate::diff::base_from_files(files)
    }

    #[tokio::test]
    async fn their_edits_stay_ours_apply_and_overlapping_lines_conflict() {
        let previous = Previous {
            commit_sha: "old".into(),
            files: vec![
                file("README.md", "# A\n\nintro\n"),
                file("src/lib.rs", "a\nb\nc\nd\ne\n"),
                file("src/old.rs", "old\n"),
                file("notes.txt", "one\n"),
            ],
            exact: true,
        };
        let theirs = base_of(&[
            file("README.md", "# A\n\nintro by hand\n"),
            file("src/lib.rs", "A\nb\nc\nd\ne\n"),
            file("src/old.rs", "old\n"),
            file("notes.txt", "one\n"),
            file("HAND.md", "mine\n"),
        ]);
        let ours = vec![
            file("README.md", "# A\n\nintro by us\n"),
            file("src/lib.rs", "a\nb\nc\nd\nE\n"),
            file("notes.txt", "one\n"),
            file("src/new.rs", "new\n"),
        ];
        let (merged, texts) = plan(&previous, &theirs, &ours);
        let paths: Vec<&str> = merged.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["HAND.md", "README.md", "notes.txt", "src/lib.rs", "src/new.rs"]);
        assert_eq!(texts.len(), 2);
        let contents: HashMap<String, String> = [
            (file("README.md", "# A\n\nintro\n").git_blob_id, "# A\n\nintro\n"),
            (
                file("README.md", "# A\n\nintro by hand\n").git_blob_id,
                "# A\n\nintro by hand\n",
            ),
            (file("x", "a\nb\nc\nd\ne\n").git_blob_id, "a\nb\nc\nd\ne\n"),
            (file("x", "A\nb\nc\nd\ne\n").git_blob_id, "A\nb\nc\nd\ne\n"),
        ]
        .into_iter()
        .map(|(sha, text)| (sha, text.to_owned()))
        .collect();
        let fetched = texts
            .into_iter()
            .map(|t| {
                let base = t.base_sha.as_ref().map(|sha| contents[sha].clone().into_bytes());
                let theirs = contents[&t.theirs_sha].clone().into_bytes();
                (t, base, theirs)
            })
            .collect();
        let ours_contents: HashMap<String, Vec<u8>> =
            [("README.md", "# A\n\nintro by us\n"), ("src/lib.rs", "a\nb\nc\nd\nE\n")]
                .into_iter()
                .map(|(p, c)| (p.to_owned(), c.as_bytes().to_vec()))
                .collect();
        let read = move |file: &RemoteFile| {
            let bytes = ours_contents.get(&file.path).cloned().unwrap_or_default();
            Box::pin(async move { Ok(bytes) }) as futures_util::future::BoxFuture<'_, Result<Vec<u8>, ForgeError>>
        };
        let merged = finish(merged, fetched, &ours, &read).await.unwrap();
        assert_eq!(
            String::from_utf8_lossy(&merged.contents["src/lib.rs"]),
            "A\nb\nc\nd\nE\n"
        );
        let readme = String::from_utf8_lossy(&merged.contents["README.md"]).into_owned();
        assert!(readme.contains("<<<<<<<") && readme.contains("intro by hand") && readme.contains("intro by us"));
        assert_eq!(
            merged.conflicts,
            vec![MergeConflict {
                path: "README.md".into(),
                kind: ConflictKind::BothModified
            }]
        );
        let lib = merged.files.iter().find(|f| f.path == "src/lib.rs").unwrap();
        assert_eq!(lib.git_blob_id, blob_id(b"A\nb\nc\nd\nE\n"));
        assert!(describe(&merged.conflicts, "main").contains("`README.md`: both changed"));
    }
}
