//! The reviewer: checks the written files against the plan with rules a person would apply
//! first — planned files missing, stories no test names, leftover TODOs, oversized files,
//! secrets in code — and sums them up.

use forgeflow_domain::agent::{Finding, ReviewOutput, Severity, WrittenFile};

use super::Context;
use super::engineer::is_test_path;

const MAX_LINES: usize = 300;
const SECRET_MARKERS: &[&str] = &["-----BEGIN", "AKIA", "sk-live", "ghp_", "xoxb-"];

pub(super) fn review(context: &Context) -> ReviewOutput {
    let files = &context.files;
    let mut findings = Vec::new();
    let mut finding = |severity, path: Option<&str>, message: String| {
        findings.push(Finding {
            severity,
            path: path.map(str::to_owned),
            message,
        });
    };
    if files.is_empty() {
        finding(
            Severity::Critical,
            None,
            "No files were written, so there is nothing to run or review".to_owned(),
        );
    }
    if let Some(tree) = &context.tree {
        for planned in tree.files.iter().filter(|p| !files.iter().any(|f| f.path == p.path)) {
            let message = format!("Planned file was not written ({})", planned.purpose);
            finding(Severity::Major, Some(&planned.path), message);
        }
    }
    let tests: Vec<&WrittenFile> = files.iter().filter(|f| is_test_path(&f.path)).collect();
    if !files.is_empty() && tests.is_empty() {
        finding(Severity::Major, None, "There are no test files".to_owned());
    }
    if let Some(plan) = &context.plan {
        for story in &plan.stories {
            let named = tests.iter().any(|t| names_story(&t.content, &story.id));
            if !tests.is_empty() && !named {
                let message = format!(
                    "No test names story {} ({}); its acceptance criteria are unchecked",
                    story.id, story.title
                );
                finding(Severity::Minor, None, message);
            }
        }
    }
    for file in files {
        let path = Some(file.path.as_str());
        let lines = file.content.lines().count();
        if lines > MAX_LINES {
            finding(
                Severity::Minor,
                path,
                format!("{lines} lines; split it so each file does one job"),
            );
        }
        let markers = file
            .content
            .lines()
            .filter(|l| ["TODO", "FIXME", "XXX"].iter().any(|m| l.contains(m)))
            .count();
        if markers > 0 {
            finding(
                Severity::Minor,
                path,
                format!("{markers} TODO/FIXME marker(s) left in the code"),
            );
        }
        if SECRET_MARKERS.iter().any(|m| file.content.contains(m)) {
            finding(
                Severity::Critical,
                path,
                "Looks like a credential is committed; move it to the environment".into(),
            );
        }
        if file.content.trim().is_empty() && !file.path.ends_with("__init__.py") {
            finding(Severity::Info, path, "The file is empty".to_owned());
        }
        if file.path.ends_with(".rs") && !is_test_path(&file.path) && file.content.contains(".unwrap()") {
            finding(
                Severity::Info,
                path,
                "unwrap() outside tests turns bad input into a crash".to_owned(),
            );
        }
    }
    findings.sort_by(|a, b| {
        rank(b.severity)
            .cmp(&rank(a.severity))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.message.cmp(&b.message))
    });
    ReviewOutput {
        summary: summary(context, &findings),
        findings,
    }
}

/// `S1` named as a whole word, so `S1` is not found inside `S12`.
fn names_story(text: &str, id: &str) -> bool {
    text.match_indices(id).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + id.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn rank(severity: Severity) -> u8 {
    match severity {
        Severity::Info => 0,
        Severity::Minor => 1,
        Severity::Major => 2,
        Severity::Critical => 3,
    }
}

fn summary(context: &Context, findings: &[Finding]) -> String {
    let files = context.files.len();
    let lines: usize = context.files.iter().map(|f| f.content.lines().count()).sum();
    let stories = context.plan.as_ref().map_or(0, |p| p.stories.len());
    let mut text = format!("Reviewed {files} file(s), {lines} line(s), against {stories} stor(ies). ");
    if findings.is_empty() {
        text.push_str("No findings: every planned file is written and every story is named by a test.");
        return text;
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let parts: Vec<String> = [
        (Severity::Critical, "critical"),
        (Severity::Major, "major"),
        (Severity::Minor, "minor"),
        (Severity::Info, "info"),
    ]
    .iter()
    .filter(|(s, _)| count(*s) > 0)
    .map(|(s, name)| format!("{} {name}", count(*s)))
    .collect();
    text.push_str(&format!("{} finding(s): {}. ", findings.len(), parts.join(", ")));
    text.push_str(if count(Severity::Critical) + count(Severity::Major) > 0 {
        "Fix the critical and major ones before shipping."
    } else {
        "Nothing blocks shipping; the minor ones are worth a follow-up."
    });
    text
}
