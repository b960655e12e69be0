//! Sweep files: a sweep described in TOML instead of flags, so that a large
//! sweep is a reviewable file in a repository. Flags given on the command
//! line override the file's values; `--set` axes are added after its axes.
//!
//! ```toml
//! scenario = "cost-optimized"          # name or path (paths relative to this file)
//! trace = "../workloads/peak.csv"      # relative to this file
//! replications = 3
//! seed = 1
//! out = "../reports/sweep-tt"          # relative to this file
//! set = ["scaling.min=1"]              # fixed overrides for every point
//!
//! [slo]                                # overrides the scenario's [slo]
//! p95_ms = 400
//! availability = 0.99
//!
//! [[axis]]
//! key = "scaling.target_tracking.target"
//! range = "50..90:10"                  # start..end:step, inclusive
//!
//! [[axis]]
//! key = "scaling.max"
//! values = [2, 3, 4]
//! ```

use super::{Axis, parse_axis};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    pub scenario: Option<String>,
    pub trace: Option<PathBuf>,
    pub replications: Option<u32>,
    pub seed: Option<u64>,
    pub out: Option<PathBuf>,
    #[serde(default)]
    pub set: Vec<String>,
    pub slo: Option<SloOverride>,
    #[serde(default)]
    pub axis: Vec<AxisSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloOverride {
    pub p95_ms: Option<f64>,
    pub availability: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisSpec {
    pub key: String,
    #[serde(default)]
    pub values: Vec<toml::Value>,
    pub range: Option<String>,
}

/// A sweep file read and checked, paths resolved against its folder.
#[derive(Debug)]
pub struct Loaded {
    pub scenario: Option<String>,
    pub trace: Option<PathBuf>,
    pub replications: Option<u32>,
    pub seed: Option<u64>,
    pub out: Option<PathBuf>,
    /// Fixed overrides (the file's `set` and `[slo]`).
    pub sets: Vec<String>,
    pub axes: Vec<Axis>,
}

fn value_text(v: &toml::Value) -> Result<String, String> {
    Ok(match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        // Lists and tables (an HPA's `metrics`, a service-time distribution)
        // as inline TOML, read back whole by `--set`'s value parser.
        v @ (toml::Value::Array(_) | toml::Value::Table(_)) => inline_toml(v),
        other => {
            return Err(format!(
                "axis values must be strings, numbers, booleans, lists or tables, not {}",
                other.type_str()
            ));
        }
    })
}

/// A TOML value written inline (`[1, 2]`, `{ dist = "constant", mean_ms = 5 }`).
fn inline_toml(v: &toml::Value) -> String {
    match v {
        toml::Value::Array(a) => format!(
            "[{}]",
            a.iter().map(inline_toml).collect::<Vec<_>>().join(", ")
        ),
        toml::Value::Table(t) => format!(
            "{{ {} }}",
            t.iter()
                .map(|(k, v)| format!("{} = {}", toml_key(k), inline_toml(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// A key, quoted when it is not a bare key.
fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        toml::Value::String(k.to_string()).to_string()
    }
}

pub fn load(path: &Path) -> Result<Loaded, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the sweep file {}: {e}", path.display()))?;
    let f: SweepFile =
        toml::from_str(&text).map_err(|e| format!("sweep file {}: {e}", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let rel = |p: PathBuf| if p.is_relative() { dir.join(p) } else { p };
    let mut axes = Vec::new();
    for (i, a) in f.axis.iter().enumerate() {
        let at = format!("sweep file {}: axis[{i}] (`{}`)", path.display(), a.key);
        let axis = match (&a.range, a.values.is_empty()) {
            (Some(r), true) => {
                parse_axis(&format!("{}={r}", a.key)).map_err(|e| format!("{at}: {e}"))?
            }
            (None, false) => Axis {
                key: a.key.clone(),
                values: a
                    .values
                    .iter()
                    .map(value_text)
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("{at}: {e}"))?,
            },
            (Some(_), false) => return Err(format!("{at}: give `values` or `range`, not both")),
            (None, true) => {
                return Err(format!(
                    "{at}: needs `values = [...]` or `range = \"start..end:step\"`"
                ));
            }
        };
        axes.push(axis);
    }
    let mut sets = f.set.clone();
    if let Some(slo) = &f.slo {
        if let Some(v) = slo.p95_ms {
            sets.push(format!("slo.p95_ms={v}"));
        }
        if let Some(v) = slo.availability {
            sets.push(format!("slo.availability={v}"));
        }
    }
    if f.replications == Some(0) {
        return Err(format!(
            "sweep file {}: replications must be at least 1",
            path.display()
        ));
    }
    let scenario = f.scenario.map(|s| {
        if s.ends_with(".toml") || s.contains('/') {
            rel(PathBuf::from(s)).display().to_string()
        } else {
            s
        }
    });
    Ok(Loaded {
        scenario,
        trace: f.trace.map(rel),
        replications: f.replications,
        seed: f.seed,
        out: f.out.map(rel),
        sets,
        axes,
    })
}
