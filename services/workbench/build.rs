//! Builds the front end in `web/` with the project's own npm scripts (`npm ci`, `npm run build`:
//! type check, Vite bundle, gzip copies) into OUT_DIR, which `src/assets.rs` embeds — so a fresh
//! clone builds with `cargo build` alone, given Node.js and the npm registry. `FAZHI_WEB_DIST`
//! names a directory built elsewhere (a container stage with Node) and skips npm.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const SOURCES: &[&str] = &[
    "src",
    "public",
    "scripts",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
];

fn main() {
    println!("cargo:rerun-if-env-changed=FAZHI_WEB_DIST");
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let web = manifest.join("web");
    for source in SOURCES {
        println!("cargo:rerun-if-changed={}", web.join(source).display());
    }
    let dist = match env::var_os("FAZHI_WEB_DIST") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("web");
            if stale(
                &web.join("package-lock.json"),
                &web.join("node_modules/.package-lock.json"),
            ) {
                npm(&web, &["ci", "--no-audit", "--no-fund"], &out);
            }
            npm(&web, &["run", "build"], &out);
            out
        }
    };
    if !dist.join("index.html").is_file() {
        panic!(
            "the workbench build left no index.html in {}",
            dist.display()
        );
    }
    println!("cargo:rustc-env=FAZHI_WEB_ASSETS={}", dist.display());
}

/// `npm ci` again when the lock file changed after the last install (or there was none).
fn stale(lock: &Path, installed: &Path) -> bool {
    let modified = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    match (modified(lock), modified(installed)) {
        (Some(l), Some(i)) => l > i,
        (_, None) => true,
        (None, Some(_)) => false,
    }
}

fn npm(web: &Path, args: &[&str], out: &Path) {
    let status = Command::new("npm")
        .args(args)
        .current_dir(web)
        .env("FAZHI_WEB_OUT", out)
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "running npm {} in {}: {e} — the workbench front end needs Node.js ≥ 20.19 and \
                 npm (or set FAZHI_WEB_DIST to a built front end)",
                args.join(" "),
                web.display()
            )
        });
    if !status.success() {
        panic!(
            "npm {} in {} failed ({status})",
            args.join(" "),
            web.display()
        );
    }
}
