//! The optional TOML config file (`--config FILE` / `FAZHI_CONFIG`).
//!
//! Precedence is flags > environment > file > built-in defaults. The file's values are installed
//! as clap *defaults* before parsing, so clap's own flag-then-env lookup still wins over them.
//!
//! Keys are the environment variable names without the `FAZHI_` prefix, lowercased; a table adds
//! its name as a prefix. These two files are equivalent:
//!
//! ```toml
//! grpc_addr = "0.0.0.0:50051"
//! load_concurrency = 32
//! ```
//!
//! ```toml
//! grpc_addr = "0.0.0.0:50051"
//! [load]
//! concurrency = 32
//! ```
//!
//! Arrays become comma-separated values. An unknown key is an error, so a typo never silently
//! falls back to a default.

use std::{
    collections::{BTreeMap, BTreeSet},
    ffi::OsString,
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use clap::{Arg, Command};

/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "FAZHI_CONFIG";

/// Finds the config file named on the command line (`--config FILE`, `--config=FILE`) or, failing
/// that, in `FAZHI_CONFIG`.
pub fn locate(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter().skip(1);
    while let Some(arg) = it.next() {
        let Some(s) = arg.to_str() else { continue };
        if s == "--" {
            break;
        }
        if s == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(v) = s.strip_prefix("--config=") {
            return Some(PathBuf::from(v));
        }
    }
    std::env::var_os(CONFIG_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Reads a config file into `FAZHI_*` name → value.
pub fn load(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    parse(&text).with_context(|| format!("bad config file {}", path.display()))
}

fn parse(text: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let table: toml::Table = toml::from_str(text)?;
    let mut out = BTreeMap::new();
    flatten("FAZHI", &table, &mut out)?;
    Ok(out)
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut BTreeMap<String, String>,
) -> anyhow::Result<()> {
    for (key, value) in table {
        let name = format!("{prefix}_{}", key.to_ascii_uppercase().replace('-', "_"));
        match value {
            toml::Value::Table(t) => flatten(&name, t, out)?,
            toml::Value::Array(items) => {
                let parts = items
                    .iter()
                    .map(|v| scalar(&name, v))
                    .collect::<anyhow::Result<Vec<_>>>()?;
                out.insert(name, parts.join(","));
            }
            v => {
                let s = scalar(&name, v)?;
                out.insert(name, s);
            }
        }
    }
    Ok(())
}

fn scalar(name: &str, v: &toml::Value) -> anyhow::Result<String> {
    Ok(match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(_) | toml::Value::Table(_) => {
            bail!("{name}: nested arrays and tables inside arrays are not supported")
        }
    })
}

/// Installs `values` as the defaults of every argument whose env twin they name, in `cmd` and all
/// its subcommands. Errors on keys that match no argument.
pub fn apply(cmd: Command, values: &BTreeMap<String, String>) -> anyhow::Result<Command> {
    let mut used = BTreeSet::new();
    let cmd = apply_rec(cmd, values, &mut used);
    let unknown: Vec<_> = values
        .keys()
        .filter(|k| !used.contains(*k) && k.as_str() != CONFIG_ENV)
        .map(|k| k.trim_start_matches("FAZHI_").to_ascii_lowercase())
        .collect();
    if !unknown.is_empty() {
        bail!(
            "unknown key(s) in config file: {} (keys are the FAZHI_* env names without the prefix, lowercased)",
            unknown.join(", ")
        );
    }
    Ok(cmd)
}

fn apply_rec(
    cmd: Command,
    values: &BTreeMap<String, String>,
    used: &mut BTreeSet<String>,
) -> Command {
    let cmd = cmd.mut_args(|arg: Arg| {
        let Some(env) = arg.get_env().and_then(|e| e.to_str()).map(str::to_owned) else {
            return arg;
        };
        match values.get(&env) {
            Some(v) => {
                used.insert(env);
                // clap without its "string" feature takes defaults as &'static str; a config
                // file is read once per process, so leaking these few strings is fine.
                let v: &'static str = Box::leak(v.clone().into_boxed_str());
                arg.default_value(v)
            }
            None => arg,
        }
    });
    cmd.mut_subcommands(|sub| apply_rec(sub, values, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_tables_and_arrays() {
        let m = parse(
            "grpc_addr = \"0.0.0.0:1\"\nworkers = 3\n[load]\nconcurrency = 8\nvary = true\n[x]\nlist = [\"a\", \"b\"]\n",
        )
        .unwrap();
        assert_eq!(m["FAZHI_GRPC_ADDR"], "0.0.0.0:1");
        assert_eq!(m["FAZHI_WORKERS"], "3");
        assert_eq!(m["FAZHI_LOAD_CONCURRENCY"], "8");
        assert_eq!(m["FAZHI_LOAD_VARY"], "true");
        assert_eq!(m["FAZHI_X_LIST"], "a,b");
    }

    #[test]
    fn locates_flag_forms() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            locate(&args(&["fazhi", "serve", "--config", "a.toml"])),
            Some(PathBuf::from("a.toml"))
        );
        assert_eq!(
            locate(&args(&["fazhi", "--config=b.toml", "serve"])),
            Some(PathBuf::from("b.toml"))
        );
    }
}
