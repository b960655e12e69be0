//! The command line's arguments (clap derive): commands, their flags and help.

use crate::engine::ArrivalProcess;
use crate::trace::r#gen;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// `--arrivals`: how arrivals are spread inside a rate trace's rows.
fn parse_arrivals(s: &str) -> Result<ArrivalProcess, String> {
    match s {
        "poisson" => Ok(ArrivalProcess::Poisson),
        "uniform" => Ok(ArrivalProcess::Uniform),
        other => Err(format!(
            "`{other}` is not an arrival process (expected poisson: a Poisson process inside each row interval, or uniform: evenly spaced arrivals)"
        )),
    }
}

fn parse_mode(s: &str) -> Result<crate::engine::SimMode, String> {
    match s {
        "exact" => Ok(crate::engine::SimMode::Exact),
        "fluid" => Ok(crate::engine::SimMode::Fluid),
        _ => Err(format!("`{s}`: expected exact or fluid")),
    }
}

fn parse_screen(s: &str) -> Result<crate::engine::SimMode, String> {
    match s {
        "fluid" => Ok(crate::engine::SimMode::Fluid),
        _ => Err(format!("`{s}`: expected fluid (the one screening model)")),
    }
}

/// `--max-requests`: a count, written plainly or as `1e11`.
fn parse_max_requests(s: &str) -> Result<u64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of requests (e.g. 20000000000 or 2e10)"))?;
    if !(1.0..=1e18).contains(&v) {
        return Err(format!(
            "{s} is out of range: a number of requests from 1 to 1e18"
        ));
    }
    Ok(v.ceil() as u64)
}

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
    #[command(
        after_help = "Examples:\n  meshsim run cost-optimized --trace workloads/peak.csv\n  meshsim run steady --trace workloads/peak.csv --set scaling.min=2 --set slo.window=5m\n  meshsim run cost-optimized --trace workloads/peak.csv --format json | jq .slo_met\n\nExit status: 0 success, 1 error, 2 malformed command line."
    )]
    Run(RunArgs),
    /// Run several scenarios on the same trace (in parallel) and compare them
    /// side by side: table, compare.csv, overlay chart, compare.html.
    #[command(
        after_help = "Examples:\n  meshsim compare cost-optimized small-team --trace workloads/peak.csv\n  meshsim compare main/scenarios/shop.toml scenarios/shop.toml --label base,head --trace workloads/peak.csv --markdown --check --max-cost-increase 10\n\nExit status: 0 success, 1 error, 2 malformed command line, 3 --check failed."
    )]
    Compare(CompareArgs),
    /// Run every built-in scenario on one trace (in parallel): gallery.csv, an
    /// index page linking each run's report, and the run directories.
    #[command(after_help = "Example:\n  meshsim gallery --trace workloads/peak.csv --no-charts")]
    Gallery(GalleryArgs),
    /// Generate or inspect traces.
    #[command(
        subcommand,
        after_help = "Examples:\n  meshsim trace gen --pattern diurnal --mean 40 --duration 24h --out day.csv\n  meshsim trace info workloads/peak.csv"
    )]
    Trace(TraceCommand),
    /// List the scenarios (built-in and in ./scenarios/).
    #[command(after_help = "Example:\n  meshsim scenarios")]
    Scenarios,
    /// Make scenarios from other definitions.
    #[command(subcommand)]
    Scenario(ScenarioCommand),
    /// Check scenario files without simulating.
    #[command(
        after_help = "Examples:\n  meshsim validate scenarios/*.toml\n  meshsim validate i2s-staging --set scaling.hpa.target_cpu_pct=60"
    )]
    Validate(ValidateArgs),
    /// Show how two scenarios differ, key by key (defaults included).
    #[command(after_help = "Example:\n  meshsim diff cost-optimized small-team")]
    Diff(DiffArgs),
    /// Explain one autoscaler decision of a run: what the controller saw and
    /// decided at its last sync at or before a time, as JSON (the run is
    /// simulated again from its summary.json, identically; the HPA's view
    /// replays with `meshsim hpa explain`).
    #[command(
        after_help = "Examples:\n  meshsim explain reports/i2s-staging-peak --at 2025-11-28T14:36:45Z\n  meshsim explain reports/i2s-staging-peak --at 14:36        # local clock time, first on or after the trace's start\n  meshsim explain reports/i2s-staging-peak --at 34605        # seconds from the trace's start\n  meshsim explain reports/i2s-staging-peak --at 34605 | jq .detail.state > state.json\n\nRun it in the folder the run was made in: the scenario, manifests and trace are read again (their checksums must match)."
    )]
    Explain(RunExplainArgs),
    /// Kubernetes HPA tools.
    #[command(
        subcommand,
        after_help = "Example:\n  meshsim hpa explain --hpa examples/hpa/web-hpa.yaml --state examples/hpa/web-state.json"
    )]
    Hpa(HpaCommand),
    /// Kubernetes VerticalPodAutoscaler tools.
    #[command(
        subcommand,
        after_help = "Example:\n  meshsim run i2s-production-vpa --trace workloads/peak.csv --out vpa-run\n  meshsim vpa explain --history vpa-run/vpa_samples.csv --vpa scenarios/k8s/i2s-production-conductor-vpa.yaml --request-cpu 250m --request-memory 512Mi --age-s 3600"
    )]
    Vpa(VpaCommand),
    /// Run a grid of scenario overrides × replications in parallel (resumable, shardable).
    #[command(
        after_help = "Examples:\n  meshsim sweep cost-optimized --trace workloads/peak.csv --set scaling.max=2,3,4 --set scaling.target_tracking.target=50..90:10\n  meshsim sweep i2s-staging --trace workloads/peak.csv --set scaling.hpa.target_cpu_pct=50..80:10\n  meshsim sweep --file sweep.toml --shard 0/4"
    )]
    Sweep(SweepArgs),
    /// Find the cheapest configuration that meets a p95 SLO (and a budget) by
    /// sweeping the given axes.
    #[command(
        after_help = "Example:\n  meshsim plan steady --trace workloads/peak.csv --slo-p95-ms 400 --budget-usd 120 --vary scaling.min=1..6:1"
    )]
    Plan(PlanArgs),
    /// Join shard directories of one sweep into a single results.csv.
    #[command(after_help = "Example:\n  meshsim merge shards/0 shards/1 shards/2 --out sweep")]
    Merge(MergeArgs),
    /// List or query the pricing catalogue (every price with its source and date).
    #[command(
        after_help = "Examples:\n  meshsim pricing --service EC2 --sku t4g\n  meshsim pricing --service Fargate --region eu-west-1 --csv"
    )]
    Pricing(PricingArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  meshsim completions bash > ~/.local/share/bash-completion/completions/meshsim\n  meshsim completions zsh > \"${fpath[1]}/_meshsim\"\n  meshsim completions fish > ~/.config/fish/completions/meshsim.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into a folder.
    #[command(
        after_help = "Examples:\n  meshsim man | man -l -\n  meshsim man --out ~/.local/share/man/man1"
    )]
    Man {
        /// Write meshsim.1, meshsim-run.1, … into this folder instead.
        #[arg(long)]
        out: Option<PathBuf>,
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
    /// Demand × this for a growth what-if (the scenario key `trace_scale`):
    /// rates and counts scaled, requests of a request trace repeated.
    /// A list (1,1.25,1.5) or range (1..2:0.25) is an axis.
    #[arg(long, value_name = "VALUES")]
    pub trace_scale: Option<String>,
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
    #[arg(long, default_value = "poisson", value_parser = parse_arrivals)]
    pub arrivals: ArrivalProcess,
    /// `exact`: the engine, one event per request; `fluid`: the fluid
    /// screen, one step per second (fast, approximate: docs/sweeps.md,
    /// "Screening").
    #[arg(long, default_value = "exact", value_parser = parse_mode)]
    pub mode: crate::engine::SimMode,
    /// Skip pareto.png and heatmap.png.
    #[arg(long)]
    pub no_charts: bool,
    /// The most requests a run may simulate (default 1e10, ~18 min of a
    /// core): a trace that states more is refused before it starts, with
    /// the count and an estimate of the time (a bound against wrong units).
    #[arg(long, value_name = "N", value_parser = parse_max_requests)]
    pub max_requests: Option<u64>,
    #[arg(long)]
    pub quiet: bool,
    /// Replace an output folder that holds a different sweep (its finished
    /// points are deleted).
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Two or more scenario names or paths; with --markdown the first is the
    /// base and the others the heads.
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<String>,
    #[command(flatten)]
    pub run: RunFlags,
    /// Override a key in every scenario (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
    /// Demand × this for a growth what-if (the scenario key `trace_scale`):
    /// rates and counts scaled, requests of a request trace repeated.
    #[arg(long, value_name = "FACTOR")]
    pub trace_scale: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Names for the scenarios, in order, comma-separated (e.g. base,head:
    /// two versions of one scenario file share a name).
    #[arg(long, value_delimiter = ',', value_name = "NAME,NAME")]
    pub label: Vec<String>,
    /// Print a pull-request comment (Markdown: base → head with the change)
    /// instead of the table; also written as compare.pr.md.
    #[arg(long)]
    pub markdown: bool,
    /// The full report's address for the comment's link line (default: the
    /// path of compare.html).
    #[arg(long, value_name = "URL")]
    pub report_url: Option<String>,
    /// Exit with status 3 when a head misses the SLO the base meets.
    #[arg(long)]
    pub check: bool,
    /// With --check: also exit with status 3 when a head's monthly cost is
    /// more than PCT % above the base's.
    #[arg(long, value_name = "PCT")]
    pub max_cost_increase: Option<f64>,
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
    /// Demand × this for a growth what-if (the scenario key `trace_scale`):
    /// rates and counts scaled, requests of a request trace repeated.
    #[arg(long, value_name = "FACTOR")]
    pub trace_scale: Option<String>,

    #[arg(long, default_value_t = 2)]
    pub replications: u32,
    #[arg(long)]
    pub jobs: Option<usize>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// `fluid`: evaluate every configuration with the fluid screen (one step
    /// per second), then simulate the cheapest that nearly meet the SLO with
    /// the engine; the answer is always an engine run (docs/sweeps.md,
    /// "Screening").
    #[arg(long, value_name = "MODEL", value_parser = parse_screen)]
    pub screen: Option<crate::engine::SimMode>,
    /// With --screen: configurations confirmed by the engine per round.
    #[arg(long, default_value_t = 4, value_name = "K")]
    pub confirm: usize,
    /// Grids larger than this are searched coarse to fine instead of whole
    /// (see docs/sweeps.md).
    #[arg(long, default_value_t = 150)]
    pub max_points: usize,
    /// Skip pareto.png and heatmap.png (plan.html then has no images).
    #[arg(long)]
    pub no_charts: bool,
    /// The most requests a run may simulate (default 1e10, ~18 min of a
    /// core): a trace that states more is refused before it starts, with
    /// the count and an estimate of the time (a bound against wrong units).
    #[arg(long, value_name = "N", value_parser = parse_max_requests)]
    pub max_requests: Option<u64>,
    /// Replace an output folder that holds a different grid (its finished
    /// points are deleted). A different --slo-p95-ms or --budget-usd is the
    /// same grid: its points are reused, nothing is replaced.
    #[arg(long)]
    pub force: bool,
}

#[derive(Subcommand, Debug)]
pub enum HpaCommand {
    /// Print, as JSON, what the Kubernetes HPA controller decides in one
    /// reconcile of a real autoscaling/v2 manifest on a snapshot of pods,
    /// metrics and history (the state file's schema and an example:
    /// docs/autoscaling.md, "meshsim hpa explain").
    Explain(ExplainArgs),
}

#[derive(Subcommand, Debug)]
pub enum VpaCommand {
    /// Print, as JSON, the VPA recommender's recommendation from a usage
    /// history (a run's vpa_samples.csv, or samples of your own in its
    /// columns), every step of the arithmetic shown, capped by a real
    /// autoscaling.k8s.io/v1 manifest's policy; with a pod's requests, what
    /// the updater would do with it (docs/resources.md, "meshsim vpa explain").
    Explain(VpaExplainArgs),
}

#[derive(Args, Debug)]
pub struct VpaExplainArgs {
    /// Usage history, CSV with the columns t_s, pod, cpu_cores, memory_mb,
    /// oom_request_mb (empty cells where a sample has no value), rows in time
    /// order: a run's vpa_samples.csv.
    #[arg(long, value_name = "CSV")]
    pub history: PathBuf,
    /// VerticalPodAutoscaler manifest (YAML) for the policy: updateMode,
    /// controlledResources, controlledValues, minAllowed, maxAllowed.
    /// Without it: Auto, CPU and memory, no bounds.
    #[arg(long, value_name = "YAML")]
    pub vpa: Option<PathBuf>,
    /// Which VPA of the manifest (by metadata.name) when it holds several.
    #[arg(long)]
    pub name: Option<String>,
    /// Which container policy of the manifest applies (default: the only
    /// one, or `*`).
    #[arg(long)]
    pub container: Option<String>,
    /// A pod's CPU request to judge as the updater would (`250m`, `0.5`).
    #[arg(long, value_name = "QUANTITY", requires = "request_memory")]
    pub request_cpu: Option<String>,
    /// The pod's memory request (`512Mi`, `1Gi`).
    #[arg(long, value_name = "QUANTITY", requires = "request_cpu")]
    pub request_memory: Option<String>,
    /// The pod's age in seconds (the updater leaves a pod within the
    /// recommended range alone for its first 12 hours).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 0.0,
        requires = "request_cpu"
    )]
    pub age_s: f64,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario name (built-in or ./scenarios/NAME.toml) or path to a .toml file.
    pub scenario: String,
    #[command(flatten)]
    pub run: RunFlags,
    /// Override a scenario key, e.g. --set scaling.min=2 (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
    /// Demand × this for a growth what-if (the scenario key `trace_scale`):
    /// rates and counts scaled, requests of a request trace repeated.
    #[arg(long, value_name = "FACTOR")]
    pub trace_scale: Option<String>,
    /// What to print: text (the summary in words) or json (summary.json).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `--format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// The flags of every command that simulates scenarios on a trace (`run`,
/// `compare`, `gallery`).
#[derive(Args, Debug)]
pub struct RunFlags {
    /// Trace file: CSV (Parquet with the `parquet` feature), JSON lines, an
    /// ALB or Common Log Format access log, CloudWatch output (docs/traces.md).
    #[arg(long)]
    pub trace: PathBuf,
    /// Output directory (default: under reports/, named after the scenario(s) and the trace).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Arrivals inside a rate trace's rows: poisson or uniform.
    #[arg(long, default_value = "poisson", value_parser = parse_arrivals)]
    pub arrivals: ArrivalProcess,
    /// Skip the PNG charts (the reports are still written, without images).
    #[arg(long)]
    pub no_charts: bool,
    /// The most requests a run may simulate (default 1e10, ~18 min of a
    /// core): a trace that states more is refused before it starts, with
    /// the count and an estimate of the time (a bound against wrong units).
    #[arg(long, value_name = "N", value_parser = parse_max_requests)]
    pub max_requests: Option<u64>,
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
    /// Replace an output folder made by other settings (another scenario,
    /// other --set values, seed or trace) or not by meshsim.
    #[arg(long)]
    pub force: bool,
}

#[derive(Subcommand, Debug)]
pub enum ScenarioCommand {
    /// A scenario TOML from a Kubernetes bundle (YAML files of one or more
    /// documents: a Deployment or StatefulSet, an autoscaling/v2 HPA or a
    /// KEDA ScaledObject; the manifests are referenced, not copied) or from
    /// an ECS service's AWS CLI output (JSON). Every value the files do not
    /// give is written with `# assumed` and listed.
    #[command(
        after_help = "Examples:\n  meshsim scenario import k8s/deployment.yaml k8s/hpa.yaml -o scenarios/shop.toml\n  meshsim scenario import bundle.yaml --workload api -o api.toml\n  aws ecs describe-services --cluster staging --services api > services.json\n  aws ecs describe-task-definition --task-definition api:7 > taskdef.json\n  aws application-autoscaling describe-scalable-targets --service-namespace ecs > targets.json\n  aws application-autoscaling describe-scaling-policies --service-namespace ecs > policies.json\n  aws application-autoscaling describe-scheduled-actions --service-namespace ecs > actions.json\n  meshsim scenario import services.json taskdef.json targets.json policies.json actions.json -o api.toml"
    )]
    Import(ScenarioImportArgs),
}

#[derive(Args, Debug)]
pub struct ScenarioImportArgs {
    /// Kubernetes YAML (multi-document files are read document by document),
    /// or ECS JSON (AWS CLI output).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The scenario to write (TOML).
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    /// The Deployment, StatefulSet or ECS service to import when the files
    /// hold several.
    #[arg(long)]
    pub workload: Option<String>,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Subcommand, Debug)]
pub enum TraceCommand {
    /// Write a synthetic rate trace (timestamp,rps).
    Gen(GenArgs),
    /// Rows, span, mean and peak rate of a trace.
    Info(InfoArgs),
    /// Convert a monitoring export or an access log into a meshsim trace:
    /// Prometheus query_range JSON, Grafana panel CSV and CloudWatch JSON or
    /// CSV become rate traces (timestamp,rps or timestamp,count); ALB and
    /// Common Log Format access logs and JSON lines become request traces.
    #[command(
        after_help = "Examples:\n  curl -s 'http://prom:9090/api/v1/query_range?query=sum(rate(http_requests_total[1m]))&start=…&end=…&step=60' > prom.json\n  meshsim trace import --from prometheus --values rate prom.json -o trace.csv\n  meshsim trace import --from grafana --values rate --timezone Europe/Berlin 'Requests-data-2025-11-28.csv' -o trace.csv\n  aws cloudwatch get-metric-statistics --namespace AWS/ApplicationELB --metric-name RequestCount --statistics Sum --period 60 … > cw.json\n  meshsim trace import --from cloudwatch cw.json -o trace.csv\n  meshsim trace import --from alb 123456789012_elasticloadbalancing_us-east-1_app.my-lb…log.gz -o requests.csv\n  meshsim trace import --from clf access_log -o requests.csv"
    )]
    Import(ImportArgs),
    /// Clip, scale, resample and shift a trace (in that order), e.g. next
    /// year's growth or one busy day of a month.
    #[command(
        after_help = "Examples:\n  meshsim trace transform peak.csv -o next-year.csv --scale 1.5\n  meshsim trace transform month.csv -o day.csv --clip 2025-11-28T00:00:00Z..2025-11-29T00:00:00Z --shift -27d\n  meshsim trace transform requests.csv -o per-minute.csv --resample 60s"
    )]
    Transform(TransformArgs),
}

#[derive(Args, Debug)]
pub struct TransformArgs {
    /// The trace (any format --trace reads).
    pub file: PathBuf,
    /// The trace to write (CSV).
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    /// Keep the rows that start in START..END: RFC 3339 times or offsets
    /// from the trace's start (2h..5h); either end may be left out.
    #[arg(long, value_name = "START..END")]
    pub clip: Option<String>,
    /// Multiply the demand (rates, counts; requests repeated or thinned).
    #[arg(long, value_name = "FACTOR")]
    pub scale: Option<f64>,
    /// Rows of this length aligned to the epoch (60s, 5m, 1h): mean rates,
    /// or counts (a request trace becomes a count trace).
    #[arg(long, value_name = "DURATION")]
    pub resample: Option<String>,
    /// Move every time by this much (2h, -30m, 1d).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub shift: Option<String>,
    /// Seed of the draws that scale a request trace (a run's --seed gives
    /// the same draws with --trace-scale).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
}

/// The monitoring export formats `trace import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// Prometheus HTTP API /api/v1/query_range response (JSON, resultType matrix).
    Prometheus,
    /// Grafana panel CSV download (Time column and one value column per series).
    Grafana,
    /// aws cloudwatch get-metric-statistics or get-metric-data output (JSON),
    /// or the console's CSV download (Timestamp and Sum per period).
    Cloudwatch,
    /// AWS Application Load Balancer access log (plain or .gz).
    Alb,
    /// Common Log Format or Combined (Apache, NGINX) access log.
    Clf,
    /// JSON lines, one request per line (the Mooncake trace's format).
    Jsonl,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The export's format.
    #[arg(long, value_enum)]
    pub from: ImportFormat,
    pub file: PathBuf,
    /// The trace to write (CSV).
    #[arg(short = 'o', long = "out")]
    pub out: PathBuf,
    /// Prometheus, Grafana: whether the series is a rate (`rate(...)`,
    /// requests per second) or a count per step (`increase(...)`); the
    /// export does not say.
    #[arg(long, value_enum)]
    pub values: Option<crate::trace::import::Values>,
    /// Prometheus: pick the series whose labels include label=value
    /// (repeatable). Grafana: the column with this name, or whose name
    /// holds label="value".
    #[arg(long)]
    pub series: Vec<String>,
    /// Prometheus, Grafana: add all (chosen) series point by point.
    #[arg(long)]
    pub sum: bool,
    /// Grafana, CloudWatch CSV: the IANA time zone of times written without
    /// an offset (Grafana writes the dashboard's zone).
    #[arg(long)]
    pub timezone: Option<String>,
    /// Grafana: whether a row's time ends its step (a Prometheus panel,
    /// the default) or starts it (a CloudWatch panel).
    #[arg(long, value_enum)]
    pub sample_at: Option<crate::trace::import::SampleAt>,
    /// Access logs: leave out (and count) lines that cannot be read instead
    /// of stopping at the first.
    #[arg(long)]
    pub skip_bad_lines: bool,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct GalleryArgs {
    #[command(flatten)]
    pub run: RunFlags,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Scenario names or paths to .toml files.
    #[arg(required = true)]
    pub scenarios: Vec<String>,
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub set: Vec<String>,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    pub a: String,
    pub b: String,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Shard directories (each holds sweep.json and points/).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    #[arg(long)]
    pub out: PathBuf,
    /// Skip pareto.png and heatmap.png.
    #[arg(long)]
    pub no_charts: bool,
}

#[derive(Args, Debug)]
pub struct PricingArgs {
    /// Only this service (EC2, Fargate, RDS, RDS storage, ElastiCache, NAT Gateway, ALB, S3, CloudWatch Logs).
    #[arg(long)]
    pub service: Option<String>,
    #[arg(long)]
    pub region: Option<String>,
    /// SKU substring, e.g. t4g or multi-az.
    #[arg(long)]
    pub sku: Option<String>,
    /// on_demand or spot.
    #[arg(long)]
    pub option: Option<String>,
    /// A pricing CSV to lay over the built-in catalogue.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Print CSV (all columns) instead of a table.
    #[arg(long)]
    pub csv: bool,
}

#[derive(Args, Debug)]
pub struct RunExplainArgs {
    /// A run folder (`meshsim run`'s --out, or one scenario's folder of a gallery).
    pub run_dir: PathBuf,
    /// When: RFC 3339 (`2025-11-28T14:36:45Z`), local date and time in the
    /// scenario's time zone (`2025-11-28 09:36`), local clock time
    /// (`09:36[:45]`, the first on or after the trace's start), or seconds
    /// from the trace's start (`34605`, `34605s`).
    #[arg(long)]
    pub at: String,
    /// The most requests a run may simulate (default 1e10, ~18 min of a
    /// core): a trace that states more is refused before it starts, with
    /// the count and an estimate of the time (a bound against wrong units).
    #[arg(long, value_name = "N", value_parser = parse_max_requests)]
    pub max_requests: Option<u64>,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// HorizontalPodAutoscaler manifest (YAML; several documents allowed).
    #[arg(long)]
    pub hpa: PathBuf,
    /// Snapshot of the controller's view (JSON).
    #[arg(long)]
    pub state: PathBuf,
    /// Which HPA of the manifest (by metadata.name) when it holds several.
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Args, Debug)]
pub struct GenArgs {
    #[arg(long, value_enum)]
    pub pattern: r#gen::Pattern,
    /// Mean rate, requests per second.
    #[arg(long)]
    pub mean: f64,
    /// Peak rate (default: a pattern-specific multiple of the mean).
    #[arg(long)]
    pub peak: Option<f64>,
    /// Span of the trace: 24h, 7d, 3600s, 90m.
    #[arg(long, default_value = "24h")]
    pub duration: String,
    /// Row interval: 60s, 1m, 10s.
    #[arg(long, default_value = "60s")]
    pub interval: String,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First timestamp, RFC 3339; diurnal days begin here.
    #[arg(long, default_value = "2025-11-28T05:00:00Z")]
    pub start: String,
    /// Multiplicative noise per row (coefficient of variation).
    #[arg(long, default_value_t = 0.03)]
    pub noise: f64,
    /// Output file (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    pub file: PathBuf,
    /// Bin width (seconds) for the peak rate of request traces.
    #[arg(long, default_value_t = 60.0)]
    pub bin: f64,
}
