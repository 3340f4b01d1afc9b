//! GitLab v4: projects, namespaces, branches, the paginated repository tree, raw blobs, commits
//! with `actions[]` (create/update/delete/chmod, GitLab's `last_commit_id` rule), a commit's
//! refs, merge requests and the repository archive.

use base64::Engine;
use serde_json::{Value, json};

use super::http::{Reply, Req};
use super::store::Flat;
use super::{ORGS, State, USER, archive};

fn message(status: u16, text: &str) -> Reply {
    Reply::json(status, json!({ "message": text }))
}

pub(crate) fn route(state: &mut State, req: &Req) -> Reply {
    let segs = req.segs();
    let Some(rest) = segs.get(2..) else {
        return message(404, "404 Not Found");
    };
    match (req.method.as_str(), rest) {
        ("POST", ["projects"]) => create_project(state, &req.body),
        ("GET", ["namespaces", name]) => namespace(name),
        (method, ["projects", project, tail @ ..]) => {
            let found = state
                .repos
                .values()
                .find(|repo| repo.path == *project || repo.id.to_string() == *project);
            let Some(path) = found.map(|repo| repo.path.clone()) else {
                return message(404, "404 Project Not Found");
            };
            match (method, tail) {
                ("GET", []) => Reply::json(200, project_json(state, &path)),
                ("GET", ["repository", "branches", branch]) => match state.repos[&path].branches.get(*branch) {
                    Some(sha) => Reply::json(
                        200,
                        json!({"name": branch, "commit": commit_json(state, &path, sha),
                        "merged": false, "protected": false, "default": *branch == state.repos[&path].default_branch}),
                    ),
                    None => message(404, "404 Branch Not Found"),
                },
                ("GET", ["repository", "tree"]) => tree(state, &path, req),
                ("POST", ["repository", "commits"]) => create_commit(state, &path, &req.body),
                ("GET", ["repository", "commits", sha, "refs"]) => refs(state, &path, sha),
                ("GET", ["repository", "blobs", sha, "raw"]) => match state.store.blob(sha) {
                    Some(bytes) => Reply::raw(bytes.to_vec()),
                    None => message(404, "404 Blob Not Found"),
                },
                ("GET", ["repository", "archive.tar.gz"]) => repository_archive(state, &path, req),
                ("GET", ["merge_requests"]) => list_merge_requests(state, &path, req),
                ("POST", ["merge_requests"]) => create_merge_request(state, &path, &req.body),
                _ => message(404, "404 Not Found"),
            }
        }
        _ => message(404, "404 Not Found"),
    }
}

/// The token's user namespace and the groups, numbered from 10.
fn namespaces() -> impl Iterator<Item = (u64, &'static str)> {
    std::iter::once(USER).chain(ORGS).zip(10..).map(|(name, id)| (id, name))
}

fn namespace(name: &str) -> Reply {
    let Some((id, _)) = namespaces().find(|(_, ns)| *ns == name) else {
        return message(404, "404 Namespace Not Found");
    };
    let kind = if name == USER { "user" } else { "group" };
    let short = name.rsplit('/').next().unwrap_or(name);
    Reply::json(
        200,
        json!({"id": id, "name": short, "path": short, "kind": kind, "full_path": name}),
    )
}

fn project_json(state: &State, path: &str) -> Value {
    let repo = &state.repos[path];
    let (namespace, name) = path.rsplit_once('/').unwrap_or((USER, path));
    let empty = repo.branches.is_empty();
    json!({
        "id": repo.id, "name": name, "path": name, "path_with_namespace": path,
        "name_with_namespace": path.replace('/', " / "), "description": null,
        "default_branch": if empty { Value::Null } else { json!(repo.default_branch) },
        "visibility": if repo.private { "private" } else { "public" },
        "web_url": format!("{}/{path}", state.web_base()),
        "http_url_to_repo": format!("{}/{path}.git", state.base_url),
        "empty_repo": empty, "created_at": "2026-01-01T00:00:00.000Z",
        "namespace": {"id": namespaces().find(|(_, ns)| *ns == namespace).map(|(id, _)| id), "full_path": namespace, "path": namespace.rsplit('/').next(),
                      "kind": if namespace == USER { "user" } else { "group" }},
    })
}

fn create_project(state: &mut State, body: &Value) -> Reply {
    let Some(name) = body["path"].as_str().or(body["name"].as_str()) else {
        return Reply::json(
            400,
            json!({"error": "name, path are missing, at least one parameter must be provided"}),
        );
    };
    let namespace = match body["namespace_id"].as_u64() {
        None => USER.to_owned(),
        Some(id) => match namespaces().find(|(ns_id, _)| *ns_id == id) {
            Some((_, ns)) => ns.to_owned(),
            None => return message(404, "404 Namespace Not Found"),
        },
    };
    let path = format!("{namespace}/{name}");
    if state.repos.contains_key(&path) {
        return Reply::json(
            400,
            json!({"message": {"name": ["has already been taken"], "path": ["has already been taken"]}}),
        );
    }
    state.new_repo(&path, body["visibility"] != "public");
    if body["initialize_with_readme"] == true {
        let mut flat = Flat::new();
        let readme = state.store.put_blob(format!("# {name}\n").into_bytes());
        flat.insert("README.md".into(), ("100644".into(), readme));
        let sha = state.commit_flat(&flat, None, "Initial commit", (USER, "bot@example.com"));
        if let Some(repo) = state.repos.get_mut(&path) {
            repo.branches.insert("main".into(), sha);
        }
    }
    Reply::json(201, project_json(state, &path))
}

fn commit_json(state: &State, path: &str, sha: &str) -> Value {
    let Some(commit) = state.store.commit(sha) else {
        return Value::Null;
    };
    let date = chrono::DateTime::from_timestamp(commit.time, 0)
        .unwrap_or_default()
        .to_rfc3339();
    json!({
        "id": sha, "short_id": &sha[..8], "title": commit.message.lines().next().unwrap_or_default(),
        "message": commit.message, "author_name": commit.author_name, "author_email": commit.author_email,
        "authored_date": date, "committer_name": commit.author_name, "committer_email": commit.author_email,
        "committed_date": date, "created_at": date, "parent_ids": commit.parents,
        "web_url": format!("{}/{path}/-/commit/{sha}", state.web_base()),
    })
}

/// `GET /repository/tree?recursive=true&per_page=N&page=P`, with GitLab's pagination headers.
fn tree(state: &State, path: &str, req: &Req) -> Reply {
    let repo = &state.repos[path];
    let reference = req.query.get("ref").cloned().unwrap_or(repo.default_branch.clone());
    let commit = repo.branches.get(&reference).cloned().unwrap_or(reference);
    let Some(info) = state.store.commit(&commit) else {
        return message(404, "404 Tree Not Found");
    };
    let mut entries = Vec::new();
    let recursive = req.query.get("recursive").is_some_and(|value| value == "true");
    state.store.walk(&info.tree, "", &mut |entry_path, item| {
        if recursive || !entry_path.contains('/') {
            let (kind, mode) = match item.mode.as_str() {
                "40000" => ("tree", "040000"),
                "160000" => ("commit", "160000"),
                mode => ("blob", mode),
            };
            entries.push(json!({"id": item.sha, "name": item.name, "type": kind, "path": entry_path, "mode": mode}));
        }
    });
    let per_page: usize = req
        .query
        .get("per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
        .clamp(1, 100);
    let page: usize = req.query.get("page").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
    let pages = entries.len().div_ceil(per_page).max(1);
    let slice: Vec<Value> = entries
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .cloned()
        .collect();
    let next = if page < pages {
        (page + 1).to_string()
    } else {
        String::new()
    };
    Reply::json(200, Value::Array(slice))
        .header("x-page", page)
        .header("x-per-page", per_page)
        .header("x-next-page", next)
        .header("x-total", entries.len())
        .header("x-total-pages", pages)
}

/// GitLab's `Files::BaseService#file_has_changed?` (15.10+): the path's last commit on the branch
/// differs from its last commit as of `last_commit_id`. Unknown ids and absent paths pass.
fn has_changed(state: &State, start: Option<&str>, file: &str, last_commit_id: Option<&str>) -> bool {
    let (Some(start), Some(id)) = (start, last_commit_id) else {
        return false;
    };
    let from_branch = state.store.last_commit_for_path(start, file);
    let from_id = state
        .store
        .commit(id)
        .and_then(|_| state.store.last_commit_for_path(id, file));
    matches!((from_branch, from_id), (Some(a), Some(b)) if a != b)
}

fn create_commit(state: &mut State, path: &str, body: &Value) -> Reply {
    let repo = &state.repos[path];
    let Some(branch) = body["branch"].as_str() else {
        return Reply::json(400, json!({"error": "branch is missing"}));
    };
    let start = match (repo.branches.get(branch), body["start_branch"].as_str()) {
        // GitLab's ValidateNewBranchService: a commit that starts a branch may not reuse one.
        (Some(_), Some(start)) if start != branch => {
            return message(
                400,
                &format!("Something went wrong when we tried to create '{branch}' for you: Branch already exists"),
            );
        }
        (Some(head), _) => Some(head.clone()),
        (None, Some(start)) => match repo.branches.get(start) {
            Some(head) => Some(head.clone()),
            None => return message(400, &format!("Invalid start branch {start}")),
        },
        (None, None) if repo.branches.is_empty() => None,
        (None, None) => return message(400, "You can only create or edit files when you are on a branch"),
    };
    let Some(actions) = body["actions"].as_array().filter(|actions| !actions.is_empty()) else {
        return Reply::json(400, json!({"error": "actions is empty"}));
    };
    let mut flat = start
        .as_deref()
        .map(|head| state.store.files_at(head))
        .unwrap_or_default();
    for action in actions {
        let verb = action["action"].as_str().unwrap_or_default();
        let file = action["file_path"].as_str().unwrap_or_default().to_owned();
        if file.is_empty() || file.split('/').any(|s| s.is_empty() || s == "..") {
            return message(
                400,
                &format!("Your changes could not be committed, because the file name `{file}` is invalid"),
            );
        }
        if start.is_none() && verb != "create" {
            return message(400, &format!("No files to {verb}."));
        }
        let exists = flat.contains_key(&file);
        match verb {
            "create" if exists => return message(400, &format!("A file with this name already exists: {file}")),
            "update" | "delete" | "chmod" if !exists => {
                return message(400, &format!("A file with this name doesn't exist: {file}"));
            }
            "update" | "delete" if has_changed(state, start.as_deref(), &file, action["last_commit_id"].as_str()) => {
                return message(
                    400,
                    &format!("The file has changed since you started editing it: {file}"),
                );
            }
            "create" | "update" => {
                let text = action["content"].as_str().unwrap_or_default();
                let bytes = if action["encoding"] == "base64" {
                    match base64::engine::general_purpose::STANDARD.decode(text) {
                        Ok(bytes) => bytes,
                        Err(_) => return message(400, "content is not valid base64"),
                    }
                } else {
                    text.as_bytes().to_vec()
                };
                let mode = flat.get(&file).map_or("100644".to_owned(), |(mode, _)| mode.clone());
                let sha = state.store.put_blob(bytes);
                flat.insert(file, (mode, sha));
            }
            "delete" => {
                flat.remove(&file);
            }
            "chmod" => {
                let mode = if action["execute_filemode"] == true {
                    "100755"
                } else {
                    "100644"
                };
                if let Some(entry) = flat.get_mut(&file) {
                    entry.0 = mode.to_owned();
                }
            }
            other => {
                return Reply::json(
                    400,
                    json!({"error": format!("actions[action] does not have a valid value: {other}")}),
                );
            }
        }
    }
    let author = (
        body["author_name"].as_str().unwrap_or(USER).to_owned(),
        body["author_email"].as_str().unwrap_or("bot@example.com").to_owned(),
    );
    let message_text = body["commit_message"].as_str().unwrap_or_default().to_owned();
    let sha = state.commit_flat(&flat, start.as_deref(), &message_text, (&author.0, &author.1));
    if let Some(repo) = state.repos.get_mut(path) {
        repo.branches.insert(branch.to_owned(), sha.clone());
    }
    Reply::json(201, commit_json(state, path, &sha))
}

/// `GET /repository/archive.tar.gz?sha=`: the tar.gz under `{name}-{ref}-{sha}/` (GitLab's
/// `append_sha` naming, so `{name}-{sha}-{sha}/` when asked by commit id), the default branch
/// when `sha` is absent. Workhorse drops Content-Length and streams it chunked.
fn repository_archive(state: &State, path: &str, req: &Req) -> Reply {
    let repo = &state.repos[path];
    let reference = req.query.get("sha").unwrap_or(&repo.default_branch);
    let sha = match repo.branches.get(reference) {
        Some(head) => head.clone(),
        None => reference.clone(),
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    let top = format!("{name}-{}-{sha}", reference.replace('/', "-"));
    match archive::tar_gz(&state.store, &sha, &top) {
        Some(bytes) => Reply::bytes("application/octet-stream", bytes)
            .header("content-disposition", format!("attachment; filename=\"{top}.tar.gz\""))
            .header("transfer-encoding", "chunked"),
        None => message(404, "404 File Not Found"),
    }
}

fn refs(state: &State, path: &str, sha: &str) -> Reply {
    if state.store.commit(sha).is_none() {
        return message(404, "404 Commit Not Found");
    }
    let found: Vec<Value> = state.repos[path]
        .branches
        .iter()
        .filter(|(_, head)| state.store.is_ancestor(sha, head))
        .map(|(name, _)| json!({"type": "branch", "name": name}))
        .collect();
    Reply::json(200, Value::Array(found))
}

fn merge_request_json(state: &State, path: &str, request: &super::Pull) -> Value {
    let repo = &state.repos[path];
    json!({
        "id": 7000 + request.number, "iid": request.number, "project_id": repo.id, "state": "opened",
        "title": request.title, "description": request.body,
        "source_branch": request.head, "target_branch": request.base,
        "sha": repo.branches.get(&request.head), "merge_status": "can_be_merged",
        "web_url": format!("{}/{path}/-/merge_requests/{}", state.web_base(), request.number),
        "created_at": "2026-01-01T00:00:00.000Z",
    })
}

/// `GET /merge_requests?source_branch=&state=opened`.
fn list_merge_requests(state: &State, path: &str, req: &Req) -> Reply {
    let source = req.query.get("source_branch");
    let open_wanted = req
        .query
        .get("state")
        .is_none_or(|state| state == "opened" || state == "all");
    let found: Vec<Value> = state.repos[path]
        .pulls
        .iter()
        .filter(|request| open_wanted && source.is_none_or(|source| request.head == *source))
        .map(|request| merge_request_json(state, path, request))
        .collect();
    Reply::json(200, Value::Array(found))
}

/// `POST /merge_requests`: 409 for a second open request from the same source branch, as GitLab.
fn create_merge_request(state: &mut State, path: &str, body: &Value) -> Reply {
    let text = |key: &str| body[key].as_str().unwrap_or_default().to_owned();
    let (source, target, title) = (text("source_branch"), text("target_branch"), text("title"));
    if source.is_empty() || target.is_empty() || title.is_empty() {
        return Reply::json(400, json!({"error": "source_branch, target_branch, title are missing"}));
    }
    let repo = &state.repos[path];
    if !repo.branches.contains_key(&source) || !repo.branches.contains_key(&target) {
        return message(400, "Validation failed: Source branch or target branch does not exist");
    }
    if let Some(open) = repo.pulls.iter().find(|request| request.head == source) {
        return Reply::json(
            409,
            json!({"message": [format!("Another open merge request already exists for this source branch: !{}", open.number)]}),
        );
    }
    let request = super::Pull {
        number: repo.pulls.len() as u64 + 1,
        head: source,
        base: target,
        title,
        body: text("description"),
    };
    let answer = merge_request_json(state, path, &request);
    if let Some(repo) = state.repos.get_mut(path) {
        repo.pulls.push(request);
    }
    Reply::json(201, answer)
}
