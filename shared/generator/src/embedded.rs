//! The template sets compiled into the crate (see `build.rs`): `templates/<set>/…`, each file a
//! minijinja template ending in `.j2`, plus an optional `template.json` that describes the set.

use serde::Deserialize;

use crate::error::GenerateError;

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// Rendered into every project, whatever its template.
pub(crate) const DOCS: &str = "_docs";
const META: &str = "template.json";

/// `template.json`: what the file tree alone cannot say.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Meta {
    #[serde(default)]
    #[allow(dead_code)] // read by people and by tests
    pub description: String,
    /// Output paths written with mode 100755.
    #[serde(default)]
    pub executable: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct TemplateSet {
    pub name: &'static str,
    /// `(path inside the set, source)`, sorted by path.
    pub files: Vec<(&'static str, &'static str)>,
    pub meta: Meta,
}

/// The set called `name` (a template's kebab-case name, or [`DOCS`]).
pub(crate) fn template_set(name: &'static str) -> Result<TemplateSet, GenerateError> {
    let prefix = format!("{name}/");
    let mut meta = Meta::default();
    let mut files = Vec::new();
    for (path, source) in FILES {
        let Some(inner) = path.strip_prefix(prefix.as_str()) else {
            continue;
        };
        if inner == META {
            meta = serde_json::from_str(source).map_err(|err| GenerateError::Template {
                template: name.to_owned(),
                path: META.to_owned(),
                reason: err.to_string(),
            })?;
        } else {
            files.push((inner, *source));
        }
    }
    if files.is_empty() {
        return Err(GenerateError::Template {
            template: name.to_owned(),
            path: String::new(),
            reason: "no such template is built in".to_owned(),
        });
    }
    Ok(TemplateSet { name, files, meta })
}
