//! Commands over grids of scenarios: `sweep`, `plan`, `merge`.

use super::args::*;
use super::{default_out, env_overrides, names, thread_pool};
use crate::billing::PriceBook;
use crate::engine::ArrivalProcess;
use crate::report::html::{render_html, render_md};
use crate::report::write_file_atomically;
use anyhow::{Result, anyhow, bail};
use std::io::Write;
use std::path::{Path, PathBuf};

pub(super) fn merge(args: MergeArgs) -> Result<()> {
    let MergeArgs {
        dirs,
        out,
        no_charts,
    } = args;
    let n = crate::sweep::merge(&dirs, &out, !no_charts)?;
    println!(
        "merged {n} points from {} directories into {}",
        dirs.len(),
        out.join("results.csv").display()
    );
    Ok(())
}

/// The sweep the flags and the sweep file describe (flags win), and where it goes.
fn sweep_spec(args: &SweepArgs) -> Result<(crate::sweep::SweepSpec, PathBuf)> {
    let file = match &args.file {
        Some(p) => Some(crate::sweep::file::load(p).map_err(|e| anyhow!(e))?),
        None => None,
    };
    let mut axes = file.as_ref().map(|f| f.axes.clone()).unwrap_or_default();
    for s in &args.set {
        axes.push(crate::sweep::parse_axis(s).map_err(|e| anyhow!("--set {e}"))?);
    }
    if axes.is_empty() {
        bail!("no axis to sweep: give --set key.path=v1,v2,… or a sweep file with [[axis]]");
    }
    let scenario = args
        .scenario
        .clone()
        .or_else(|| file.as_ref().and_then(|f| f.scenario.clone()))
        .ok_or_else(|| anyhow!("no scenario: name one, or set `scenario` in the sweep file"))?;
    let trace = args
        .trace
        .clone()
        .or_else(|| file.as_ref().and_then(|f| f.trace.clone()))
        .ok_or_else(|| anyhow!("no trace: give --trace FILE, or set `trace` in the sweep file"))?;
    let replications = args
        .replications
        .or_else(|| file.as_ref().and_then(|f| f.replications))
        .unwrap_or(1);
    let seed = args
        .seed
        .or_else(|| file.as_ref().and_then(|f| f.seed))
        .unwrap_or(1);
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    if replications == 0 {
        bail!("--replications must be at least 1");
    }
    let out = args
        .out
        .clone()
        .or_else(|| file.as_ref().and_then(|f| f.out.clone()))
        .unwrap_or_else(|| default_out("sweep", &scenario, &trace));
    let spec = crate::sweep::SweepSpec {
        scenario,
        trace,
        axes,
        base_sets: file.map(|f| f.sets).unwrap_or_default(),
        env: env_overrides(),
        replications,
        seed,
        arrivals: args.arrivals,
        shard,
        subset: None,
        charts: !args.no_charts,
        judge: None,
        force: args.force,
        mode: args.mode,
    };
    Ok((spec, out))
}

/// `--shard K/N`: run the points whose index is K mod N.
fn parse_shard(s: &str) -> Result<(usize, usize)> {
    s.split_once('/')
        .and_then(|(k, n)| {
            Some((
                k.trim().parse::<usize>().ok()?,
                n.trim().parse::<usize>().ok()?,
            ))
        })
        .filter(|(k, n)| *n > 0 && k < n)
        .ok_or_else(|| anyhow!("--shard `{s}`: expected K/N with 0 <= K < N"))
}

/// A progress bar (points done, rate, ETA) on a terminal; hidden otherwise.
fn progress_bar(quiet: bool) -> Result<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    let bar = if std::io::stderr().is_terminal() && !quiet {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} points  {per_sec}  eta {eta}",
        )
        .map_err(|e| anyhow!("progress bar: {e}"))?,
    );
    Ok(bar)
}

pub(super) fn sweep(args: SweepArgs, book: &PriceBook) -> Result<()> {
    let (spec, out) = sweep_spec(&args)?;
    let pool = thread_pool(args.jobs)?;
    let start = std::time::Instant::now();
    let bar = progress_bar(args.quiet)?;
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let rep = pool.install(|| crate::sweep::run_with_progress(&spec, &out, book, &progress))?;
    bar.finish_and_clear();
    if !args.quiet {
        println!(
            "sweep: {} points × {} replications{}: {} computed, {} reused from an earlier run, in {:.1} s; wrote {}",
            rep.points,
            spec.replications,
            spec.shard
                .map(|(k, n)| format!(" (shard {k}/{n})"))
                .unwrap_or_default(),
            rep.computed,
            rep.reused,
            start.elapsed().as_secs_f64(),
            out.join("results.csv").display()
        );
    }
    Ok(())
}

pub(super) fn plan(args: PlanArgs, book: &PriceBook) -> Result<()> {
    if args.slo_p95_ms.is_nan() || args.slo_p95_ms <= 0.0 {
        bail!("--slo-p95-ms must be > 0");
    }
    if let Some(b) = args.budget_usd
        && (b.is_nan() || b <= 0.0)
    {
        bail!("--budget-usd must be > 0");
    }
    let axes = args
        .vary
        .iter()
        .map(|s| crate::sweep::parse_axis(s).map_err(|e| anyhow!("--vary {e}")))
        .collect::<Result<Vec<_>>>()?;
    let out = args
        .out
        .unwrap_or_else(|| default_out("plan", &args.scenario, &args.trace));
    let (sc_name, stem) = names(&args.scenario, &args.trace);
    // The plan judges the points itself (its SLO is not simulated), so a plan
    // of the same grid with another target or budget reuses every point.
    let base = crate::scenario::resolve(&args.scenario, &env_overrides(), &[], book)
        .map_err(|e| anyhow!("{e}"))?;
    let judge = crate::sweep::Judge {
        blank_goodput: base.slo.p95_ms != args.slo_p95_ms,
        slo: crate::scenario::Slo {
            p95_ms: args.slo_p95_ms,
            ..base.slo.clone()
        },
    };
    let spec = crate::sweep::SweepSpec {
        scenario: args.scenario.clone(),
        trace: args.trace.clone(),
        axes,
        base_sets: Vec::new(),
        env: env_overrides(),
        replications: args.replications.max(1),
        seed: args.seed,
        arrivals: ArrivalProcess::Poisson,
        shard: None,
        subset: None,
        charts: !args.no_charts,
        judge: Some(judge),
        force: args.force,
        mode: crate::engine::SimMode::Exact,
    };
    // Each round of the search: its points, done and in all.
    let started = std::time::Instant::now();
    let bar = progress_bar(false)?;
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let (search, results) = thread_pool(args.jobs)?.install(|| match args.screen {
        Some(_) => crate::sweep::plan_screened(
            &spec,
            &out,
            book,
            args.budget_usd,
            args.max_points,
            crate::sweep::Screen {
                confirm: args.confirm,
                slack: crate::sweep::ScreenSlack::default(),
            },
            &progress,
        ),
        None => crate::sweep::plan_search(
            &spec,
            &out,
            book,
            args.budget_usd,
            args.max_points,
            &progress,
        ),
    })?;
    bar.finish_and_clear();
    let ranked = crate::sweep::rank(&results.table, args.budget_usd)?;
    let plan = crate::sweep::page::Plan {
        scenario: sc_name,
        trace: stem,
        slo_p95_ms: args.slo_p95_ms,
        slo: spec
            .judge
            .as_ref()
            .map(|j| j.slo.clone())
            .unwrap_or_default(),
        budget_usd: args.budget_usd,
        replications: spec.replications,
        search,
        ranked,
    };
    let mut o = std::io::stdout().lock();
    print_plan(&mut o, &plan, &out)?;
    writeln!(
        o,
        "  simulated {} new point(s); {} found already simulated in {} (earlier rounds of this search or an earlier plan of the same grid)",
        plan.search.computed,
        plan.search.reused,
        out.display()
    )?;
    if plan.search.screened > 0 {
        writeln!(
            o,
            "  screened {} configuration(s) with the fluid model ({}), confirmed {} with the engine in {} round(s); {:.1} s in all",
            plan.search.screened,
            out.join("screen").join("results.csv").display(),
            plan.search.evaluated,
            plan.search.rounds,
            started.elapsed().as_secs_f64()
        )?;
        if let Some((at, of)) = plan.search.screen_rank {
            writeln!(
                o,
                "  the best was the screen's candidate {at} of {of} (configurations within its margin, cheapest first)"
            )?;
        }
    }
    write_file_atomically(&out.join("plan.csv"), plan.csv())?;
    let (pareto, heatmap) = (results.pareto_png, results.heatmap_png);
    let blocks = plan.blocks(pareto.as_deref(), heatmap.as_deref());
    write_file_atomically(&out.join("plan.html"), render_html(&blocks))?;
    write_file_atomically(&out.join("plan.md"), render_md(&blocks))?;
    writeln!(
        o,
        "  wrote {}/plan.{{csv,html,md}}, results.csv{}",
        out.display(),
        if pareto.is_some() { ", pareto.png" } else { "" }
    )?;
    Ok(())
}

/// The plan on the terminal: the headline, the best configuration and up to
/// four runner-ups.
fn print_plan<W: Write>(o: &mut W, plan: &crate::sweep::page::Plan, out: &Path) -> Result<()> {
    writeln!(o, "{}", plan.headline())?;
    if plan.ranked.is_empty() {
        writeln!(
            o,
            "  no configuration meets the SLO{}; see {}",
            if plan.budget_usd.is_some() {
                " within the budget"
            } else {
                ""
            },
            out.join("results.csv").display()
        )?;
        if plan.search.screened > 0 {
            writeln!(
                o,
                "  (the fluid screen's estimates of every configuration: {})",
                out.join("screen").join("results.csv").display()
            )?;
        }
    }
    let best = plan.ranked.first().map(|r| r.month_usd).unwrap_or(0.0);
    for (i, r) in plan.ranked.iter().take(5).enumerate() {
        writeln!(
            o,
            "  {}{}  ${:.2}/month  p95 {:.1} ms  availability {:.4}{}",
            if i == 0 { "best      " } else { "runner-up " },
            r.params,
            r.month_usd,
            r.p95_ms,
            r.availability,
            if i == 0 {
                String::new()
            } else {
                format!("  (+${:.2}/month)", r.month_usd - best)
            }
        )?;
    }
    Ok(())
}
