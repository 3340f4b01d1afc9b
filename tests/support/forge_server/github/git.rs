//! GitHub's Git Data API: refs, commits, trees (with `base_tree` and `"sha": null` deletions)
//! and blobs, over the real object store. An empty repository answers 409 to all of them.

use base64::Engine;
use serde_json::{Value, json};

use super::{invalid, not_found};
use crate::forge_server::State;
use crate::forge_server::http::{Reply, Req};
use crate::forge_server::store::{CommitInfo, Flat, Object};

pub(crate) fn route(state: &mut State, path: &str, req: &Req, rest: &[&str]) -> Reply {
    if state.repos[path].branches.is_empty() {
        return Reply::json(
            409,
            json!({"message": "Git Repository is empty.", "documentation_url": "https://docs.github.com/rest", "status": "409"}),
        );
    }
    match (req.method.as_str(), rest) {
        ("GET", ["ref", "heads", branch @ ..]) => match state.repos[path].branches.get(&branch.join("/")) {
            Some(sha) => Reply::json(200, ref_json(state, path, &branch.join("/"), sha)),
            None => not_found(),
        },
        ("POST", ["refs"]) => create_ref(state, path, &req.body),
        ("PATCH", ["refs", "heads", branch @ ..]) => update_ref(state, path, &branch.join("/"), &req.body),
        ("GET", ["commits", sha]) if state.store.commit(sha).is_some() => {
            Reply::json(200, commit_json(state, path, sha))
        }
        ("GET", ["commits", _]) => not_found(),
        ("POST", ["commits"]) => create_commit(state, path, &req.body),
        ("GET", ["trees", sha]) if state.store.tree(sha).is_some() => {
            Reply::json(200, tree_json(state, path, sha, req.query.contains_key("recursive")))
        }
        ("GET", ["trees", _]) => not_found(),
        ("POST", ["trees"]) => create_tree(state, path, &req.body),
        ("POST", ["blobs"]) => create_blob(state, path, &req.body),
        ("GET", ["blobs", sha]) => match state.store.blob(sha) {
            Some(bytes) => Reply::json(200, blob_json(state, path, sha, bytes)),
            None => not_found(),
        },
        _ => not_found(),
    }
}

fn ref_json(state: &State, path: &str, branch: &str, sha: &str) -> Value {
    let base = &state.base_url;
    json!({
        "ref": format!("refs/heads/{branch}"), "node_id": format!("REF_{sha}"),
        "url": format!("{base}/repos/{path}/git/refs/heads/{branch}"),
        "object": {"type": "commit", "sha": sha, "url": format!("{base}/repos/{path}/git/commits/{sha}")},
    })
}

pub(crate) fn commit_json(state: &State, path: &str, sha: &str) -> Value {
    let base = &state.base_url;
    let Some(commit) = state.store.commit(sha) else {
        return Value::Null;
    };
    let date = chrono::DateTime::from_timestamp(commit.time, 0)
        .unwrap_or_default()
        .to_rfc3339();
    let who = json!({"name": commit.author_name, "email": commit.author_email, "date": date});
    let parents: Vec<Value> = commit
        .parents
        .iter()
        .map(|parent| {
            json!({"sha": parent, "url": format!("{base}/repos/{path}/git/commits/{parent}"),
                   "html_url": format!("{base}/{path}/commit/{parent}")})
        })
        .collect();
    json!({
        "sha": sha, "node_id": format!("C_{sha}"),
        "url": format!("{base}/repos/{path}/git/commits/{sha}"), "html_url": format!("{base}/{path}/commit/{sha}"),
        "author": who, "committer": who, "message": commit.message,
        "tree": {"sha": commit.tree, "url": format!("{base}/repos/{path}/git/trees/{}", commit.tree)},
        "parents": parents,
        "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null},
    })
}

fn tree_json(state: &State, path: &str, sha: &str, recursive: bool) -> Value {
    let base = &state.base_url;
    let store = &state.store;
    let mut entries = Vec::new();
    let mut add = |entry_path: String, mode: &str, sha: &str| {
        let (kind, mode) = match mode {
            "40000" => ("tree", "040000"),
            "160000" => ("commit", mode),
            _ => ("blob", mode),
        };
        let mut entry = json!({"path": entry_path, "mode": mode, "type": kind, "sha": sha,
                               "url": format!("{base}/repos/{path}/git/{kind}s/{sha}")});
        if let Some(blob) = store.blob(sha) {
            entry["size"] = json!(blob.len());
        }
        entries.push(entry);
    };
    if recursive {
        store.walk(sha, "", &mut |entry_path, item| add(entry_path, &item.mode, &item.sha));
    } else {
        for item in store.tree(sha).unwrap_or_default() {
            add(item.name.clone(), &item.mode, &item.sha);
        }
    }
    json!({"sha": sha, "url": format!("{base}/repos/{path}/git/trees/{sha}"), "tree": entries, "truncated": false})
}

/// `POST /git/trees`: `base_tree`'s files, then each entry in order: `content` (a new blob),
/// `sha` (an existing blob), or `"sha": null` (delete the path).
fn create_tree(state: &mut State, path: &str, body: &Value) -> Reply {
    let mut flat = match body["base_tree"].as_str() {
        Some(base) if state.store.tree(base).is_some() => state.store.flatten(base),
        Some(base) => return invalid(&format!("Validation Failed: base_tree {base} is not a tree")),
        None => Flat::new(),
    };
    let Some(entries) = body["tree"].as_array() else {
        return invalid("Invalid request.\n\n\"tree\" wasn't supplied.");
    };
    for entry in entries {
        let (Some(file), Some(mode)) = (entry["path"].as_str(), entry["mode"].as_str()) else {
            return invalid("Invalid request.\n\n\"path\" and \"mode\" are required.");
        };
        if file.is_empty() || file.starts_with('/') || file.split('/').any(|s| s.is_empty() || s == "..") {
            return invalid(&format!("Validation Failed: path {file:?} is invalid"));
        }
        match (entry.get("sha"), entry["content"].as_str()) {
            (Some(Value::Null), None) => {
                if flat.remove(file).is_none() {
                    return invalid(&format!("Validation Failed: cannot delete {file:?}: not in the tree"));
                }
            }
            (Some(Value::String(sha)), None) => {
                if state.store.blob(sha).is_none() {
                    return invalid(&format!("Validation Failed: tree.sha {sha} is not a valid blob"));
                }
                flat.insert(file.to_owned(), (mode.to_owned(), sha.clone()));
            }
            (None, Some(content)) => {
                let sha = state.store.put_blob(content.as_bytes().to_vec());
                flat.insert(file.to_owned(), (mode.to_owned(), sha));
            }
            _ => return invalid("Invalid request.\n\nEither \"sha\" or \"content\" must be supplied."),
        }
    }
    let clash = flat.keys().find(|file| {
        let mut dirs = file.match_indices('/').map(|(at, _)| &file[..at]);
        dirs.any(|dir| flat.contains_key(dir))
    });
    if let Some(file) = clash {
        return invalid(&format!("Validation Failed: {file:?} is under a file"));
    }
    let sha = state.store.put_flat(&flat);
    Reply::json(201, tree_json(state, path, &sha, false))
}

/// As GitHub answers it: base64 wrapped at 60 characters, as its API does.
fn blob_json(state: &State, path: &str, sha: &str, bytes: &[u8]) -> Value {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let wrapped: Vec<String> = encoded
        .as_bytes()
        .chunks(60)
        .map(|line| String::from_utf8_lossy(line).into_owned())
        .collect();
    json!({
        "sha": sha,
        "size": bytes.len(),
        "url": format!("{}/repos/{path}/git/blobs/{sha}", state.base_url),
        "content": wrapped.join("\n") + "\n",
        "encoding": "base64",
    })
}

fn create_blob(state: &mut State, path: &str, body: &Value) -> Reply {
    let Some(content) = body["content"].as_str() else {
        return invalid("Invalid request.\n\n\"content\" wasn't supplied.");
    };
    let bytes = if body["encoding"] == "base64" {
        match base64::engine::general_purpose::STANDARD.decode(content) {
            Ok(bytes) => bytes,
            Err(_) => return invalid("Invalid request.\n\n\"content\" is not valid base64."),
        }
    } else {
        content.as_bytes().to_vec()
    };
    let sha = state.store.put_blob(bytes);
    let url = format!("{}/repos/{path}/git/blobs/{sha}", state.base_url);
    Reply::json(201, json!({"sha": sha, "url": url}))
}

fn create_commit(state: &mut State, path: &str, body: &Value) -> Reply {
    let tree = body["tree"].as_str().unwrap_or_default();
    if state.store.tree(tree).is_none() {
        return invalid("Tree SHA does not exist");
    }
    let parents: Vec<String> = body["parents"]
        .as_array()
        .map(|parents| parents.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    if parents.iter().any(|parent| state.store.commit(parent).is_none()) {
        return invalid("Parent SHA does not exist or is not a commit object");
    }
    let sha = state.store.put_commit(CommitInfo {
        sha: String::new(),
        tree: tree.to_owned(),
        parents,
        message: body["message"].as_str().unwrap_or_default().to_owned(),
        author_name: body["author"]["name"].as_str().unwrap_or("forgeflow-bot").to_owned(),
        author_email: body["author"]["email"].as_str().unwrap_or("bot@example.com").to_owned(),
        time: chrono::Utc::now().timestamp(),
    });
    Reply::json(201, commit_json(state, path, &sha))
}

fn create_ref(state: &mut State, path: &str, body: &Value) -> Reply {
    let (Some(name), Some(sha)) = (body["ref"].as_str(), body["sha"].as_str()) else {
        return invalid("Invalid request.\n\n\"ref\" and \"sha\" are required.");
    };
    let Some(branch) = name.strip_prefix("refs/heads/") else {
        return invalid("Reference name must start with 'refs/' and have at least two slashes.");
    };
    if !matches!(state.store.get(sha), Some(Object::Commit(_))) {
        return invalid("Object does not exist");
    }
    let repo = state.repos.get_mut(path).expect("checked by the caller");
    if repo.branches.contains_key(branch) {
        return invalid("Reference already exists");
    }
    repo.branches.insert(branch.to_owned(), sha.to_owned());
    Reply::json(201, ref_json(state, path, branch, sha))
}

/// `PATCH /git/refs/heads/{branch}`: without `force`, only a fast-forward.
fn update_ref(state: &mut State, path: &str, branch: &str, body: &Value) -> Reply {
    let Some(sha) = body["sha"].as_str() else {
        return invalid("Invalid request.\n\n\"sha\" wasn't supplied.");
    };
    let Some(current) = state.repos[path].branches.get(branch).cloned() else {
        return invalid("Reference does not exist");
    };
    if state.store.commit(sha).is_none() {
        return invalid("Object does not exist");
    }
    if body["force"] != true && !state.store.is_ancestor(&current, sha) {
        return invalid("Update is not a fast forward");
    }
    if let Some(repo) = state.repos.get_mut(path) {
        repo.branches.insert(branch.to_owned(), sha.to_owned());
    }
    Reply::json(200, ref_json(state, path, branch, sha))
}
