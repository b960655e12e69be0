//! Parameter sweeps: a grid of scenario overrides × replications, run in
//! parallel with rayon, one result row per grid point (mean and 95 %
//! confidence interval across replications, Student's t), reproducible
//! (a point's seeds derive from the run seed and the point's parameters, so
//! results do not depend on threads or order), resumable (each finished point
//! is its own file, written under a temporary name and renamed), and
//! shardable (`--shard K/N` runs the points whose index is K mod N;
//! [`merge`] joins shard directories into the unsharded `results.csv`).

pub mod file;
pub mod page;
#[cfg(feature = "parquet")]
mod parquet;

use crate::billing::PriceBook;
use crate::billing::budget::projected_month_usd;
use crate::engine::{ArrivalProcess, simulate};
use crate::metrics::Summary;
use crate::metrics::table::SweepTable;
use crate::report::sweep::{heatmap_png, pareto_png};
use crate::rng::mix64;
use crate::scenario;
use crate::trace::{TraceMeta, TraceReader, TraceRow, scan};
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::path::{Path, PathBuf};

/// One axis: a scenario key and its values (TOML value texts).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Axis {
    pub key: String,
    pub values: Vec<String>,
}

/// Parses `key=v1,v2,…` or `key=start..end:step` (inclusive range).
pub fn parse_axis(arg: &str) -> Result<Axis, String> {
    let (key, vals) = arg
        .split_once('=')
        .ok_or_else(|| format!("`{arg}`: expected key.path=v1,v2,… or key.path=start..end:step"))?;
    let key = key.trim().to_string();
    if let Some((range, step)) = vals.split_once(':')
        && let Some((a, b)) = range.split_once("..")
    {
        let num = |t: &str| {
            t.trim()
                .parse::<f64>()
                .map_err(|_| format!("`{arg}`: `{t}` is not a number"))
        };
        let (a, b, st) = (num(a)?, num(b)?, num(step)?);
        if st.is_nan() || st <= 0.0 || b < a {
            return Err(format!(
                "`{arg}`: a range needs start <= end and a step > 0"
            ));
        }
        let n = ((b - a) / st + 1e-9).floor() as usize;
        if n > 100_000 {
            return Err(format!("`{arg}`: {} values is too many", n + 1));
        }
        let integral = [a, b, st].iter().all(|v| v.fract() == 0.0);
        let values = (0..=n)
            .map(|i| {
                let v = a + st * i as f64;
                if integral {
                    format!("{}", v as i64)
                } else {
                    format!("{v}")
                }
            })
            .collect();
        return Ok(Axis { key, values });
    }
    let values: Vec<String> = vals
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Err(format!("`{arg}`: no values"));
    }
    Ok(Axis { key, values })
}

/// One grid point: its index and its `key=value` overrides, in axis order.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub id: usize,
    pub params: Vec<(String, String)>,
}

/// The cartesian product of the axes, the first axis varying slowest.
pub fn grid(axes: &[Axis]) -> Vec<Point> {
    let total: usize = axes.iter().map(|a| a.values.len()).product();
    (0..total)
        .map(|id| {
            let mut rest = id;
            let mut params = vec![(String::new(), String::new()); axes.len()];
            for (k, a) in axes.iter().enumerate().rev() {
                params[k] = (a.key.clone(), a.values[rest % a.values.len()].clone());
                rest /= a.values.len();
            }
            Point { id, params }
        })
        .collect()
}

/// The seed of one replication of a point: from the run seed and the point's
/// parameters (not its index or the thread), so results are reproducible.
pub fn point_seed(run_seed: u64, point: &Point, replication: u32) -> u64 {
    let mut h = mix64(run_seed);
    for (k, v) in &point.params {
        h = mix64(h ^ crate::rng::fnv1a(k.as_bytes()));
        h = mix64(h ^ crate::rng::fnv1a(v.as_bytes()));
    }
    mix64(h ^ u64::from(replication))
}

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
];

fn metric_values(s: &Summary, start_epoch_us: i64) -> Vec<f64> {
    vec![
        s.cost_total_usd(),
        projected_month_usd(s, start_epoch_us),
        s.latency_p95_ms.unwrap_or(f64::NAN),
        s.latency_p99_ms.unwrap_or(f64::NAN),
        s.availability(),
        s.replicas_mean,
        s.requests_dropped as f64,
        s.requests_rejected as f64,
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
}

/// How a sweep went.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepReport {
    pub points: usize,
    pub computed: usize,
    pub reused: usize,
}

fn header(axes: &[Axis]) -> Vec<String> {
    let mut h = vec!["point".to_string()];
    h.extend(axes.iter().map(|a| a.key.clone()));
    h.push("replications".into());
    for m in METRICS {
        h.push(format!("{m}_mean"));
        h.push(format!("{m}_ci95"));
    }
    h.push("slo_met".into());
    h
}

fn fmt(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        format!("{v:.6}")
    }
}

fn point_path(dir: &Path, id: usize) -> PathBuf {
    dir.join("points").join(format!("point-{id:06}.csv"))
}

fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    write_bytes_atomic(path, text.as_bytes())
}

fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn csv_line(fields: &[String]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields).expect("in-memory CSV");
    String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8")
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
    use anyhow::{Context, bail};
    let points = grid(&spec.axes);
    let id = SweepId {
        scenario: spec.scenario.clone(),
        trace: spec.trace.display().to_string(),
        axes: spec.axes.clone(),
        base_sets: spec.base_sets.clone(),
        replications: spec.replications,
        seed: spec.seed,
        points: points.len(),
    };
    std::fs::create_dir_all(dir.join("points"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let id_path = dir.join("sweep.json");
    if id_path.exists() {
        let old: SweepId = serde_json::from_str(&std::fs::read_to_string(&id_path)?)
            .with_context(|| format!("{} is not a sweep description", id_path.display()))?;
        if old != id {
            bail!(
                "{} holds a different sweep ({}); choose another --out",
                dir.display(),
                id_path.display()
            );
        }
    } else {
        write_atomic(&id_path, &serde_json::to_string_pretty(&id)?)?;
    }
    // Validate every point's scenario before simulating anything.
    let mine: Vec<&Point> = points
        .iter()
        .filter(|p| spec.shard.is_none_or(|(k, n)| p.id % n == k))
        .filter(|p| {
            spec.subset
                .as_ref()
                .is_none_or(|s| s.binary_search(&p.id).is_ok())
        })
        .collect();
    let mut scenarios = Vec::with_capacity(mine.len());
    for p in &mine {
        let mut sets = spec.base_sets.clone();
        sets.extend(p.params.iter().map(|(k, v)| format!("{k}={v}")));
        let sc = scenario::resolve(&spec.scenario, &spec.env, &sets, book).map_err(|e| {
            anyhow::anyhow!(
                "point {} ({}): {e}",
                p.id,
                p.params
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        scenarios.push(sc);
    }
    // The trace, validated once and kept in memory for all runs.
    let meta: TraceMeta = scan(&spec.trace, 60.0)?;
    let mut reader = TraceReader::open(&spec.trace)?;
    let mut rows: Vec<TraceRow> = Vec::new();
    while let Some(r) = reader.next_row()? {
        rows.push(r);
    }
    let todo: Vec<usize> = (0..mine.len())
        .filter(|i| !point_path(dir, mine[*i].id).exists())
        .collect();
    let reused = mine.len() - todo.len();
    let head = header(&spec.axes);
    let done = std::sync::atomic::AtomicUsize::new(0);
    progress(0, todo.len());
    todo.par_iter().try_for_each(|&i| -> anyhow::Result<()> {
        let p = mine[i];
        let sc = &scenarios[i];
        let mut per_metric: Vec<Vec<f64>> = vec![Vec::new(); METRICS.len()];
        let mut slo_ok = true;
        for r in 0..spec.replications {
            let seed = point_seed(spec.seed, p, r);
            let out = if sc.regions.is_empty() {
                let cfg = crate::run::sim_config(sc, &meta, spec.arrivals)?;
                let mut out = simulate(cfg, rows.iter().copied(), seed);
                crate::billing::fixed::apply(&sc.fixed, &mut out);
                out
            } else {
                crate::run::region::run_regions(sc, &spec.trace, &meta, seed, spec.arrivals)?
            };
            let vals = metric_values(&out.summary, meta.start_epoch_us);
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
        // SLO on the means: p95 within the target and availability at least the target.
        slo_ok &= means[2] <= sc.file.slo.p95_ms && means[4] >= sc.file.slo.availability;
        fields.push(slo_ok.to_string());
        let text = format!("{}{}", csv_line(&head), csv_line(&fields));
        write_atomic(&point_path(dir, p.id), &text)?;
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        progress(n, todo.len());
        Ok(())
    })?;
    assemble(
        dir,
        &[dir.to_path_buf()],
        &id,
        mine.iter().map(|p| p.id).collect(),
        spec.charts,
    )?;
    Ok(SweepReport {
        points: mine.len(),
        computed: todo.len(),
        reused,
    })
}

/// Writes `out/results.csv` (and `pareto.csv`, with `charts` `pareto.png` and
/// for two axes `heatmap.png`, and with the `parquet` feature
/// `results.parquet`) from the point files found in `dirs`, for `ids` in
/// index order; every one must be present.
fn assemble(
    out: &Path,
    dirs: &[PathBuf],
    id: &SweepId,
    ids: Vec<usize>,
    charts: bool,
) -> anyhow::Result<()> {
    let axes = &id.axes;
    let mut text = csv_line(&header(axes));
    let mut missing = Vec::new();
    for id in ids {
        let found = dirs.iter().map(|d| point_path(d, id)).find(|p| p.exists());
        match found {
            Some(p) => {
                let t = std::fs::read_to_string(&p)?;
                let row = t.lines().nth(1).unwrap_or_default();
                text.push_str(row);
                text.push('\n');
            }
            None => missing.push(id),
        }
    }
    if !missing.is_empty() {
        anyhow::bail!(
            "{} point(s) missing (first: {:?}); run the missing shards, or the sweep again to resume",
            missing.len(),
            &missing[..missing.len().min(10)]
        );
    }
    std::fs::create_dir_all(out)?;
    let table = SweepTable::parse(&text, axes.len())?;
    write_atomic(&out.join("pareto.csv"), &pareto_csv(&table)?)?;
    if charts {
        let trace = Path::new(&id.trace)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let title = format!(
            "sweep of {} on {trace}: cost against p95 ({} points × {} replications)",
            id.scenario,
            table.rows.len(),
            id.replications
        );
        write_bytes_atomic(&out.join("pareto.png"), &pareto_png(&table, &title)?)?;
        // A heatmap when exactly two axes vary (single-valued axes are fixed settings).
        let varying: Vec<(usize, &Axis)> = axes
            .iter()
            .enumerate()
            .filter(|(_, a)| a.values.len() > 1)
            .collect();
        if let [(ia, a), (ib, b)] = varying.as_slice() {
            let title = format!(
                "sweep of {} on {trace}: projected monthly cost by {} and {}",
                id.scenario, a.key, b.key
            );
            write_bytes_atomic(
                &out.join("heatmap.png"),
                &heatmap_png(&table, [(*ia, &a.values), (*ib, &b.values)], &title)?,
            )?;
        }
    }
    #[cfg(feature = "parquet")]
    parquet::write(&table, &out.join("results.parquet"))?;
    write_atomic(&out.join("results.csv"), &text)?;
    Ok(())
}

/// `pareto.csv`: the rows of [`SweepTable::pareto`], cheapest first.
fn pareto_csv(t: &SweepTable) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&t.head)?;
    for r in t.pareto() {
        w.write_record(&t.rows[r])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// Joins shard directories of one sweep into `out/results.csv`.
pub fn merge(dirs: &[PathBuf], out: &Path, charts: bool) -> anyhow::Result<usize> {
    use anyhow::{Context, bail};
    let mut id: Option<SweepId> = None;
    for d in dirs {
        let p = d.join("sweep.json");
        let this: SweepId = serde_json::from_str(
            &std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?,
        )
        .with_context(|| format!("{} is not a sweep description", p.display()))?;
        match &id {
            None => id = Some(this),
            Some(first) if *first != this => bail!(
                "{} holds a different sweep than {}",
                d.display(),
                dirs[0].display()
            ),
            _ => {}
        }
    }
    let Some(id) = id else {
        bail!("no directories to merge")
    };
    assemble(out, dirs, &id, (0..id.points).collect(), charts)?;
    if !out.join("sweep.json").exists() {
        write_atomic(&out.join("sweep.json"), &serde_json::to_string_pretty(&id)?)?;
    }
    Ok(id.points)
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

/// One configuration that meets the SLO (and budget), for `meshsim plan`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    pub point: usize,
    pub params: String,
    pub month_usd: f64,
    pub p95_ms: f64,
    pub availability: f64,
}

/// The points of a results file that meet their SLO (and the budget, on the
/// projected month), cheapest first (ties: lower p95, then lower index).
pub fn rank(results: &Path, n_axes: usize, budget_usd: Option<f64>) -> anyhow::Result<Vec<Ranked>> {
    let t = SweepTable::parse(&std::fs::read_to_string(results)?, n_axes)?;
    for c in [
        "projected_month_usd_mean",
        "latency_p95_ms_mean",
        "availability_mean",
        "slo_met",
    ] {
        if t.col(c).is_none() {
            anyhow::bail!("results lack {c}");
        }
    }
    let mut out = Vec::new();
    for r in (0..t.rows.len()).filter(|&r| t.met(r)) {
        let month = t.num(r, "projected_month_usd_mean");
        if budget_usd.is_some_and(|b| month.is_nan() || month > b) {
            continue;
        }
        out.push(Ranked {
            point: t.point(r),
            params: t.params(r),
            month_usd: month,
            p95_ms: t.num(r, "latency_p95_ms_mean"),
            availability: t.num(r, "availability_mean"),
        });
    }
    out.sort_by(|a, b| {
        a.month_usd
            .total_cmp(&b.month_usd)
            .then(a.p95_ms.total_cmp(&b.p95_ms))
            .then(a.point.cmp(&b.point))
    });
    Ok(out)
}

/// Position of a grid point on each axis (first axis slowest, as [`grid`]).
pub fn indices_of(id: usize, dims: &[usize]) -> Vec<usize> {
    let mut rest = id;
    let mut idx = vec![0; dims.len()];
    for k in (0..dims.len()).rev() {
        idx[k] = rest % dims[k];
        rest /= dims[k];
    }
    idx
}

/// The grid point at `idx` (inverse of [`indices_of`]).
pub fn id_of(idx: &[usize], dims: &[usize]) -> usize {
    idx.iter().zip(dims).fold(0, |acc, (i, n)| acc * n + i)
}

/// What the planner's search did.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanSearch {
    /// Points in the whole grid.
    pub grid_points: usize,
    /// Points simulated (all of them when the grid was small enough).
    pub evaluated: usize,
    /// Coarse-to-fine rounds (0: the whole grid).
    pub rounds: usize,
    pub computed: usize,
    pub reused: usize,
}

/// Every `stride`-th index of an axis of `n` values, and always the last.
fn strided(n: usize, stride: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).step_by(stride.max(1)).collect();
    if v.last() != Some(&(n - 1)) {
        v.push(n - 1);
    }
    v
}

/// The capacity planner's search. A grid of at most `max_points` is swept
/// whole. A larger grid is searched coarse to fine: every `s`-th value of
/// each axis first (`s` as small as keeps that sub-grid within half of
/// `max_points`), then, with `s` halved each round down to 1, the
/// neighbours at distance `s` (on every axis at once) of the three cheapest
/// configurations that meet the SLO and budget — or, while none does, of the
/// three with the lowest p95. Finished points are reused, so each round
/// simulates only what is new. The search assumes cost and latency change
/// gradually along each axis (true of replica counts, targets, sizes); a
/// grid with isolated sweet spots needs `max_points` at least its size.
pub fn plan_search(
    spec: &SweepSpec,
    dir: &Path,
    book: &PriceBook,
    budget_usd: Option<f64>,
    max_points: usize,
) -> anyhow::Result<PlanSearch> {
    let dims: Vec<usize> = spec.axes.iter().map(|a| a.values.len()).collect();
    let total: usize = dims.iter().product();
    if total <= max_points.max(1) {
        let rep = run(spec, dir, book)?;
        return Ok(PlanSearch {
            grid_points: total,
            evaluated: rep.points,
            rounds: 0,
            computed: rep.computed,
            reused: rep.reused,
        });
    }
    let coarse_budget = (max_points / 2).max(1);
    let mut stride = 1;
    while dims
        .iter()
        .map(|n| strided(*n, stride).len())
        .product::<usize>()
        > coarse_budget
        && dims.iter().any(|n| stride < *n)
    {
        stride += 1;
    }
    let mut chosen = std::collections::BTreeSet::new();
    let axes_idx: Vec<Vec<usize>> = dims.iter().map(|n| strided(*n, stride)).collect();
    let mut idx = vec![0usize; dims.len()];
    let coarse: usize = axes_idx.iter().map(Vec::len).product();
    for flat in 0..coarse {
        let mut rest = flat;
        for k in (0..dims.len()).rev() {
            idx[k] = axes_idx[k][rest % axes_idx[k].len()];
            rest /= axes_idx[k].len();
        }
        chosen.insert(id_of(&idx, &dims));
    }
    let mut search = PlanSearch {
        grid_points: total,
        evaluated: 0,
        rounds: 0,
        computed: 0,
        reused: 0,
    };
    let evaluate = |chosen: &std::collections::BTreeSet<usize>,
                    search: &mut PlanSearch|
     -> anyhow::Result<()> {
        let mut s = spec.clone();
        s.subset = Some(chosen.iter().copied().collect());
        let rep = run(&s, dir, book)?;
        search.rounds += 1;
        search.evaluated = rep.points;
        search.computed += rep.computed;
        search.reused += rep.reused;
        Ok(())
    };
    evaluate(&chosen, &mut search)?;
    loop {
        let step = stride / 2;
        // Centres: the cheapest feasible, or while none is, the fastest.
        let ranked = rank(&dir.join("results.csv"), dims.len(), budget_usd)?;
        let centres: Vec<usize> = if ranked.is_empty() {
            let text = std::fs::read_to_string(dir.join("results.csv"))?;
            let t = SweepTable::parse(&text, dims.len())?;
            let mut rows: Vec<usize> = (0..t.rows.len()).collect();
            rows.sort_by(|a, b| {
                let p = |r: usize| {
                    let v = t.num(r, "latency_p95_ms_mean");
                    if v.is_nan() { f64::INFINITY } else { v }
                };
                p(*a).total_cmp(&p(*b)).then(a.cmp(b))
            });
            rows.into_iter().take(3).map(|r| t.point(r)).collect()
        } else {
            ranked.iter().take(3).map(|r| r.point).collect()
        };
        let reach = step.max(1);
        let before = chosen.len();
        for c in centres {
            let centre = indices_of(c, &dims);
            let options: Vec<Vec<usize>> = centre
                .iter()
                .zip(&dims)
                .map(|(&i, &n)| {
                    let mut o = vec![i];
                    if i >= reach {
                        o.push(i - reach);
                    }
                    if i + reach < n {
                        o.push(i + reach);
                    }
                    o
                })
                .collect();
            let count: usize = options.iter().map(Vec::len).product();
            for flat in 0..count {
                let mut rest = flat;
                let mut idx = vec![0; dims.len()];
                for k in (0..dims.len()).rev() {
                    idx[k] = options[k][rest % options[k].len()];
                    rest /= options[k].len();
                }
                chosen.insert(id_of(&idx, &dims));
            }
        }
        if chosen.len() > before {
            evaluate(&chosen, &mut search)?;
        }
        if chosen.len() >= 4 * max_points.max(1) {
            break;
        }
        if step <= 1 {
            // Passes at distance 1 until the best stop moving.
            if chosen.len() == before {
                break;
            }
            stride = 2;
            continue;
        }
        stride = step;
    }
    Ok(search)
}
