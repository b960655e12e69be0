//! The command line: the only module that touches argv, the environment,
//! files, stdout and the wall clock.

use crate::billing::PriceBook;
use crate::engine::ArrivalProcess;
use crate::report::{self, RunInfo};
use crate::scenario::{self, builtin};
use crate::trace::{self, TraceKind, r#gen};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "meshsim",
    version,
    about = "Cost and autoscaling simulator: replay a workload trace against a scenario's scaling rules"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate one scenario on one trace and write its run directory.
    Run(RunArgs),
    /// Run several scenarios on the same trace (in parallel) and compare them
    /// side by side: table, compare.csv, overlay chart, compare.html.
    Compare(CompareArgs),
    /// Run every built-in scenario on one trace (in parallel): gallery.csv, an
    /// index page linking each run's report, and the run directories.
    Gallery {
        #[arg(long)]
        trace: PathBuf,
        /// Output directory (default: reports/gallery-<trace>/).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        jobs: Option<usize>,
        /// Skip the PNG charts.
        #[arg(long)]
        no_charts: bool,
        #[arg(long, short)]
        quiet: bool,
    },
    /// Generate or inspect traces.
    #[command(subcommand)]
    Trace(TraceCommand),
    /// List the scenarios (built-in and in ./scenarios/).
    Scenarios,
    /// Check scenario files without simulating.
    Validate {
        /// Scenario names or paths to .toml files.
        #[arg(required = true)]
        scenarios: Vec<String>,
        #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
        set: Vec<String>,
    },
    /// Show how two scenarios differ, key by key (defaults included).
    Diff { a: String, b: String },
    /// Kubernetes HPA tools.
    #[command(subcommand)]
    Hpa(HpaCommand),
    /// Run a grid of scenario overrides × replications in parallel (resumable, shardable).
    Sweep(SweepArgs),
    /// Find the cheapest configuration that meets a p95 SLO (and a budget) by
    /// sweeping the given axes.
    Plan(PlanArgs),
    /// Join shard directories of one sweep into a single results.csv.
    Merge {
        /// Shard directories (each holds sweep.json and points/).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        #[arg(long)]
        out: PathBuf,
        /// Skip pareto.png and heatmap.png.
        #[arg(long)]
        no_charts: bool,
    },
    /// List or query the pricing catalogue (every price with its source and date).
    Pricing {
        /// Only this service (EC2, Fargate, RDS, RDS storage, ElastiCache, NAT Gateway, ALB, S3, CloudWatch Logs).
        #[arg(long)]
        service: Option<String>,
        #[arg(long)]
        region: Option<String>,
        /// SKU substring, e.g. t4g or multi-az.
        #[arg(long)]
        sku: Option<String>,
        /// on_demand or spot.
        #[arg(long)]
        option: Option<String>,
        /// A pricing CSV to lay over the built-in catalogue.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Print CSV (all columns) instead of a table.
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Scenario name or path (or `scenario` in the sweep file).
    pub scenario: Option<String>,
    /// Trace file (or `trace` in the sweep file).
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// A sweep file (TOML: scenario, trace, axes, replications, seed, SLO,
    /// out; see docs/sweeps.md). Flags override its values.
    #[arg(long, value_name = "SWEEP.toml")]
    pub file: Option<PathBuf>,
    /// An axis: key.path=v1,v2,… or key.path=start..end:step (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUES")]
    pub set: Vec<String>,
    /// Seeds per grid point (default 1).
    #[arg(long)]
    pub replications: Option<u32>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run seed (default 1).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output directory (default: reports/sweep-<scenario>-<trace>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run one slice of the grid: K/N runs the points whose index is K mod N.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    #[arg(long, value_enum, default_value_t = ArrivalProcess::Poisson)]
    pub arrivals: ArrivalProcess,
    /// Skip pareto.png and heatmap.png.
    #[arg(long)]
    pub no_charts: bool,
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Two or more scenario names or paths.
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<String>,
    #[arg(long)]
    pub trace: PathBuf,
    /// Output directory (default: reports/compare-<a>-<b>…-<trace>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Override a key in every scenario (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
    #[arg(long, value_enum, default_value_t = ArrivalProcess::Poisson)]
    pub arrivals: ArrivalProcess,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Skip the PNG charts.
    #[arg(long)]
    pub no_charts: bool,
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    pub scenario: String,
    #[arg(long)]
    pub trace: PathBuf,
    /// The p95 latency the configuration must meet, ms.
    #[arg(long)]
    pub slo_p95_ms: f64,
    /// The most the configuration may cost in a month (projected), USD.
    #[arg(long)]
    pub budget_usd: Option<f64>,
    /// An axis to search: key.path=v1,v2,… or key.path=start..end:step (repeatable).
    #[arg(long = "vary", value_name = "KEY.PATH=VALUES", required = true)]
    pub vary: Vec<String>,
    #[arg(long, default_value_t = 2)]
    pub replications: u32,
    #[arg(long)]
    pub jobs: Option<usize>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Grids larger than this are searched coarse to fine instead of whole
    /// (see docs/sweeps.md).
    #[arg(long, default_value_t = 150)]
    pub max_points: usize,
    /// Skip pareto.png and heatmap.png (plan.html then has no images).
    #[arg(long)]
    pub no_charts: bool,
}

#[derive(Subcommand, Debug)]
pub enum HpaCommand {
    /// Print, as JSON, what the Kubernetes HPA controller decides in one
    /// reconcile of a real autoscaling/v2 manifest on a snapshot of pods,
    /// metrics and history (schema: DESIGN §5, docs/hpa.md).
    Explain {
        /// HorizontalPodAutoscaler manifest (YAML; several documents allowed).
        #[arg(long)]
        hpa: PathBuf,
        /// Snapshot of the controller's view (JSON).
        #[arg(long)]
        state: PathBuf,
        /// Which HPA of the manifest (by metadata.name) when it holds several.
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario name (built-in or ./scenarios/NAME.toml) or path to a .toml file.
    pub scenario: String,
    /// Trace file (CSV; Parquet when built with the `parquet` feature).
    #[arg(long)]
    pub trace: PathBuf,
    /// Output directory (default: reports/<scenario>-<trace>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Override a scenario key, e.g. --set scaling.min=2 (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
    /// Arrivals inside a rate trace's rows.
    #[arg(long, value_enum, default_value_t = ArrivalProcess::Poisson)]
    pub arrivals: ArrivalProcess,
    /// Skip the PNG charts (report.html and report.md are still written, without images).
    #[arg(long)]
    pub no_charts: bool,
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
pub enum TraceCommand {
    /// Write a synthetic rate trace (timestamp,rps).
    Gen {
        #[arg(long, value_enum)]
        pattern: r#gen::Pattern,
        /// Mean rate, requests per second.
        #[arg(long)]
        mean: f64,
        /// Peak rate (default: a pattern-specific multiple of the mean).
        #[arg(long)]
        peak: Option<f64>,
        /// Span of the trace: 24h, 7d, 3600s, 90m.
        #[arg(long, default_value = "24h")]
        duration: String,
        /// Row interval: 60s, 1m, 10s.
        #[arg(long, default_value = "60s")]
        interval: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// First timestamp, RFC 3339; diurnal days begin here.
        #[arg(long, default_value = "2025-11-28T05:00:00Z")]
        start: String,
        /// Multiplicative noise per row (coefficient of variation).
        #[arg(long, default_value_t = 0.03)]
        noise: f64,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Rows, span, mean and peak rate of a trace.
    Info {
        file: PathBuf,
        /// Bin width (seconds) for the peak rate of request traces.
        #[arg(long, default_value_t = 60.0)]
        bin: f64,
    },
}

/// Runs the command line; returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match dispatch(cli) {
        Ok(()) => 0,
        Err(e) => {
            let mut msg = format!("error: {e}");
            for cause in e.chain().skip(1) {
                msg.push_str(&format!("\n  caused by: {cause}"));
            }
            eprintln!("{}", msg.trim_end());
            1
        }
    }
}

fn env_overrides() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("MESHSIM_"))
        .collect();
    v.sort();
    v
}

fn dispatch(cli: Cli) -> Result<()> {
    let book = PriceBook::builtin();
    match cli.command {
        Command::Run(args) => run(args, &book),
        Command::Compare(args) => compare(args, &book),
        Command::Gallery {
            trace,
            out,
            seed,
            jobs,
            no_charts,
            quiet,
        } => gallery(&trace, out, seed, jobs, no_charts, quiet, &book),
        Command::Sweep(args) => sweep(args, &book),
        Command::Plan(args) => plan(args, &book),
        Command::Merge {
            dirs,
            out,
            no_charts,
        } => {
            let n = crate::sweep::merge(&dirs, &out, !no_charts)?;
            println!(
                "merged {n} points from {} directories into {}",
                dirs.len(),
                out.join("results.csv").display()
            );
            Ok(())
        }
        Command::Pricing {
            service,
            region,
            sku,
            option,
            file,
            csv,
        } => {
            let book = match file {
                Some(f) => {
                    let text = std::fs::read_to_string(&f)
                        .with_context(|| format!("cannot read {}", f.display()))?;
                    book.overlay(&PriceBook::from_csv(&text, &f.display().to_string())?)
                }
                None => book,
            };
            let eq =
                |a: &str, b: &Option<String>| b.as_ref().is_none_or(|b| a.eq_ignore_ascii_case(b));
            let rows: Vec<_> = book
                .rows()
                .iter()
                .filter(|r| {
                    eq(&r.service, &service)
                        && eq(&r.region, &region)
                        && eq(&r.purchase_option, &option)
                        && sku.as_ref().is_none_or(|s| r.sku.contains(s.as_str()))
                })
                .collect();
            if rows.is_empty() {
                bail!(
                    "no price matches (the catalogue has {} rows; try without filters)",
                    book.rows().len()
                );
            }
            let mut o = std::io::stdout().lock();
            if csv {
                let mut w = ::csv::Writer::from_writer(&mut o);
                w.write_record([
                    "service",
                    "sku",
                    "region",
                    "unit",
                    "price_usd",
                    "purchase_option",
                    "description",
                    "source",
                    "source_date",
                ])?;
                for r in rows {
                    w.write_record([
                        &r.service,
                        &r.sku,
                        &r.region,
                        &r.unit,
                        &r.price_usd.to_string(),
                        &r.purchase_option,
                        &r.description,
                        &r.source,
                        &r.source_date,
                    ])?;
                }
                w.flush()?;
            } else {
                let header = [
                    "service",
                    "sku",
                    "region",
                    "price_usd",
                    "unit",
                    "option",
                    "source date",
                ];
                writeln!(
                    o,
                    "{:<16} {:<28} {:<15} {:>11}  {:<26} {:<9} {}",
                    header[0], header[1], header[2], header[3], header[4], header[5], header[6]
                )?;
                for r in &rows {
                    writeln!(
                        o,
                        "{:<16} {:<28} {:<15} {:>11}  {:<26} {:<9} {}",
                        r.service,
                        r.sku,
                        r.region,
                        r.price_usd,
                        r.unit,
                        r.purchase_option,
                        r.source_date
                    )?;
                }
                writeln!(
                    o,
                    "{} price(s); `--csv` prints each one's source",
                    rows.len()
                )?;
            }
            Ok(())
        }
        Command::Hpa(HpaCommand::Explain { hpa, state, name }) => {
            hpa_explain(&hpa, &state, name.as_deref())
        }
        Command::Trace(TraceCommand::Gen {
            pattern,
            mean,
            peak,
            duration,
            interval,
            seed,
            start,
            noise,
            out,
        }) => {
            let spec = r#gen::GenSpec {
                pattern,
                mean_rps: mean,
                peak_rps: peak,
                duration_s: crate::units::parse_duration_secs(&duration)
                    .map_err(|e| anyhow!("--duration: {e}"))?,
                interval_s: crate::units::parse_duration_secs(&interval)
                    .map_err(|e| anyhow!("--interval: {e}"))?,
                seed,
                start: start
                    .parse()
                    .map_err(|e| anyhow!("--start: `{start}` is not an RFC 3339 timestamp: {e}"))?,
                noise,
            };
            let rows = r#gen::generate(&spec).map_err(|e| anyhow!(e))?;
            match out {
                Some(path) => {
                    let tmp = path.with_extension("csv.partial");
                    let f = std::fs::File::create(&tmp)
                        .with_context(|| format!("cannot create {}", tmp.display()))?;
                    r#gen::write_csv(std::io::BufWriter::new(f), &rows)?;
                    std::fs::rename(&tmp, &path)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
                None => r#gen::write_csv(std::io::stdout().lock(), &rows)?,
            }
            Ok(())
        }
        Command::Trace(TraceCommand::Info { file, bin }) => {
            if bin.is_nan() || bin <= 0.0 {
                bail!("--bin must be > 0 seconds");
            }
            let m = trace::scan(&file, bin)?;
            let start = jiff::Timestamp::from_microsecond(m.start_epoch_us)
                .map(|t| t.to_string())
                .unwrap_or_default();
            let kind = match m.kind {
                TraceKind::Rate => "rate trace (requests per second per row)",
                TraceKind::Count => "rate trace (request count per row)",
                TraceKind::Request => "request trace (one row per request)",
            };
            let mut o = std::io::stdout().lock();
            writeln!(o, "file          {}", file.display())?;
            writeln!(o, "kind          {kind}")?;
            writeln!(o, "rows          {}", m.rows)?;
            writeln!(o, "start         {start}")?;
            writeln!(
                o,
                "span          {:.0} s ({:.2} h)",
                m.span_s(),
                m.span_s() / 3600.0
            )?;
            if m.kind != TraceKind::Request {
                writeln!(
                    o,
                    "row interval  {} s (median)",
                    m.median_interval_us as f64 / 1e6
                )?;
            }
            writeln!(o, "requests      {:.0}", m.expected_requests)?;
            writeln!(o, "mean rate     {:.3} rps", m.mean_rps)?;
            let per = if m.kind == TraceKind::Request {
                format!(" (per {} s bin)", m.info_bin_s)
            } else {
                " (row)".into()
            };
            writeln!(o, "peak rate     {:.3} rps{per}", m.peak_rps)?;
            writeln!(o, "peak/mean     {:.2}", m.peak_rps / m.mean_rps)?;
            if m.has_service_ms || m.has_tokens {
                writeln!(
                    o,
                    "columns       {}{}",
                    if m.has_service_ms { "service_ms " } else { "" },
                    if m.has_tokens { "tokens" } else { "" }
                )?;
            }
            Ok(())
        }
        Command::Scenarios => {
            let mut names: Vec<String> = builtin::names().iter().map(|s| s.to_string()).collect();
            if let Ok(rd) = std::fs::read_dir("scenarios") {
                for e in rd.flatten() {
                    let p = e.path();
                    if p.extension().is_some_and(|x| x == "toml")
                        && let Some(stem) = p.file_stem()
                    {
                        names.push(stem.to_string_lossy().into_owned());
                    }
                }
            }
            names.sort();
            names.dedup();
            let mut o = std::io::stdout().lock();
            for n in names {
                match scenario::load::load(&n, &[], &[]) {
                    Ok(l) => {
                        writeln!(o, "{n:<20} {}", l.file.description)?;
                        if let Some(src) = &l.file.source {
                            writeln!(o, "{:<20} source: {src}", "")?;
                        }
                    }
                    Err(e) => writeln!(
                        o,
                        "{n:<20} (invalid: {})",
                        e.0.first().map(|d| d.to_string()).unwrap_or_default()
                    )?,
                }
            }
            Ok(())
        }
        Command::Validate { scenarios, set } => {
            let env = env_overrides();
            let mut failed = 0;
            for s in &scenarios {
                match scenario::resolve(s, &env, &set, &book) {
                    Ok(sc) => {
                        println!("{s}: ok ({})", sc.origin);
                        for r in &sc.regions {
                            let outage = r
                                .outages_s
                                .iter()
                                .map(|(a, b)| match b {
                                    Some(b) => format!(
                                        "; down from {:.2} h to {:.2} h",
                                        a / 3600.0,
                                        b / 3600.0
                                    ),
                                    None => format!("; down from {:.2} h", a / 3600.0),
                                })
                                .collect::<String>();
                            println!(
                                "  region {} ({}): {:.0} % of the traffic; {}{outage}",
                                r.name,
                                r.aws_region,
                                r.weight * 100.0,
                                r.scenario.compute.explanation
                            );
                        }
                        for w in &sc.warnings {
                            println!("  warning: {w}");
                        }
                        if !sc.not_simulated.is_empty() {
                            println!(
                                "  present but not simulated yet: {}",
                                sc.not_simulated.join(", ")
                            );
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        eprint!("{s}: {e}");
                    }
                }
            }
            if failed > 0 {
                bail!("{failed} of {} scenario(s) invalid", scenarios.len());
            }
            Ok(())
        }
        Command::Diff { a, b } => {
            let sa = scenario::load::load(&a, &[], &[]).map_err(|e| anyhow!("{a}: {e}"))?;
            let sb = scenario::load::load(&b, &[], &[]).map_err(|e| anyhow!("{b}: {e}"))?;
            let d = scenario::diff(&sa.file, &sb.file);
            let mut o = std::io::stdout().lock();
            if d.is_empty() {
                writeln!(o, "{a} and {b} have the same effective settings")?;
            }
            let w = d.iter().map(|x| x.0.len()).max().unwrap_or(0);
            for (k, va, vb) in d {
                let show = |v: Option<String>| v.unwrap_or_else(|| "(unset)".into());
                writeln!(o, "{k:<w$}  {}  ->  {}", show(va), show(vb))?;
            }
            Ok(())
        }
    }
}

/// Reads the HPA named `name` (or the only one) from a manifest file.
pub fn load_hpa(
    path: &std::path::Path,
    name: Option<&str>,
) -> Result<crate::model::autoscaler::hpa::spec::HpaSpec> {
    use crate::model::autoscaler::hpa::manifest::parse_hpas;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the HPA manifest {}", path.display()))?;
    let hpas = parse_hpas(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    match name {
        Some(n) => hpas
            .into_iter()
            .find(|h| h.name == n)
            .ok_or_else(|| anyhow!("{}: no HorizontalPodAutoscaler named `{n}`", path.display())),
        None if hpas.len() == 1 => Ok(hpas.into_iter().next().expect("one")),
        None => bail!(
            "{}: {} HorizontalPodAutoscalers ({}); choose one with --name",
            path.display(),
            hpas.len(),
            hpas.iter()
                .map(|h| h.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn hpa_explain(hpa: &std::path::Path, state: &std::path::Path, name: Option<&str>) -> Result<()> {
    use crate::model::autoscaler::hpa::{explain, state::Snapshot};
    let spec = load_hpa(hpa, name)?;
    let text = std::fs::read_to_string(state)
        .with_context(|| format!("cannot read the snapshot {}", state.display()))?;
    let snap: Snapshot =
        serde_json::from_str(&text).map_err(|e| anyhow!("{}: {e}", state.display()))?;
    let ex = explain(&spec, &snap);
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &ex)?;
    writeln!(out)?;
    Ok(())
}

/// A scenario's and a trace's short names (file stems).
fn names(scenario: &str, trace: &std::path::Path) -> (String, String) {
    let stem = |p: &std::path::Path| p.file_stem().map(|s| s.to_string_lossy().into_owned());
    (
        stem(std::path::Path::new(scenario)).unwrap_or_else(|| scenario.to_string()),
        stem(trace).unwrap_or_default(),
    )
}

/// `reports/<kind>-<scenario>-<trace>/`.
fn default_out(kind: &str, scenario: &str, trace: &std::path::Path) -> PathBuf {
    let (sc, tr) = names(scenario, trace);
    PathBuf::from("reports").join(format!("{kind}-{sc}-{tr}"))
}

/// A rayon pool of `jobs` threads (all cores when `None`).
fn thread_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(j) = jobs {
        pool = pool.num_threads(j.max(1));
    }
    Ok(pool.build()?)
}

fn sweep(args: SweepArgs, book: &PriceBook) -> Result<()> {
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

fn plan(args: PlanArgs, book: &PriceBook) -> Result<()> {
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
    let plan = crate::report::sweep::Plan {
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

fn run(args: RunArgs, book: &PriceBook) -> Result<()> {
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

fn gallery(
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

fn compare(args: CompareArgs, book: &PriceBook) -> Result<()> {
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

fn print_summary(
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
    if !sc.not_simulated.is_empty() {
        writeln!(
            w,
            "  not simulated yet (present in the scenario): {}",
            sc.not_simulated.join("; ")
        )?;
    }
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
