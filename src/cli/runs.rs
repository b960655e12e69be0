//! Commands that simulate scenarios: `run`, `compare`, `gallery`, and the
//! terminal summary of a run.

use super::args::*;
use super::{env_overrides, thread_pool};
use crate::billing::PriceBook;
use crate::engine::ArrivalProcess;
use crate::report::{self, RunInfo};
use crate::scenario::{self, builtin};
use crate::trace::{self};
use anyhow::{Context, Result, anyhow, bail};
use std::io::Write;
use std::path::PathBuf;

pub(super) fn run(args: RunArgs, book: &PriceBook) -> Result<()> {
    let env = env_overrides();
    let sc =
        scenario::resolve(&args.scenario, &env, &args.set, book).map_err(|e| anyhow!("{e}"))?;
    let (outcome, meta) = crate::run::run_file(&sc, &args.trace, args.seed, args.arrivals)?;
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-{}", sc.name, meta.name())));
    let info = RunInfo::new(&sc, &meta, args.seed);
    let charts = if args.no_charts {
        None
    } else {
        Some(report::chart::render_all(&outcome, &info)?)
    };
    report::write_run_dir(&out, &outcome, &info, charts.as_ref())
        .with_context(|| format!("cannot write the run directory {}", out.display()))?;
    if !args.quiet {
        print_summary(charts.is_some(), &sc, &meta, &outcome, &info, &out)?;
    }
    Ok(())
}

pub(super) fn gallery(
    trace: &std::path::Path,
    out: Option<PathBuf>,
    seed: u64,
    jobs: Option<usize>,
    no_charts: bool,
    quiet: bool,
    book: &PriceBook,
) -> Result<()> {
    use rayon::prelude::*;
    // The trace is checked once, before anything runs.
    let meta = trace::scan(trace, 60.0)?;
    let names = builtin::names();
    let scenarios: Vec<Result<scenario::Scenario, String>> = names
        .iter()
        .map(|n| scenario::resolve(n, &[], &[], book).map_err(|e| e.to_string()))
        .collect();
    let start = std::time::Instant::now();
    let runs = thread_pool(jobs)?.install(|| {
        scenarios
            .par_iter()
            .map(|sc| -> Result<_, String> {
                let sc = sc.as_ref().map_err(Clone::clone)?;
                let (o, meta) = crate::run::run_file(sc, trace, seed, ArrivalProcess::Poisson)
                    .map_err(|e| e.to_string())?;
                let info = RunInfo::new(sc, &meta, seed);
                let charts = if no_charts {
                    None
                } else {
                    Some(report::chart::render_all(&o, &info).map_err(|e| e.to_string())?)
                };
                Ok((o, info, charts))
            })
            .collect::<Vec<_>>()
    });
    let entries: Vec<report::gallery::Entry<'_>> = names
        .iter()
        .zip(&scenarios)
        .zip(&runs)
        .map(|((n, sc), r)| report::gallery::Entry {
            name: n,
            source: sc.as_ref().ok().and_then(|s| s.file.source.as_deref()),
            description: sc
                .as_ref()
                .map(|s| s.file.description.as_str())
                .unwrap_or(""),
            run: r.as_ref().map(|(o, i, _)| (o, i)).map_err(Clone::clone),
        })
        .collect();
    let out =
        out.unwrap_or_else(|| PathBuf::from("reports").join(format!("gallery-{}", meta.name())));
    report::write_dir_atomically(&out, |tmp| {
        for (n, r) in names.iter().zip(&runs) {
            if let Ok((o, info, charts)) = r {
                let sub = tmp.join(n);
                std::fs::create_dir(&sub)?;
                report::write_run_files(&sub, o, info, charts.as_ref())?;
            }
        }
        let f = std::io::BufWriter::new(std::fs::File::create(tmp.join("gallery.csv"))?);
        report::gallery::write_csv(f, &entries)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let blocks = report::gallery::blocks(&entries, &meta.name(), seed);
        std::fs::write(tmp.join("index.html"), report::html::render_html(&blocks))?;
        std::fs::write(tmp.join("gallery.md"), report::html::render_md(&blocks))?;
        Ok(())
    })
    .with_context(|| format!("cannot write {}", out.display()))?;
    let failed = entries.iter().filter(|e| e.run.is_err()).count();
    if !quiet {
        println!(
            "gallery: {} scenarios on {} in {:.1} s{}; wrote {}/index.html, gallery.csv, gallery.md",
            entries.len(),
            meta.name(),
            start.elapsed().as_secs_f64(),
            if failed > 0 {
                format!(" ({failed} could not run: see gallery.csv)")
            } else {
                String::new()
            },
            out.display()
        );
    }
    Ok(())
}

pub(super) fn compare(args: CompareArgs, book: &PriceBook) -> Result<()> {
    let env = env_overrides();
    // Resolve every scenario first: all problems before any simulation.
    let mut scenarios = Vec::new();
    let mut problems = Vec::new();
    for spec in &args.scenarios {
        match scenario::resolve(spec, &env, &args.set, book) {
            Ok(sc) => scenarios.push(sc),
            Err(e) => problems.push(e.to_string()),
        }
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    let mut seen = std::collections::BTreeSet::new();
    for sc in &scenarios {
        if !seen.insert(sc.name.clone()) {
            bail!(
                "scenario `{}` is given twice; each scenario of a comparison needs its own name",
                sc.name
            );
        }
    }
    let pool = thread_pool(args.jobs)?;
    use rayon::prelude::*;
    let runs = pool.install(|| {
        scenarios
            .par_iter()
            .map(|sc| -> Result<_> {
                let (outcome, meta) =
                    crate::run::run_file(sc, &args.trace, args.seed, args.arrivals)?;
                let info = RunInfo::new(sc, &meta, args.seed);
                let charts = if args.no_charts {
                    None
                } else {
                    Some(report::chart::render_all(&outcome, &info)?)
                };
                Ok((outcome, info, charts))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let entries: Vec<report::compare::Entry<'_>> = runs
        .iter()
        .map(|(o, i, _)| report::compare::Entry {
            info: i,
            outcome: o,
        })
        .collect();
    let png = if args.no_charts {
        None
    } else {
        Some(report::compare::chart(&entries)?)
    };
    let trace_name = entries
        .first()
        .map(|e| e.info.trace.clone())
        .unwrap_or_default();
    let out = args.out.unwrap_or_else(|| {
        let names: Vec<&str> = entries.iter().map(|e| e.info.scenario.as_str()).collect();
        PathBuf::from("reports").join(format!("compare-{}-{trace_name}", names.join("-")))
    });
    let dirs: Vec<String> = entries.iter().map(|e| e.info.scenario.clone()).collect();
    report::write_dir_atomically(&out, |tmp| {
        for ((o, info, charts), d) in runs.iter().zip(&dirs) {
            let sub = tmp.join(d);
            std::fs::create_dir(&sub)?;
            report::write_run_files(&sub, o, info, charts.as_ref())?;
        }
        let f = std::io::BufWriter::new(std::fs::File::create(tmp.join("compare.csv"))?);
        report::compare::write_csv(f, &entries)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        if let Some(p) = &png {
            std::fs::write(tmp.join("compare.png"), p)?;
        }
        let blocks = report::compare::blocks(&entries, png.as_deref(), &dirs);
        std::fs::write(tmp.join("compare.html"), report::html::render_html(&blocks))?;
        std::fs::write(tmp.join("compare.md"), report::html::render_md(&blocks))?;
        Ok(())
    })
    .with_context(|| format!("cannot write {}", out.display()))?;
    if !args.quiet {
        let mut w = std::io::stdout().lock();
        writeln!(w, "meshsim compare on {trace_name} (seed {}):\n", args.seed)?;
        report::compare::print_table(&mut w, &entries)?;
        writeln!(
            w,
            "\nwrote {}/compare.{{csv,html,md}}{} and one run directory per scenario",
            out.display(),
            if png.is_some() { ", compare.png" } else { "" }
        )?;
    }
    Ok(())
}

pub(super) fn print_summary(
    charts: bool,
    sc: &scenario::Scenario,
    meta: &trace::TraceMeta,
    o: &crate::metrics::RunOutcome,
    info: &RunInfo,
    out: &std::path::Path,
) -> Result<()> {
    let s = &o.summary;
    let ms = |v: Option<f64>| {
        v.map(|x| format!("{x:.1} ms"))
            .unwrap_or_else(|| "n/a".into())
    };
    let mut w = std::io::stdout().lock();
    writeln!(
        w,
        "meshsim run: {} on {} (seed {}), {:.1} h simulated",
        sc.name,
        meta.name(),
        info.seed,
        s.sim_seconds / 3600.0
    )?;
    writeln!(
        w,
        "  requests     {} arrived, {} served, {} dropped (timeout), {} rejected (queue full or LLM limit), {} in flight at the end",
        s.requests_arrived,
        s.requests_served,
        s.requests_dropped,
        s.requests_rejected,
        s.requests_in_flight
    )?;
    writeln!(
        w,
        "  latency      p50 {}, p95 {}, p99 {}, max {}",
        ms(s.latency_p50_ms),
        ms(s.latency_p95_ms),
        ms(s.latency_p99_ms),
        ms(s.latency_max_ms)
    )?;
    writeln!(w, "  availability {:.4} %", s.availability() * 100.0)?;
    writeln!(
        w,
        "  replicas     mean {:.2}, max {}, {:.2} replica-hours on demand, {:.2} spot, {} spot interruptions",
        s.replicas_mean,
        s.replicas_max,
        s.replica_hours_on_demand,
        s.replica_hours_spot,
        s.spot_interruptions
    )?;
    writeln!(
        w,
        "  cost         compute ${:.4}, fixed ${:.4}, LLM ${:.4}, total ${:.4}",
        s.cost_compute_usd,
        s.cost_fixed_usd(),
        s.cost_llm_usd,
        s.cost_total_usd()
    )?;
    writeln!(w, "               ({})", sc.compute.explanation)?;
    if let Some((_, how)) = &sc.spot {
        writeln!(w, "               ({how})")?;
    }
    let f = &s.fixed;
    if f.total() > 0.0 {
        writeln!(
            w,
            "               fixed: database ${:.4}, cache ${:.4}, network ${:.4}, load balancer ${:.4}, storage ${:.4}",
            f.database_usd, f.cache_usd, f.network_usd, f.load_balancer_usd, f.storage_usd
        )?;
    }
    writeln!(
        w,
        "  month        ${:.2} projected for the month (this run's average cost rate over {:.0} days)",
        report::projected_month_usd(s, info.start_epoch_us),
        report::month_seconds(info.start_epoch_us) / 86_400.0
    )?;
    if s.llm_calls + s.llm_rejected > 0 {
        writeln!(
            w,
            "  llm          {} calls, {} tokens in, {} out, ${:.4}; {} rejected, {} downgraded by limits; without limits ${:.4} (saved ${:.4})",
            s.llm_calls,
            s.llm_tokens_in,
            s.llm_tokens_out,
            s.cost_llm_usd,
            s.llm_rejected,
            s.llm_downgraded,
            s.llm_cost_unlimited_usd,
            s.llm_cost_unlimited_usd - s.cost_llm_usd
        )?;
    }
    for r in &o.regions {
        let rs = &r.outcome.summary;
        writeln!(
            w,
            "  region       {} ({:.0} %): {} served, {} dropped, p95 {}, ${:.4}{}",
            r.name,
            r.weight * 100.0,
            rs.requests_served,
            rs.requests_dropped,
            ms(rs.latency_p95_ms),
            rs.cost_total_usd(),
            if r.outages_s.is_empty() {
                String::new()
            } else {
                " (with an outage)".to_string()
            }
        )?;
    }
    const SHOWN_ALERTS: usize = 6;
    if o.alerts.len() > SHOWN_ALERTS {
        writeln!(
            w,
            "  alerts       {} (the first {SHOWN_ALERTS} below; all in alerts.csv)",
            o.alerts.len()
        )?;
    }
    for a in o.alerts.iter().take(SHOWN_ALERTS) {
        let threshold = if a.kind.starts_with("llm_") {
            format!("${} limit", a.threshold)
        } else {
            format!("{}%", a.threshold)
        };
        writeln!(
            w,
            "  alert        {} {} {threshold} at {}{}: ${:.2}",
            a.name,
            a.kind,
            info.time(a.t_us),
            if a.projected {
                " (projected past the trace)"
            } else {
                ""
            },
            a.value
        )?;
    }
    for warn in &sc.warnings {
        writeln!(w, "  warning      {warn}")?;
    }
    let p95 = report::slo_p95_met(s, info);
    let av = report::slo_availability_met(s, info);
    writeln!(
        w,
        "  SLO          {}: p95 {} {} {} ms, availability {} {} {}",
        if p95 && av { "MET" } else { "MISSED" },
        ms(s.latency_p95_ms),
        if p95 { "<=" } else { ">" },
        info.slo_p95_ms,
        format_args!("{:.4}", s.availability()),
        if av { ">=" } else { "<" },
        info.slo_availability
    )?;
    writeln!(
        w,
        "  wrote {}/{{summary,timeline,scaling,alerts}}.csv{}, report.html, report.md{}",
        out.display(),
        if o.regions.is_empty() {
            ""
        } else {
            ", regions.csv, timeline_regions.csv"
        },
        if charts { " and charts" } else { "" }
    )?;
    Ok(())
}
