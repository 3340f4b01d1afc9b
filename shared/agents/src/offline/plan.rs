//! The product manager: one user story per clause of the brief, sprints of about 13 points.

use forgeflow_domain::agent::{PlanOutput, Priority, Sprint, Story};

use super::Context;
use super::words::{self, Entity};

const MAX_STORIES: usize = 12;
const SPRINT_POINTS: u32 = 13;
const FIBONACCI: [u32; 6] = [1, 2, 3, 5, 8, 13];

/// What kind of work a clause asks for, read from its first recognised verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Create,
    View,
    Change,
    Remove,
    Search,
    Transact,
    Notify,
    Access,
    Export,
    General,
}

const VERBS: &[(&str, Kind)] = &[
    ("add", Kind::Create),
    ("create", Kind::Create),
    ("write", Kind::Create),
    ("post", Kind::Create),
    ("record", Kind::Create),
    ("upload", Kind::Create),
    ("import", Kind::Create),
    ("submit", Kind::Create),
    ("save", Kind::Create),
    ("store", Kind::Create),
    ("log", Kind::Create),
    ("make", Kind::Create),
    ("see", Kind::View),
    ("view", Kind::View),
    ("list", Kind::View),
    ("browse", Kind::View),
    ("show", Kind::View),
    ("display", Kind::View),
    ("read", Kind::View),
    ("track", Kind::View),
    ("monitor", Kind::View),
    ("check", Kind::View),
    ("open", Kind::View),
    ("edit", Kind::Change),
    ("update", Kind::Change),
    ("change", Kind::Change),
    ("rename", Kind::Change),
    ("mark", Kind::Change),
    ("complete", Kind::Change),
    ("approve", Kind::Change),
    ("reject", Kind::Change),
    ("assign", Kind::Change),
    ("return", Kind::Change),
    ("renew", Kind::Change),
    ("move", Kind::Change),
    ("rate", Kind::Change),
    ("delete", Kind::Remove),
    ("remove", Kind::Remove),
    ("archive", Kind::Remove),
    ("cancel", Kind::Remove),
    ("search", Kind::Search),
    ("find", Kind::Search),
    ("filter", Kind::Search),
    ("sort", Kind::Search),
    ("tag", Kind::Search),
    ("borrow", Kind::Transact),
    ("reserve", Kind::Transact),
    ("book", Kind::Transact),
    ("order", Kind::Transact),
    ("buy", Kind::Transact),
    ("pay", Kind::Transact),
    ("rent", Kind::Transact),
    ("notify", Kind::Notify),
    ("remind", Kind::Notify),
    ("alert", Kind::Notify),
    ("send", Kind::Notify),
    ("email", Kind::Notify),
    ("sign", Kind::Access),
    ("login", Kind::Access),
    ("register", Kind::Access),
    ("authenticate", Kind::Access),
    ("export", Kind::Export),
    ("download", Kind::Export),
    ("print", Kind::Export),
    ("share", Kind::Export),
    ("publish", Kind::Export),
];

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
    let title: String = capitalize_first(&goal.split_whitespace().take(8).collect::<Vec<_>>().join(" "));
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

fn capitalize_first(text: &str) -> String {
    words::capitalize(text.trim())
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
    Clause {
        actor: "user".to_owned(),
        want: lowercase_first(body),
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
    VERBS.iter().find(|(v, _)| *v == base).map(|(_, kind)| *kind)
}

/// `tracks` → `track`, `searches` → `search`, if it is a verb we know.
fn stem_lookup(token: &str) -> Option<&str> {
    [Some(token), token.strip_suffix("es"), token.strip_suffix('s')]
        .into_iter()
        .flatten()
        .find(|candidate| VERBS.iter().any(|(v, _)| v == candidate))
}

fn kind_of(want: &str) -> Kind {
    words::tokens(want)
        .iter()
        .find_map(|token| verb(token))
        .unwrap_or(Kind::General)
}

fn benefit(kind: Kind, labels: &str) -> String {
    match kind {
        Kind::Create => format!("the {labels} are recorded in one place"),
        Kind::View => format!("I can see the state of the {labels} at a glance"),
        Kind::Change => format!("the {labels} stay accurate"),
        Kind::Remove => format!("outdated {labels} do not clutter the list"),
        Kind::Search => format!("I can find the {labels} I need quickly"),
        Kind::Transact => format!("I get the {labels} I need without paperwork"),
        Kind::Notify => format!("I do not miss what matters about my {labels}"),
        Kind::Access => format!("only the right people can reach the {labels}"),
        Kind::Export => format!("I can use the {labels} in other tools"),
        Kind::General => "the project does what its brief promises".to_owned(),
    }
}

fn criteria(kind: Kind, actor: &str, e: &str, es: &str, goal: &str) -> Vec<String> {
    let lines: Vec<String> = match kind {
        Kind::Create => vec![
            format!("Given valid details, when the {actor} adds a {e}, then it is saved and shown with its new id"),
            format!(
                "Given a {e} without a name, when it is submitted, then it is refused with a message naming the field"
            ),
            format!("A new {e} appears in the list of {es} straight away"),
        ],
        Kind::View => vec![
            format!(
                "Given several {es}, when the {actor} opens the list, then all of them are shown in a stable order"
            ),
            format!("Given no {es} yet, when the {actor} opens the list, then an empty state is shown, not an error"),
            format!("Asking for a {e} that does not exist gives a clear not-found message"),
        ],
        Kind::Change => vec![
            format!(
                "Given an existing {e}, when the {actor} changes it, then the change is saved and visible on reload"
            ),
            format!("Changing a {e} that does not exist is refused as not found"),
            format!("An invalid change is refused and leaves the {e} as it was"),
        ],
        Kind::Remove => vec![
            format!("Given an existing {e}, when the {actor} removes it, then it no longer appears in the list"),
            format!("Removing a {e} that does not exist is refused as not found"),
        ],
        Kind::Search => vec![
            format!(
                "Given {es} that match and some that do not, when the {actor} filters, then only the matching ones are shown"
            ),
            "A filter that matches nothing shows an empty result, not an error".to_owned(),
        ],
        Kind::Transact => vec![
            format!(
                "Given an available {e}, when the {actor} asks to {goal}, then the request is recorded against the {actor}"
            ),
            format!("Asking for a {e} that is not available is refused with the reason"),
            format!("The {actor} can see the {es} they currently hold"),
        ],
        Kind::Notify => vec![
            format!("When the event happens, the {actor} is notified within a minute"),
            format!("The notification names the {e} it is about"),
            format!("The {actor} can turn these notifications off"),
        ],
        Kind::Access => vec![
            format!("Given a registered {actor}, when they sign in with the right password, then they are signed in"),
            "A wrong password is refused without saying whether the account exists".to_owned(),
            format!("Signed-out visitors cannot reach the {es}"),
        ],
        Kind::Export => vec![
            format!("When the {actor} exports the {es}, then a file with every {e} is produced"),
            format!("Exporting with no {es} gives an empty file with headers, not an error"),
        ],
        Kind::General => vec![
            format!("The {actor} can {goal} from the main screen"),
            format!("The {es} involved are saved and still there after a restart"),
            "Errors are shown as a clear message, never as a blank screen".to_owned(),
        ],
    };
    lines
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
