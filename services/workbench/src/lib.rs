//! The browser workbench (upload, scorecard with evidence marked in the text, batches, jobs),
//! served by fazhi itself on the public port beside the REST face it calls. Intranets have no
//! internet: every asset is embedded in the binary at build time (see `build.rs`).
//!
//! - [`assets`]: the embedded build and how each file is answered (gzip, caching, ETag).
//! - [`policy`]: the security headers every workbench answer carries.

mod assets;
mod policy;

use axum::Router;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::routing::get;

pub use policy::{CONTENT_SECURITY_POLICY, content_security_policy, parse_frame_ancestors};

/// Whether the workbench is served, and who may frame it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkbenchConfig {
    /// Serve `/` and its assets (`FAZHI_WORKBENCH`, default on).
    pub enabled: bool,
    /// Origins of platforms that embed the workbench in a frame
    /// (`FAZHI_WORKBENCH_FRAME_ANCESTORS`); empty = this origin only.
    pub frame_ancestors: Vec<String>,
}

impl Default for WorkbenchConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            frame_ancestors: Vec::new(),
        }
    }
}

/// Routes of the workbench: the page at `/` and its assets, or none when it is off. No state:
/// the page calls the REST face from the browser with the user's own key.
pub fn router<S: Clone + Send + Sync + 'static>(cfg: &WorkbenchConfig) -> Router<S> {
    if !cfg.enabled {
        return Router::new();
    }
    let csp = HeaderValue::from_str(&content_security_policy(&cfg.frame_ancestors))
        .unwrap_or_else(|_| HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    let framed_elsewhere = !cfg.frame_ancestors.is_empty();
    Router::new()
        .route("/", get(assets::index))
        .route("/index.html", get(assets::index))
        .route("/favicon.svg", get(assets::favicon))
        .route("/assets/{file}", get(assets::asset))
        .layer(axum::middleware::map_response(move |mut resp: Response| {
            let csp = csp.clone();
            async move {
                policy::apply(resp.headers_mut(), &csp, framed_elsewhere);
                resp
            }
        }))
}
