//! Just enough English for the offline provider: clauses of a brief, the nouns that look like
//! the things the project manages (its entities), and safe identifiers for them. Deliberately
//! simple and deterministic: the same brief always yields the same names.

use super::lexicon::{ATTRIBUTES, DETERMINERS, GENERIC, IRREGULAR, PREPOSITIONS, RESERVED, STOPWORDS, TRIGGERS};

const MAX_ENTITIES: usize = 4;

/// A thing the project manages, with every spelling the generated code needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entity {
    /// `book_loan`: modules, functions, file names.
    pub snake: String,
    /// `BookLoan`: types and components.
    pub pascal: String,
    /// `book_loans`: routes and collections.
    pub plural: String,
    /// `book loan` / `book loans`: prose.
    pub label: String,
    pub labels: String,
    /// Text fields beyond `name` and `notes`, added by change requests (`isbn`).
    pub fields: Vec<String>,
}

impl Entity {
    /// From an identifier such as `book_loan`; `None` if it is not one.
    pub(crate) fn from_snake(snake: &str) -> Option<Self> {
        let valid = snake.starts_with(|c: char| c.is_ascii_lowercase())
            && snake
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !snake.contains("__")
            && !snake.ends_with('_');
        if !valid || RESERVED.contains(&snake) {
            return None;
        }
        let words: Vec<&str> = snake.split('_').collect();
        let (last, head) = words.split_last()?;
        let plural_last = plural(last);
        let plural_words: Vec<&str> = head.iter().copied().chain([plural_last.as_str()]).collect();
        Some(Entity {
            snake: snake.to_owned(),
            pascal: words.iter().map(|w| capitalize(w)).collect(),
            plural: plural_words.join("_"),
            label: words.join(" "),
            labels: plural_words.join(" "),
            fields: Vec::new(),
        })
    }

    /// The same thing under another name, keeping its fields.
    pub(crate) fn renamed(&self, snake: &str) -> Option<Self> {
        Self::from_snake(snake).map(|renamed| Entity {
            fields: self.fields.clone(),
            ..renamed
        })
    }

    /// From a component name such as `BookLoan`.
    pub(crate) fn from_pascal(pascal: &str) -> Option<Self> {
        let mut snake = String::new();
        for (i, c) in pascal.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        }
        Self::from_snake(&snake).filter(|entity| entity.pascal == pascal)
    }

    /// From any word: lowercased, ASCII letters and digits only, keywords suffixed.
    pub(crate) fn from_word(word: &str) -> Option<Self> {
        let clean: String = word
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let clean = clean.trim_start_matches(|c: char| c.is_ascii_digit());
        if clean.len() < 3 {
            return None;
        }
        Self::from_snake(clean).or_else(|| Self::from_snake(&format!("{clean}_item")))
    }
}

pub(crate) fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

pub(crate) fn singular(word: &str) -> String {
    if let Some((_, one)) = IRREGULAR.iter().find(|(many, _)| *many == word) {
        return (*one).to_owned();
    }
    if word.len() <= 3 || ["ss", "us", "is"].iter().any(|end| word.ends_with(end)) {
        return word.to_owned();
    }
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for end in ["sses", "shes", "ches", "xes", "zes"] {
        if word.ends_with(end) {
            return word[..word.len() - 2].to_owned();
        }
    }
    word.strip_suffix('s').unwrap_or(word).to_owned()
}

pub(crate) fn plural(word: &str) -> String {
    if let Some((many, _)) = IRREGULAR.iter().find(|(_, one)| *one == word) {
        return (*many).to_owned();
    }
    let vowel_before_y = word.len() > 1 && word[..word.len() - 1].ends_with(['a', 'e', 'i', 'o', 'u']);
    if let Some(stem) = word.strip_suffix('y').filter(|_| !vowel_before_y) {
        return format!("{stem}ies");
    }
    if ["s", "x", "z", "ch", "sh"].iter().any(|end| word.ends_with(end)) {
        return format!("{word}es");
    }
    format!("{word}s")
}

/// Lowercased words with punctuation kept as `,` break tokens; `user's` becomes `user`,
/// `to-do` becomes `todo`.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
            continue;
        }
        let inside_word = !word.is_empty() && chars.peek().is_some_and(|next| next.is_alphanumeric());
        if c == '-' && inside_word {
            continue;
        }
        if matches!(c, '\'' | '’') && inside_word {
            while chars.peek().is_some_and(|next| next.is_alphanumeric()) {
                chars.next();
            }
            continue;
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if !c.is_whitespace() {
            out.push(",".to_owned());
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The brief's clauses: sentences, list items, and `;` or `, and` / `, but` parts.
pub(crate) fn clauses(brief: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let chars: Vec<char> = brief.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let ends_sentence = matches!(c, '.' | '!' | '?') && next.is_none_or(char::is_whitespace);
        if ends_sentence || matches!(c, ';' | '\n' | '•') {
            parts.push(String::new());
        } else if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    let mut out = parts;
    for joiner in [", and then ", ", and ", ", but ", ", while ", ", then "] {
        out = out.iter().flat_map(|part| split_ascii_ci(part, joiner)).collect();
    }
    out.into_iter()
        .map(|clause| clause.trim().trim_start_matches(['-', '*', '+', ' ']).trim().to_owned())
        .filter(|clause| clause.split_whitespace().count() >= 2)
        .collect()
}

/// Splits on an ASCII `joiner` whatever its case (ASCII lowercasing keeps byte offsets).
fn split_ascii_ci(text: &str, joiner: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut pieces = Vec::new();
    let mut start = 0;
    while let Some(at) = lower[start..].find(joiner) {
        pieces.push(text[start..start + at].to_owned());
        start += at + joiner.len();
    }
    pieces.push(text[start..].to_owned());
    pieces
}

/// The things `text` talks about, most mentioned first (then first mentioned), at most four.
pub(crate) fn entities(text: &str) -> Vec<Entity> {
    let tokens = tokens(text);
    let mut found: Vec<(String, usize, usize)> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let after_determiner = i > 0 && DETERMINERS.contains(&tokens[i - 1].as_str());
        if !TRIGGERS.contains(&token.as_str()) || (after_determiner && !DETERMINERS.contains(&token.as_str())) {
            continue;
        }
        // A phrase runs until punctuation, a stopword or the next verb; its first word may be
        // a verb-looking noun (`an order`).
        let ends = |t: &String| t == "," || STOPWORDS.contains(&t.as_str());
        let phrase: Vec<&String> = tokens[i + 1..]
            .iter()
            .enumerate()
            .take_while(|(at, t)| !ends(t) && (*at == 0 || !TRIGGERS.contains(&t.as_str())))
            .map(|(_, t)| t)
            .take(3)
            .collect();
        let Some(head) = phrase.last().map(|w| singular(w)) else {
            continue;
        };
        if GENERIC.contains(&head.as_str()) || ATTRIBUTES.contains(&head.as_str()) {
            continue;
        }
        let weight = if PREPOSITIONS.contains(&token.as_str()) { 1 } else { 2 };
        match found.iter_mut().find(|(word, _, _)| *word == head) {
            Some(entry) => entry.1 += weight,
            None => found.push((head, weight, i)),
        }
    }
    found.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    // Keep the nouns seen after a verb or an article (or twice); the best one if none was.
    let keep = found.iter().filter(|(_, score, _)| *score >= 2).count().max(1);
    found.truncate(keep);
    let mut entities: Vec<Entity> = Vec::new();
    for (word, _, _) in found {
        if let Some(entity) = Entity::from_word(&word).filter(|e| !entities.contains(e)) {
            entities.push(entity);
        }
        if entities.len() == MAX_ENTITIES {
            break;
        }
    }
    entities
}

pub(crate) fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word)
}

/// Whether `text` mentions the entity (singular or plural, whole words).
pub(crate) fn mentions(text: &str, entity: &Entity) -> bool {
    let tokens = tokens(text);
    let words: Vec<&str> = entity.label.split(' ').collect();
    let last = words.len() - 1;
    tokens.windows(words.len()).any(|window| {
        window.iter().zip(&words).enumerate().all(|(i, (token, word))| {
            let token = token.as_str();
            token == *word || (i == last && singular(token) == *word)
        })
    })
}

/// A string safe inside Rust/Python/TS comments and string literals, and JSX text.
pub(crate) fn plain(text: &str, max_chars: usize) -> String {
    let kept: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " -_.,;:!?()&'%+/".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    let words = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = words.chars().take(max_chars).collect();
    cut.replace("*/", "* /").replace("'", "’")
}

/// A package/crate name: `Book Loans!` → `book_loans`.
pub(crate) fn package_name(project: &str) -> String {
    let words: Vec<String> = tokens(project)
        .into_iter()
        .filter(|t| t != ",")
        .map(|t| t.chars().filter(char::is_ascii_alphanumeric).collect::<String>())
        .filter(|t| !t.is_empty())
        .collect();
    let name = words.join("_");
    match name.chars().next() {
        None => "generated_app".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("app_{name}"),
        Some(_) if RESERVED.contains(&name.as_str()) => format!("{name}_app"),
        Some(_) => name,
    }
}
