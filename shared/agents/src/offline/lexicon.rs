//! The offline provider's vocabulary: small word lists that drive its English heuristics.
//! Data only; the rules that use them live in `words` and `plan`.

/// Prepositions among the triggers: a noun only ever seen after one (`filter by tag`) is more
/// likely a field than a thing of its own.
pub(super) const PREPOSITIONS: &[&str] = &["of", "for", "with", "by", "about", "from", "into", "per", "between"];

/// Words after which a trigger verb is a noun (`their order`, `a review`).
pub(super) const DETERMINERS: &[&str] = &[
    "a", "an", "the", "their", "his", "her", "its", "our", "my", "your", "each", "every",
];

/// Words that start a noun phrase after them: articles, quantifiers, prepositions, verbs.
#[rustfmt::skip]
pub(super) const TRIGGERS: &[&str] = &[
    "a", "an", "the", "each", "every", "their", "his", "her", "its", "our", "my", "your", "some", "any", "all", "many",
    "multiple", "several", "new", "of", "for", "with", "by", "about", "from", "into", "per", "between", "add", "create",
    "edit", "update", "delete", "remove", "list", "see", "view", "browse", "show", "track", "manage", "borrow",
    "reserve", "assign", "share", "upload", "import", "export", "record", "store", "save", "organize", "organise",
    "schedule", "invite", "rate", "review", "search", "find", "filter", "sort", "order", "buy", "sell", "publish",
    "submit", "approve", "archive", "return", "renew", "log", "monitor", "follow", "plan", "write", "read", "post",
    "keeps", "keep", "tracks", "manages", "lists", "stores", "records", "shows", "adds", "creates",
];

/// Words that end a noun phrase and are never entities.
#[rustfmt::skip]
pub(super) const STOPWORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "nor", "so", "that", "which", "who", "whom", "whose", "where", "when",
    "while", "to", "of", "for", "with", "by", "about", "from", "into", "per", "in", "on", "at", "as", "is", "are",
    "was", "were", "be", "been", "it", "its", "they", "them", "their", "he", "she", "we", "us", "our", "i", "me", "my",
    "you", "your", "this", "these", "those", "can", "could", "should", "must", "may", "might", "will", "would",
    "shall", "not", "no", "also", "then", "than", "too", "very", "only", "just", "each", "every", "all", "any", "some",
    "many", "more", "most", "other", "own", "same", "such", "if", "else", "want", "wants", "need", "needs", "like",
    "let", "lets", "has", "have", "had", "do", "does", "did", "get", "gets", "able", "via", "without", "within",
    "there", "here", "when", "ships", "arrives", "expires", "happens", "starts", "ends", "fails", "finishes",
    "becomes",
];

/// Nouns too generic to be an entity of their own.
#[rustfmt::skip]
pub(super) const GENERIC: &[&str] = &[
    "app", "application", "service", "system", "platform", "tool", "website", "site", "web", "api", "backend",
    "frontend", "page", "thing", "way", "day", "week", "month", "year", "list", "data", "information", "info",
    "people", "person", "someone", "everyone", "anyone", "project", "feature", "screen", "interface", "overview",
    "lot", "kind", "small", "simple", "basic", "shop", "portal", "dashboard", "marketplace", "tracker", "manager",
];

/// Nouns that are fields of an entity rather than entities.
#[rustfmt::skip]
pub(super) const ATTRIBUTES: &[&str] = &[
    "date", "time", "name", "title", "description", "status", "email", "password", "id", "number", "amount", "count",
    "deadline", "priority", "type", "detail", "field", "value", "due", "text", "label", "color", "colour", "size",
];

/// Keywords of Rust, Python and TypeScript, and names the generated code already uses.
#[rustfmt::skip]
pub(super) const RESERVED: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "static",
    "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do",
    "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen", "and", "assert",
    "class", "def", "del", "elif", "except", "finally", "from", "global", "import", "is", "lambda", "nonlocal", "not",
    "or", "pass", "raise", "with", "none", "case", "catch", "default", "delete", "export", "extends", "function",
    "instanceof", "new", "null", "switch", "this", "throw", "var", "void", "interface", "package", "private",
    "protected", "public", "implements", "app", "main", "lib", "routes", "routers", "models", "store", "state", "test",
    "tests", "health", "router", "index", "input", "create", "fetch", "update", "remove", "validate", "path", "json",
    "core", "std",
];

#[rustfmt::skip]
pub(super) const IRREGULAR: &[(&str, &str)] = &[
    ("people", "person"), ("children", "child"), ("men", "man"), ("women", "woman"), ("mice", "mouse"),
    ("movies", "movie"), ("cookies", "cookie"), ("series", "series"), ("news", "news"), ("analyses", "analysis"),
    ("indices", "index"),
];

/// What kind of work a clause asks for, read from its first recognised verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
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

/// Verbs (base forms) by the kind of work they ask for.
#[rustfmt::skip]
pub(super) const VERBS: &[(Kind, &[&str])] = &[
    (Kind::Create, &["add", "create", "write", "post", "record", "upload", "import", "submit", "save", "store", "log", "make"]),
    (Kind::View, &["see", "view", "list", "browse", "show", "display", "read", "track", "monitor", "check", "open"]),
    (Kind::Change, &["manage", "edit", "update", "change", "rename", "mark", "complete", "approve", "reject", "assign", "return",
                     "renew", "move", "rate"]),
    (Kind::Remove, &["delete", "remove", "archive", "cancel"]),
    (Kind::Search, &["search", "find", "filter", "sort", "tag"]),
    (Kind::Transact, &["borrow", "reserve", "book", "order", "buy", "pay", "rent"]),
    (Kind::Notify, &["notify", "remind", "alert", "send", "email"]),
    (Kind::Access, &["sign", "login", "register", "authenticate"]),
    (Kind::Export, &["export", "download", "print", "share", "publish"]),
];
