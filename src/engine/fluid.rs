//! The fluid screen (docs/sweeps.md, "Screening"): the same engine with
//! one step per second instead of one event per request.
//!
//! Replicas, their startup, the autoscaler, schedules, spot, outages, the
//! node layer and billing run exactly as in a request-level run (the same
//! code: only requests are replaced). Each second:
//!
//! - **Arrivals** are the trace's expected count over the second (the
//!   integral of a rate row; a request trace's rows), rounded on the running
//!   total so that the count over any span is the trace's to within one.
//!   With a `[llm]` block each arrival makes its call, as in a request-level
//!   run, spread evenly over the second.
//! - **Service capacity** is the second's slot-seconds (the same integral the
//!   `cpu` metric reads) over the mean service time. Requests are kept in
//!   FIFO cohorts (one per second, arrivals spread evenly inside it); the
//!   capacity serves the oldest first; a cohort waiting past the timeout is
//!   dropped; a backlog over the queue limit is rejected, newest first.
//! - **Latency** of a request served in the second it arrived, with no
//!   backlog and utilisation ρ < 1, is its service time plus the M/G/c wait
//!   of that second's load: Erlang C's probability of waiting (exact
//!   recursion up to 1024 slots, Halfin–Whitt beyond) and an exponential
//!   wait of mean C·(ca² + cs²)/2 / (cμ − λ) given that it waits (the
//!   Allen–Cunneen correction; exact for M/M/c). A request served from a
//!   backlog waits until the capacity reaches it (the fluid queue). The
//!   distribution is recorded as weighted points (service quantiles from the
//!   distribution's inverse CDF, wait quantiles in closed form, a rotated
//!   low-discrepancy lattice) into coarse histograms (1.6 %).
//! - **Busy slots** are the requests served × the mean service time (at most
//!   the slots), so the `cpu` metric, the timeline and the autoscalers read
//!   the same per-second integrals as in a request-level run; `queue_depth`
//!   is the backlog and `in_flight` the busy slots.
//!
//! What it does not model: sub-second bursts (arrivals inside a second are
//! smooth), the randomness of arrival counts between seconds, waits that
//! build up over seconds at ρ just below 1, heavy-tailed service beyond
//! its first two moments in the wait, per-replica work (a draining replica
//! stops at once; no work is lost with it), and the usage model and the VPA
//! (they are left out: the `cpu` metric is busy slots over slots).

use super::*;
use crate::metrics::WeightedHistogram;
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

/// Resolution of the quantile tables.
const TABLE: usize = 1024;
/// Points recorded for a steady stretch (one state of load and capacity,
/// flushed at a change or a minute's end) and for a served cohort with a
/// deterministic wait.
const STEADY_POINTS: usize = 128;
const SHIFT_POINTS: usize = 16;
/// The points: service quantiles stratified evenly, wait quantiles on the
/// golden-ratio sequence (1/g for the plastic number g, which keeps the
/// pairs apart), both rotated between flushes.
const R2_A1: f64 = 0.754_877_666_246_692_7;
const ROT_U: f64 = 0.618_033_988_749_894_9;
const ROT_V: f64 = 0.414_213_562_373_095_1;
/// Counts per unit of weight when the coarse histograms are written into
/// the run's latency histograms (quantiles do not depend on the scale).
const COUNT_SCALE: f64 = 16.0;
/// Slots up to which Erlang B is computed exactly.
const ERLANG_EXACT_MAX: u64 = 1024;

/// Requests that arrived evenly over `[a0, a1)` µs, oldest first.
#[derive(Clone, Copy, Debug)]
struct Cohort {
    a0: f64,
    a1: f64,
    n: u64,
}

/// A stretch of seconds with the same slots and arrival rate, no backlog.
#[derive(Clone, Copy, Debug, Default)]
struct Steady {
    slots: u64,
    lambda: f64,
    weight: f64,
}

pub(super) struct FluidState {
    /// Service-time quantiles at (k + ½)/TABLE, µs.
    s_q: Vec<f64>,
    /// Exp(1) quantiles at (k + ½)/TABLE.
    e_q: Vec<f64>,
    mean_us: f64,
    /// (ca² + cs²) / 2.
    scv_half: f64,
    cohorts: VecDeque<Cohort>,
    backlog: u64,
    cap_carry: f64,
    arr_cum: f64,
    arr_count: u64,
    slots_prev: u128,
    steady: Steady,
    rot_u: f64,
    rot_v: f64,
    /// (slots, offered load, Erlang C) of the last computation.
    erlang: (u64, f64, f64),
    pub(super) minute: WeightedHistogram,
    run: WeightedHistogram,
    lat_sum_us: f64,
    lat_max_us: f64,
    wait_sum_us: f64,
    waited: f64,
    within: f64,
    /// Requests counted within the SLO so far (the running weight, rounded).
    within_counted: u64,
    slo_us: f64,
    /// Mean busy slots over the last step.
    busy_mean: f64,
}

/// Erlang C: the probability that an arrival waits in M/M/c with `c` slots
/// and offered load `a` Erlangs (a < c).
pub fn erlang_c(c: u64, a: f64) -> f64 {
    if c == 0 || a >= c as f64 {
        return 1.0;
    }
    if a <= 0.0 {
        return 0.0;
    }
    let rho = a / c as f64;
    if c <= ERLANG_EXACT_MAX {
        // Erlang B by its recursion B(k) = a·B(k−1) / (k + a·B(k−1)).
        let mut b = 1.0;
        for k in 1..=c {
            b = a * b / (k as f64 + a * b);
        }
        return b / (1.0 - rho * (1.0 - b));
    }
    // Halfin–Whitt: C ≈ 1 / (1 + β·Φ(β)/φ(β)), β = (1 − ρ)·√c.
    let n = Normal::standard();
    let beta = (1.0 - rho) * (c as f64).sqrt();
    let pdf = n.pdf(beta);
    if pdf <= 0.0 {
        return 0.0;
    }
    1.0 / (1.0 + beta * n.cdf(beta) / pdf)
}

impl FluidState {
    fn new(cfg: &SimConfig, rows: &[TraceRow]) -> FluidState {
        let p = |k: usize| (k as f64 + 0.5) / TABLE as f64;
        let (s_q, mean_us, cs2) = match cfg.service.mean_scv() {
            Some((mean, scv)) => (
                (0..TABLE)
                    .map(|k| cfg.service.quantile(p(k)).unwrap_or(mean))
                    .collect(),
                mean,
                scv,
            ),
            None => trace_service(rows),
        };
        let ca2 = match (cfg.trace_kind, cfg.arrivals) {
            (TraceKind::Request, _) | (_, ArrivalProcess::Poisson) => 1.0,
            (_, ArrivalProcess::Uniform) => 0.0,
        };
        FluidState {
            s_q,
            e_q: (0..TABLE).map(|k| -(1.0 - p(k)).ln()).collect(),
            mean_us: mean_us.max(1.0),
            scv_half: (ca2 + cs2) / 2.0,
            cohorts: VecDeque::new(),
            backlog: 0,
            cap_carry: 0.0,
            arr_cum: 0.0,
            arr_count: 0,
            slots_prev: 0,
            steady: Steady::default(),
            rot_u: 0.5,
            rot_v: 0.5,
            erlang: (0, -1.0, 0.0),
            minute: WeightedHistogram::new(),
            run: WeightedHistogram::new(),
            lat_sum_us: 0.0,
            lat_max_us: 0.0,
            wait_sum_us: 0.0,
            waited: 0.0,
            within: 0.0,
            within_counted: 0,
            slo_us: cfg.slo_target_us as f64,
            busy_mean: 0.0,
        }
    }

    #[inline]
    fn record(&mut self, latency_us: f64, weight: f64) {
        self.minute.record(latency_us as u64, weight);
        self.lat_max_us = self.lat_max_us.max(latency_us);
        if latency_us <= self.slo_us {
            self.within += weight;
        }
    }

    /// `n` requests served with a known wait of `wait_us`: their service
    /// times from the distribution.
    fn served_after(&mut self, wait_us: f64, n: u64) {
        let w = n as f64 / SHIFT_POINTS as f64;
        for j in 0..SHIFT_POINTS {
            let u = (j as f64 + self.rot_u) / SHIFT_POINTS as f64;
            let s = self.s_q[((u * TABLE as f64) as usize).min(TABLE - 1)];
            self.record(s + wait_us, w);
        }
        self.rot_u = (self.rot_u + ROT_U).fract();
        let n = n as f64;
        self.lat_sum_us += n * (self.mean_us + wait_us);
        self.wait_sum_us += n * wait_us;
        if wait_us > 0.0 {
            self.waited += n;
        }
    }

    /// `n` requests served in the second they arrived at `lambda` per
    /// second on `slots` slots with no backlog: added to the steady stretch.
    fn served_steady(&mut self, slots: u64, lambda: f64, n: u64) {
        if self.steady.weight > 0.0 && (self.steady.slots != slots || self.steady.lambda != lambda)
        {
            self.flush();
        }
        self.steady.slots = slots;
        self.steady.lambda = lambda;
        self.steady.weight += n as f64;
    }

    /// Records the steady stretch's latencies: service plus the M/G/c wait.
    fn flush(&mut self) {
        let st = std::mem::take(&mut self.steady);
        if st.weight <= 0.0 {
            return;
        }
        let mean_s = self.mean_us / US_PER_SEC as f64;
        let a = st.lambda * mean_s;
        if self.erlang.0 != st.slots || self.erlang.1 != a {
            self.erlang = (st.slots, a, erlang_c(st.slots, a));
        }
        let c = self.erlang.2;
        // Mean wait given a wait, µs: (ca² + cs²)/2 / (cμ − λ).
        let spare = st.slots as f64 / mean_s - st.lambda;
        let tau_us = if spare > 0.0 {
            self.scv_half / spare * US_PER_SEC as f64
        } else {
            0.0
        };
        let w = st.weight / STEADY_POINTS as f64;
        let no_wait = 1.0 - c;
        let scale = TABLE as f64 / c.max(f64::MIN_POSITIVE);
        let mut v = self.rot_v;
        for j in 0..STEADY_POINTS {
            let u = (j as f64 + self.rot_u) / STEADY_POINTS as f64;
            let s = self.s_q[((u * TABLE as f64) as usize).min(TABLE - 1)];
            let wait = if v < no_wait {
                0.0
            } else {
                let q = ((v - no_wait) * scale) as usize;
                tau_us * self.e_q[q.min(TABLE - 1)]
            };
            self.record(s + wait, w);
            v += R2_A1;
            if v >= 1.0 {
                v -= 1.0;
            }
        }
        self.rot_u = (self.rot_u + ROT_U).fract();
        self.rot_v = (self.rot_v + ROT_V).fract();
        self.lat_sum_us += st.weight * (self.mean_us + c * tau_us);
        self.wait_sum_us += st.weight * c * tau_us;
        self.waited += st.weight * c;
    }
}

/// Quantile table, mean and squared cv of a request trace's service times.
fn trace_service(rows: &[TraceRow]) -> (Vec<f64>, f64, f64) {
    let mut v: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.service_us)
        .map(|s| s as f64)
        .collect();
    if v.is_empty() {
        return (vec![1.0; TABLE], 1.0, 0.0);
    }
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let q = (0..TABLE)
        .map(|k| {
            let i = ((k as f64 + 0.5) / TABLE as f64 * n) as usize;
            v[i.min(v.len() - 1)]
        })
        .collect();
    (q, mean, if mean > 0.0 { var / mean / mean } else { 0.0 })
}

/// The trace read one step at a time: expected arrivals of a rate or count
/// trace, rows of a request trace.
struct Steps<'a> {
    rows: &'a [TraceRow],
    kind: TraceKind,
    median_interval_us: u64,
    i: usize,
}

impl Steps<'_> {
    fn seg_end(&self, i: usize) -> u64 {
        match self.rows.get(i + 1) {
            Some(n) => n.t_us,
            None => self.rows[i].t_us + self.median_interval_us,
        }
    }

    /// Expected arrivals over `[t0, t1)` of a rate or count trace, and the
    /// row in effect at `t0` (for its tokens).
    fn expected(&mut self, t0: u64, t1: u64) -> (f64, Option<&TraceRow>) {
        while self.i < self.rows.len() && self.seg_end(self.i) <= t0 {
            self.i += 1;
        }
        let at = self.rows.get(self.i).filter(|r| r.t_us <= t0);
        let mut sum = 0.0;
        let mut j = self.i;
        while j < self.rows.len() && self.rows[j].t_us < t1 {
            let (s, e) = (self.rows[j].t_us, self.seg_end(j));
            let len = e.saturating_sub(s);
            if len > 0 {
                let rate_per_us = match self.kind {
                    TraceKind::Rate => self.rows[j].value / US_PER_SEC as f64,
                    _ => self.rows[j].value / len as f64,
                };
                let overlap = e.min(t1).saturating_sub(s.max(t0));
                sum += rate_per_us * overlap as f64;
            }
            if e > t1 {
                break;
            }
            j += 1;
        }
        (sum, at)
    }

    /// The rows of a request trace with `t0 ≤ t < t1` (and any before `t0`
    /// not yet read).
    fn requests(&mut self, t1: u64) -> &[TraceRow] {
        let from = self.i;
        while self.i < self.rows.len() && self.rows[self.i].t_us < t1 {
            self.i += 1;
        }
        &self.rows[from..self.i]
    }
}

/// Runs the fluid screen; see the module's documentation.
pub(super) fn simulate_fluid<I: Iterator<Item = TraceRow>>(
    mut cfg: SimConfig,
    rows: I,
    seed: u64,
) -> RunOutcome {
    const NEVER: u64 = u64::MAX;
    let rows: Vec<TraceRow> = rows.collect();
    // The usage model and the VPA need per-pod work: left out.
    cfg.usage = None;
    cfg.vpa = None;
    let end = cfg.end_us;
    let state = FluidState::new(&cfg, &rows);
    let mut steps = Steps {
        rows: &rows,
        kind: cfg.trace_kind,
        median_interval_us: cfg.median_interval_us,
        i: 0,
    };
    let mut e = Engine::new(cfg, seed);
    e.fluid = Some(Box::new(state));
    e.prepare();
    let mut next_tick = 0u64;
    let mut last_tick = 0u64;
    loop {
        let t_tick = next_tick;
        let t_ready = e.pending.front().map_or(NEVER, |p| p.0);
        let t_ctl = e.next_control;
        let t = t_tick.min(t_ready).min(t_ctl);
        if t > end || t == NEVER {
            break;
        }
        e.advance(t);
        if t == t_tick {
            if t > last_tick {
                e.fluid_step(last_tick, t, &mut steps);
                last_tick = t;
            }
            e.tick();
            if let Some(f) = &e.fluid {
                e.metrics.queue_depth = f.backlog;
                e.metrics.in_flight = (f.busy_mean + 0.5) as u64;
            }
            next_tick = if t >= end {
                NEVER
            } else {
                (t + US_PER_SEC).min(end)
            };
            if t >= end {
                break;
            }
        } else if t == t_ready {
            let (_, id) = e.pending.pop_front().expect("peeked");
            e.make_ready(id);
        } else {
            e.run_control();
        }
    }
    e.advance(end);
    let f = e.fluid.take().expect("a fluid run");
    f.run.add_to(&mut e.hist, COUNT_SCALE);
    e.latency_sum_us = f.lat_sum_us.max(0.0).round() as u128;
    e.latency_max_us = f.lat_max_us.round() as u64;
    e.started = e.served;
    e.wait_sum_us = f.wait_sum_us.max(0.0).round() as u128;
    e.waited = (f.waited.round() as u64).min(e.served);
    // The backlog is what is in flight at the end (no request is in service
    // between steps).
    e.busy_all = f.backlog;
    e.finish()
}

impl FluidState {
    /// After a minute's row: its latencies join the run's; with
    /// `keep` they are also written into `scratch` for the run's per-minute
    /// histograms (the caller keeps and resets it).
    pub(super) fn end_minute(&mut self, scratch: &mut LatencyHistogram, keep: bool) {
        if keep {
            self.minute.add_to(scratch, COUNT_SCALE);
        }
        self.minute.drain_into(&mut self.run);
    }
}

impl Engine {
    /// At a minute's end (before its row): records the steady stretch,
    /// counts the minute's requests within the SLO, and returns its p50,
    /// p95 and p99 (ms); `None` in a request-level run.
    pub(super) fn fluid_close_minute(&mut self) -> Option<[Option<f64>; 3]> {
        let f = self.fluid.as_mut()?;
        f.flush();
        let total = (f.within + 0.5) as u64;
        let n = total.saturating_sub(f.within_counted).min(
            (self.served - self.minute.served_before) - (self.within - self.minute.within_before),
        );
        f.within_counted += n;
        self.within += n;
        Some(
            f.minute
                .quantiles([0.50, 0.95, 0.99])
                .map(|q| q.map(crate::units::us_to_ms)),
        )
    }

    /// One step of the fluid queue over `[t0, t1)`.
    fn fluid_step(&mut self, t0: u64, t1: u64, steps: &mut Steps<'_>) {
        let mut f = self.fluid.take().expect("a fluid run");
        let dt = (t1 - t0) as f64;
        // Arrivals (and their calls: those a cost limit refuses are rejected).
        let down = self.down;
        let (expected, new, refused) = match steps.kind {
            TraceKind::Request => {
                let rs = steps.requests(t1);
                let mut refused = 0;
                if let Some(llm) = self.llm.as_mut().filter(|_| !down) {
                    for r in rs {
                        let call = llm.request(
                            r.t_us,
                            (r.tokens_in, r.tokens_out),
                            r.session,
                            &mut self.llm_rng,
                            &mut self.session_rng,
                        );
                        refused += u64::from(call == crate::model::llm::Call::Rejected);
                    }
                }
                (rs.len() as f64, rs.len() as u64, refused)
            }
            _ => {
                let (x, row) = steps.expected(t0, t1);
                let tokens = row.map_or((None, None), |r| (r.tokens_in, r.tokens_out));
                f.arr_cum += x;
                let total = (f.arr_cum + 0.5) as u64;
                let n = total.saturating_sub(f.arr_count);
                f.arr_count += n;
                let mut refused = 0;
                if let Some(llm) = self.llm.as_mut().filter(|_| !down) {
                    for k in 0..n {
                        let t = t0 + ((k as f64 + 0.5) * dt / n as f64) as u64;
                        let call =
                            llm.request(t, tokens, None, &mut self.llm_rng, &mut self.session_rng);
                        refused += u64::from(call == crate::model::llm::Call::Rejected);
                    }
                }
                (x, n, refused)
            }
        };
        self.arrived += new;
        let mut accepted = new - refused;
        self.rejected += refused;
        self.minute.rejected += refused;
        if down {
            self.rejected += new;
            self.minute.rejected += new;
            accepted = 0;
            // An outage dropped what was waiting.
            self.dropped += f.backlog;
            self.minute.dropped += f.backlog;
            f.cohorts.clear();
            f.backlog = 0;
        }
        // Capacity over the step.
        self.fold_replicas();
        let slot_us = (self.slots_int - f.slots_prev) as u64 as f64;
        let slots_now = u64::from(self.ready_replicas) * u64::from(self.cfg.concurrency);
        let lambda = expected / dt * US_PER_SEC as f64;
        if f.cohorts.is_empty() && slots_now > 0 && slot_us > 0.0 {
            // No backlog: the common step, without the cohort queue.
            let cap = slot_us / f.mean_us;
            let rho = lambda * f.mean_us / US_PER_SEC as f64 / slots_now as f64;
            if rho < 1.0 && (accepted as f64) <= cap {
                f.slots_prev = self.slots_int;
                f.cap_carry = 0.0;
                f.backlog = 0;
                if accepted > 0 {
                    f.served_steady(slots_now, lambda, accepted);
                }
                self.served += accepted;
                let busy_us = (accepted as f64 * f.mean_us).min(slot_us);
                f.busy_mean = busy_us / dt;
                self.busy_int += u128::from((busy_us + 0.5) as u64);
                self.fluid = Some(f);
                return;
            }
        }
        if accepted > 0 {
            f.cohorts.push_back(Cohort {
                a0: t0 as f64,
                a1: t1 as f64,
                n: accepted,
            });
        }
        f.slots_prev = self.slots_int;
        let rate_per_us = slot_us / dt / f.mean_us;
        let cap = rate_per_us * dt + f.cap_carry;
        let mut budget = cap.max(0.0) as u64;
        let mut carry = cap - budget as f64;
        // Cohorts waiting past the timeout (at the step's middle) are dropped.
        let mid = t0 as f64 + dt / 2.0;
        let timeout = self.cfg.timeout_us as f64;
        while let Some(c) = f.cohorts.front() {
            if mid - (c.a0 + c.a1) / 2.0 > timeout {
                self.dropped += c.n;
                self.minute.dropped += c.n;
                f.cohorts.pop_front();
            } else {
                break;
            }
        }
        let backlog_before: u64 =
            f.cohorts.iter().map(|c| c.n).sum::<u64>() - if accepted > 0 { accepted } else { 0 };
        let rho = if slots_now > 0 {
            lambda * f.mean_us / US_PER_SEC as f64 / slots_now as f64
        } else {
            f64::INFINITY
        };
        let mut served = 0u64;
        let n_cohorts = f.cohorts.len();
        let mut idx = 0;
        while budget > 0 {
            let Some(c) = f.cohorts.front_mut() else {
                break;
            };
            let take = c.n.min(budget);
            let is_new = accepted > 0 && idx == n_cohorts - 1;
            let span = c.a1 - c.a0;
            let portion_mid = c.a0 + span * take as f64 / c.n as f64 / 2.0;
            c.a0 += span * take as f64 / c.n as f64;
            c.n -= take;
            if c.n == 0 {
                f.cohorts.pop_front();
                idx += 1;
            }
            if is_new && backlog_before == 0 && rho < 1.0 {
                f.served_steady(slots_now, lambda, take);
            } else {
                let start = t0 as f64 + (served as f64 + take as f64 / 2.0) / rate_per_us;
                f.served_after((start - portion_mid).max(0.0), take);
            }
            served += take;
            budget -= take;
        }
        if f.cohorts.is_empty() {
            // Idle capacity is not banked.
            carry = 0.0;
        }
        f.cap_carry = carry;
        let mut backlog: u64 = f.cohorts.iter().map(|c| c.n).sum();
        if backlog > self.cfg.queue_limit {
            // Over the queue limit: the newest are rejected.
            let mut over = backlog - self.cfg.queue_limit;
            self.rejected += over;
            self.minute.rejected += over;
            backlog -= over;
            while over > 0 {
                let c = f.cohorts.back_mut().expect("a backlog");
                let k = c.n.min(over);
                c.n -= k;
                c.a1 -= (c.a1 - c.a0) * k as f64 / (c.n + k) as f64;
                over -= k;
                if c.n == 0 {
                    f.cohorts.pop_back();
                }
            }
        }
        f.backlog = backlog;
        self.served += served;
        let busy_us = (served as f64 * f.mean_us).min(slot_us);
        f.busy_mean = busy_us / dt;
        self.busy_int += u128::from((busy_us + 0.5) as u64);
        self.queue_int += u128::from(backlog) * (t1 - t0) as u128;
        self.fluid = Some(f);
    }
}
