//! The embedded front end. Vite names every asset by its content hash, so assets are cached
//! for a year; the page itself is revalidated by ETag so a new release shows at once. Browsers
//! that accept gzip get the copy the build compressed (intranet links are slow).

use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$FAZHI_WEB_ASSETS"]
struct Build;

pub(crate) async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers, false)
}

pub(crate) async fn favicon(headers: HeaderMap) -> Response {
    serve("favicon.svg", &headers, false)
}

pub(crate) async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    serve(&format!("assets/{file}"), &headers, true)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "woff2" => "font/woff2",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// One embedded file, or 404 (`.gz` copies are never served by their own name).
fn serve(path: &str, headers: &HeaderMap, immutable: bool) -> Response {
    let Some(file) = (!path.ends_with(".gz")).then(|| Build::get(path)).flatten() else {
        return (StatusCode::NOT_FOUND, "no such workbench file\n").into_response();
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let mut resp = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match Build::get(&format!("{path}.gz")).filter(|_| accepts_gzip(headers)) {
            Some(gz) => {
                let mut r = Body::from(gz.data.into_owned()).into_response();
                r.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                r
            }
            None => Body::from(file.data.into_owned()).into_response(),
        }
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_encoding(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(v).expect("ascii"),
        );
        h
    }

    #[test]
    fn gzip_only_when_accepted() {
        assert!(accepts_gzip(&with_encoding("gzip, deflate, br")));
        assert!(accepts_gzip(&with_encoding("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&with_encoding("*")));
        assert!(!accepts_gzip(&with_encoding("gzip;q=0")));
        assert!(!accepts_gzip(&with_encoding("br, deflate")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn the_build_holds_the_page_and_hashed_assets() {
        let index = Build::get("index.html").expect("index.html embedded");
        let html = String::from_utf8_lossy(&index.data);
        // The page loads its script and style from its own origin, never inline.
        assert!(
            html.contains("<script type=\"module\" crossorigin src=\"./assets/"),
            "{html}"
        );
        assert!(
            !html.contains("<script>") && !html.contains("<style"),
            "{html}"
        );
        let assets: Vec<_> = Build::iter().filter(|p| p.starts_with("assets/")).collect();
        assert!(assets.iter().any(|p| p.ends_with(".js")), "{assets:?}");
        assert!(assets.iter().any(|p| p.ends_with(".js.gz")), "{assets:?}");
    }

    #[test]
    fn gz_copies_are_not_addressable_and_unknown_files_404() {
        let gz = Build::iter()
            .find(|p| p.ends_with(".js.gz"))
            .expect("a gzip copy");
        assert_eq!(
            serve(&gz, &HeaderMap::new(), true).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            serve("assets/nope.js", &HeaderMap::new(), true).status(),
            StatusCode::NOT_FOUND
        );
    }
}
