//! What templates see: the project's names and brief, and the plan and review as ready-made
//! views (text on one line, points added up), so templates only lay things out.

use forgeflow_domain::agent::{Priority, ReviewOutput, Severity, Sprint, Story};
use serde::Serialize;

use crate::GenerationInput;
use crate::naming::{cargo_package_name, package_name};
use crate::text::{clip, first_sentence, line};

#[derive(Debug, Serialize)]
pub(crate) struct Context {
    /// The name as given; templates print `title`.
    pub project_name: String,
    pub title: String,
    /// The brief's first sentence, at most 160 characters.
    pub summary: String,
    /// The brief's non-empty lines, trimmed.
    pub brief_lines: Vec<String>,
    /// `book_loans`: crate and module name.
    pub package: String,
    /// `book-loans`: npm and PyPI name.
    pub package_kebab: String,
    /// The crate as Rust code names it, from the engineers' `Cargo.toml` when they wrote one.
    pub crate_ident: String,
    pub template: &'static str,
    pub stories: Vec<StoryView>,
    pub story_points: u32,
    /// `3 must, 1 should`.
    pub priorities: String,
    pub sprints: Vec<SprintView>,
    pub sprint_points: u32,
    /// Stories that no sprint lists.
    pub unscheduled: Vec<StoryRef>,
    pub review: Option<ReviewView>,
}

#[derive(Debug, Serialize)]
pub(crate) struct StoryView {
    pub id: String,
    pub title: String,
    pub as_a: String,
    pub i_want: String,
    pub so_that: String,
    pub criteria: Vec<String>,
    pub points: u32,
    pub priority: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct StoryRef {
    pub id: String,
    pub title: String,
    pub points: u32,
    pub priority: &'static str,
}

#[derive(Debug, Serialize)]
pub(crate) struct SprintView {
    pub number: u32,
    pub goal: String,
    pub stories: Vec<StoryRef>,
    /// Ids the sprint lists that no story has.
    pub missing: Vec<String>,
    pub points: u32,
}

#[derive(Debug, Serialize)]
pub(crate) struct ReviewView {
    pub summary: String,
    /// Most severe first; equal severities keep the reviewer's order.
    pub findings: Vec<FindingView>,
    /// `1 major, 2 minor`.
    pub counts: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct FindingView {
    pub severity: &'static str,
    pub path: Option<String>,
    pub message: String,
}

impl Context {
    /// `agent_manifest` is the `Cargo.toml` an engineer wrote, if any.
    pub(crate) fn new(input: &GenerationInput, agent_manifest: Option<&str>) -> Self {
        let title = clip(&input.project_name, 100);
        let title = if title.is_empty() {
            "Generated project".to_owned()
        } else {
            title
        };
        let package = package_name(&input.project_name);
        let crate_ident = agent_manifest
            .and_then(cargo_package_name)
            .unwrap_or_else(|| package.clone())
            .replace('-', "_");
        let stories: Vec<StoryView> = input.stories.iter().map(story_view).collect();
        let sprints: Vec<SprintView> = input.sprints.iter().map(|s| sprint_view(s, &input.stories)).collect();
        let unscheduled = input
            .stories
            .iter()
            .filter(|story| !input.sprints.iter().any(|s| s.story_ids.contains(&story.id)))
            .map(story_ref)
            .collect();
        let priorities = [Priority::Must, Priority::Should, Priority::Could]
            .into_iter()
            .map(|p| (p, input.stories.iter().filter(|s| s.priority == p).count()))
            .filter(|(_, n)| *n > 0)
            .map(|(p, n)| format!("{n} {}", priority(p)))
            .collect::<Vec<_>>()
            .join(", ");
        Context {
            project_name: input.project_name.clone(),
            title,
            summary: clip(&first_sentence(&input.brief), 160),
            brief_lines: input.brief.lines().map(line).filter(|l| !l.is_empty()).collect(),
            package_kebab: package.replace('_', "-"),
            package,
            crate_ident,
            template: input.template.as_str(),
            story_points: stories.iter().map(|s| s.points).sum(),
            stories,
            priorities,
            sprint_points: sprints.iter().map(|s| s.points).sum(),
            sprints,
            unscheduled,
            review: input.review.as_ref().map(review_view),
        }
    }
}

fn priority(p: Priority) -> &'static str {
    match p {
        Priority::Must => "must",
        Priority::Should => "should",
        Priority::Could => "could",
    }
}

fn story_view(story: &Story) -> StoryView {
    StoryView {
        id: line(&story.id),
        title: line(&story.title),
        as_a: line(&story.as_a),
        i_want: line(&story.i_want),
        so_that: line(&story.so_that).trim_end_matches('.').to_owned(),
        criteria: story.acceptance_criteria.iter().map(|c| line(c)).collect(),
        points: story.estimate_points,
        priority: priority(story.priority),
    }
}

fn story_ref(story: &Story) -> StoryRef {
    StoryRef {
        id: line(&story.id),
        title: line(&story.title),
        points: story.estimate_points,
        priority: priority(story.priority),
    }
}

fn sprint_view(sprint: &Sprint, stories: &[Story]) -> SprintView {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for id in &sprint.story_ids {
        match stories.iter().find(|s| &s.id == id) {
            Some(story) => found.push(story_ref(story)),
            None => missing.push(line(id)),
        }
    }
    SprintView {
        number: sprint.number,
        goal: line(&sprint.goal),
        points: found.iter().map(|s| s.points).sum(),
        stories: found,
        missing,
    }
}

fn severity(s: Severity) -> (u8, &'static str) {
    match s {
        Severity::Critical => (0, "critical"),
        Severity::Major => (1, "major"),
        Severity::Minor => (2, "minor"),
        Severity::Info => (3, "info"),
    }
}

fn review_view(review: &ReviewOutput) -> ReviewView {
    let mut findings: Vec<_> = review.findings.iter().collect();
    findings.sort_by_key(|f| severity(f.severity).0);
    let counts = [Severity::Critical, Severity::Major, Severity::Minor, Severity::Info]
        .into_iter()
        .map(|s| (s, review.findings.iter().filter(|f| f.severity == s).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {}", severity(s).1))
        .collect::<Vec<_>>()
        .join(", ");
    ReviewView {
        summary: line(&review.summary),
        findings: findings
            .into_iter()
            .map(|f| FindingView {
                severity: severity(f.severity).1,
                path: f.path.as_deref().map(line).filter(|p| !p.is_empty()),
                message: line(&f.message),
            })
            .collect(),
        counts,
    }
}
