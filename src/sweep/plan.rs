//! The planner: ranking the configurations that meet the SLO, and the coarse-to-fine search.

use super::*;

/// One configuration that meets the SLO (and budget), for `meshsim plan`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    pub point: usize,
    pub params: String,
    pub month_usd: f64,
    pub p95_ms: f64,
    pub availability: f64,
}

/// The points of a sweep's results that meet their SLO (and the budget, on
/// the projected month), cheapest first (ties: lower p95, then lower index).
pub fn rank(t: &SweepTable, budget_usd: Option<f64>) -> anyhow::Result<Vec<Ranked>> {
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
    /// Configurations the fluid screen evaluated (0: no screen).
    pub screened: usize,
    /// With the screen: where the answer stood in the screen's order of
    /// candidates (1: the screen's own first pick), and how many candidates
    /// nearly met the SLO in the screen — the plan's ranking error.
    pub screen_rank: Option<(usize, usize)>,
}

/// Every `stride`-th index of an axis of `n` values, and always the last.
pub(crate) fn strided(n: usize, stride: usize) -> Vec<usize> {
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
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<(PlanSearch, Assembled)> {
    let dims: Vec<usize> = spec.axes.iter().map(|a| a.values.len()).collect();
    let total: usize = dims.iter().product();
    if total <= max_points.max(1) {
        let rep = super::run_with_progress(spec, dir, book, progress)?;
        let search = PlanSearch {
            grid_points: total,
            evaluated: rep.points,
            rounds: 0,
            computed: rep.computed,
            reused: rep.reused,
            screened: 0,
            screen_rank: None,
        };
        return Ok((search, rep.results));
    }
    let mut stride = coarse_stride(&dims, (max_points / 2).max(1));
    let mut chosen = std::collections::BTreeSet::new();
    let axes_idx: Vec<Vec<usize>> = dims.iter().map(|n| strided(*n, stride)).collect();
    combinations(&axes_idx, &dims, &mut chosen);
    let mut search = PlanSearch {
        grid_points: total,
        evaluated: 0,
        rounds: 0,
        computed: 0,
        reused: 0,
        screened: 0,
        screen_rank: None,
    };
    let evaluate = |chosen: &std::collections::BTreeSet<usize>,
                    search: &mut PlanSearch|
     -> anyhow::Result<Assembled> {
        let mut s = spec.clone();
        s.subset = Some(chosen.iter().copied().collect());
        let rep = super::run_with_progress(&s, dir, book, progress)?;
        search.rounds += 1;
        search.evaluated = rep.points;
        search.computed += rep.computed;
        search.reused += rep.reused;
        Ok(rep.results)
    };
    let mut latest = evaluate(&chosen, &mut search)?;
    loop {
        let step = stride / 2;
        let reach = step.max(1);
        let before = chosen.len();
        for c in centres(&latest.table, budget_usd)? {
            combinations(&neighbours(c, &dims, reach), &dims, &mut chosen);
        }
        if chosen.len() > before {
            latest = evaluate(&chosen, &mut search)?;
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
    Ok((search, latest))
}

/// The smallest stride whose sub-grid (every `stride`-th value of each axis,
/// the last always in) holds at most `budget` points.
fn coarse_stride(dims: &[usize], budget: usize) -> usize {
    let mut stride = 1;
    while dims
        .iter()
        .map(|n| strided(*n, stride).len())
        .product::<usize>()
        > budget
        && dims.iter().any(|n| stride < *n)
    {
        stride += 1;
    }
    stride
}

/// Adds every combination of one option per axis (option = index on that
/// axis) to `out`, as grid point ids.
fn combinations(
    options: &[Vec<usize>],
    dims: &[usize],
    out: &mut std::collections::BTreeSet<usize>,
) {
    let count: usize = options.iter().map(Vec::len).product();
    let mut idx = vec![0; dims.len()];
    for flat in 0..count {
        let mut rest = flat;
        for k in (0..dims.len()).rev() {
            idx[k] = options[k][rest % options[k].len()];
            rest /= options[k].len();
        }
        out.insert(id_of(&idx, dims));
    }
}

/// A search round's centres: the three cheapest configurations meeting the
/// SLO and budget, or while none does, the three with the lowest p95.
fn centres(t: &SweepTable, budget_usd: Option<f64>) -> anyhow::Result<Vec<usize>> {
    let ranked = rank(t, budget_usd)?;
    if !ranked.is_empty() {
        return Ok(ranked.iter().take(3).map(|r| r.point).collect());
    }
    let mut rows: Vec<usize> = (0..t.rows.len()).collect();
    rows.sort_by(|a, b| {
        let p = |r: usize| {
            let v = t.num(r, "latency_p95_ms_mean");
            if v.is_nan() { f64::INFINITY } else { v }
        };
        p(*a).total_cmp(&p(*b)).then(a.cmp(b))
    });
    Ok(rows.into_iter().take(3).map(|r| t.point(r)).collect())
}

/// The options on each axis around point `c`: its own index and the indices
/// `reach` below and above it (inside the axis).
fn neighbours(c: usize, dims: &[usize], reach: usize) -> Vec<Vec<usize>> {
    indices_of(c, dims)
        .iter()
        .zip(dims)
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
        .collect()
}

/// How far a fluid-screened configuration may miss the SLO (or the budget)
/// and still be confirmed by the engine: the screen's measured errors
/// (docs/sweeps.md, "Screening") with room to spare.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScreenSlack {
    /// Relative, on the p95 and the windowed p95.
    pub p95: f64,
    /// Absolute, on availability.
    pub availability: f64,
    /// Relative, on the projected month's cost against the budget.
    pub cost: f64,
}

impl Default for ScreenSlack {
    fn default() -> Self {
        ScreenSlack {
            p95: 0.35,
            availability: 0.002,
            cost: 0.05,
        }
    }
}

/// What `--screen` asks: configurations confirmed per round and the margins.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Screen {
    pub confirm: usize,
    pub slack: ScreenSlack,
}

/// The planner with a fluid screen: every configuration (or, for a grid
/// larger than 100 × `max_points`, the coarse-to-fine search's) is
/// evaluated with the fluid model into `dir/screen`; the configurations
/// that nearly meet the SLO (within `screen_with.slack`) are simulated by
/// the engine, cheapest first, `screen_with.confirm` at a time, until one of them meets it. The
/// answer (`dir/results.csv`) holds engine runs only.
pub fn plan_screened(
    spec: &SweepSpec,
    dir: &Path,
    book: &PriceBook,
    budget_usd: Option<f64>,
    max_points: usize,
    screen_with: Screen,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<(PlanSearch, Assembled)> {
    let Screen { confirm, slack } = screen_with;
    let mut screen = spec.clone();
    screen.mode = crate::engine::SimMode::Fluid;
    screen.replications = 1;
    screen.charts = false;
    let (screened, fluid) = plan_search(
        &screen,
        &dir.join("screen"),
        book,
        budget_usd,
        max_points.saturating_mul(100),
        progress,
    )?;
    let t = &fluid.table;
    let slo = spec
        .judge
        .as_ref()
        .map(|j| j.slo.clone())
        .ok_or_else(|| anyhow::anyhow!("a plan judges by its SLO"))?;
    let limit = slo.p95_ms * (1.0 + slack.p95);
    let mut candidates: Vec<usize> = (0..t.rows.len())
        .filter(|&r| {
            let month = t.num(r, "projected_month_usd_mean");
            let p95 = t.num(r, "latency_p95_ms_mean");
            let window = t.num(r, "slo_window_p95_ms_mean");
            p95 <= limit
                && (window.is_nan() || window <= limit)
                && slo.availability_met(t.num(r, "availability_mean") + slack.availability)
                && budget_usd.is_none_or(|b| month <= b * (1.0 + slack.cost))
        })
        .collect();
    candidates.sort_by(|&a, &b| {
        t.num(a, "projected_month_usd_mean")
            .total_cmp(&t.num(b, "projected_month_usd_mean"))
            .then(
                t.num(a, "latency_p95_ms_mean")
                    .total_cmp(&t.num(b, "latency_p95_ms_mean")),
            )
            .then(t.point(a).cmp(&t.point(b)))
    });
    let mut search = PlanSearch {
        grid_points: screened.grid_points,
        evaluated: 0,
        rounds: 0,
        computed: 0,
        reused: 0,
        screened: screened.evaluated,
        screen_rank: None,
    };
    let mut chosen = std::collections::BTreeSet::new();
    let mut next = candidates.iter().map(|&r| t.point(r));
    loop {
        let before = chosen.len();
        chosen.extend(next.by_ref().take(confirm.max(1)));
        let mut s = spec.clone();
        s.subset = Some(chosen.iter().copied().collect());
        let rep = super::run_with_progress(&s, dir, book, progress)?;
        search.rounds += 1;
        search.evaluated = rep.points;
        search.computed += rep.computed;
        search.reused += rep.reused;
        let ranked = rank(&rep.results.table, budget_usd)?;
        if chosen.len() == before || !ranked.is_empty() {
            // An engine run meets the SLO, or no candidate is left (with
            // none at all, the table is empty and the plan says so).
            search.screen_rank = ranked.first().and_then(|best| {
                let at = candidates.iter().position(|&r| t.point(r) == best.point)?;
                Some((at + 1, candidates.len()))
            });
            return Ok((search, rep.results));
        }
    }
}
