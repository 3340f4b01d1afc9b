use forgeflow_tests::{Options, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn contract() -> serde_json::Value {
    json!({"type": "object", "required": ["issues"], "properties": {"issues": {"type": "array", "items": {"type": "string"}}}})
}

#[tokio::test]
async fn the_catalog_lists_the_built_in_agents_with_their_contracts() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let list = app.call(Method::GET, "/agents", Some(&user.token), None).await;
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["product-manager", "architect", "engineer", "patch-engineer", "reviewer"]
    );
    let pm = app
        .call(Method::GET, "/agents/product-manager", Some(&user.token), None)
        .await;
    assert_eq!(pm.status, StatusCode::OK);
    assert_eq!(pm.body["role"], "product_manager");
    assert_eq!(pm.body["provider"], "offline");
    assert!(
        pm.body["output_contract"]["required"]
            .as_array()
            .unwrap()
            .contains(&json!("stories"))
    );
}

#[tokio::test]
async fn a_users_agent_is_theirs_alone() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let owner = app.register().await;
    let stranger = app.register().await;
    let created = app
        .call(
            Method::POST,
            "/agents",
            Some(&owner.token),
            Some(json!({"name": "Auditor", "system_prompt": "Audit.", "output_contract": contract()})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["role"], "custom");
    let id = created.body["id"].as_str().unwrap();
    let mine = app
        .call(Method::GET, &format!("/agents/{id}"), Some(&owner.token), None)
        .await;
    assert_eq!(mine.body["name"], "Auditor");
    let theirs = app
        .call(Method::GET, &format!("/agents/{id}"), Some(&stranger.token), None)
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let stranger_list = app.call(Method::GET, "/agents", Some(&stranger.token), None).await;
    assert_eq!(stranger_list.body["items"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn an_agent_with_a_broken_contract_is_refused() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let cases = [
        (
            json!({"name": "A", "system_prompt": "p", "output_contract": {"type": "no-such-type"}}),
            "output_contract",
        ),
        (
            json!({"name": "A", "system_prompt": "p", "output_contract": "not a schema"}),
            "output_contract",
        ),
        (
            json!({"name": "A", "system_prompt": "p", "output_contract": {"type": "array"}}),
            "output_contract",
        ),
        (
            json!({"name": "A", "system_prompt": "p", "output_contract": {"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}}),
            "output_contract",
        ),
        (
            json!({"name": "A", "system_prompt": "p", "output_contract": {"type": "object", "properties": {"a": {"$ref": "https://example.com/s.json"}}}}),
            "output_contract",
        ),
        (
            json!({"name": "A", "system_prompt": "p", "output_contract": {"type": "object", "properties": {"a": {"$ref": "file:///etc/passwd"}}}}),
            "output_contract",
        ),
        (
            json!({"name": "A", "system_prompt": "p", "output_contract": {"type": "object", "required": ["s"], "properties": {"s": {"type": "string", "minLength": 5000000}}}}),
            "output_contract",
        ),
        (
            json!({"name": "A", "system_prompt": "p", "output_contract": {"type": "object", "required": ["l", "r"], "properties": {"l": {"$ref": "#"}, "r": {"$ref": "#"}}}}),
            "output_contract",
        ),
        (
            json!({"name": "", "system_prompt": "p", "output_contract": contract()}),
            "name",
        ),
        (
            json!({"name": "A", "system_prompt": "p", "provider": "skynet", "output_contract": contract()}),
            "provider",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .call(Method::POST, "/agents", Some(&user.token), Some(body.clone()))
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.error_field(), field, "{body}: {}", response.body);
    }
}

#[tokio::test]
async fn bad_workflows_are_refused_naming_the_step() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let cases = [
        (json!([{"id": "a", "agent": "ghost"}]), "steps[0].agent"),
        (
            json!([{"id": "a", "agent": "architect"}, {"id": "a", "agent": "architect"}]),
            "steps[1].id",
        ),
        (
            json!([{"id": "a", "agent": "architect", "depends_on": ["missing"]}]),
            "steps[0].depends_on",
        ),
        (
            json!([{"id": "a", "agent": "architect", "depends_on": ["b"]}, {"id": "b", "agent": "architect", "depends_on": ["a"]}]),
            "steps[0].depends_on",
        ),
        (
            json!([{"id": "a", "agent": "architect", "after": ["b"]}]),
            "steps[0].after",
        ),
    ];
    for (steps, field) in cases {
        let response = app
            .call(
                Method::POST,
                "/workflows",
                Some(&user.token),
                Some(json!({"name": "w", "steps": steps})),
            )
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{steps}");
        assert_eq!(response.error_field(), field, "{steps}: {}", response.body);
    }
    let list = app.call(Method::GET, "/workflows", Some(&user.token), None).await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        2,
        "only the built-in ones: nothing half-written"
    );
}

#[tokio::test]
async fn workflows_list_the_built_in_one_and_the_users_own() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let stranger = app.register().await;
    let id = app
        .create_workflow(&user, json!([{"id": "plan", "agent": "product-manager"}]))
        .await;
    let list = app.call(Method::GET, "/workflows", Some(&user.token), None).await;
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["full-project", "change", id.as_str()]);
    let full = app
        .call(Method::GET, "/workflows/full-project", Some(&user.token), None)
        .await;
    assert_eq!(full.body["steps"].as_array().unwrap().len(), 5);
    let hidden = app
        .call(Method::GET, &format!("/workflows/{id}"), Some(&stranger.token), None)
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

/// Found by the API contract fuzzing: contracts DynamoDB cannot hold as a document. One with an
/// empty property name (or nested 40 levels deep) was stored, after which every read of the owner's
/// agents — `GET /agents`, `POST /workflows`, starting an execution — was a 500; one with a number
/// past DynamoDB's range was a 500 at once.
#[tokio::test]
async fn contracts_the_table_cannot_hold_are_refused_and_the_catalog_stays_readable() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let deep = (0..40).fold(
        json!({"type": "object"}),
        |inner, _| json!({"type": "object", "properties": {"a": inner}}),
    );
    let empty_name = json!({"type": "object", "properties": {"x": {"type": "object", "properties": {"": {}}}}});
    let huge = json!({"type": "number", "maximum": 1e300});
    for contract in [deep, empty_name, huge] {
        let refused = app
            .call(
                Method::POST,
                "/agents",
                Some(&user.token),
                Some(json!({"name": "Odd", "system_prompt": "Answer.", "output_contract": contract})),
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert_eq!(refused.error_field(), "output_contract");
    }
    let list = app.call(Method::GET, "/agents", Some(&user.token), None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let workflow = app
        .call(
            Method::POST,
            "/workflows",
            Some(&user.token),
            Some(json!({"name": "Plan only", "steps": [{"id": "plan", "agent": "product-manager"}]})),
        )
        .await;
    assert_eq!(workflow.status, StatusCode::CREATED, "{}", workflow.body);
}

#[tokio::test]
async fn a_workflow_too_large_for_one_execution_row_is_refused_before_it_runs() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let mut steps = Vec::new();
    for n in 0..20 {
        let prompt = format!("Agent {n}: {}", "be thorough. ".repeat(1_500));
        let agent = app
            .call(
                Method::POST,
                "/agents",
                Some(&user.token),
                Some(json!({"name": format!("Long {n}"), "system_prompt": prompt, "output_contract": contract()})),
            )
            .await;
        assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.body);
        steps.push(json!({"id": format!("s{n}"), "agent": agent.body["id"]}));
    }
    let workflow = app.create_workflow(&user, json!(steps)).await;
    let project = app.create_project(&user, "Too large").await;
    let project_id = project["id"].as_str().unwrap();
    let refused = app
        .call(
            Method::POST,
            &format!("/projects/{project_id}/executions"),
            Some(&user.token),
            Some(json!({"workflow": workflow})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert_eq!(refused.body["error"]["field"], "workflow");
    let listed = app
        .call(
            Method::GET,
            &format!("/projects/{project_id}/executions"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        0,
        "nothing half-written"
    );
}

/// 25 custom agents of about 240 KB each are over Lambda's 6 MB answer: the listing pages them,
/// every page stays under the limit, and the pages hold each agent once.
#[tokio::test]
async fn big_agents_are_listed_in_pages_that_fit_a_lambda_response() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let description = "d".repeat(240 * 1024);
    let mut created = std::collections::BTreeSet::new();
    for i in 0..25 {
        let contract = json!({"type": "object", "description": description, "required": ["summary"], "properties": {"summary": {"type": "string"}}});
        let response = app
            .call(
                Method::POST,
                "/agents",
                Some(&user.token),
                Some(json!({"name": format!("Big {i}"), "system_prompt": "p", "output_contract": contract})),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
        created.insert(response.body["id"].as_str().unwrap().to_owned());
    }
    let pages = app.pages(&user, "/agents?limit=100").await;
    let listed: Vec<String> = pages
        .iter()
        .flatten()
        .filter(|agent| agent["owner"].is_string())
        .map(|agent| agent["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(pages.len() >= 2, "one page cannot hold them all");
    assert_eq!(listed.len(), created.len(), "each agent once");
    assert_eq!(listed.into_iter().collect::<std::collections::BTreeSet<_>>(), created);
}
