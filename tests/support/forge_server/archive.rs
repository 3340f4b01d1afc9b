//! A commit's tree as the forges archive it, i.e. `git archive --format=tar.gz --prefix=<top>/`:
//! a pax global header with the commit id, then every directory before its contents, files with
//! git's modes, all dated at the commit, owned by root.

use flate2::Compression;
use flate2::write::GzEncoder;
use tar::{Builder, EntryType, Header};

use super::store::Store;

/// The archive of `commit` with every entry under `top/`. `None` for an unknown commit.
pub(crate) fn tar_gz(store: &Store, commit: &str, top: &str) -> Option<Vec<u8>> {
    let info = store.commit(commit)?;
    let mut entries = Vec::new();
    store.walk(&info.tree, "", &mut |path, item| {
        entries.push((path, item.mode.clone(), item.sha.clone()));
    });
    let mut builder = Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    let header = |kind: EntryType, mode: u32| {
        let mut header = Header::new_ustar();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(info.time.max(0) as u64);
        header.set_username("root").expect("a short name");
        header.set_groupname("root").expect("a short name");
        header
    };
    let comment = pax_record("comment", commit);
    let mut global = header(EntryType::XGlobalHeader, 0o666);
    global.set_size(comment.len() as u64);
    builder
        .append_data(&mut global, "pax_global_header", comment.as_bytes())
        .ok()?;
    let mut root = header(EntryType::Directory, 0o755);
    builder.append_data(&mut root, format!("{top}/"), &[][..]).ok()?;
    for (path, mode, sha) in entries {
        let at = format!("{top}/{path}");
        let written = match mode.as_str() {
            // A subtree, or a submodule: git archives a submodule as an empty directory.
            "40000" | "160000" => {
                builder.append_data(&mut header(EntryType::Directory, 0o755), format!("{at}/"), &[][..])
            }
            "120000" => {
                let target = String::from_utf8_lossy(store.blob(&sha)?).into_owned();
                builder.append_link(&mut header(EntryType::Symlink, 0o777), at, target)
            }
            _ => {
                let content = store.blob(&sha)?;
                let mut file = header(EntryType::Regular, if mode == "100755" { 0o755 } else { 0o644 });
                file.set_size(content.len() as u64);
                builder.append_data(&mut file, at, content)
            }
        };
        written.ok()?;
    }
    builder.into_inner().ok()?.finish().ok()
}

/// One pax record, `<length> <key>=<value>\n`, whose length counts its own digits.
fn pax_record(key: &str, value: &str) -> String {
    let body = format!(" {key}={value}\n");
    let mut length = body.len();
    while (length.to_string().len() + body.len()) != length {
        length = length.to_string().len() + body.len();
    }
    format!("{length}{body}")
}
