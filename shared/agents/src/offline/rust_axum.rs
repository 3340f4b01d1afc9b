//! File contents for the rust-axum template: axum 0.8 handlers over an in-memory store, and
//! integration tests that call the handlers directly (no extra test dependencies).

use super::engineer::{Project, fill};

const CARGO_TOML: &str = r#"[package]
name = "__package__"
version = "0.1.0"
edition = "2021"
description = "__summary__"

[dependencies]
axum = "0.8"
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", features = ["macros", "rt-multi-thread", "net"] }
"#;

const MAIN_RS: &str = r#"//! Starts the __title__ HTTP server (ADDRESS, default 127.0.0.1:3000).

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::var("ADDRESS").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!("listening on http://{address}");
    axum::serve(listener, __package__::app()).await
}
"#;

const ROUTE_RS: &str = r#"//! __Labels__: create, list, fetch, update and delete, kept in memory.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct __Entity__ {
    pub id: u64,
    pub name: String,
    pub notes: String,
__struct_fields__}

/// What a client sends to create or replace a __label__.
#[derive(Debug, Clone, Deserialize)]
pub struct __Entity__Input {
    pub name: String,
    #[serde(default)]
    pub notes: String,
__input_fields__}

#[derive(Debug, Default)]
struct __Entity__Table {
    last_id: u64,
    rows: Vec<__Entity__>,
}

/// Shared in-memory storage for __labels__; clones share the same data.
#[derive(Debug, Clone, Default)]
pub struct __Entity__Store {
    table: Arc<Mutex<__Entity__Table>>,
}

impl __Entity__Store {
    fn lock(&self) -> MutexGuard<'_, __Entity__Table> {
        // A handler that panicked left the rows consistent (every write is one statement).
        self.table.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub type ApiError = (StatusCode, String);

pub fn router() -> Router {
    Router::new()
        .route("/__entities__", get(list).post(create))
        .route("/__entities__/{id}", get(fetch).put(update).delete(remove))
        .with_state(__Entity__Store::default())
}

fn check(input: &__Entity__Input) -> Result<String, ApiError> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err((StatusCode::UNPROCESSABLE_ENTITY, "name must not be empty".to_owned()));
    }
    Ok(name.to_owned())
}

fn not_found(id: u64) -> ApiError {
    (StatusCode::NOT_FOUND, format!("__label__ {id} not found"))
}

pub async fn list(State(store): State<__Entity__Store>) -> Json<Vec<__Entity__>> {
    Json(store.lock().rows.clone())
}

pub async fn create(
    State(store): State<__Entity__Store>,
    Json(input): Json<__Entity__Input>,
) -> Result<(StatusCode, Json<__Entity__>), ApiError> {
    let name = check(&input)?;
    let mut table = store.lock();
    table.last_id += 1;
    let row = __Entity__ { id: table.last_id, name, notes: input.notes__field_moves__ };
    table.rows.push(row.clone());
    Ok((StatusCode::CREATED, Json(row)))
}

pub async fn fetch(State(store): State<__Entity__Store>, Path(id): Path<u64>) -> Result<Json<__Entity__>, ApiError> {
    let table = store.lock();
    table.rows.iter().find(|row| row.id == id).cloned().map(Json).ok_or_else(|| not_found(id))
}

pub async fn update(
    State(store): State<__Entity__Store>,
    Path(id): Path<u64>,
    Json(input): Json<__Entity__Input>,
) -> Result<Json<__Entity__>, ApiError> {
    let name = check(&input)?;
    let mut table = store.lock();
    let row = table.rows.iter_mut().find(|row| row.id == id).ok_or_else(|| not_found(id))?;
    row.name = name;
    row.notes = input.notes;
__field_updates__    Ok(Json(row.clone()))
}

pub async fn remove(State(store): State<__Entity__Store>, Path(id): Path<u64>) -> Result<StatusCode, ApiError> {
    let mut table = store.lock();
    let before = table.rows.len();
    table.rows.retain(|row| row.id != id);
    if table.rows.len() == before {
        return Err(not_found(id));
    }
    Ok(StatusCode::NO_CONTENT)
}
"#;

const TEST_RS: &str = r#"//! __Labels__ handlers. Covers: __covers__.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use __package__::routes::__entity__::{self, __Entity__Input, __Entity__Store};

fn input(name: &str) -> Json<__Entity__Input> {
    Json(__Entity__Input { name: name.to_owned(), notes: String::new()__field_defaults__ })
}

#[tokio::test]
async fn a_created___entity___is_listed_and_fetched() {
    let store = __Entity__Store::default();
    let (status, Json(created)) = __entity__::create(State(store.clone()), input("First")).await.expect("created");
    assert_eq!(status, StatusCode::CREATED);
    let Json(all) = __entity__::list(State(store.clone())).await;
    assert_eq!(all, vec![created.clone()]);
    let Json(fetched) = __entity__::fetch(State(store), Path(created.id)).await.expect("found");
    assert_eq!(fetched, created);
}

#[tokio::test]
async fn a___entity___without_a_name_is_refused() {
    let error = __entity__::create(State(__Entity__Store::default()), input("  ")).await.expect_err("refused");
    assert_eq!(error.0, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a___entity___can_be_updated_and_removed() {
    let store = __Entity__Store::default();
    let (_, Json(created)) = __entity__::create(State(store.clone()), input("Draft")).await.expect("created");
    let Json(updated) =
        __entity__::update(State(store.clone()), Path(created.id), input("Final")).await.expect("updated");
    assert_eq!(updated.name, "Final");
    let removed = __entity__::remove(State(store.clone()), Path(created.id)).await;
    assert_eq!(removed, Ok(StatusCode::NO_CONTENT));
    let Json(all) = __entity__::list(State(store)).await;
    assert!(all.is_empty());
}

#[tokio::test]
async fn a_missing___entity___is_not_found() {
    let error = __entity__::fetch(State(__Entity__Store::default()), Path(42)).await.expect_err("missing");
    assert_eq!(error.0, StatusCode::NOT_FOUND);
}
"#;

/// The contents of `path`, or `None` when the template has no recipe for it.
pub(super) fn content(project: &Project, path: &str) -> Option<String> {
    let common = |text: &str| {
        text.replace("__package__", &project.package)
            .replace("__title__", &project.title)
            .replace(
                "__summary__",
                if project.summary.is_empty() {
                    &project.title
                } else {
                    &project.summary
                },
            )
    };
    let text = match path {
        "Cargo.toml" => common(CARGO_TOML),
        "src/main.rs" => common(MAIN_RS),
        "src/lib.rs" => lib_rs(project),
        "src/routes/mod.rs" => {
            let mut text = "//! One module per resource.\n\n".to_owned();
            for e in &project.entities {
                text.push_str(&format!("pub mod {};\n", e.snake));
            }
            text
        }
        _ => {
            let entity = |prefix: &str, suffix: &str| {
                let name = path.strip_prefix(prefix)?.strip_suffix(suffix)?;
                project.entities.iter().find(|e| e.snake == name)
            };
            if let Some(e) = entity("src/routes/", ".rs") {
                fill(ROUTE_RS, e)
            } else if let Some(e) = entity("tests/", "_api.rs") {
                common(&fill(TEST_RS, e)).replace("__covers__", &project.covers(e))
            } else {
                return None;
            }
        }
    };
    Some(text)
}

fn lib_rs(project: &Project) -> String {
    let mut text = format!("//! {}", project.title);
    if !project.summary.is_empty() {
        text.push_str(&format!(": {}", project.summary));
    }
    text.push_str(
        "\n\npub mod routes;\n\nuse axum::Router;\nuse axum::routing::get;\n\n\
         /// The whole HTTP API: every resource's routes and a health check.\npub fn app() -> Router {\n    \
         Router::new()\n        .route(\"/health\", get(health))",
    );
    for e in &project.entities {
        text.push_str(&format!("\n        .merge(routes::{}::router())", e.snake));
    }
    text.push_str("\n}\n\nasync fn health() -> &'static str {\n    \"ok\"\n}\n");
    text
}
