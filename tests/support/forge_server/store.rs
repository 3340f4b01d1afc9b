//! A content-addressed git object store with git's real object ids (blob, tree, commit), so the
//! ids the forge server hands out are the ones `git hash-object` and the generator's manifest
//! compute, and a tree can be rebuilt from them.

use std::collections::{BTreeMap, HashMap};

use sha1::{Digest, Sha1};

/// `path → (mode, object id)`: blobs and submodule commits, nested trees flattened.
pub type Flat = BTreeMap<String, (String, String)>;

#[derive(Debug, Clone)]
pub struct TreeItem {
    pub name: String,
    /// `100644`, `100755`, `120000`, `160000` or `40000` (a subtree, as git writes it).
    pub mode: String,
    pub sha: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub sha: String,
    pub tree: String,
    pub parents: Vec<String>,
    pub message: String,
    pub author_name: String,
    pub author_email: String,
    /// Seconds since the epoch.
    pub time: i64,
}

#[derive(Debug, Clone)]
pub enum Object {
    Blob(Vec<u8>),
    Tree(Vec<TreeItem>),
    Commit(CommitInfo),
}

#[derive(Debug, Default)]
pub struct Store {
    objects: HashMap<String, Object>,
}

fn hash(kind: &str, body: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("{kind} {}\0", body.len()).as_bytes());
    hasher.update(body);
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

fn raw_id(sha: &str) -> Vec<u8> {
    (0..sha.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&sha[at..at + 2], 16).unwrap_or(0))
        .collect()
}

impl Store {
    pub fn get(&self, sha: &str) -> Option<&Object> {
        self.objects.get(sha)
    }

    pub fn blob(&self, sha: &str) -> Option<&[u8]> {
        match self.objects.get(sha) {
            Some(Object::Blob(bytes)) => Some(bytes),
            _ => None,
        }
    }

    pub fn commit(&self, sha: &str) -> Option<&CommitInfo> {
        match self.objects.get(sha) {
            Some(Object::Commit(commit)) => Some(commit),
            _ => None,
        }
    }

    pub fn tree(&self, sha: &str) -> Option<&[TreeItem]> {
        match self.objects.get(sha) {
            Some(Object::Tree(items)) => Some(items),
            _ => None,
        }
    }

    pub fn put_blob(&mut self, bytes: Vec<u8>) -> String {
        let sha = hash("blob", &bytes);
        self.objects.entry(sha.clone()).or_insert(Object::Blob(bytes));
        sha
    }

    /// Writes the nested trees for `files` and returns the root's id.
    pub fn put_flat(&mut self, files: &Flat) -> String {
        let entries: Vec<(&str, &str, &str)> = files
            .iter()
            .map(|(path, (mode, sha))| (path.as_str(), mode.as_str(), sha.as_str()))
            .collect();
        self.put_tree(&entries)
    }

    fn put_tree(&mut self, entries: &[(&str, &str, &str)]) -> String {
        let mut items = Vec::new();
        let mut dirs: BTreeMap<&str, Vec<(&str, &str, &str)>> = BTreeMap::new();
        for &(path, mode, sha) in entries {
            match path.split_once('/') {
                Some((dir, rest)) => dirs.entry(dir).or_default().push((rest, mode, sha)),
                None => items.push(TreeItem {
                    name: path.to_owned(),
                    mode: mode.to_owned(),
                    sha: sha.to_owned(),
                }),
            }
        }
        for (dir, sub) in dirs {
            let sha = self.put_tree(&sub);
            items.push(TreeItem {
                name: dir.to_owned(),
                mode: "40000".to_owned(),
                sha,
            });
        }
        // git orders a subtree as if its name ended with '/'.
        let key = |item: &TreeItem| {
            let mut key = item.name.clone().into_bytes();
            if item.mode == "40000" {
                key.push(b'/');
            }
            key
        };
        items.sort_by_key(key);
        let mut body = Vec::new();
        for item in &items {
            body.extend_from_slice(format!("{} {}\0", item.mode, item.name).as_bytes());
            body.extend_from_slice(&raw_id(&item.sha));
        }
        let sha = hash("tree", &body);
        self.objects.entry(sha.clone()).or_insert(Object::Tree(items));
        sha
    }

    /// Every blob and submodule under `tree`, by path.
    pub fn flatten(&self, tree: &str) -> Flat {
        let mut out = Flat::new();
        self.walk(tree, "", &mut |path, item| {
            if item.mode != "40000" {
                out.insert(path, (item.mode.clone(), item.sha.clone()));
            }
        });
        out
    }

    /// Every entry under `tree` (subtrees included), depth first, as GitHub lists a recursive tree.
    pub fn walk(&self, tree: &str, prefix: &str, visit: &mut dyn FnMut(String, &TreeItem)) {
        for item in self.tree(tree).unwrap_or_default() {
            let path = format!("{prefix}{}", item.name);
            visit(path.clone(), item);
            if item.mode == "40000" {
                self.walk(&item.sha, &format!("{path}/"), visit);
            }
        }
    }

    pub fn put_commit(&mut self, mut commit: CommitInfo) -> String {
        let mut body = format!("tree {}\n", commit.tree);
        for parent in &commit.parents {
            body.push_str(&format!("parent {parent}\n"));
        }
        let who = format!("{} <{}> {} +0000", commit.author_name, commit.author_email, commit.time);
        body.push_str(&format!("author {who}\ncommitter {who}\n\n{}", commit.message));
        commit.sha = hash("commit", body.as_bytes());
        let sha = commit.sha.clone();
        self.objects.entry(sha.clone()).or_insert(Object::Commit(commit));
        sha
    }

    /// Whether `ancestor` is `descendant` or reachable from it through parents.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> bool {
        let mut pending = vec![descendant.to_owned()];
        let mut seen = std::collections::HashSet::new();
        while let Some(sha) = pending.pop() {
            if sha == ancestor {
                return true;
            }
            if seen.insert(sha.clone())
                && let Some(commit) = self.commit(&sha)
            {
                pending.extend(commit.parents.iter().cloned());
            }
        }
        false
    }

    /// The files of a commit.
    pub fn files_at(&self, commit: &str) -> Flat {
        self.commit(commit).map(|c| self.flatten(&c.tree)).unwrap_or_default()
    }

    /// GitLab's "last commit for path" as of `commit`, along first parents: the newest commit
    /// whose parent had the path different (or not at all). `None` when the path is absent.
    pub fn last_commit_for_path(&self, commit: &str, path: &str) -> Option<String> {
        let mut current = commit.to_owned();
        let value = self.files_at(&current).get(path).cloned()?;
        loop {
            let parent = self.commit(&current).and_then(|c| c.parents.first().cloned());
            match parent {
                Some(parent) if self.files_at(&parent).get(path) == Some(&value) => current = parent,
                _ => return Some(current),
            }
        }
    }
}
