//! The browser page (`web/`), served as CloudFront serves it in AWS, plus the `config.json`
//! that CDK deploys beside it: here the API is the same origin and the socket is `/ws`.

use std::path::{Component, Path, PathBuf};

use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Bytes;
use serde_json::json;

/// Where the page's files are: `FORGEFLOW_WEB_DIR`, or `web/` in this repository.
pub fn web_dir() -> PathBuf {
    std::env::var_os("FORGEFLOW_WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../web"))
}

/// The page's file for a GET of `path`, or `None` if it is not one.
pub fn serve(dir: &Path, path: &str, host: &str, ws_path: &str) -> Option<Response<Full<Bytes>>> {
    if path == "/config.json" {
        let config = json!({"apiUrl": "", "wsUrl": format!("ws://{host}{ws_path}")});
        return Some(file_response(config.to_string().into_bytes(), "application/json"));
    }
    let relative = if path == "/" {
        "index.html"
    } else {
        path.trim_start_matches('/')
    };
    let relative = Path::new(relative);
    // Only plain names below the directory: no `..`, no absolute paths, no hidden files.
    let plain = relative.components().all(|component| match component {
        Component::Normal(name) => !name.to_string_lossy().starts_with('.'),
        _ => false,
    });
    if !plain {
        return None;
    }
    let bytes = std::fs::read(dir.join(relative)).ok()?;
    Some(file_response(bytes, content_type(relative)))
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|ext| ext.to_str()).unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// The policy CloudFront sends (infra/lib/web.ts), but `connect-src` allows any host: locally
/// the API, the socket and the presigned downloads (moto) are on 127.0.0.1 ports.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self' ws: wss: http: https:; object-src 'none'; base-uri 'self'; \
    form-action 'self'; frame-ancestors 'none'";

fn file_response(bytes: Vec<u8>, content_type: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_outside_the_directory_and_hidden_files() {
        let dir = tempfile_dir();
        std::fs::write(dir.join("index.html"), "<h1>hi</h1>").unwrap();
        std::fs::write(dir.join(".env"), "SECRET=1").unwrap();
        assert!(serve(&dir, "/", "h", "/ws").is_some());
        assert!(serve(&dir, "/index.html", "h", "/ws").is_some());
        for bad in ["/../Cargo.toml", "/.env", "//etc/passwd", "/missing.js"] {
            assert!(serve(&dir, bad, "h", "/ws").is_none(), "{bad}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn config_points_the_page_at_this_host() {
        use http_body_util::BodyExt;
        let response = serve(Path::new("/nonexistent"), "/config.json", "127.0.0.1:9", "/ws").unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let config: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(config["wsUrl"], "ws://127.0.0.1:9/ws");
        assert_eq!(config["apiUrl"], "");
    }

    #[test]
    fn serves_the_modules_in_sub_folders_with_the_strict_policy() {
        let dir = tempfile_dir();
        std::fs::create_dir_all(dir.join("js/views")).unwrap();
        std::fs::write(dir.join("js/views/run.js"), "export {}").unwrap();
        let response = serve(&dir, "/js/views/run.js", "h", "/ws").unwrap();
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        let policy = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        for directive in [
            "script-src 'self'",
            "style-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(directive), "{directive} in {policy}");
        }
        assert!(!policy.contains("unsafe-inline"));
        assert!(serve(&dir, "/js/../../x", "h", "/ws").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("forgeflow-web-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
