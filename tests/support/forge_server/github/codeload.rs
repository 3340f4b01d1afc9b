//! GitHub's archives: `GET /repos/{o}/{r}/tarball/{ref}` answers a 302 to codeload.github.com
//! (here `/_codeload/…` on the same server), which sends the tar.gz under `{o}-{r}-{sha7}/`.
//! Like the real one, codeload ignores the Authorization header (a client drops it on the way to
//! another host) and wants the short-lived `token` the redirect put in the URL of a private
//! repository.

use sha1::{Digest, Sha1};

use super::not_found;
use crate::forge_server::State;
use crate::forge_server::archive;
use crate::forge_server::http::{Reply, Req};

/// `reference`: a branch, a commit id, or empty for the default branch.
pub(crate) fn tarball(state: &State, path: &str, reference: &str) -> Reply {
    let repo = &state.repos[path];
    let reference = if reference.is_empty() {
        repo.default_branch.as_str()
    } else {
        reference
    };
    let sha = match repo.branches.get(reference) {
        Some(head) => head.clone(),
        None if state.store.commit(reference).is_some() => reference.to_owned(),
        None => return not_found(),
    };
    let mut location = format!("{}/_codeload/{path}/legacy.tar.gz/{sha}", state.base_url);
    if repo.private {
        location = format!("{location}?token={}", token(path, &sha));
    }
    Reply::redirect(&location)
}

/// `GET /_codeload/{o}/{r}/legacy.tar.gz/{sha}`.
pub(crate) fn codeload(state: &State, req: &Req) -> Reply {
    let segs = req.segs();
    let ["_codeload", owner, name, "legacy.tar.gz", sha] = segs.as_slice() else {
        return missing();
    };
    let path = format!("{owner}/{name}");
    let Some(repo) = state.repos.get(&path) else {
        return missing();
    };
    if repo.private && req.query.get("token") != Some(&token(&path, sha)) {
        return missing();
    }
    let top = format!("{owner}-{name}-{}", &sha[..sha.len().min(7)]);
    let Some(bytes) = archive::tar_gz(&state.store, sha, &top) else {
        return missing();
    };
    Reply::bytes("application/x-gzip", bytes)
        .header("content-disposition", format!("attachment; filename={top}.tar.gz"))
}

/// codeload's answer to anything it will not serve, private or absent alike.
fn missing() -> Reply {
    Reply {
        status: 404,
        ..Reply::raw(b"404: Not Found".to_vec())
    }
}

/// The token a redirect hands out for one archive: derived, so the server keeps no list.
fn token(path: &str, sha: &str) -> String {
    let digest = Sha1::digest(format!("codeload {path} {sha}").as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02X}")).collect();
    format!("AC{}", &hex[..30])
}
