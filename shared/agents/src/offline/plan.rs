//! The product manager: one user story per clause of the brief, sprints of about 13 points.

use forgeflow_domain::agent::{PlanOutput, Priority, Sprint, Story};

use super::Context;
use super::criteria::{benefit, criteria};
use super::lexicon::{Kind, VERBS};
use super::words::{self, Entity};

const MAX_STORIES: usize = 12;
const SPRINT_POINTS: u32 = 13;
const FIBONACCI: [u32; 6] = [1, 2, 3, 5, 8, 13];

struct Clause {
    actor: String,
    want: String,
    so_that: Option<String>,
}

pub(super) fn write(context: &Context) -> PlanOutput {
    let entities = words::entities(&context.input.brief);
    let fallback = entities.first().cloned().or_else(|| Entity::from_snake("item"));
    let mut clauses: Vec<String> = words::clauses(&context.input.brief)
        .into_iter()
        .take(MAX_STORIES)
        .collect();
    if clauses.is_empty() {
        clauses.push(format!("manage the {}", context.title()));
    }
    let count = clauses.len();
    let stories: Vec<Story> = clauses
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let entity = entities.iter().find(|e| words::mentions(text, e)).or(fallback.as_ref());
            story(index, count, text, entity)
        })
        .collect();
    let sprints = sprints(&stories);
    PlanOutput { stories, sprints }
}

fn story(index: usize, count: usize, text: &str, entity: Option<&Entity>) -> Story {
    let clause = parse_clause(text);
    let kind = kind_of(&clause.want);
    let (label, labels) = entity
        .map(|e| (e.label.clone(), e.labels.clone()))
        .unwrap_or(("item".into(), "items".into()));
    let goal = clause.want.trim_start_matches("to ").to_owned();
    let title = title_of(&goal);
    Story {
        id: format!("S{}", index + 1),
        title: if title.is_empty() {
            format!("Story {}", index + 1)
        } else {
            title
        },
        as_a: clause.actor.clone(),
        i_want: clause.want.clone(),
        so_that: clause.so_that.clone().unwrap_or_else(|| benefit(kind, &labels)),
        acceptance_criteria: criteria(kind, &clause.actor, &label, &labels, &goal),
        estimate_points: estimate(&clause.want),
        priority: priority(text, index, count),
    }
}

/// At most eight words, not ending on a dangling `and`/`to`/comma.
fn title_of(goal: &str) -> String {
    const DANGLING: &[&str] = &[
        "and", "or", "but", "to", "a", "an", "the", "of", "for", "with", "by", "when", "their",
    ];
    let mut kept: Vec<&str> = goal.split_whitespace().take(8).collect();
    while kept
        .last()
        .is_some_and(|w| w.ends_with(',') || DANGLING.contains(&w.to_lowercase().as_str()))
    {
        kept.pop();
    }
    words::capitalize(&kept.join(" "))
}

/// `Members can borrow books` → (member, to borrow books); `Librarians see overdue loans` →
/// (librarian, to see overdue loans); `As a librarian, I want …` is taken as written; anything
/// else is something a user wants.
fn parse_clause(text: &str) -> Clause {
    let text = words::plain(text, 300);
    let lower = text.to_ascii_lowercase();
    let (body, so_that) = match lower.find(" so that ") {
        Some(at) => (text[..at].trim(), Some(text[at + 9..].trim().to_owned())),
        None => (text.trim(), None),
    };
    let original: Vec<&str> = body.split_whitespace().collect();
    let norm: Vec<String> = original
        .iter()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
                .to_lowercase()
        })
        .collect();
    let rest = |from: usize| {
        original
            .get(from..)
            .unwrap_or_default()
            .join(" ")
            .trim_end_matches([',', ':'])
            .to_owned()
    };
    let is = |i: usize, word: &str| norm.get(i).is_some_and(|n| n == word);
    if is(0, "as")
        && (is(1, "a") || is(1, "an"))
        && let Some(comma) = original.iter().position(|w| w.ends_with(',')).filter(|at| *at >= 2)
    {
        let actor = norm[2..=comma].join(" ");
        let mut from = comma + 1;
        while norm
            .get(from)
            .is_some_and(|n| ["i", "want", "would", "like", "need"].contains(&n.as_str()))
        {
            from += 1;
        }
        return Clause {
            actor,
            want: rest(from),
            so_that,
        };
    }
    for i in 1..norm.len() {
        let subject = &norm[i - 1];
        let subject_ok = !words::is_stopword(subject) && !original[i - 1].ends_with([',', ':']) && subject.len() > 2;
        if !subject_ok {
            continue;
        }
        let modal_len = if ["can", "could", "should", "must", "may", "will"].contains(&norm[i].as_str()) {
            1
        } else if ["want", "wants", "need", "needs"].contains(&norm[i].as_str()) && is(i + 1, "to") {
            2
        } else if is(i, "would") && is(i + 1, "like") && is(i + 2, "to") {
            3
        } else {
            0
        };
        let mut from = i + modal_len;
        if modal_len > 0 {
            if is(from, "be") && is(from + 1, "able") && is(from + 2, "to") {
                from += 3;
            }
            return Clause {
                actor: words::singular(subject),
                want: format!("to {}", rest(from)),
                so_that,
            };
        }
        if subject.ends_with('s') && verb(subject).is_none() && verb(&norm[i]).is_some() {
            from = i + 1;
            let base = stem_lookup(&norm[i]).unwrap_or(&norm[i]).to_owned();
            let want = format!("to {base} {}", rest(from));
            return Clause {
                actor: words::singular(subject),
                want: want.trim_end().to_owned(),
                so_that,
            };
        }
    }
    // A bare instruction (`filter by tag`) reads as something to do; anything else as something to have.
    let want = lowercase_first(body);
    let want = if norm.first().is_some_and(|w| verb(w).is_some()) {
        format!("to {want}")
    } else {
        want
    };
    Clause {
        actor: "user".to_owned(),
        want,
        so_that,
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

fn verb(token: &str) -> Option<Kind> {
    let base = stem_lookup(token)?;
    VERBS
        .iter()
        .find(|(_, verbs)| verbs.contains(&base))
        .map(|(kind, _)| *kind)
}

/// `tracks` → `track`, `searches` → `search`, if it is a verb we know.
fn stem_lookup(token: &str) -> Option<&str> {
    [Some(token), token.strip_suffix("es"), token.strip_suffix('s')]
        .into_iter()
        .flatten()
        .find(|candidate| VERBS.iter().any(|(_, verbs)| verbs.contains(candidate)))
}

fn kind_of(want: &str) -> Kind {
    words::tokens(want)
        .iter()
        .find_map(|token| verb(token))
        .unwrap_or(Kind::General)
}

/// Bigger clauses (more words, more verbs, more `and`s) are bigger stories, on the Fibonacci scale.
fn estimate(want: &str) -> u32 {
    let tokens = words::tokens(want);
    let verbs = tokens.iter().filter(|t| verb(t).is_some()).count();
    let joins = tokens.iter().filter(|t| *t == "and" || *t == "or" || *t == ",").count();
    let score = tokens.len() / 4 + verbs * 2 + joins;
    let bucket = match score {
        0..=1 => 0,
        2..=3 => 1,
        4..=5 => 2,
        6..=7 => 3,
        8..=10 => 4,
        _ => 5,
    };
    FIBONACCI[bucket]
}

/// Explicit words win (`must`, `should`, `could`/`optionally`…); otherwise the brief's order
/// is taken as its order of importance.
fn priority(text: &str, index: usize, count: usize) -> Priority {
    let tokens = words::tokens(text);
    let has = |words: &[&str]| tokens.iter().any(|t| words.contains(&t.as_str()));
    if index == 0 || has(&["must", "required", "essential"]) {
        Priority::Must
    } else if has(&[
        "could",
        "optionally",
        "optional",
        "maybe",
        "eventually",
        "later",
        "nice",
    ]) {
        Priority::Could
    } else if has(&["should"]) || index * 2 >= count {
        Priority::Should
    } else {
        Priority::Must
    }
}

/// Most important first, packed in order into sprints of at most 13 points.
fn sprints(stories: &[Story]) -> Vec<Sprint> {
    let rank = |p: Priority| match p {
        Priority::Must => 0,
        Priority::Should => 1,
        Priority::Could => 2,
    };
    let mut ordered: Vec<&Story> = stories.iter().collect();
    ordered.sort_by_key(|s| rank(s.priority));
    let mut groups: Vec<(u32, Vec<&Story>)> = Vec::new();
    for story in ordered {
        match groups.last_mut() {
            Some((points, members)) if *points + story.estimate_points <= SPRINT_POINTS => {
                *points += story.estimate_points;
                members.push(story);
            }
            _ => groups.push((story.estimate_points, vec![story])),
        }
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(i, (_, members))| {
            let titles: Vec<&str> = members.iter().map(|s| s.title.as_str()).collect();
            Sprint {
                number: i as u32 + 1,
                goal: words::plain(&format!("Deliver: {}", titles.join("; ")), 200),
                story_ids: members.iter().map(|s| s.id.clone()).collect(),
            }
        })
        .collect()
}
