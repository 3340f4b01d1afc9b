//! Rendering a template set with minijinja: each `x.j2` becomes `x`, its path rendered too when
//! it holds `{{ … }}`. A file that renders to nothing but whitespace is left out, which is how a
//! template writes a file only sometimes (`docs/review.md` when there was a review).

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

use crate::context::Context;
use crate::embedded::TemplateSet;
use crate::error::GenerateError;
use crate::text;
use forgeflow_domain::manifest::{FileMode, GeneratedFile, Source};
use forgeflow_domain::path::safe_path;

const SUFFIX: &str = ".j2";

/// Renders every file of `set`, sorted by output path.
pub(crate) fn render(
    set: &TemplateSet,
    source: Source,
    context: &Context,
) -> Result<Vec<GeneratedFile>, GenerateError> {
    let fail = |path: &str, reason: String| GenerateError::Template {
        template: set.name.to_owned(),
        path: path.to_owned(),
        reason,
    };
    let env = environment().map_err(|err| fail("", err.to_string()))?;
    let values = Value::from(Serde(context));
    let mut files = Vec::with_capacity(set.files.len());
    for (inner, template) in &set.files {
        let Some(name) = inner.strip_suffix(SUFFIX) else {
            return Err(fail(inner, format!("template files end in `{SUFFIX}`")));
        };
        let rendered_path = if name.contains("{{") {
            env.render_str(name, values.clone())
                .map_err(|err| fail(inner, describe(&err)))?
        } else {
            name.to_owned()
        };
        let content = env
            .template_from_named_str(name, template)
            .and_then(|t| t.render(values.clone()))
            .map_err(|err| fail(inner, describe(&err)))?;
        if content.trim().is_empty() || rendered_path.is_empty() {
            continue;
        }
        // Loops leave blank lines at the end of a file; every text file ends in exactly one newline.
        let content = format!("{}\n", content.trim_end());
        let path = safe_path(&rendered_path).map_err(|err| fail(inner, err.to_string()))?;
        let mode = if set.meta.executable.contains(&path) {
            FileMode::Executable
        } else {
            FileMode::Regular
        };
        files.push(GeneratedFile {
            path,
            content: content.into_bytes(),
            mode,
            source,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(pair) = files.windows(2).find(|pair| pair[0].path == pair[1].path) {
        return Err(fail(&pair[0].path, "two template files render to this path".to_owned()));
    }
    for executable in &set.meta.executable {
        if !files.iter().any(|f| &f.path == executable) {
            return Err(fail(
                executable,
                "marked executable in template.json but not written".to_owned(),
            ));
        }
    }
    Ok(files)
}

fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    // Block tags on their own lines leave no blank lines behind; files keep their last newline.
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    // A typo in a template is an error, not an empty string in a generated file.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // HTML is escaped by default; every other language says how with an explicit filter.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.add_filter("line", |s: &str| text::line(s));
    env.add_filter("quote", |s: &str| text::quote(s));
    env.add_filter("cell", |s: &str| text::cell(s));
    env.add_filter("code", |s: &str| text::code(s));
    Ok(env)
}

/// minijinja's message with the line it points at.
fn describe(err: &minijinja::Error) -> String {
    match err.line() {
        Some(line) => format!("{err} (line {line})"),
        None => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use forgeflow_domain::project::Template;

    use super::*;
    use crate::embedded::Meta;
    use crate::tests::input;

    fn set(files: Vec<(&'static str, &'static str)>, executable: &[&str]) -> TemplateSet {
        TemplateSet {
            name: "test",
            files,
            meta: Meta {
                description: String::new(),
                executable: executable.iter().map(|p| (*p).to_owned()).collect(),
            },
        }
    }

    fn context() -> Context {
        Context::new(&input(Template::RustAxum, "Book \"Loans\"\nPro"), None)
    }

    #[test]
    fn paths_and_contents_are_templated_and_empty_files_are_left_out() {
        let files = set(
            vec![
                ("src/{{ package }}/mod.rs.j2", "// {{ title }}\n"),
                ("empty.txt.j2", "{% if review %}never{% endif %}\n"),
                ("scripts/run.sh.j2", "#!/bin/sh\necho {{ title|quote }}\n"),
                ("index.html.j2", "<title>{{ title }}</title>\n"),
            ],
            &["scripts/run.sh"],
        );
        let rendered = render(&files, Source::Template, &context()).unwrap();
        let paths: Vec<&str> = rendered.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["index.html", "scripts/run.sh", "src/book_loans_pro/mod.rs"]);
        let text = |i: usize| String::from_utf8(rendered[i].content.clone()).unwrap();
        assert_eq!(text(0), "<title>Book &quot;Loans&quot; Pro</title>\n");
        assert_eq!(text(1), "#!/bin/sh\necho \"Book \\\"Loans\\\" Pro\"\n");
        assert_eq!(text(2), "// Book \"Loans\" Pro\n");
        assert_eq!(rendered[1].mode, FileMode::Executable);
        assert_eq!(rendered[2].mode, FileMode::Regular);
    }

    #[test]
    fn template_mistakes_are_errors_that_name_the_file() {
        let cases = [
            (set(vec![("a.txt.j2", "{{ no_such_value }}")], &[]), "a.txt.j2"),
            (set(vec![("a.txt.j2", "{% if %}")], &[]), "a.txt.j2"),
            (set(vec![("a.txt", "x")], &[]), "a.txt"),
            (set(vec![("../a.txt.j2", "x")], &[]), "../a.txt.j2"),
            (set(vec![("a.txt.j2", "x")], &["run.sh"]), "run.sh"),
        ];
        for (files, path) in cases {
            match render(&files, Source::Template, &context()) {
                Err(GenerateError::Template { path: named, .. }) => assert_eq!(named, path),
                other => panic!("{path}: {other:?}"),
            }
        }
    }
}
