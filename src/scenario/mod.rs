//! Scenarios, the edge that turns files into a validated, fully resolved
//! configuration: TOML -> layered, merged table ([`load`]) -> strictly
//! deserialised [`ScenarioFile`] ([`schema`]) -> validated [`Scenario`] with
//! prices resolved. Each section is checked by its own file (`service`,
//! `capacity`, `scaling`, `k8s` manifests, `llm`, `budget`, `fixed`,
//! `regions`); all semantic problems are collected and reported together.

mod budget;
pub mod builtin;
mod capacity;
mod cluster;
pub(crate) mod describe;
mod diff;
mod fixed;
pub mod import;
mod k8s;
mod llm;
pub mod load;
mod regions;
pub(crate) mod resources;
mod scaling;
pub mod schema;
mod service;

pub use capacity::fargate_memory_ok;
pub use diff::{diff, flatten};
pub(crate) use k8s::{cpu_quantity, memory_quantity};
pub use llm::bedrock_models;
pub use load::{Diagnostic, Diagnostics, Loaded};
pub use schema::*;

use crate::billing::fixed::FixedPlan;
use crate::billing::{ComputeRate, PriceBook, PriceError};
use crate::model::autoscaler::hpa::policy::HpaPolicySpec;
use crate::model::autoscaler::keda::KedaSpec;
use crate::model::autoscaler::schedule::ScheduleSpec;
use crate::model::autoscaler::target_tracking::TargetTrackingSpec;

/// A scenario ready to simulate.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub origin: String,
    /// The effective settings as written (every layer applied), kept for
    /// inspection (tests, `diff`) and the scenario in words. Nothing outside
    /// `scenario` reads it to simulate or report: the fields below are the
    /// resolved configuration.
    pub file: ScenarioFile,
    pub description: String,
    /// Document and section the scenario's values come from.
    pub source: Option<String>,
    /// The AWS region prices come from.
    pub region: String,
    /// `[service]`, validated.
    pub service: Service,
    /// Replica bounds (after an HPA or ScaledObject manifest's).
    pub min: u32,
    pub max: u32,
    /// AWS target tracking, resolved.
    pub target_tracking: Option<TargetTrackingSpec>,
    pub slo: Slo,
    /// Bytes each served request writes that are replicated to the other
    /// regions (multi-region scenarios).
    pub replication_bytes_per_request: f64,
    /// The scenario in words (label, text), for reports.
    pub words: Vec<(String, String)>,
    pub tz: jiff::tz::TimeZone,
    /// `trace_scale`: the demand multiplier (1 = the trace as it is).
    pub trace_scale: f64,
    /// Price of one replica.
    pub compute: ComputeRate,
    /// Scheduled actions with their cron expressions parsed.
    pub schedules: Vec<ScheduleSpec>,
    /// The HPA, resolved from its manifest or inline spec.
    pub hpa: Option<HpaPolicySpec>,
    /// KEDA queue scaling, resolved.
    pub keda: Option<KedaSpec>,
    /// Always-on resources, priced.
    pub fixed: FixedPlan,
    /// Bedrock calls, resolved (day boundaries are added per trace).
    pub llm: Option<crate::model::llm::LlmPlan>,
    /// Accepted with a warning (e.g. a disabled model Bedrock does not carry).
    pub warnings: Vec<String>,
    /// Spot capacity, priced, with how the price and rate were found.
    pub spot: Option<(crate::model::spot::SpotPlan, String)>,
    /// Budgets to evaluate, and hours between evaluations.
    pub budgets: Vec<crate::billing::budget::BudgetSpec>,
    pub budget_interval_h: f64,
    /// A multi-region scenario's regions, each a scenario of its own (empty:
    /// one region).
    pub regions: Vec<RegionPlan>,
    /// The nodes under the replicas (`kubernetes`, `ecs-ec2`), resolved.
    pub cluster: Option<crate::model::cluster::ClusterPlan>,
    /// Replicas at the start from `capacity.deployment`'s `spec.replicas`
    /// (kept within the scaling bounds).
    pub initial_replicas: Option<u32>,
    /// The usage model (docs/resources.md), when the scenario has one.
    pub usage: Option<crate::model::resources::UsagePlan>,
    /// The VerticalPodAutoscaler, resolved.
    pub vpa: Option<crate::model::vpa::VpaSpec>,
}

/// One region of a multi-region scenario, resolved.
#[derive(Clone, Debug)]
pub struct RegionPlan {
    pub name: String,
    pub aws_region: String,
    pub weight: f64,
    /// Outages, seconds since the trace start (end `None`: no recovery).
    pub outages_s: Vec<(f64, Option<f64>)>,
    /// Inter-region transfer price out of this region, when replication is on.
    pub replication_usd_per_gb: f64,
    /// Hashes of the trace `region` values routed here.
    pub route: Vec<u64>,
    pub scenario: Scenario,
}

/// The semantic problems of one scenario, collected in the order found.
pub(crate) struct Problems<'a> {
    layers: &'a [load::Layer],
    list: Vec<Diagnostic>,
}

impl<'a> Problems<'a> {
    fn new(layers: &'a [load::Layer]) -> Problems<'a> {
        Problems {
            layers,
            list: Vec::new(),
        }
    }

    /// A problem at `key` (located in the layer that set it), with an
    /// optional hint.
    pub(crate) fn bad(&mut self, key: &str, message: String, hint: Option<String>) {
        let mut d = load::locate_key(self.layers, key);
        d.message = message;
        if hint.is_some() {
            d.hint = hint;
        }
        self.list.push(d);
    }
}

/// The largest coefficient of variation a distribution may have (a
/// lognormal with cv 100 already puts 1 % of its mass above 4,000 × its
/// median); beyond it, variance overflows.
pub const MAX_CV: f64 = 100.0;
/// The most replicas a scenario may reach (scaling.max, a manifest's
/// maxReplicas, a schedule's capacity).
pub const MAX_REPLICAS: u32 = 10_000;
/// The most requests one replica serves at a time.
pub const MAX_CONCURRENCY: u32 = 100_000;
/// The most request slots (replicas × concurrency) a run may hold: each is
/// a few bytes in the engine's free-slot list and completion heap.
pub const MAX_SLOTS: u64 = 10_000_000;
/// The longest mean service time, ms: a day.
pub const MAX_SERVICE_MS: f64 = 86_400_000.0;

/// A number as a message shows it: plainly, or in exponent form when
/// very large or small (`1e200`, not two hundred digits).
pub(crate) fn num(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-6..1e12).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

fn non_negative(v: f64) -> bool {
    v.is_finite() && v >= 0.0
}

/// A price lookup's failure as a message and a "did you mean" hint.
fn price_problem(e: PriceError) -> (String, Option<String>) {
    match e {
        PriceError::Missing { ref hint, .. } => {
            let h = hint.as_ref().map(|h| format!("did you mean `{h}`?"));
            (e.to_string(), h)
        }
        other => (other.to_string(), None),
    }
}

/// Loads, merges and validates a scenario.
pub fn resolve(
    spec: &str,
    env: &[(String, String)],
    sets: &[String],
    book: &PriceBook,
) -> Result<Scenario, Diagnostics> {
    let loaded = load::load(spec, env, sets)?;
    validate(loaded, book)
}

/// The price book a scenario is priced from: the built-in one, or with the
/// scenario's `pricing` CSV laid over it.
fn own_price_book(loaded: &Loaded, book: &PriceBook) -> Result<Option<PriceBook>, Diagnostics> {
    let Some(path) = &loaded.file.pricing else {
        return Ok(None);
    };
    let text = k8s::read_manifest(loaded, "pricing", path).map_err(|d| Diagnostics(vec![d]))?;
    let mine = PriceBook::from_csv(&text, path)
        .map_err(|e| Diagnostics(vec![k8s::hpa_error(loaded, "pricing", e.to_string())]))?;
    Ok(Some(book.overlay(&mine)))
}

/// Checks the SLO; resolves the time zone.
fn check_zone(f: &ScenarioFile, p: &mut Problems) -> Option<jiff::tz::TimeZone> {
    match jiff::tz::TimeZone::get(&f.timezone) {
        Ok(tz) => Some(tz),
        Err(_) => {
            p.bad(
                "timezone",
                format!(
                    "`{}` is not an IANA time zone (such as `America/New_York` or `UTC`)",
                    f.timezone
                ),
                None,
            );
            None
        }
    }
}

/// Checks `[slo]`.
fn check_slo(f: &ScenarioFile, p: &mut Problems) {
    if !positive(f.slo.p95_ms) {
        p.bad(
            "slo.p95_ms",
            format!("{} is not a latency > 0 ms", f.slo.p95_ms),
            None,
        );
    }
    if !(f.slo.availability > 0.0 && f.slo.availability <= 1.0) {
        p.bad(
            "slo.availability",
            format!("{} is not a ratio in (0, 1]", f.slo.availability),
            None,
        );
    }
    if let Err(e) = schema::parse_window_minutes(&f.slo.window) {
        p.bad("slo.window", e, None);
    }
    if !(f.slo.windows_met_pct >= 0.0 && f.slo.windows_met_pct <= 100.0) {
        p.bad(
            "slo.windows_met_pct",
            format!(
                "{} is not a percentage in [0, 100] (e.g. 99: 99 % of the windows must keep their p95 within slo.p95_ms)",
                f.slo.windows_met_pct
            ),
            None,
        );
    }
}

/// Semantic checks, all at once; resolves time zone and prices.
pub fn validate(mut loaded: Loaded, book: &PriceBook) -> Result<Scenario, Diagnostics> {
    let own_book = own_price_book(&loaded, book)?;
    let book = own_book.as_ref().unwrap_or(book);
    let (initial_replicas, deployment_warnings, deployment_limits) =
        k8s::resolve_deployment(&mut loaded).map_err(|d| Diagnostics(vec![d]))?;
    let vpa_manifest = resources::read_vpa_manifest(&mut loaded, &deployment_limits)
        .map_err(|d| Diagnostics(vec![d]))?;
    let ((hpa, hpa_warnings), (so_behavior, so_warnings)) = match k8s::resolve_hpa(&mut loaded)
        .and_then(|h| k8s::resolve_scaled_object(&mut loaded).map(|b| (h, b)))
    {
        Ok(r) => r,
        Err(d) => return Err(Diagnostics(vec![d])),
    };
    let f = &loaded.file;
    let mut p = Problems::new(&loaded.layers);
    service::check(f, &mut p);
    let schedules = scaling::check(f, &mut p);
    let tz = check_zone(f, &mut p);
    let compute = capacity::compute(f, book, &mut p);
    capacity::check_spot(f, &mut p);
    llm::check(f, &mut p);
    budget::check(f, &mut p);
    check_slo(f, &mut p);
    if let Some(x) = f.trace_scale
        && !(x.is_finite() && x > 0.0 && x <= 1000.0)
    {
        p.bad(
            "trace_scale",
            format!("{x} is not a demand multiplier in (0, 1000] (1.5 = 50 % more requests)"),
            None,
        );
    }
    let mut warnings = deployment_warnings;
    warnings.extend(hpa_warnings);
    warnings.extend(so_warnings);
    let llm = llm::resolve(f, book, &mut p, &mut warnings);
    let spot = capacity::spot(f, compute.as_ref(), book, &mut p);
    let fixed = fixed::resolve(f, book, &mut p);
    let keda = scaling::keda(f, &loaded.name, so_behavior, &mut p);
    let cluster = cluster::resolve(f, book, &mut p, &mut warnings);
    let (usage, vpa) = resources::resolve(
        f,
        &deployment_limits,
        vpa_manifest,
        hpa.as_ref(),
        &mut p,
        &mut warnings,
    );
    if !p.list.is_empty() {
        return Err(Diagnostics(p.list));
    }
    let regions = if f.regions.is_empty() {
        Vec::new()
    } else {
        let (regions, more) = regions::resolve_regions(&loaded, book)?;
        warnings.extend(more);
        regions
    };
    // A minimum of 0 (the scenario's or a scheduled action's) that no
    // scheduled action raises again.
    let sched = &f.scaling.schedule;
    if f.scaling.target_tracking.is_some()
        && (f.scaling.min == 0 || sched.iter().any(|a| a.min == Some(0)))
        && !sched.iter().any(|a| a.min.is_some_and(|m| m >= 1))
    {
        warnings.push(
            "scaling.target_tracking with a minimum of 0: an idle metric scales the service in to 0 \
             tasks, and target tracking cannot scale it out again (its metric is per task: without \
             tasks there is no datapoint), as on AWS; no scheduled action raises min to bring it back"
                .into(),
        );
    }
    let (budgets, budget_interval_h) = budget::specs(f.budget.as_ref());
    let target_tracking = f
        .scaling
        .target_tracking
        .as_ref()
        .map(scaling::target_tracking_spec);
    let mut sc = Scenario {
        name: loaded.name,
        origin: loaded.origin,
        description: f.description.clone(),
        source: f.source.clone(),
        region: f.region.clone(),
        service: f.service.clone(),
        min: f.scaling.min,
        max: f.scaling.max,
        trace_scale: f.trace_scale.unwrap_or(1.0),
        target_tracking,
        slo: f.slo.clone(),
        replication_bytes_per_request: f.replication.as_ref().map_or(0.0, |r| r.bytes_per_request),
        words: Vec::new(),
        file: loaded.file,
        tz: tz.expect("checked above"),
        compute: compute.expect("checked above"),
        schedules,
        hpa,
        keda,
        fixed,
        spot,
        llm,
        warnings,
        budgets,
        budget_interval_h,
        regions,
        cluster,
        initial_replicas,
        usage,
        vpa,
    };
    // Limits read from a Deployment that the usage model simulates are
    // part of the effective scenario.
    if let Some(u) = &sc.usage
        && sc.file.capacity.cpu_limit.is_none()
        && sc.file.capacity.memory_limit_gb.is_none()
    {
        sc.file.capacity.cpu_limit = u.pod.cpu_limit;
        sc.file.capacity.memory_limit_gb = u.pod.memory_limit_mb.map(|m| m / 1024.0);
    }
    sc.words = describe::in_words(&sc, &sc.file);
    Ok(sc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_sizes_follow_the_ecs_table() {
        assert!(fargate_memory_ok(0.25, 0.5).is_ok());
        assert!(fargate_memory_ok(0.5, 0.5).is_err());
        assert!(fargate_memory_ok(1.0, 3.0).is_ok());
        assert!(fargate_memory_ok(8.0, 18.0).is_err());
        assert!(fargate_memory_ok(8.0, 20.0).is_ok());
        assert!(fargate_memory_ok(3.0, 6.0).is_err());
    }

    /// Every file in scenarios/ is compiled in, so `meshsim run NAME` works
    /// from any directory.
    #[test]
    fn every_scenario_file_is_built_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let p = e.unwrap().path();
                let stem = p.file_stem()?.to_string_lossy().into_owned();
                (p.extension()? == "toml").then_some(stem)
            })
            .collect();
        files.sort();
        let mut names: Vec<String> = builtin::names().iter().map(|s| s.to_string()).collect();
        names.sort();
        assert_eq!(files, names);
    }

    #[test]
    fn builtins_validate() {
        for name in builtin::names() {
            resolve(name, &[], &[], &PriceBook::builtin())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
