//! Commands that simulate scenarios: `run`, `compare` and `gallery`.

use super::args::*;
use super::progress::Progress;
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

/// Simulates `sc` on the flags' trace and draws its charts; `sets` are the
/// `--set` overrides it was resolved with (recorded in its provenance).
fn run_and_draw(
    sc: &Scenario,
    meta: &trace::TraceMeta,
    flags: &RunFlags,
    sets: &[String],
) -> Result<Finished> {
    let outcome = crate::run::run_one(
        sc,
        meta,
        crate::run::Rows::File(&flags.trace),
        flags.seed,
        flags.arrivals,
    )?;
    if !meta.ignored.is_empty() {
        eprintln!(
            "note: {}: not simulated: {}",
            flags.trace.display(),
            meta.ignored.join(", ")
        );
    }
    let mut info = RunInfo::new(sc, meta, flags.seed);
    let p = &mut info.provenance;
    p.overrides = sets.to_vec();
    p.env_overrides = env_overrides();
    p.arrivals = arrivals_name(flags.arrivals).into();
    let charts = if flags.no_charts {
        None
    } else {
        Some(report::chart::render_all(&outcome, &info)?)
    };
    Ok((outcome, info, charts))
}

/// The trace's validating scan, with a progress bar on a terminal.
fn scan(path: &Path, quiet: bool) -> Result<trace::TraceMeta> {
    let _bar = Progress::reading(path, quiet);
    Ok(trace::scan(path, 60.0)?)
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

fn arrivals_name(a: crate::engine::ArrivalProcess) -> &'static str {
    match a {
        crate::engine::ArrivalProcess::Poisson => "poisson",
        crate::engine::ArrivalProcess::Uniform => "uniform",
    }
}

/// `-<8 hex digits>`: a short hash of the `--set` and `MESHSIM_*` overrides,
/// so that runs with different overrides get different default folders
/// (empty without overrides).
pub(super) fn overrides_suffix(sets: &[String]) -> String {
    let env = env_overrides();
    if sets.is_empty() && env.is_empty() {
        return String::new();
    }
    let mut text = sets.join("\n");
    for (k, v) in &env {
        text.push_str(&format!("\n{k}={v}"));
    }
    format!("-{}", &crate::trace::sha256_hex(&text)[..8])
}

/// What differs between two settings objects (top-level keys), in words.
fn json_differences(old: &serde_json::Value, new: &serde_json::Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let (a, b) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (va, vb) = (a.get(k), b.get(k));
            (va != vb).then(|| {
                let show = |v: Option<&serde_json::Value>| {
                    v.map_or("(none)".to_string(), |v| v.to_string())
                };
                format!("{k} {} → {}", show(va), show(vb))
            })
        })
        .collect()
}

/// Refuses to replace `out` unless it is empty, absent, or holds what the
/// same settings made (`read` finds the settings a folder was made with):
/// different settings never share a folder silently. `--force` replaces it.
pub(super) fn guard_out(
    out: &Path,
    settings: &serde_json::Value,
    read: impl Fn(&Path) -> Option<serde_json::Value>,
    force: bool,
) -> Result<()> {
    if out.exists() && !out.is_dir() {
        bail!(
            "{} is a file, not a folder; give --out a folder to write into",
            out.display()
        );
    }
    let occupied = std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some());
    if !occupied || force {
        return Ok(());
    }
    match read(out) {
        Some(old) if old == *settings => Ok(()),
        Some(old) => bail!(
            "{} holds results made with other settings ({}).\n  \
             Give this run its own folder with --out DIR, or replace that one with --force.",
            out.display(),
            json_differences(&old, settings).join("; ")
        ),
        // A folder of an older meshsim (its files, no settings recorded):
        // replaced, and said so.
        None if out.join("summary.csv").exists()
            || out.join("compare.csv").exists()
            || out.join("gallery.csv").exists() =>
        {
            eprintln!(
                "note: replacing {}, written by an older meshsim that recorded no settings",
                out.display()
            );
            Ok(())
        }
        None => bail!(
            "{} exists and was not written by meshsim (no settings recorded in it).\n  \
             Choose another --out DIR, or replace the folder and everything in it with --force.",
            out.display()
        ),
    }
}

/// The settings of a run of scenario `name` (what [`report::Provenance::settings`]
/// records once it ran).
fn settings_of(name: &str, sets: &[String], flags: &RunFlags) -> serde_json::Value {
    report::Provenance {
        scenario: name.to_string(),
        overrides: sets.to_vec(),
        env_overrides: env_overrides(),
        seed: flags.seed,
        arrivals: arrivals_name(flags.arrivals).into(),
        trace_path: flags.trace.display().to_string(),
        ..Default::default()
    }
    .settings()
}

/// The settings a run folder was made with (`summary.json`'s provenance).
fn run_settings(dir: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("summary.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let p: report::Provenance = serde_json::from_value(v.get("provenance")?.clone()).ok()?;
    Some(p.settings())
}

/// The settings a compare or gallery folder was made with (`meshsim.json`).
fn folder_settings(dir: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("meshsim.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("settings").cloned()
}

/// `meshsim.json` of a compare or gallery folder: the command, its settings,
/// and each run's provenance.
fn folder_record(command: &str, settings: &serde_json::Value, runs: &[&RunInfo]) -> String {
    let v = serde_json::json!({
        "command": command,
        "meshsim_version": env!("CARGO_PKG_VERSION"),
        "settings": settings,
        "runs": runs.iter().map(|i| &i.provenance).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

pub(super) fn run(args: RunArgs, book: &PriceBook) -> Result<()> {
    let env = env_overrides();
    let sc =
        scenario::resolve(&args.scenario, &env, &args.set, book).map_err(|e| anyhow!("{e}"))?;
    let trace_name = args
        .run
        .trace
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let out = args.run.out.clone().unwrap_or_else(|| {
        PathBuf::from("reports").join(format!(
            "{}-{trace_name}{}",
            sc.name,
            overrides_suffix(&args.set)
        ))
    });
    // Checked before simulating: a refused run costs nothing.
    let settings = settings_of(&sc.name, &args.set, &args.run);
    guard_out(&out, &settings, run_settings, args.run.force)?;
    let meta = scan(&args.run.trace, args.run.quiet)?;
    crate::run::check_work(&sc, &meta)?;
    let bar = Progress::start(crate::run::work(&sc, &meta), args.run.quiet);
    let (outcome, info, charts) = run_and_draw(&sc, &meta, &args.run, &args.set)?;
    drop(bar);
    report::write_run_dir(&out, &outcome, &info, charts.as_ref())
        .with_context(|| format!("cannot write the run directory {}", out.display()))?;
    if args.format == Format::Json && !args.run.quiet {
        let mut w = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut w, &report::summary_json(&outcome, &info))?;
        writeln!(w)?;
    } else if !args.run.quiet {
        let mut pricing = match &sc.cluster {
            Some(c) => c.price_lines(),
            None => vec![sc.compute.explanation.clone()],
        };
        pricing.extend(sc.spot.as_ref().map(|(_, how)| how.clone()));
        let mut w = std::io::stdout().lock();
        report::text::write_run_summary(&mut w, &outcome, &info, &pricing)?;
        writeln!(
            w,
            "  wrote {}/{{summary,timeline,scaling,alerts}}.csv{}{}, summary.json, report.html, report.md{}",
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
    let meta = scan(&flags.trace, flags.quiet)?;
    let names = builtin::names();
    let out = flags
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("gallery-{}", meta.name())));
    let settings = serde_json::json!({
        "scenarios": names,
        "env_overrides": env_overrides(),
        "seed": flags.seed,
        "arrivals": arrivals_name(flags.arrivals),
        "trace_path": flags.trace.display().to_string(),
    });
    guard_out(&out, &settings, folder_settings, flags.force)?;
    let scenarios: Vec<Result<Scenario, String>> = names
        .iter()
        .map(|n| scenario::resolve(n, &[], &[], book).map_err(|e| e.to_string()))
        .collect();
    // A trace too large for any scenario is refused before anything runs.
    for sc in scenarios.iter().flatten() {
        crate::run::check_work(sc, &meta)?;
    }
    let work = scenarios
        .iter()
        .flatten()
        .map(|sc| crate::run::work(sc, &meta))
        .sum();
    let start = std::time::Instant::now();
    let bar = Progress::start(work, flags.quiet);
    let runs: Vec<Result<Finished, String>> = thread_pool(args.jobs)?.install(|| {
        scenarios
            .par_iter()
            .map(|sc| {
                let sc = sc.as_ref().map_err(Clone::clone)?;
                run_and_draw(sc, &meta, flags, &[]).map_err(|e| e.to_string())
            })
            .collect()
    });
    drop(bar);
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
    let infos: Vec<&RunInfo> = runs
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|r| &r.1)
        .collect();
    report::write_dir_atomically(&out, |tmp| {
        std::fs::write(
            tmp.join("meshsim.json"),
            folder_record("gallery", &settings, &infos),
        )?;
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
    if !args.label.is_empty() {
        if args.label.len() != scenarios.len() {
            bail!(
                "--label gives {} name(s) for {} scenarios; give one per scenario, in order (e.g. --label base,head)",
                args.label.len(),
                scenarios.len()
            );
        }
        for (sc, l) in scenarios.iter_mut().zip(&args.label) {
            if l.is_empty() || l.contains(['/', '\\']) || l.starts_with('.') {
                bail!("--label `{l}` cannot name a folder; use letters, digits, - and _");
            }
            sc.name = l.clone();
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for sc in &scenarios {
        if !seen.insert(sc.name.clone()) {
            bail!(
                "scenario `{}` is given twice; each scenario of a comparison needs its own name \
                 (two versions of one file: name them with --label base,head)",
                sc.name
            );
        }
    }
    Ok(scenarios)
}

/// A comparison's gate failed (`compare --check`): exit status 3.
#[derive(Debug)]
pub struct GateFailed(pub Vec<String>);

impl std::fmt::Display for GateFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the comparison's check failed: {}", self.0.join("; "))
    }
}

impl std::error::Error for GateFailed {}

pub(super) fn compare(args: CompareArgs, book: &PriceBook) -> Result<()> {
    if let Some(p) = args.max_cost_increase
        && !(p.is_finite() && p >= 0.0)
    {
        bail!("--max-cost-increase {p}: expected a percentage ≥ 0, e.g. 10 for +10 %");
    }
    if args.max_cost_increase.is_some() && !args.check {
        bail!(
            "--max-cost-increase takes effect with --check (fail when a head regresses); add --check"
        );
    }
    let scenarios = compared_scenarios(&args, book)?;
    let flags = &args.run;
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let trace_stem = flags
        .trace
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let out = flags.out.clone().unwrap_or_else(|| {
        PathBuf::from("reports").join(format!(
            "compare-{}-{trace_stem}{}",
            names.join("-"),
            overrides_suffix(&args.set)
        ))
    });
    let settings = serde_json::json!({
        "scenarios": args.scenarios,
        "labels": args.label,
        "overrides": args.set,
        "env_overrides": env_overrides(),
        "seed": flags.seed,
        "arrivals": arrivals_name(flags.arrivals),
        "trace_path": flags.trace.display().to_string(),
    });
    guard_out(&out, &settings, folder_settings, flags.force)?;
    let meta = scan(&flags.trace, flags.quiet)?;
    for sc in &scenarios {
        crate::run::check_work(sc, &meta)?;
    }
    let bar = Progress::start(
        scenarios.iter().map(|sc| crate::run::work(sc, &meta)).sum(),
        flags.quiet,
    );
    let runs = thread_pool(args.jobs)?.install(|| {
        scenarios
            .par_iter()
            .map(|sc| run_and_draw(sc, &meta, flags, &args.set))
            .collect::<Result<Vec<_>>>()
    })?;
    drop(bar);
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
    let link = args
        .report_url
        .clone()
        .unwrap_or_else(|| out.join("compare.html").display().to_string());
    let pr = report::pr::markdown(&entries, &link);
    let dirs: Vec<String> = entries.iter().map(|e| e.info.scenario.clone()).collect();
    let infos: Vec<&RunInfo> = runs.iter().map(|r| &r.1).collect();
    report::write_dir_atomically(&out, |tmp| {
        std::fs::write(
            tmp.join("meshsim.json"),
            folder_record("compare", &settings, &infos),
        )?;
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
        std::fs::write(tmp.join("compare.pr.md"), &pr)?;
        Ok(())
    })
    .with_context(|| format!("cannot write {}", out.display()))?;
    let mut w = std::io::stdout().lock();
    if args.markdown {
        w.write_all(pr.as_bytes())?;
    } else if !flags.quiet {
        writeln!(
            w,
            "meshsim compare on {trace_name} (seed {}):\n",
            flags.seed
        )?;
        report::compare::print_table(&mut w, &entries)?;
        writeln!(
            w,
            "\nwrote {}/compare.{{csv,html,md,pr.md}}{} and one run directory per scenario",
            out.display(),
            if png.is_some() { ", compare.png" } else { "" }
        )?;
    }
    if args.check {
        let why = report::pr::gate(&entries, args.max_cost_increase);
        if !why.is_empty() {
            return Err(GateFailed(why).into());
        }
    }
    Ok(())
}
