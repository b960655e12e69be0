//! One run: a validated scenario and trace rows in, a whole outcome out
//! ([`run_one`]: the simulation, or one per region, then always-on costs and
//! budgets). From a file ([`run_file`]) the trace is read twice, both times
//! streamed: a validating first pass (nothing is simulated on a trace that
//! fails to parse) and the simulation pass.

use crate::engine::{ArrivalProcess, PolicySpec, ScalingPlan, SimConfig, SimMode, simulate};
use crate::metrics::RunOutcome;
use crate::model::autoscaler::schedule::expand;
use crate::model::metrics::MemoryModel;
use crate::model::service::ServiceDist;
use crate::scenario::{Scenario, ServiceTime};
use crate::trace::{TraceError, TraceKind, TraceMeta, TraceReader, TraceRow, scan};
use crate::units::{ms_to_us, secs_to_us};
use std::path::Path;

pub mod region;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Trace(#[from] TraceError),
    #[error("{0}")]
    Incompatible(String),
    #[error("{0}")]
    TooMuchWork(String),
}

/// The most requests one run simulates unless `--max-requests` says more:
/// 10^10, about 18 minutes of one core at the engine's measured speed.
pub const DEFAULT_MAX_REQUESTS: u64 = 10_000_000_000;

/// Simulated requests a second on one core, measured on the autoscaled
/// diurnal day (DESIGN §8, 2-core machine, release build): for the estimate
/// in [`RunError::TooMuchWork`], not a promise.
const ENGINE_REQUESTS_PER_S: f64 = 9.4e6;

static MAX_REQUESTS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(DEFAULT_MAX_REQUESTS);

/// Sets the bound [`run_one`] checks (the CLI's `--max-requests`), for the
/// rest of the process.
pub fn set_max_requests(n: u64) {
    MAX_REQUESTS.store(n, std::sync::atomic::Ordering::Relaxed);
}

/// The requests a run simulates, as the trace states them, × `trace_scale`
/// (a multi-region run routes each to one region).
pub fn work(scenario: &Scenario, meta: &TraceMeta) -> f64 {
    meta.expected_requests * scenario.trace_scale
}

/// Refuses a run of more requests than the bound before anything is
/// simulated: a byte count in an `rps` column, a per-minute count read as a
/// rate or a `trace_scale` of 1000 must not look like a hang.
pub fn check_work(scenario: &Scenario, meta: &TraceMeta) -> Result<(), RunError> {
    let scale = scenario.trace_scale;
    let n = meta.expected_requests * scale;
    let max = MAX_REQUESTS.load(std::sync::atomic::Ordering::Relaxed);
    if n <= max as f64 {
        return Ok(());
    }
    let secs = n / ENGINE_REQUESTS_PER_S;
    let took = if secs < 3600.0 {
        format!("{:.0} minutes", (secs / 60.0).ceil())
    } else if secs < 2.0 * 86400.0 {
        format!("{:.1} hours", secs / 3600.0)
    } else {
        format!("{:.0} days", secs / 86400.0)
    };
    Err(RunError::TooMuchWork(format!(
        "{} holds about {:.3e} requests{} (mean {:.1} requests/s over {:.0} s); simulating them would take about {took} of one core at ~{:.1} M requests/s, more than the bound of {max} requests a run. \
         Check the trace's units (a byte or per-minute count in a rate column, a rate in a count column), or pass --max-requests {:.0} to run it anyway",
        meta.path.display(),
        n,
        if scale == 1.0 {
            String::new()
        } else {
            format!(" at trace_scale {scale}")
        },
        meta.mean_rps * scale,
        meta.span_s(),
        ENGINE_REQUESTS_PER_S / 1e6,
        (n * 1.01).ceil(),
    )))
}

/// Seconds of metric history kept for autoscalers (the longest window any
/// controller reads: AWS target tracking's 15 one-minute datapoints).
pub const METRICS_HISTORY_S: usize = 15 * 60;

/// Engine configuration for `scenario` on the trace described by `meta`.
pub fn sim_config(
    scenario: &Scenario,
    meta: &TraceMeta,
    arrivals: ArrivalProcess,
) -> Result<SimConfig, RunError> {
    let s = &scenario.service;
    if s.service_time == ServiceTime::Trace
        && !(meta.kind == TraceKind::Request && meta.has_service_ms)
    {
        return Err(RunError::Incompatible(format!(
            "scenario `{}` takes service times from the trace (service_time.dist = \"trace\"), \
             but {} is not a request trace with a `service_ms` column",
            scenario.name,
            meta.path.display()
        )));
    }
    let (scaling, replicas, reason) = scaling_plan(scenario, meta);
    // The most replicas the run can reach, from every source of a count.
    let reach = scaling
        .schedule
        .iter()
        .flat_map(|a| [a.min, a.max, a.desired])
        .flatten()
        .chain([replicas, scaling.max])
        .filter(|&r| r != u32::MAX)
        .max()
        .unwrap_or(0);
    let slots = u64::from(reach) * u64::from(s.concurrency);
    if reach > crate::scenario::MAX_REPLICAS || slots > crate::scenario::MAX_SLOTS {
        return Err(RunError::Incompatible(format!(
            "scenario `{}` can reach {reach} replicas × {} requests each = {slots} request slots: out of range (at most {} replicas and {} slots); lower the scheduled or maximum capacity or service.concurrency",
            scenario.name,
            s.concurrency,
            crate::scenario::MAX_REPLICAS,
            crate::scenario::MAX_SLOTS
        )));
    }
    Ok(SimConfig {
        concurrency: s.concurrency,
        service: ServiceDist::from_scenario(&s.service_time),
        startup_us: secs_to_us(s.startup_s),
        timeout_us: ms_to_us(s.timeout_ms),
        queue_limit: s.queue_limit,
        capacity_steps: vec![(0, replicas)],
        capacity_reason: reason,
        scaling,
        spot: scenario.spot.as_ref().map(|s| s.0.clone()),
        llm: llm_plan(scenario, meta)?,
        usd_per_hour: scenario.compute.usd_per_hour,
        memory: MemoryModel {
            base_mb: s.memory_base_mb,
            per_request_mb: s.memory_per_request_mb,
            request_mb: s.memory_request_mb,
        },
        trace_kind: meta.kind,
        median_interval_us: meta.median_interval_us,
        end_us: meta.end_us,
        arrivals,
        metrics_window_s: METRICS_HISTORY_S,
        outages: Vec::new(),
        keep_minute_histograms: false,
        cluster: scenario.cluster.clone(),
        slo_target_us: ms_to_us(scenario.slo.p95_ms),
        slo_window_minutes: scenario.slo.window_minutes(),
        explain_at_us: None,
        usage: scenario.usage.clone(),
        vpa: scenario.vpa.clone(),
        fluid: false,
    })
}

/// The scaling plan of a scenario over a trace: bounds and replicas at the
/// start (after the schedule's state at that moment), the policy, and the
/// scheduled actions inside the trace's span.
pub fn scaling_plan(scenario: &Scenario, meta: &TraceMeta) -> (ScalingPlan, u32, String) {
    let (initial, schedule) = expand(
        &scenario.schedules,
        &scenario.tz,
        meta.start_epoch_us,
        meta.end_us,
    );
    let (mut min, mut max) = (scenario.min, scenario.max);
    let mut reason = format!("initial replicas: scaling.min = {}", scenario.min);
    let mut replicas = scenario.min;
    if let Some(a) = &initial {
        min = a.min.unwrap_or(min);
        max = a.max.unwrap_or(max).max(min);
        replicas = a.desired.unwrap_or(min).clamp(min, max);
        reason = format!(
            "initial replicas: state of the latest scheduled action before the trace ({}): bounds {min}..{max}",
            a.name
        );
    } else if let Some(r) = scenario.initial_replicas {
        replicas = r.clamp(min, max.max(min));
        reason = format!(
            "initial replicas: the Deployment's spec.replicas = {r}{}",
            if replicas == r {
                String::new()
            } else {
                format!(", within scaling bounds {min}..{max}: {replicas}")
            }
        );
    } else if scenario.target_tracking.is_none()
        && scenario.hpa.is_none()
        && scenario.keda.is_none()
        && scenario.min == scenario.max
    {
        reason = format!(
            "fixed capacity: scaling.min = scaling.max = {}",
            scenario.min
        );
    }
    // KEDA's idle count is below its minReplicaCount: the bounds' floor.
    if let Some(idle) = scenario.keda.as_ref().and_then(|k| k.idle_replica_count) {
        min = min.min(idle);
    }
    // Validation allows one autoscaler; KEDA's HPA comes first as it did.
    let policy = if let Some(k) = &scenario.keda {
        PolicySpec::Keda(Box::new(
            k.clone()
                .with_cron_windows(meta.start_epoch_us, meta.end_us),
        ))
    } else if let Some(h) = &scenario.hpa {
        PolicySpec::Hpa(Box::new(h.clone()))
    } else if let Some(tt) = &scenario.target_tracking {
        PolicySpec::TargetTracking(tt.clone())
    } else {
        PolicySpec::None
    };
    (
        ScalingPlan {
            min,
            max,
            policy,
            schedule,
        },
        replicas,
        reason,
    )
}

/// The scenario's LLM plan with the local midnights of the trace's span.
fn llm_plan(
    scenario: &Scenario,
    meta: &TraceMeta,
) -> Result<Option<crate::model::llm::LlmPlan>, RunError> {
    let Some(mut plan) = scenario.llm.clone() else {
        return Ok(None);
    };
    if plan.tokens_in.is_none() && plan.tokens_out.is_none() && !meta.has_tokens {
        return Err(RunError::Incompatible(format!(
            "scenario `{}` makes Bedrock calls but neither gives llm.tokens_in/tokens_out nor does {} carry token columns",
            scenario.name,
            meta.path.display()
        )));
    }
    if meta.has_tokens {
        // Every request of a trace with token counts calls a model.
        plan.fraction = 1.0;
    }
    if let Ok(start) = jiff::Timestamp::from_microsecond(meta.start_epoch_us) {
        let mut day = start.to_zoned(scenario.tz.clone()).start_of_day().ok();
        while let Some(d) = day {
            let Ok(next) = d.tomorrow().and_then(|t| t.start_of_day()) else {
                break;
            };
            let rel = next.timestamp().as_microsecond() - meta.start_epoch_us;
            if rel as u64 >= meta.end_us {
                break;
            }
            plan.day_starts_us.push(rel as u64);
            day = Some(next);
        }
    }
    Ok(Some(plan))
}

/// Where a run's trace rows come from: the trace file (streamed, one record
/// in memory) or rows already read (a sweep's points share them).
#[derive(Clone, Copy, Debug)]
pub enum Rows<'a> {
    File(&'a Path),
    Memory(&'a [TraceRow]),
}

impl<'a> Rows<'a> {
    /// A fresh pass over the rows.
    pub(crate) fn open(self) -> Result<RowIter<'a>, TraceError> {
        self.open_scaled(TraceKind::Rate, 1.0, 0)
    }

    /// A fresh pass over the rows with the demand × `scale`
    /// (`trace_scale`): a rate or count row's value × scale; each request of
    /// a request trace arrives floor(scale) times, plus once more with
    /// probability frac(scale), decided by a hash of (`seed`, its index) so
    /// that every pass and every configuration of a sweep sees the same
    /// requests.
    pub(crate) fn open_scaled(
        self,
        kind: TraceKind,
        scale: f64,
        seed: u64,
    ) -> Result<RowIter<'a>, TraceError> {
        Ok(RowIter {
            inner: match self {
                Rows::File(path) => Source::File(Box::new(TraceReader::open(path)?)),
                Rows::Memory(rows) => Source::Memory(rows.iter()),
            },
            failure: None,
            scale: (scale != 1.0).then(|| Scale {
                factor: scale,
                request: kind == TraceKind::Request,
                seed: crate::trace::scale_seed(seed),
                j: 0,
                pending: None,
            }),
        })
    }
}

/// A [`RowIter`]'s demand multiplier.
struct Scale {
    factor: f64,
    request: bool,
    seed: u64,
    /// Requests seen so far.
    j: u64,
    /// A request still to arrive `n` more times.
    pending: Option<(TraceRow, u32)>,
}

/// One pass over [`Rows`]; a read error ends the pass and is kept in
/// `failure` (the file changed since it was validated).
pub(crate) struct RowIter<'a> {
    inner: Source<'a>,
    pub(crate) failure: Option<TraceError>,
    scale: Option<Scale>,
}

enum Source<'a> {
    File(Box<TraceReader>),
    Memory(std::slice::Iter<'a, TraceRow>),
}

impl RowIter<'_> {
    #[inline]
    fn next_unscaled(&mut self) -> Option<TraceRow> {
        match &mut self.inner {
            Source::Memory(rows) => rows.next().copied(),
            Source::File(reader) => match reader.next_row() {
                Ok(r) => r,
                Err(e) => {
                    self.failure = Some(e);
                    None
                }
            },
        }
    }
}

impl Iterator for RowIter<'_> {
    type Item = TraceRow;

    #[inline]
    fn next(&mut self) -> Option<TraceRow> {
        if self.scale.is_none() {
            return self.next_unscaled();
        }
        loop {
            let sc = self.scale.as_mut().expect("checked");
            if let Some((row, n)) = &mut sc.pending {
                let r = *row;
                *n -= 1;
                if *n == 0 {
                    sc.pending = None;
                }
                return Some(r);
            }
            let (factor, request) = (sc.factor, sc.request);
            let mut row = self.next_unscaled()?;
            let sc = self.scale.as_mut().expect("checked");
            if !request {
                row.value *= factor;
                return Some(row);
            }
            let n = crate::trace::scaled_copies(sc.seed, sc.j, factor);
            sc.j += 1;
            if n > 0 {
                sc.pending = Some((row, n));
            }
        }
    }
}

/// One run, whole: `scenario` simulated on the rows (one simulation per
/// region for a multi-region scenario), then its always-on costs and its
/// budgets' alerts. `run`, `compare`, `gallery`, sweeps and plans all run
/// through here.
pub fn run_one(
    scenario: &Scenario,
    meta: &TraceMeta,
    rows: Rows<'_>,
    seed: u64,
    arrivals: ArrivalProcess,
) -> Result<RunOutcome, RunError> {
    run_one_mode(scenario, meta, rows, seed, arrivals, SimMode::Exact)
}

/// [`run_one`] with the engine or the fluid screen (`mode`).
pub fn run_one_mode(
    scenario: &Scenario,
    meta: &TraceMeta,
    rows: Rows<'_>,
    seed: u64,
    arrivals: ArrivalProcess,
    mode: SimMode,
) -> Result<RunOutcome, RunError> {
    check_work(scenario, meta)?;
    let mut outcome = if scenario.regions.is_empty() {
        let mut cfg = sim_config(scenario, meta, arrivals)?;
        cfg.fluid = !mode.is_exact();
        let mut pass = rows.open_scaled(meta.kind, scenario.trace_scale, seed)?;
        let mut outcome = simulate(cfg, &mut pass, seed);
        if let Some(e) = pass.failure {
            return Err(e.into());
        }
        crate::billing::fixed::apply(&scenario.fixed, &mut outcome);
        outcome
    } else {
        region::run_regions(scenario, rows, meta, seed, arrivals, mode)?
    };
    if !scenario.budgets.is_empty() {
        evaluate_budgets(scenario, meta, &mut outcome);
    }
    Ok(outcome)
}

/// The budgets' alerts (AWS Budgets), in time order with the LLM limit
/// alerts the simulation raised.
fn evaluate_budgets(scenario: &Scenario, meta: &TraceMeta, outcome: &mut RunOutcome) {
    let llm_alerts = std::mem::take(&mut outcome.alerts);
    let month_s = crate::billing::budget::month_seconds(meta.start_epoch_us);
    outcome.alerts = crate::billing::budget::evaluate(
        &scenario.budgets,
        &outcome.timeline,
        outcome.summary.sim_seconds,
        month_s,
        scenario.budget_interval_h * 3600.0,
    );
    outcome.summary.budget_alerts_fired =
        outcome.alerts.iter().filter(|a| !a.projected).count() as u64;
    outcome.summary.budget_alerts_projected =
        outcome.alerts.iter().filter(|a| a.projected).count() as u64;
    outcome.alerts.extend(llm_alerts);
    outcome.alerts.sort_by_key(|a| a.t_us);
}

/// Simulates `scenario` on a trace as [`run_file`] does, recording the
/// autoscaler's last sync at or before `at_us` (`meshsim explain`). The run
/// is the same run: recording does not change a decision.
pub fn explain_at(
    scenario: &Scenario,
    meta: &TraceMeta,
    trace: &Path,
    seed: u64,
    arrivals: ArrivalProcess,
    at_us: u64,
) -> Result<Option<crate::metrics::ExplainedSync>, RunError> {
    if !scenario.regions.is_empty() {
        return Err(RunError::Incompatible(format!(
            "scenario `{}` runs in several regions; explain works on single-region runs",
            scenario.name
        )));
    }
    check_work(scenario, meta)?;
    let mut cfg = sim_config(scenario, meta, arrivals)?;
    cfg.explain_at_us = Some(at_us);
    let mut pass = Rows::File(trace).open()?;
    let outcome = simulate(cfg, &mut pass, seed);
    if let Some(e) = pass.failure {
        return Err(e.into());
    }
    Ok(outcome.explained)
}

/// Validates the trace, then simulates `scenario` on it ([`run_one`]).
pub fn run_file(
    scenario: &Scenario,
    trace: &Path,
    seed: u64,
    arrivals: ArrivalProcess,
) -> Result<(RunOutcome, TraceMeta), RunError> {
    let meta = scan(trace, 60.0)?;
    let outcome = run_one(scenario, &meta, Rows::File(trace), seed, arrivals)?;
    Ok((outcome, meta))
}
