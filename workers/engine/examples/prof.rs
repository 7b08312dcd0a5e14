//! Profiling driver: assesses every corpus file (seeds + synthetic) N times, for callgrind:
//! `valgrind --tool=callgrind target/release/examples/prof 10 [name-filter]`.
use fazhi_engine::{Hints, Limits, Submission};
use std::path::PathBuf;

/// The `fazhi` binary's allocator: a profile of the engine as it runs there.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let dir = std::env::var_os("FAZHI_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        });
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let only = std::env::args().nth(2);
    let mut files = Vec::new();
    for sub in ["seeds", "synthetic"] {
        for e in std::fs::read_dir(dir.join(sub))
            .into_iter()
            .flatten()
            .flatten()
        {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "txt") {
                if only
                    .as_ref()
                    .is_some_and(|o| !p.to_string_lossy().contains(o.as_str()))
                {
                    continue;
                }
                files.push(std::fs::read(&p).unwrap());
            }
        }
    }
    let limits = Limits::default();
    let hints = Hints::default();
    let mut ok = 0;
    for _ in 0..n {
        for b in &files {
            let sub = Submission {
                content: b,
                media_type: "",
                filename: "",
                charset: "",
                hints: &hints,
                checklist_id: None,
            };
            if fazhi_engine::assess(&sub, &limits).is_ok() {
                ok += 1;
            }
        }
    }
    println!("{} files, {ok} ok", files.len());
}
