//! Commands that simulate scenarios: `run`, `compare` and `gallery`.

use super::args::*;
use super::{env_overrides, thread_pool};
use crate::billing::PriceBook;
use crate::metrics::RunOutcome;
use crate::report::chart::RunCharts;
use crate::report::{self, RunInfo};
use crate::scenario::{self, Scenario, builtin};
use crate::trace;
use anyhow::{Context, Result, anyhow, bail};
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One finished run, ready to write: its outcome, what the report needs to
/// know, and its charts (unless `--no-charts`).
type Finished = (RunOutcome, RunInfo, Option<RunCharts>);

/// Simulates `sc` on the flags' trace and draws its charts.
fn run_and_draw(sc: &Scenario, flags: &RunFlags) -> Result<Finished> {
    let (outcome, meta) = crate::run::run_file(sc, &flags.trace, flags.seed, flags.arrivals)?;
    let info = RunInfo::new(sc, &meta, flags.seed);
    let charts = if flags.no_charts {
        None
    } else {
        Some(report::chart::render_all(&outcome, &info)?)
    };
    Ok((outcome, info, charts))
}

/// Each run's files in a sub-folder of `dir` named after it.
fn write_runs<'a>(
    dir: &Path,
    runs: impl Iterator<Item = (&'a str, &'a Finished)>,
) -> std::io::Result<()> {
    for (name, (o, info, charts)) in runs {
        let sub = dir.join(name);
        std::fs::create_dir(&sub)?;
        report::write_run_files(&sub, o, info, charts.as_ref())?;
    }
    Ok(())
}

pub(super) fn run(args: RunArgs, book: &PriceBook) -> Result<()> {
    let env = env_overrides();
    let sc =
        scenario::resolve(&args.scenario, &env, &args.set, book).map_err(|e| anyhow!("{e}"))?;
    let (outcome, info, charts) = run_and_draw(&sc, &args.run)?;
    let out = args
        .run
        .out
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-{}", sc.name, info.trace)));
    report::write_run_dir(&out, &outcome, &info, charts.as_ref())
        .with_context(|| format!("cannot write the run directory {}", out.display()))?;
    if !args.run.quiet {
        let mut pricing = match &sc.cluster {
            Some(c) => c.price_lines(),
            None => vec![sc.compute.explanation.clone()],
        };
        pricing.extend(sc.spot.as_ref().map(|(_, how)| how.clone()));
        let mut w = std::io::stdout().lock();
        report::text::write_run_summary(&mut w, &outcome, &info, &pricing)?;
        writeln!(
            w,
            "  wrote {}/{{summary,timeline,scaling,alerts}}.csv{}{}, report.html, report.md{}",
            out.display(),
            if outcome.regions.is_empty() {
                ""
            } else {
                ", regions.csv, timeline_regions.csv"
            },
            if outcome.summary.nodes.is_some() {
                ", nodes.csv"
            } else {
                ""
            },
            if charts.is_some() { " and charts" } else { "" }
        )?;
    }
    Ok(())
}

pub(super) fn gallery(args: GalleryArgs, book: &PriceBook) -> Result<()> {
    let flags = &args.run;
    // The trace is checked once, before anything runs.
    let meta = trace::scan(&flags.trace, 60.0)?;
    let names = builtin::names();
    let scenarios: Vec<Result<Scenario, String>> = names
        .iter()
        .map(|n| scenario::resolve(n, &[], &[], book).map_err(|e| e.to_string()))
        .collect();
    let start = std::time::Instant::now();
    let runs: Vec<Result<Finished, String>> = thread_pool(args.jobs)?.install(|| {
        scenarios
            .par_iter()
            .map(|sc| {
                let sc = sc.as_ref().map_err(Clone::clone)?;
                run_and_draw(sc, flags).map_err(|e| e.to_string())
            })
            .collect()
    });
    let entries: Vec<report::gallery::Entry<'_>> = names
        .iter()
        .zip(&scenarios)
        .zip(&runs)
        .map(|((n, sc), r)| report::gallery::Entry {
            name: n,
            source: sc.as_ref().ok().and_then(|s| s.source.as_deref()),
            description: sc.as_ref().map(|s| s.description.as_str()).unwrap_or(""),
            run: r.as_ref().map(|(o, i, _)| (o, i)).map_err(Clone::clone),
        })
        .collect();
    let out = flags
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("gallery-{}", meta.name())));
    report::write_dir_atomically(&out, |tmp| {
        let ok = names
            .iter()
            .zip(&runs)
            .filter_map(|(n, r)| Some((*n, r.as_ref().ok()?)));
        write_runs(tmp, ok)?;
        let f = std::io::BufWriter::new(std::fs::File::create(tmp.join("gallery.csv"))?);
        report::gallery::write_csv(f, &entries)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let blocks = report::gallery::blocks(&entries, &meta.name(), flags.seed);
        std::fs::write(tmp.join("index.html"), report::html::render_html(&blocks))?;
        std::fs::write(tmp.join("gallery.md"), report::html::render_md(&blocks))?;
        Ok(())
    })
    .with_context(|| format!("cannot write {}", out.display()))?;
    let failed = entries.iter().filter(|e| e.run.is_err()).count();
    if !flags.quiet {
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

/// The scenarios of a comparison, all resolved (every problem reported
/// before any simulation), each name once.
fn compared_scenarios(args: &CompareArgs, book: &PriceBook) -> Result<Vec<Scenario>> {
    let env = env_overrides();
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
    Ok(scenarios)
}

pub(super) fn compare(args: CompareArgs, book: &PriceBook) -> Result<()> {
    let scenarios = compared_scenarios(&args, book)?;
    let flags = &args.run;
    let runs = thread_pool(args.jobs)?.install(|| {
        scenarios
            .par_iter()
            .map(|sc| run_and_draw(sc, flags))
            .collect::<Result<Vec<_>>>()
    })?;
    let entries: Vec<report::compare::Entry<'_>> = runs
        .iter()
        .map(|(o, i, _)| report::compare::Entry {
            info: i,
            outcome: o,
        })
        .collect();
    let png = if flags.no_charts {
        None
    } else {
        Some(report::compare::chart(&entries)?)
    };
    let trace_name = entries
        .first()
        .map(|e| e.info.trace.clone())
        .unwrap_or_default();
    let out = flags.out.clone().unwrap_or_else(|| {
        let names: Vec<&str> = entries.iter().map(|e| e.info.scenario.as_str()).collect();
        PathBuf::from("reports").join(format!("compare-{}-{trace_name}", names.join("-")))
    });
    let dirs: Vec<String> = entries.iter().map(|e| e.info.scenario.clone()).collect();
    report::write_dir_atomically(&out, |tmp| {
        write_runs(tmp, dirs.iter().map(String::as_str).zip(&runs))?;
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
    if !flags.quiet {
        let mut w = std::io::stdout().lock();
        writeln!(
            w,
            "meshsim compare on {trace_name} (seed {}):\n",
            flags.seed
        )?;
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
