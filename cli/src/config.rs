//! Where the API is and who we are: flags, then environment, then the config file.
//!
//! The file (`$FORGEFLOW_CONFIG`, else `$XDG_CONFIG_HOME/forgeflow/config.json`, else
//! `~/.config/forgeflow/config.json`) holds `{"endpoint", "ws_url", "token"}` and is written with
//! mode 0600. Its token is only sent to the endpoint it was issued by.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::args::GlobalArgs;
use crate::error::CliError;
use crate::io::Env;

/// The local stack's default address (`make run`).
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8787";

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConfigFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ws_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigFile")
            .field("endpoint", &self.endpoint)
            .field("ws_url", &self.ws_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// What a command runs with.
pub struct Settings {
    pub endpoint: String,
    /// Given by flag, environment or file; otherwise discovered (see `watch::ws_url`).
    pub ws_url: Option<String>,
    /// Given explicitly (flag or environment), so `login` keeps it.
    pub ws_url_explicit: bool,
    pub token: Option<String>,
    pub path: PathBuf,
    pub file: ConfigFile,
    pub json: bool,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("endpoint", &self.endpoint)
            .field("ws_url", &self.ws_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("path", &self.path)
            .finish()
    }
}

impl Settings {
    pub fn resolve(global: &GlobalArgs, env: &Env) -> Result<Self, CliError> {
        let path = config_path(global.config.as_deref(), env)?;
        let file = load(&path)?;
        let endpoint = global
            .endpoint
            .as_deref()
            .or_else(|| env.get("FORGEFLOW_API_URL"))
            .or(file.endpoint.as_deref())
            .unwrap_or(DEFAULT_ENDPOINT);
        let endpoint = normalize_endpoint(endpoint)?;
        // The file's token and socket belong to the file's endpoint (none named: any).
        let file_applies = file
            .endpoint
            .as_deref()
            .is_none_or(|saved| normalize_endpoint(saved).is_ok_and(|saved| saved == endpoint));
        let explicit_ws = global
            .ws_url
            .clone()
            .or_else(|| env.get("FORGEFLOW_WS_URL").map(str::to_owned));
        let ws_url = match &explicit_ws {
            Some(url) => Some(check_ws_url(url)?),
            None => file.ws_url.clone().filter(|_| file_applies),
        };
        let token = env
            .get("FORGEFLOW_TOKEN")
            .map(str::to_owned)
            .or_else(|| file.token.clone().filter(|_| file_applies));
        Ok(Self {
            endpoint,
            ws_url_explicit: explicit_ws.is_some(),
            ws_url,
            token,
            path,
            file,
            json: global.json,
        })
    }
}

/// `--config`, `FORGEFLOW_CONFIG`, `$XDG_CONFIG_HOME/forgeflow/config.json`, `~/.config/…`.
pub fn config_path(flag: Option<&Path>, env: &Env) -> Result<PathBuf, CliError> {
    if let Some(path) = flag {
        return Ok(path.to_owned());
    }
    if let Some(path) = env.get("FORGEFLOW_CONFIG") {
        return Ok(PathBuf::from(path));
    }
    let base = match (env.get("XDG_CONFIG_HOME"), env.get("HOME")) {
        (Some(xdg), _) => PathBuf::from(xdg),
        (None, Some(home)) => Path::new(home).join(".config"),
        (None, None) => {
            return Err(CliError::Usage(
                "no place for the config file: set FORGEFLOW_CONFIG, XDG_CONFIG_HOME or HOME".into(),
            ));
        }
    };
    Ok(base.join("forgeflow").join("config.json"))
}

/// The file's settings; a missing file is an empty one.
pub fn load(path: &Path) -> Result<ConfigFile, CliError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
        Err(err) => {
            return Err(CliError::Config {
                path: path.display().to_string(),
                reason: err.to_string(),
            });
        }
    };
    serde_json::from_slice(&bytes).map_err(|err| CliError::Config {
        path: path.display().to_string(),
        reason: format!("not valid JSON: {err}"),
    })
}

/// Writes the file readable by its owner only (0600; its directory 0700 when created), through
/// a temporary file and a rename so a crash never leaves half a file.
pub fn save(path: &Path, file: &ConfigFile) -> Result<(), CliError> {
    let failed = |err: std::io::Error| CliError::Config {
        path: path.display().to_string(),
        reason: err.to_string(),
    };
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(failed)?;
    let json = serde_json::to_vec_pretty(file).map_err(|err| failed(std::io::Error::other(err)))?;
    let temp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|name| name.to_str()).unwrap_or("config.json")
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(&temp).map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // An older temporary file keeps its mode on open: set it.
        out.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(failed)?;
    }
    out.write_all(&json)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(failed)?;
    out.sync_all().map_err(failed)?;
    std::fs::rename(&temp, path).map_err(failed)
}

/// `http(s)://host[:port][/stage]` without a trailing slash.
pub fn normalize_endpoint(url: &str) -> Result<String, CliError> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| CliError::Usage(format!("endpoint {url:?} must be an http:// or https:// URL")))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(CliError::Usage(format!("endpoint {url:?} has no host")));
    }
    Ok(url.to_owned())
}

fn check_ws_url(url: &str) -> Result<String, CliError> {
    let url = url.trim();
    if url.starts_with("ws://") || url.starts_with("wss://") {
        Ok(url.to_owned())
    } else {
        Err(CliError::Usage(format!(
            "WebSocket URL {url:?} must start with ws:// or wss://"
        )))
    }
}

/// `ws(s)://host/ws` for an API at `http(s)://host/...`: the local stack's socket.
pub fn derived_ws_url(endpoint: &str) -> String {
    let (scheme, rest) = match endpoint.strip_prefix("https://") {
        Some(rest) => ("wss", rest),
        None => ("ws", endpoint.strip_prefix("http://").unwrap_or(endpoint)),
    };
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}/ws")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(endpoint: Option<&str>) -> GlobalArgs {
        GlobalArgs {
            endpoint: endpoint.map(str::to_owned),
            ws_url: None,
            config: None,
            json: false,
        }
    }

    fn env_with_file(file: &ConfigFile) -> (tempfile::TempDir, Env) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        save(&path, file).unwrap();
        let env = Env::empty().with("FORGEFLOW_CONFIG", path.to_str().unwrap());
        (dir, env)
    }

    #[test]
    fn flag_beats_environment_beats_file_beats_default() {
        let file = ConfigFile {
            endpoint: Some("http://file:1".into()),
            ..Default::default()
        };
        let (_dir, env) = env_with_file(&file);
        assert_eq!(
            Settings::resolve(&global(None), &env).unwrap().endpoint,
            "http://file:1"
        );
        let env = env.with("FORGEFLOW_API_URL", "http://env:2/");
        assert_eq!(Settings::resolve(&global(None), &env).unwrap().endpoint, "http://env:2");
        assert_eq!(
            Settings::resolve(&global(Some("https://flag:3")), &env)
                .unwrap()
                .endpoint,
            "https://flag:3"
        );
        let dir = tempfile::tempdir().unwrap();
        let none = Env::empty().with("HOME", dir.path().to_str().unwrap());
        assert_eq!(
            Settings::resolve(&global(None), &none).unwrap().endpoint,
            DEFAULT_ENDPOINT
        );
    }

    #[test]
    fn the_files_token_goes_only_to_its_own_endpoint() {
        let file = ConfigFile {
            endpoint: Some("http://local:8787".into()),
            ws_url: Some("ws://local:8787/ws".into()),
            token: Some("secret".into()),
        };
        let (_dir, env) = env_with_file(&file);
        let settings = Settings::resolve(&global(None), &env).unwrap();
        assert_eq!(settings.token.as_deref(), Some("secret"));
        assert_eq!(settings.ws_url.as_deref(), Some("ws://local:8787/ws"));
        let elsewhere = Settings::resolve(&global(Some("https://prod.example.com")), &env).unwrap();
        assert_eq!(elsewhere.token, None);
        assert_eq!(elsewhere.ws_url, None);
        let env = env.with("FORGEFLOW_TOKEN", "from-env");
        let elsewhere = Settings::resolve(&global(Some("https://prod.example.com")), &env).unwrap();
        assert_eq!(elsewhere.token.as_deref(), Some("from-env"));
    }

    #[test]
    fn xdg_then_home() {
        let env = Env::empty().with("HOME", "/home/ada");
        assert_eq!(
            config_path(None, &env).unwrap(),
            PathBuf::from("/home/ada/.config/forgeflow/config.json")
        );
        let env = env.with("XDG_CONFIG_HOME", "/xdg");
        assert_eq!(
            config_path(None, &env).unwrap(),
            PathBuf::from("/xdg/forgeflow/config.json")
        );
        assert!(config_path(None, &Env::empty()).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private_and_round_trips() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/forgeflow/config.json");
        let file = ConfigFile {
            endpoint: Some("http://x".into()),
            ws_url: None,
            token: Some("t".into()),
        };
        save(&path, &file).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load(&path).unwrap(), file);
        assert!(!format!("{file:?}").contains("\"t\""));
    }

    #[test]
    fn bad_endpoints_and_ws_urls_are_refused() {
        assert!(normalize_endpoint("ftp://x").is_err());
        assert!(normalize_endpoint("http://").is_err());
        assert!(check_ws_url("http://x/ws").is_err());
        assert_eq!(derived_ws_url("http://127.0.0.1:8787"), "ws://127.0.0.1:8787/ws");
        assert_eq!(
            derived_ws_url("https://api.example.com/prod"),
            "wss://api.example.com/ws"
        );
    }

    #[test]
    fn a_broken_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, "{not json").unwrap();
        let err = load(&path).unwrap_err();
        assert!(err.to_string().contains("config.json"), "{err}");
    }
}
