use aws_sdk_dynamodb::types::AttributeValue;
use forgeflow_tests::spawn_app;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn a_created_project_can_be_read_back_and_is_in_dynamodb() {
    let app = spawn_app().await;
    let user = app.register().await;
    let response = app
        .call(
            Method::POST,
            "/projects",
            Some(&user.token),
            Some(json!({"name": "Library", "brief": "Track book loans.", "template": "python-fastapi", "settings": {"auto_export": true}})),
        )
        .await;
    assert_eq!(response.status, StatusCode::CREATED);
    let project = response.body;
    assert_eq!(project["owner"], user.id.as_str());
    assert_eq!(project["version"], 1);
    assert_eq!(project["template"], "python-fastapi");
    assert_eq!(project["settings"]["auto_export"], true);

    let id = project["id"].as_str().unwrap();
    let read = app
        .call(Method::GET, &format!("/projects/{id}"), Some(&user.token), None)
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body, project);

    let item = app
        .context
        .clients
        .dynamo
        .get_item()
        .table_name(&app.stack.table)
        .key("pk", AttributeValue::S(format!("USER#{}", user.id)))
        .key("sk", AttributeValue::S(format!("PROJECT#{id}")))
        .send()
        .await
        .unwrap()
        .item
        .expect("the project row is in DynamoDB");
    assert_eq!(item["name"].as_s().unwrap(), "Library");
    assert_eq!(item["version"].as_n().unwrap(), "1");
}

#[tokio::test]
async fn listing_pages_through_every_project_newest_first_without_repeats() {
    let app = spawn_app().await;
    let user = app.register().await;
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(
            app.create_project(&user, &format!("p{n}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = cursor.as_ref().map_or(String::new(), |c| format!("&cursor={c}"));
        let page = app
            .call(
                Method::GET,
                &format!("/projects?limit=2{query}"),
                Some(&user.token),
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        pages += 1;
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    created.reverse();
    assert_eq!(seen, created, "newest first, each exactly once");
}

/// A dashboard's one request: each listed project carries its newest run with what it spent.
#[tokio::test]
async fn the_list_carries_each_projects_newest_run() {
    let app = spawn_app().await;
    let user = app.register().await;
    let idle = app.create_project(&user, "Idle").await;
    let busy = app.create_project(&user, "Busy").await;
    let busy_id = busy["id"].as_str().unwrap();
    let first = app.start_execution(&user, busy_id, None).await;
    app.wait_for_execution(&user, &first).await;
    let second = app.start_execution(&user, busy_id, None).await;
    let done = app.wait_for_execution(&user, &second).await;
    let listed = app.call(Method::GET, "/projects", Some(&user.token), None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let item = |id: &Value| {
        listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| &p["id"] == id)
            .cloned()
            .unwrap()
    };
    assert!(item(&idle["id"])["last_run"].is_null());
    let last = item(&busy["id"])["last_run"].clone();
    assert_eq!(last["id"], second.as_str(), "the newest run: {last}");
    assert_eq!(last["status"], done["status"]);
    assert_eq!(last["spent"], done["spent"]);
    assert_eq!(last["workflow"]["id"], "full-project");
    assert_eq!(item(&busy["id"])["name"], "Busy", "the project's own fields stay");
}

#[tokio::test]
async fn an_update_bumps_the_version_and_a_stale_one_is_a_409() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = app.create_project(&user, "Library").await;
    let path = format!("/projects/{}", project["id"].as_str().unwrap());

    let updated = app
        .call(
            Method::PATCH,
            &path,
            Some(&user.token),
            Some(json!({"version": 1, "name": "Lending library"})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["version"], 2);
    assert_eq!(updated.body["name"], "Lending library");
    assert_eq!(updated.body["brief"], project["brief"]);

    let stale = app
        .call(
            Method::PATCH,
            &path,
            Some(&user.token),
            Some(json!({"version": 1, "name": "Overwritten"})),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.error_code(), "version_conflict");
    let read = app.call(Method::GET, &path, Some(&user.token), None).await;
    assert_eq!(read.body["name"], "Lending library", "a refused update writes nothing");
}

#[tokio::test]
async fn of_two_simultaneous_updates_from_one_version_exactly_one_wins() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = app.create_project(&user, "Library").await;
    let path = format!("/projects/{}", project["id"].as_str().unwrap());
    let update = |name: &'static str| {
        app.call(
            Method::PATCH,
            &path,
            Some(&user.token),
            Some(json!({"version": 1, "name": name})),
        )
    };
    let (a, b) = tokio::join!(update("A"), update("B"));
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let read = app.call(Method::GET, &path, Some(&user.token), None).await;
    assert_eq!(read.body["version"], 2);
}

#[tokio::test]
async fn another_users_project_is_not_found_for_every_verb() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let stranger = app.register().await;
    let project = app.create_project(&owner, "Private").await;
    let path = format!("/projects/{}", project["id"].as_str().unwrap());

    let get = app.call(Method::GET, &path, Some(&stranger.token), None).await;
    let patch = app
        .call(
            Method::PATCH,
            &path,
            Some(&stranger.token),
            Some(json!({"version": 1, "name": "Mine"})),
        )
        .await;
    let delete = app.call(Method::DELETE, &path, Some(&stranger.token), None).await;
    for response in [&get, &patch, &delete] {
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{}", response.body);
    }
    let list = app.call(Method::GET, "/projects", Some(&stranger.token), None).await;
    assert_eq!(list.body["items"], json!([]));
    let still_there = app.call(Method::GET, &path, Some(&owner.token), None).await;
    assert_eq!(still_there.body["name"], "Private");
}

#[tokio::test]
async fn a_deleted_project_is_gone() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = app.create_project(&user, "Short-lived").await;
    let path = format!("/projects/{}", project["id"].as_str().unwrap());
    let deleted = app.call(Method::DELETE, &path, Some(&user.token), None).await;
    assert_eq!(deleted.status, StatusCode::ACCEPTED, "{}", deleted.body);
    assert_eq!(deleted.body["status"], "deleting");
    assert_eq!(
        app.call(Method::GET, &path, Some(&user.token), None).await.status,
        StatusCode::NOT_FOUND
    );
    let list = app.call(Method::GET, "/projects", Some(&user.token), None).await;
    assert_eq!(list.body["items"], json!([]));
    // Once the deleter is done the project is not there to delete again.
    app.wait_until_project_removed(&user, project["id"].as_str().unwrap())
        .await;
    assert_eq!(
        app.call(Method::DELETE, &path, Some(&user.token), None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bad_project_input_names_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let user = app.register().await;
    let cases = [
        (json!({"name": "", "brief": "b"}), "name"),
        (json!({"name": "x".repeat(101), "brief": "b"}), "name"),
        (json!({"name": "n", "brief": "b".repeat(20_001)}), "brief"),
        (json!({"name": "n"}), "brief"),
        (json!({"name": "n", "brief": "b", "template": "cobol"}), "template"),
        (
            json!({"name": "n", "brief": "b", "settings": {"auto_export": "yes"}}),
            "settings.auto_export",
        ),
        (
            json!({"name": "n", "brief": "b", "settings": {"colour": "red"}}),
            "settings.colour",
        ),
        (json!({"name": "n", "brief": "b", "owner": "someone-else"}), "owner"),
        (json!({"name": ["n"], "brief": "b"}), "name"),
    ];
    for (body, field) in cases {
        let response = app
            .call(Method::POST, "/projects", Some(&user.token), Some(body.clone()))
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.error_field(), field, "{body}: {}", response.body);
    }
    let list = app.call(Method::GET, "/projects", Some(&user.token), None).await;
    assert_eq!(list.body["items"], json!([]), "nothing half-written");
}

#[tokio::test]
async fn bad_ids_limits_and_cursors_are_400s_naming_them() {
    let app = spawn_app().await;
    let user = app.register().await;
    let token = Some(user.token.as_str());
    let cases = [
        (Method::GET, "/projects/not-a-uuid", "id"),
        (Method::DELETE, "/projects/0193D5E4-7C1A-7000-8000-000000000000", "id"),
        (Method::GET, "/projects?limit=0", "limit"),
        (Method::GET, "/projects?limit=101", "limit"),
        (Method::GET, "/projects?limit=ten", "limit"),
        (Method::GET, "/projects?cursor=forged", "cursor"),
    ];
    for (method, path, field) in cases {
        let response = app.call(method, path, token, None).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(response.error_field(), field, "{path}");
    }
    let update = app
        .call(
            Method::PATCH,
            "/projects/0193d5e4-7c1a-7000-8000-000000000000",
            token,
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(update.status, StatusCode::BAD_REQUEST);
    assert_eq!(update.error_field(), "version");
}

/// Briefs are up to 20,000 characters: a page of 100 such projects would not fit one Lambda
/// response, so a page ends early and its cursor continues after the last project sent.
#[tokio::test]
async fn projects_with_long_briefs_are_listed_in_pages_that_fit_a_lambda_response() {
    let app = spawn_app().await;
    let user = app.register().await;
    // Four bytes of UTF-8 per character: 80 KB per project.
    let brief = "𝄞".repeat(forgeflow_domain::project::BRIEF_MAX_CHARS);
    let mut created = std::collections::BTreeSet::new();
    for i in 0..55 {
        let response = app
            .call(
                Method::POST,
                "/projects",
                Some(&user.token),
                Some(json!({"name": format!("Long {i}"), "brief": brief})),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
        created.insert(response.body["id"].as_str().unwrap().to_owned());
    }
    let pages = app.pages(&user, "/projects?limit=100").await;
    assert!(pages.len() >= 2, "one page cannot hold them all");
    let listed: Vec<&str> = pages.iter().flatten().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(listed.len(), created.len(), "each project once");
    assert_eq!(
        listed
            .into_iter()
            .map(str::to_owned)
            .collect::<std::collections::BTreeSet<_>>(),
        created
    );
}
