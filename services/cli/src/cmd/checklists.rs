//! `--checklist-dir`: checklists an operator adds without a rebuild (a new 纲要, a local
//! guide), read once at start, before anything is scored. A file that does not validate stops
//! start-up with its file, line and field.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

#[derive(Debug, Clone, Default, Args)]
pub struct ChecklistDirArgs {
    /// Directory of checklist TOML files loaded beside the built-in ones at start (every
    /// `*.toml` in it, by name); `by_year = false` in a file makes it apply only when named.
    #[arg(long, env = "FAZHI_CHECKLIST_DIR", value_name = "DIR")]
    pub checklist_dir: Option<PathBuf>,
}

impl ChecklistDirArgs {
    /// Reads and installs the directory's checklists (nothing to do without one).
    pub fn install(&self) -> anyhow::Result<()> {
        let Some(dir) = &self.checklist_dir else {
            return Ok(());
        };
        let files = read_dir(dir)?;
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        let count = fazhi_engine::checklist::install(&files)
            .with_context(|| format!("checklist directory {}", dir.display()))?;
        tracing::info!(
            dir = %dir.display(),
            files = ?names,
            checklists = count,
            fingerprint = fazhi_engine::checklist::fingerprint(),
            "checklists loaded"
        );
        Ok(())
    }
}

/// `*.toml` files of `dir`, sorted by name, as (path as given, text).
fn read_dir(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir)
        .with_context(|| format!("reading checklist directory {}", dir.display()))?
    {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("reading checklist file {}", p.display()))?;
            Ok((p.display().to_string(), text))
        })
        .collect()
}
