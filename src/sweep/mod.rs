//! Parameter sweeps: a grid of scenario overrides × replications, run in
//! parallel with rayon, one result row per grid point (mean and 95 %
//! confidence interval across replications, Student's t), reproducible
//! (a point's seeds derive from the run seed and the point's parameters, so
//! results do not depend on threads or order), resumable (each finished point
//! is its own file, written under a temporary name and renamed), and
//! shardable (`--shard K/N` runs the points whose index is K mod N;
//! [`merge`] joins shard directories into the unsharded `results.csv`).

pub mod file;
mod grid;
pub mod page;
#[cfg(feature = "parquet")]
mod parquet;
mod plan;
mod store;
pub use grid::*;
pub use plan::*;
pub use store::*;

use crate::billing::PriceBook;
use crate::billing::budget::projected_month_usd;
use crate::engine::ArrivalProcess;
use crate::metrics::table::SweepTable;
use crate::report::sweep::{heatmap_png as heatmap_chart, pareto_png as pareto_chart};
use crate::report::write_file_atomically;
use crate::rng::mix64;
use crate::run::{Rows, run_one_mode};
use crate::scenario;
use crate::trace::{TraceMeta, TraceReader, TraceRow, scan};
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::path::{Path, PathBuf};

/// The metrics a sweep aggregates, from one run's summary.
pub const METRICS: &[&str] = &[
    "cost_total_usd",
    "projected_month_usd",
    "latency_p95_ms",
    "latency_p99_ms",
    "availability",
    "replicas_mean",
    "requests_dropped",
    "requests_rejected",
    // Windowed SLO (docs/sweeps.md): the share of `slo.window`s within the
    // point's own p95 target, the p95 that `slo.windows_met_pct` % of the
    // windows stay within (the windowed SLO holds for any target at or above
    // it, so a plan judges its own target from it), and goodput against the
    // point's own target.
    "slo_windows_met_pct",
    "slo_window_p95_ms",
    "requests_within_slo_pct",
];

fn metric_values(
    out: &crate::metrics::RunOutcome,
    slo: &scenario::Slo,
    start_epoch_us: i64,
) -> Vec<f64> {
    let s = &out.summary;
    let w = crate::metrics::judge_windows(&out.windows, slo.p95_ms, slo.windows_met_pct);
    vec![
        s.cost_total_usd(),
        projected_month_usd(s, start_epoch_us),
        s.latency_p95_ms.unwrap_or(f64::NAN),
        s.latency_p99_ms.unwrap_or(f64::NAN),
        s.availability(),
        s.replicas_mean,
        s.requests_dropped as f64,
        s.requests_rejected as f64,
        w.met_pct.unwrap_or(f64::NAN),
        w.quantile_p95_ms.unwrap_or(f64::NAN),
        s.requests_within_slo_pct().unwrap_or(f64::NAN),
    ]
}

/// Mean and half-width of the 95 % confidence interval (Student's t); the
/// half-width is NaN with one replication.
pub fn mean_ci95(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let t = StudentsT::new(0.0, 1.0, n - 1.0)
        .expect("n >= 2")
        .inverse_cdf(0.975);
    (mean, t * (var / n).sqrt())
}

/// What a sweep runs.
#[derive(Clone, Debug)]
pub struct SweepSpec {
    pub scenario: String,
    pub trace: PathBuf,
    pub axes: Vec<Axis>,
    pub base_sets: Vec<String>,
    pub env: Vec<(String, String)>,
    pub replications: u32,
    pub seed: u64,
    pub arrivals: ArrivalProcess,
    /// (K, N): run the points with index ≡ K (mod N).
    pub shard: Option<(usize, usize)>,
    /// Only these grid points (the planner's search), when given.
    pub subset: Option<Vec<usize>>,
    /// Draw pareto.png (and heatmap.png for two axes).
    pub charts: bool,
    /// Judge the points against this SLO instead of each point's own (the
    /// planner's target); not part of the sweep's identity, so a plan with
    /// another target reuses the simulated points.
    pub judge: Option<Judge>,
    /// Replace a folder that holds a different sweep (`--force`).
    pub force: bool,
    /// The request-level engine or the fluid screen (`--mode fluid`).
    pub mode: crate::engine::SimMode,
}

/// The SLO a planner judges points by.
#[derive(Clone, Debug, PartialEq)]
pub struct Judge {
    pub slo: scenario::Slo,
    /// Goodput columns are blanked: they count against the scenario's own
    /// latency target, not this one.
    pub blank_goodput: bool,
}

impl Judge {
    /// Whether a row's means meet the SLO: the mean p95, the windowed p95
    /// and the mean availability.
    pub fn met(&self, mean: impl Fn(&str) -> f64) -> bool {
        let slo = &self.slo;
        let window = mean("slo_window_p95_ms");
        slo.p95_met(Some(mean("latency_p95_ms")))
            && slo.availability_met(mean("availability"))
            && (window.is_nan() || window <= slo.p95_ms)
    }
}

/// The identity of a sweep, stored in its directory so that a resumed or
/// merged directory is known to hold the same sweep.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SweepId {
    pub scenario: String,
    pub trace: String,
    pub axes: Vec<Axis>,
    pub base_sets: Vec<String>,
    pub replications: u32,
    pub seed: u64,
    pub points: usize,
    /// The metrics of its point files (a folder written by an older meshsim
    /// has other columns and cannot be resumed).
    #[serde(default)]
    pub metrics: Vec<String>,
    /// The fluid screen's points are not the engine's (written only for a
    /// fluid sweep, so an exact sweep's description is as before).
    #[serde(default, skip_serializing_if = "crate::engine::SimMode::is_exact")]
    pub mode: crate::engine::SimMode,
}

/// How a sweep went.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepReport {
    pub points: usize,
    pub computed: usize,
    pub reused: usize,
    /// The results of the points run (the whole table, as `results.csv`).
    pub results: Assembled,
}

/// Runs a sweep into `dir` (resuming what is already there).
pub fn run(spec: &SweepSpec, dir: &Path, book: &PriceBook) -> anyhow::Result<SweepReport> {
    run_with_progress(spec, dir, book, &|_, _| {})
}

/// [`run`], calling `progress(done, total)` after each finished point (from
/// worker threads) so the caller can draw a progress bar.
pub fn run_with_progress(
    spec: &SweepSpec,
    dir: &Path,
    book: &PriceBook,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<SweepReport> {
    let points = grid(&spec.axes);
    let id = SweepId {
        scenario: spec.scenario.clone(),
        trace: spec.trace.display().to_string(),
        axes: spec.axes.clone(),
        base_sets: spec.base_sets.clone(),
        replications: spec.replications,
        seed: spec.seed,
        points: points.len(),
        metrics: METRICS.iter().map(|m| m.to_string()).collect(),
        mode: spec.mode,
    };
    let mine: Vec<&Point> = points
        .iter()
        .filter(|p| spec.shard.is_none_or(|(k, n)| p.id % n == k))
        .filter(|p| {
            spec.subset
                .as_ref()
                .is_none_or(|s| s.binary_search(&p.id).is_ok())
        })
        .collect();
    // Every point's scenario is validated before anything is simulated.
    let scenarios = mine
        .iter()
        .map(|p| point_scenario(spec, p, book))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // The trace, validated once and kept in memory for all runs.
    let meta: TraceMeta = scan(&spec.trace, 60.0)?;
    let mut reader = TraceReader::open(&spec.trace)?;
    let mut rows: Vec<TraceRow> = Vec::new();
    while let Some(r) = reader.next_row()? {
        rows.push(r);
    }
    // Only a sweep that can run claims its folder: a refused one leaves
    // nothing behind that would block its correction.
    claim_dir(dir, &id, spec.force)?;
    crate::report::remove_stale_temporaries(dir);
    crate::report::remove_stale_temporaries(&dir.join("points"));
    let todo: Vec<usize> = (0..mine.len())
        .filter(|i| !point_path(dir, mine[*i].id).exists())
        .collect();
    let head = header(&spec.axes);
    let done = std::sync::atomic::AtomicUsize::new(0);
    progress(0, todo.len());
    todo.par_iter().try_for_each(|&i| -> anyhow::Result<()> {
        let fields = run_point(spec, mine[i], &scenarios[i], &meta, &rows)?;
        let text = format!("{}{}", csv_line(&head), csv_line(&fields));
        write_file_atomically(&point_path(dir, mine[i].id), &text)?;
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        progress(n, todo.len());
        Ok(())
    })?;
    let results = assemble(
        dir,
        &[dir.to_path_buf()],
        &id,
        mine.iter().map(|p| p.id).collect(),
        spec.charts,
        spec.judge.as_ref(),
    )?;
    Ok(SweepReport {
        points: mine.len(),
        computed: todo.len(),
        reused: mine.len() - todo.len(),
        results,
    })
}

/// Makes `dir` this sweep's: writes `sweep.json`, or checks that the one
/// there describes the same sweep (a resumed run). A folder of a different
/// sweep is replaced when it holds no finished point or with `force`;
/// otherwise the error names what differs and how to proceed.
fn claim_dir(dir: &Path, id: &SweepId, force: bool) -> anyhow::Result<()> {
    use anyhow::{Context, bail};
    let id_path = dir.join("sweep.json");
    if id_path.exists() {
        let text = std::fs::read_to_string(&id_path)
            .with_context(|| format!("cannot read {}", id_path.display()))?;
        let old: Option<SweepId> = serde_json::from_str(&text).ok();
        if old.as_ref() != Some(id) {
            let finished = finished_points(dir);
            let what = match &old {
                Some(old) => differences(old, id).join("; "),
                None => format!("{} is not a sweep description", id_path.display()),
            };
            if finished > 0 && !force {
                bail!(
                    "{} holds a different sweep with {finished} finished point(s): {what}.\n  \
                     To replace it, run again with --force (its points are deleted); to keep it, choose another --out.",
                    dir.display()
                );
            }
            std::fs::remove_dir_all(dir.join("points"))
                .or_else(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })
                .with_context(|| format!("cannot clear {}", dir.join("points").display()))?;
            std::fs::remove_file(&id_path)
                .with_context(|| format!("cannot replace {}", id_path.display()))?;
            eprintln!(
                "note: replaced {} ({} finished point(s) of a different sweep: {what})",
                dir.display(),
                finished
            );
        }
    }
    std::fs::create_dir_all(dir.join("points"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    if !id_path.exists() {
        write_file_atomically(&id_path, &serde_json::to_string_pretty(id)?)?;
    }
    Ok(())
}

/// Point files in `dir/points`.
fn finished_points(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("points")).map_or(0, |rd| {
        rd.filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".csv"))
            .count()
    })
}

/// What differs between two sweeps, in words (`seed 1 → 2`).
pub fn differences(old: &SweepId, new: &SweepId) -> Vec<String> {
    let mut d = Vec::new();
    let mut field = |name: &str, a: String, b: String| {
        if a != b {
            d.push(format!("{name} {a} → {b}"));
        }
    };
    field("scenario", old.scenario.clone(), new.scenario.clone());
    field("trace", old.trace.clone(), new.trace.clone());
    let axes = |id: &SweepId| {
        id.axes
            .iter()
            .map(|a| format!("{}={}", a.key, a.values.join(",")))
            .collect::<Vec<_>>()
            .join(" ")
    };
    field("axes", axes(old), axes(new));
    field(
        "fixed settings",
        format!("[{}]", old.base_sets.join(", ")),
        format!("[{}]", new.base_sets.join(", ")),
    );
    field(
        "replications",
        old.replications.to_string(),
        new.replications.to_string(),
    );
    field("seed", old.seed.to_string(), new.seed.to_string());
    field(
        "mode",
        format!("{:?}", old.mode).to_lowercase(),
        format!("{:?}", new.mode).to_lowercase(),
    );
    if old.metrics != new.metrics {
        d.push("its point files were written by another meshsim version (other columns)".into());
    }
    if d.is_empty() {
        d.push("its description differs".into());
    }
    d
}

/// The scenario of one grid point: the sweep's fixed overrides, then the point's.
fn point_scenario(
    spec: &SweepSpec,
    p: &Point,
    book: &PriceBook,
) -> anyhow::Result<scenario::Scenario> {
    let mut sets = spec.base_sets.clone();
    sets.extend(p.params.iter().map(|(k, v)| format!("{k}={v}")));
    scenario::resolve(&spec.scenario, &spec.env, &sets, book).map_err(|e| {
        anyhow::anyhow!(
            "point {} ({}): {e}",
            p.id,
            p.params
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// One point's result row: its parameters, each metric's mean and 95 %
/// half-width over the replications, and whether the means meet the SLO.
fn run_point(
    spec: &SweepSpec,
    p: &Point,
    sc: &scenario::Scenario,
    meta: &TraceMeta,
    rows: &[TraceRow],
) -> anyhow::Result<Vec<String>> {
    let mut per_metric: Vec<Vec<f64>> = vec![Vec::new(); METRICS.len()];
    for r in 0..spec.replications {
        let seed = point_seed(spec.seed, p, r);
        let out = run_one_mode(sc, meta, Rows::Memory(rows), seed, spec.arrivals, spec.mode)?;
        let vals = metric_values(&out, &sc.slo, meta.start_epoch_us);
        for (k, v) in vals.into_iter().enumerate() {
            per_metric[k].push(v);
        }
    }
    let mut fields = vec![p.id.to_string()];
    fields.extend(p.params.iter().map(|(_, v)| v.clone()));
    fields.push(spec.replications.to_string());
    let mut means = Vec::new();
    for xs in &per_metric {
        let (m, ci) = mean_ci95(xs);
        means.push(m);
        fields.push(fmt(m));
        fields.push(fmt(ci));
    }
    // SLO on the means: p95, windowed p95 and availability (the point's own SLO).
    let mean_of = |name: &str| means[METRICS.iter().position(|m| *m == name).expect("a metric")];
    let judge = Judge {
        slo: sc.slo.clone(),
        blank_goodput: false,
    };
    fields.push(judge.met(mean_of).to_string());
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_and_grid() {
        let a = parse_axis("scaling.max=2,4").unwrap();
        let b = parse_axis("scaling.target_tracking.target=50..90:20").unwrap();
        assert_eq!(b.values, vec!["50", "70", "90"]);
        let g = grid(&[a, b]);
        assert_eq!(g.len(), 6);
        assert_eq!(
            g[4].params,
            vec![
                ("scaling.max".into(), "4".into()),
                ("scaling.target_tracking.target".into(), "70".into())
            ]
        );
        assert!(parse_axis("x=5..1:1").is_err());
        assert!(parse_axis("novalue").is_err());
    }

    #[test]
    fn confidence_interval_by_hand() {
        // Mean 2, s = 1, n = 3: t(0.975, 2) = 4.303; half-width 4.303 / sqrt(3) = 2.484.
        let (m, ci) = mean_ci95(&[1.0, 2.0, 3.0]);
        assert!((m - 2.0).abs() < 1e-12);
        assert!((ci - 4.302_652_7 / 3f64.sqrt()).abs() < 1e-5, "{ci}");
    }

    #[test]
    fn seeds_depend_on_parameters_not_order() {
        let p = Point {
            id: 0,
            params: vec![("a".into(), "1".into())],
        };
        let q = Point {
            id: 7,
            params: vec![("a".into(), "1".into())],
        };
        assert_eq!(point_seed(1, &p, 0), point_seed(1, &q, 0));
        assert_ne!(point_seed(1, &p, 0), point_seed(1, &p, 1));
    }
}
