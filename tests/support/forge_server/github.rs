//! GitHub REST: users, repositories, contents, pulls and compare, with the documented JSON
//! shapes (octocrab's typed models parse them). The Git Data endpoints are in `github/git.rs`,
//! the archives (tarball and its codeload redirect) in `github/codeload.rs`.

mod codeload;
mod git;

use base64::Engine;
use serde_json::{Value, json};

use super::http::{Reply, Req};
use super::store::Flat;
use super::{ORGS, Repo, State, USER};
pub(crate) use codeload::codeload;

pub(crate) fn not_found() -> Reply {
    Reply::json(
        404,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}),
    )
}

pub(crate) fn invalid(message: &str) -> Reply {
    Reply::json(
        422,
        json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": "422"}),
    )
}

pub(crate) fn route(state: &mut State, req: &Req) -> Reply {
    let segs = req.segs();
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["user"]) => Reply::json(200, user(&state.base_url, USER, 1, "User")),
        ("POST", ["user", "repos"]) => create_repo(state, USER, &req.body),
        ("POST", ["orgs", org, "repos"]) if ORGS.contains(org) => create_repo(state, org, &req.body),
        ("POST", ["orgs", _, "repos"]) => not_found(),
        (_, ["repos", owner, name, rest @ ..]) => {
            let path = format!("{owner}/{name}");
            if !state.repos.contains_key(&path) {
                return not_found();
            }
            match (req.method.as_str(), rest) {
                ("GET", []) => Reply::json(200, repo_json(state, &path)),
                ("PUT", ["contents", file @ ..]) => put_contents(state, &path, &file.join("/"), &req.body),
                ("GET", ["pulls"]) => list_pulls(state, &path, req),
                ("POST", ["pulls"]) => create_pull(state, &path, &req.body),
                ("GET", ["compare", range]) => compare(state, &path, range),
                ("GET", ["tarball", reference @ ..]) => codeload::tarball(state, &path, &reference.join("/")),
                (_, ["git", ..]) => git::route(state, &path, req, &rest[1..]),
                _ => not_found(),
            }
        }
        _ => not_found(),
    }
}

/// A full user/organisation object as `GET /user` and `owner` fields carry it.
pub(crate) fn user(base: &str, login: &str, id: u64, kind: &str) -> Value {
    let api = format!("{base}/users/{login}");
    json!({
        "login": login, "id": id, "node_id": format!("U_{id}"),
        "avatar_url": format!("{base}/avatars/{login}"), "gravatar_id": "",
        "url": api, "html_url": format!("{base}/{login}"),
        "followers_url": format!("{api}/followers"), "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"), "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"), "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"), "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"), "type": kind, "site_admin": false,
        "name": login, "email": null,
    })
}

fn repo_json(state: &State, path: &str) -> Value {
    let repo = &state.repos[path];
    let base = &state.base_url;
    let (owner, name) = path.split_once('/').unwrap_or((path, path));
    let kind = if owner == USER { "User" } else { "Organization" };
    json!({
        "id": repo.id, "node_id": format!("R_{}", repo.id), "name": name, "full_name": path,
        "private": repo.private, "visibility": if repo.private { "private" } else { "public" },
        "owner": user(base, owner, 2, kind), "html_url": format!("{base}/{path}"),
        "url": format!("{base}/repos/{path}"), "description": null, "fork": false,
        "default_branch": repo.default_branch, "size": if repo.branches.is_empty() { 0 } else { 1 },
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "pushed_at": null,
    })
}

/// `POST /user/repos`, `POST /orgs/{org}/repos`: `auto_init` makes the first commit (a README).
fn create_repo(state: &mut State, owner: &str, body: &Value) -> Reply {
    let Some(name) = body["name"].as_str() else {
        return invalid("Repository creation failed: name is missing");
    };
    let path = format!("{owner}/{name}");
    if state.repos.contains_key(&path) {
        return invalid("Repository creation failed: name already exists on this account");
    }
    state.new_repo(&path, body["private"].as_bool().unwrap_or(false));
    if body["auto_init"] == true {
        let mut flat = Flat::new();
        let readme = state.store.put_blob(format!("# {name}\n").into_bytes());
        flat.insert("README.md".into(), ("100644".into(), readme));
        let sha = state.commit_flat(&flat, None, "Initial commit", (USER, "bot@example.com"));
        if let Some(repo) = state.repos.get_mut(&path) {
            repo.branches.insert("main".into(), sha);
        }
    }
    Reply::json(201, repo_json(state, &path))
}

/// `PUT /repos/{o}/{r}/contents/{path}`: one file, one commit; on an empty repository it
/// creates the default branch.
fn put_contents(state: &mut State, path: &str, file: &str, body: &Value) -> Reply {
    let repo: &Repo = &state.repos[path];
    let branch = body["branch"].as_str().unwrap_or(&repo.default_branch).to_owned();
    let head = repo.branches.get(&branch).cloned();
    if head.is_none() && !repo.branches.is_empty() {
        return not_found();
    }
    let Some(content) = body["content"]
        .as_str()
        .and_then(|text| base64::engine::general_purpose::STANDARD.decode(text).ok())
    else {
        return invalid("Invalid request.\n\n\"content\" is not valid base64.");
    };
    let mut flat = head
        .as_deref()
        .map(|head| state.store.files_at(head))
        .unwrap_or_default();
    if flat.contains_key(file) && body["sha"].is_null() {
        return invalid("Invalid request.\n\n\"sha\" wasn't supplied.");
    }
    let blob = state.store.put_blob(content.clone());
    flat.insert(file.to_owned(), ("100644".into(), blob.clone()));
    let message = body["message"].as_str().unwrap_or("Update");
    let sha = state.commit_flat(&flat, head.as_deref(), message, (USER, "bot@example.com"));
    if let Some(repo) = state.repos.get_mut(path) {
        repo.branches.insert(branch, sha.clone());
    }
    let base = &state.base_url;
    let name = file.rsplit('/').next().unwrap_or(file);
    let self_url = format!("{base}/repos/{path}/contents/{file}");
    let content = json!({
        "name": name, "path": file, "sha": blob, "size": content.len(), "type": "file",
        "url": self_url, "html_url": format!("{base}/{path}/blob/main/{file}"),
        "git_url": format!("{base}/repos/{path}/git/blobs/{blob}"), "download_url": null,
        "_links": {"self": self_url, "git": format!("{base}/repos/{path}/git/blobs/{blob}"), "html": null},
    });
    Reply::json(
        201,
        json!({"content": content, "commit": git::commit_json(state, path, &sha)}),
    )
}

fn pull_json(state: &State, path: &str, pull: &super::Pull) -> Value {
    let base = &state.base_url;
    let repo = &state.repos[path];
    let sha = |branch: &str| repo.branches.get(branch).cloned().unwrap_or_default();
    json!({
        "id": 5000 + pull.number, "number": pull.number, "state": "open", "locked": false,
        "title": pull.title, "body": pull.body,
        "url": format!("{base}/repos/{path}/pulls/{}", pull.number),
        "html_url": format!("{base}/{path}/pull/{}", pull.number),
        "head": {"label": format!("{}:{}", path.split('/').next().unwrap_or(path), pull.head), "ref": pull.head, "sha": sha(&pull.head)},
        "base": {"label": format!("{}:{}", path.split('/').next().unwrap_or(path), pull.base), "ref": pull.base, "sha": sha(&pull.base)},
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    })
}

fn list_pulls(state: &State, path: &str, req: &Req) -> Reply {
    let head = req
        .query
        .get("head")
        .map(|head| head.split_once(':').map_or(head.as_str(), |(_, b)| b));
    let pulls: Vec<Value> = state.repos[path]
        .pulls
        .iter()
        .filter(|pull| head.is_none_or(|head| pull.head == head))
        .map(|pull| pull_json(state, path, pull))
        .collect();
    Reply::json(200, Value::Array(pulls))
}

fn create_pull(state: &mut State, path: &str, body: &Value) -> Reply {
    let text = |key: &str| body[key].as_str().unwrap_or_default().to_owned();
    let (head, base) = (text("head"), text("base"));
    let head = head
        .split_once(':')
        .map_or(head.clone(), |(_, branch)| branch.to_owned());
    let repo = &state.repos[path];
    let (Some(head_sha), Some(base_sha)) = (repo.branches.get(&head), repo.branches.get(&base)) else {
        return invalid("Validation Failed: head or base does not exist");
    };
    if state.store.is_ancestor(head_sha, base_sha) {
        return invalid(&format!("Validation Failed: No commits between {base} and {head}"));
    }
    if repo.pulls.iter().any(|pull| pull.head == head && pull.base == base) {
        return invalid(&format!("Validation Failed: A pull request already exists for {head}."));
    }
    let pull = super::Pull {
        number: repo.pulls.len() as u64 + 1,
        head,
        base,
        title: text("title"),
        body: text("body"),
    };
    let answer = pull_json(state, path, &pull);
    if let Some(repo) = state.repos.get_mut(path) {
        repo.pulls.push(pull);
    }
    Reply::json(201, answer)
}

/// `GET /repos/{o}/{r}/compare/{base}...{head}`: the status of `head` relative to `base`.
fn compare(state: &State, path: &str, range: &str) -> Reply {
    let Some((base, head)) = range.split_once("...") else {
        return not_found();
    };
    let store = &state.store;
    let resolve = |name: &str| state.repos[path].branches.get(name).cloned().unwrap_or(name.to_owned());
    let (base, head) = (resolve(base), resolve(head));
    if store.commit(&base).is_none() || store.commit(&head).is_none() {
        return not_found();
    }
    let status = match (store.is_ancestor(&base, &head), store.is_ancestor(&head, &base)) {
        (true, true) => "identical",
        (true, false) => "ahead",
        (false, true) => "behind",
        (false, false) => "diverged",
    };
    Reply::json(
        200,
        json!({"status": status, "base_commit": {"sha": base}, "merge_base_commit": {"sha": base}}),
    )
}
