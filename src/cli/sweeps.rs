//! Commands over grids of scenarios: `sweep`, `plan`, `merge`.

use super::args::*;
use super::{default_out, env_overrides, names, thread_pool};
use crate::billing::PriceBook;
use crate::engine::ArrivalProcess;
use anyhow::{Result, anyhow, bail};
use std::io::Write;

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

pub(super) fn sweep(args: SweepArgs, book: &PriceBook) -> Result<()> {
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
    let shard = match &args.shard {
        None => None,
        Some(s) => {
            let (k, n) = s
                .split_once('/')
                .and_then(|(k, n)| {
                    Some((
                        k.trim().parse::<usize>().ok()?,
                        n.trim().parse::<usize>().ok()?,
                    ))
                })
                .filter(|(k, n)| *n > 0 && k < n)
                .ok_or_else(|| anyhow!("--shard `{s}`: expected K/N with 0 <= K < N"))?;
            Some((k, n))
        }
    };
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
    };
    let pool = thread_pool(args.jobs)?;
    let start = std::time::Instant::now();
    // A progress bar (points done, rate, ETA) only on a terminal.
    use std::io::IsTerminal;
    let bar = if std::io::stderr().is_terminal() && !args.quiet {
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
            shard
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
    let spec = crate::sweep::SweepSpec {
        scenario: args.scenario.clone(),
        trace: args.trace.clone(),
        axes: axes.clone(),
        base_sets: vec![format!("slo.p95_ms={}", args.slo_p95_ms)],
        env: env_overrides(),
        replications: args.replications.max(1),
        seed: args.seed,
        arrivals: ArrivalProcess::Poisson,
        shard: None,
        subset: None,
        charts: !args.no_charts,
    };
    let search = thread_pool(args.jobs)?.install(|| {
        crate::sweep::plan_search(&spec, &out, book, args.budget_usd, args.max_points)
    })?;
    let ranked = crate::sweep::rank(&out.join("results.csv"), axes.len(), args.budget_usd)?;
    let plan = crate::sweep::page::Plan {
        scenario: sc_name.clone(),
        trace: stem.clone(),
        slo_p95_ms: args.slo_p95_ms,
        budget_usd: args.budget_usd,
        replications: spec.replications,
        search: search.clone(),
        ranked: ranked.clone(),
    };
    let mut o = std::io::stdout().lock();
    writeln!(o, "{}", plan.headline())?;
    if ranked.is_empty() {
        writeln!(
            o,
            "  no configuration meets the SLO{}; see {}",
            if args.budget_usd.is_some() {
                " within the budget"
            } else {
                ""
            },
            out.join("results.csv").display()
        )?;
    }
    let best = ranked.first().map(|r| r.month_usd).unwrap_or(0.0);
    for (i, r) in ranked.iter().take(5).enumerate() {
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
    let mut text = String::from(
        "rank,point,parameters,projected_month_usd,latency_p95_ms,availability,more_than_best_usd\n",
    );
    for (i, r) in ranked.iter().enumerate() {
        text.push_str(&format!(
            "{},{},\"{}\",{:.6},{:.3},{:.6},{:.6}\n",
            i + 1,
            r.point,
            r.params,
            r.month_usd,
            r.p95_ms,
            r.availability,
            r.month_usd - best
        ));
    }
    std::fs::write(out.join("plan.csv"), text)?;
    let read = |n: &str| std::fs::read(out.join(n)).ok();
    let (pareto, heatmap) = if args.no_charts {
        (None, None)
    } else {
        (read("pareto.png"), read("heatmap.png"))
    };
    let blocks = plan.blocks(pareto.as_deref(), heatmap.as_deref());
    std::fs::write(
        out.join("plan.html"),
        crate::report::html::render_html(&blocks),
    )?;
    std::fs::write(out.join("plan.md"), crate::report::html::render_md(&blocks))?;
    writeln!(
        o,
        "  wrote {}/plan.{{csv,html,md}}, results.csv{}",
        out.display(),
        if pareto.is_some() { ", pareto.png" } else { "" }
    )?;
    Ok(())
}
