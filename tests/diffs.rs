//! `GET /generations/{id}/diff`: every changed file once, in path order across pages, with a
//! stat that counts them, and unified diffs that turn the old file into the new one.

use std::collections::BTreeSet;

use forgeflow_tests::{TestApp, User, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::generations::{generated, wait_for_generation};

/// The project's generation again, with another template: most files differ.
async fn regenerated(app: &TestApp, user: &User, project: &str, first: &Value, template: &str) -> Value {
    let again = app
        .call(
            Method::POST,
            &format!("/projects/{project}/generations"),
            Some(&user.token),
            Some(json!({"execution_id": first["execution_id"], "template": template})),
        )
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.body);
    let second = wait_for_generation(app, user, again.body["id"].as_str().unwrap()).await;
    assert_eq!(second["status"], "ready", "{second}");
    second
}

fn paths(generation: &Value) -> BTreeSet<String> {
    generation["manifest"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_diff_pages_through_every_change_and_its_patches_rebuild_the_new_files() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (project, first) = generated(&app, &user, None).await;
    let second = regenerated(&app, &user, &project, &first, "python-fastapi").await;
    let (first_id, second_id) = (first["id"].as_str().unwrap(), second["id"].as_str().unwrap());

    let mut files: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    let stat = loop {
        let mut path = format!("/generations/{second_id}/diff?against={first_id}&limit=7");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = app.call(Method::GET, &path, Some(&user.token), None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(page.body["against"], first_id);
        assert!(page.body["files"].as_array().unwrap().len() <= 7);
        files.extend(page.body["files"].as_array().unwrap().iter().cloned());
        pages += 1;
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break page.body["stat"].clone(),
        }
    };
    assert!(pages > 1, "{} files fit one page", files.len());

    let listed: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(listed, sorted, "once each, in path order");
    assert_eq!(stat["files_changed"], files.len());

    let (old, new) = (paths(&first), paths(&second));
    let with = |status: &str| -> BTreeSet<String> {
        files
            .iter()
            .filter(|f| f["status"] == status)
            .map(|f| f["path"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(with("added"), new.difference(&old).cloned().collect());
    assert_eq!(with("deleted"), old.difference(&new).cloned().collect());
    assert_eq!(stat["added"], with("added").len());
    assert_eq!(stat["deleted"], with("deleted").len());
    let modified = with("modified");
    assert!(!modified.is_empty() && modified.is_subset(&old.intersection(&new).cloned().collect()));

    for path in &modified {
        let entry = files.iter().find(|f| f["path"] == path.as_str()).unwrap();
        let patch = diffy::Patch::from_str(entry["patch"].as_str().unwrap()).unwrap();
        let (before, after) = (
            app.generation_file(&user, first_id, path).await,
            app.generation_file(&user, second_id, path).await,
        );
        assert_eq!(diffy::apply(&before, &patch).unwrap(), after, "{path}");
        let added = entry["patch"]
            .as_str()
            .unwrap()
            .lines()
            .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
            .count();
        assert_eq!(entry["additions"], added, "{path}");
    }
    let one_added = files.iter().find(|f| f["status"] == "added").unwrap();
    assert!(
        one_added["patch"]
            .as_str()
            .unwrap()
            .starts_with("--- /dev/null\n+++ b/")
    );
}

#[tokio::test]
async fn a_diff_needs_a_base_of_the_same_project_and_of_the_same_owner() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (_, first) = generated(&app, &user, None).await;
    let (_, other_project) = generated(&app, &user, None).await;
    let first_id = first["id"].as_str().unwrap();

    let no_parent = app
        .call(
            Method::GET,
            &format!("/generations/{first_id}/diff"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(no_parent.status, StatusCode::BAD_REQUEST, "{}", no_parent.body);
    assert_eq!(no_parent.error_field(), "against");

    let foreign = app
        .call(
            Method::GET,
            &format!(
                "/generations/{first_id}/diff?against={}",
                other_project["id"].as_str().unwrap()
            ),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(foreign.status, StatusCode::BAD_REQUEST);
    assert_eq!(foreign.error_field(), "against");

    let stranger = app.register().await;
    let theirs = app
        .call(
            Method::GET,
            &format!("/generations/{first_id}/diff?against={first_id}"),
            Some(&stranger.token),
            None,
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);

    let itself = app
        .call(
            Method::GET,
            &format!("/generations/{first_id}/diff?against={first_id}"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(itself.status, StatusCode::OK);
    assert_eq!(itself.body["stat"]["files_changed"], 0);
    assert!(itself.body["next_cursor"].is_null());

    let bad_cursor = app
        .call(
            Method::GET,
            &format!("/generations/{first_id}/diff?against={first_id}&cursor=nope"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(bad_cursor.error_field(), "cursor");
}
