//! What both forges do after the commit exists: name the branch of a pull/merge request, word
//! its title and description, and report where the export ended up.

use forgeflow_domain::merge::MergeConflict;
use forgeflow_domain::text::slug;

use crate::merge::{self, Merged};

/// Where the export's commit ended up.
#[derive(Debug, Clone)]
pub(crate) struct Published {
    pub commit_sha: String,
    pub branch: String,
    /// The pull (GitHub) or merge (GitLab) request's page.
    pub request_url: Option<String>,
    pub merged: bool,
    pub conflicts: Vec<MergeConflict>,
}

impl Published {
    /// The branch itself now holds `commit_sha`.
    pub(crate) fn on_branch(commit_sha: &str, branch: &str) -> Self {
        Published {
            commit_sha: commit_sha.to_owned(),
            branch: branch.to_owned(),
            request_url: None,
            merged: false,
            conflicts: Vec::new(),
        }
    }

    /// Says whether the commit merged the branch's edits, and what did not merge.
    pub(crate) fn with_merge(self, merged: Option<&Merged>) -> Self {
        Published {
            conflicts: merged.map(|merged| merged.conflicts.clone()).unwrap_or_default(),
            merged: merged.is_some(),
            ..self
        }
    }
}

/// What a pull or merge request says: the commit message, and the conflicts when there are some.
pub(crate) struct Describe<'a> {
    pub message: &'a str,
    pub change: Option<&'a str>,
    pub conflicts: &'a [MergeConflict],
}

impl Describe<'_> {
    /// The request's title (the message's first line) and description (the rest, with the
    /// conflicts listed first) for a request into `base`.
    pub(crate) fn title_and_body(&self, base: &str) -> (String, String) {
        let (title, rest) = self.message.split_once('\n').unwrap_or((self.message, ""));
        let title = match title.trim() {
            "" => "Forgeflow export",
            title => title,
        };
        let mut body = format!("{}\n\nExported by Forgeflow.", rest.trim()).trim().to_owned();
        if !self.conflicts.is_empty() {
            body = format!("{}\n\n{body}", merge::describe(self.conflicts, base));
        }
        (title.to_owned(), body)
    }
}

/// The branch of a pull/merge request: `forgeflow/<change>-<7 hex>` for a change request,
/// `forgeflow/export-<12 hex>` otherwise. `key` is deterministic for the job (the commit, or
/// what it will contain), so a redelivery finds the branch an earlier one made.
pub(crate) fn request_branch(key: &str, change: Option<&str>) -> String {
    let short = &key[..key.len().min(12)];
    match change.map(|change| slug(change, 40)).filter(|slug| !slug.is_empty()) {
        Some(slug) => format!("forgeflow/{slug}-{}", &short[..short.len().min(7)]),
        None => format!("forgeflow/export-{short}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forgeflow_domain::merge::ConflictKind;

    #[test]
    fn request_branches_carry_the_change_or_the_key() {
        assert_eq!(
            request_branch("0123456789abcdef", Some("Add a Tag resource!")),
            "forgeflow/add-a-tag-resource-0123456"
        );
        assert_eq!(
            request_branch("0123456789abcdef", None),
            "forgeflow/export-0123456789ab"
        );
        assert_eq!(
            request_branch("0123456789abcdef", Some("!!!")),
            "forgeflow/export-0123456789ab"
        );
    }

    #[test]
    fn a_request_lists_its_conflicts_before_the_message_body() {
        let conflicts = [MergeConflict {
            path: "README.md".into(),
            kind: ConflictKind::BothModified,
        }];
        let describe = Describe {
            message: "Add tags\n\nThe change request's summary.",
            change: None,
            conflicts: &conflicts,
        };
        let (title, body) = describe.title_and_body("main");
        assert_eq!(title, "Add tags");
        assert!(body.starts_with("Forgeflow could not merge"), "{body}");
        assert!(
            body.contains("`README.md`") && body.ends_with("Exported by Forgeflow."),
            "{body}"
        );
        let plain = Describe {
            message: "\n",
            change: None,
            conflicts: &[],
        };
        assert_eq!(
            plain.title_and_body("main"),
            ("Forgeflow export".into(), "Exported by Forgeflow.".into())
        );
    }
}
