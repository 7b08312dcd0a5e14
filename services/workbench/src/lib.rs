//! The browser workbench (upload, scorecard with evidence marked in the text, batches, jobs),
//! served by fazhi itself on the public port beside the REST face it calls. Intranets have no
//! internet: every asset is embedded in the binary at build time (see `build.rs`).
//!
//! - [`assets`]: the embedded build and how each file is answered (gzip, caching, ETag).
//! - [`policy`]: the security headers every workbench response carries.

mod assets;
mod policy;

use axum::Router;
use axum::routing::get;

pub use policy::CONTENT_SECURITY_POLICY;

/// Routes of the workbench: the page at `/` and its assets. No state: the page calls the REST
/// face from the browser with the user's own key.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(assets::index))
        .route("/index.html", get(assets::index))
        .route("/favicon.svg", get(assets::favicon))
        .route("/assets/{file}", get(assets::asset))
}
