//! The fluid screen (`engine/fluid.rs`, docs/sweeps.md "Screening"): its
//! queueing against closed forms, its conservation, its error against the
//! engine on every built-in scenario, and a screened plan's answer against
//! the full plan's.

use super::{meshsim, rate_row};
use meshsim::billing::PriceBook;
use meshsim::billing::budget::projected_month_usd;
use meshsim::engine::{ArrivalProcess, SimConfig, SimMode, erlang_c, simulate};
use meshsim::model::service::ServiceDist;
use meshsim::run::{Rows, run_one_mode};

fn fluid(mut cfg: SimConfig, rps: f64) -> meshsim::metrics::Summary {
    cfg.fluid = true;
    simulate(cfg, std::iter::once(rate_row(0.0, rps)), 1).summary
}

/// Erlang C by hand: M/M/2 at a = 1 Erlang: C = (a²/2)/(1 − ρ) over
/// 1 + a + (a²/2)/(1 − ρ) = 1 / 3. M/M/1: C = ρ. Halfin–Whitt above 1024
/// slots agrees with the exact recursion (computed here) within 5 % at
/// ρ = 0.96 (its error shrinks as 1/√c; measured 3.3 % at 1500 slots).
#[test]
fn erlang_c_matches_hand_values() {
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
    assert_eq!(erlang_c(4, 4.0), 1.0);
    assert_eq!(erlang_c(0, 1.0), 1.0);
    let (c, a) = (1500u64, 1440.0);
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let exact = b / (1.0 - a / c as f64 * (1.0 - b));
    let hw = erlang_c(c, a);
    assert!((hw / exact - 1.0).abs() < 0.05, "{hw} vs {exact}");
}

/// M/M/c response time: S ~ Exp(μ), W = 0 with probability 1 − C, else
/// Exp(ν) with ν = cμ − λ, so P(T > t) = (1 − C)·e^(−μt) + C·(ν·e^(−μt) −
/// μ·e^(−νt)) / (ν − μ). The fluid screen's p95 on a constant load is this
/// distribution's (its points and its 1.6 % buckets: within 2.5 %), and its
/// mean is the mean 1/μ + C/ν.
#[test]
fn fluid_mmc_latency_matches_the_closed_form() {
    for (c, rho) in [(8u32, 0.5), (8, 0.8), (16, 0.9), (2, 0.7)] {
        let mu = 10.0; // 100 ms mean service
        let lambda = rho * c as f64 * mu;
        let cfg =
            SimConfig::fixed_pool(c, 1, ServiceDist::Exponential { mean_us: 100_000.0 }, 3600);
        let s = fluid(cfg, lambda);
        let cw = erlang_c(u64::from(c), lambda / mu);
        let nu = c as f64 * mu - lambda;
        let tail = |t: f64| {
            (1.0 - cw) * (-mu * t).exp()
                + cw * (nu * (-mu * t).exp() - mu * (-nu * t).exp()) / (nu - mu)
        };
        let (mut lo, mut hi) = (0.0, 60.0);
        for _ in 0..100 {
            let mid = (lo + hi) / 2.0;
            if tail(mid) > 0.05 { lo = mid } else { hi = mid }
        }
        let p95_ms = lo * 1e3;
        let got = s.latency_p95_ms.unwrap();
        assert!(
            (got / p95_ms - 1.0).abs() < 0.025,
            "c {c} ρ {rho}: p95 {got} vs {p95_ms}"
        );
        let mean_ms = (1.0 / mu + cw / nu) * 1e3;
        let got_mean = s.latency_mean_ms.unwrap();
        assert!(
            (got_mean / mean_ms - 1.0).abs() < 0.01,
            "c {c} ρ {rho}: mean {got_mean} vs {mean_ms}"
        );
        // Every arrival of the hour (λ · 3600, rounded on the running total) is served.
        assert_eq!(s.requests_arrived, (lambda * 3600.0).round() as u64);
        assert_eq!(s.requests_served, s.requests_arrived);
    }
}

/// Overload: 2 slots of 100 ms serve 20/s against 30/s offered. The backlog
/// grows by 10/s until the queue limit (500) rejects the rest; waits reach
/// the 30 s timeout only past 600 s of backlog at 20/s, which the limit
/// prevents; conservation holds and the busy slots are saturated.
#[test]
fn fluid_overload_conserves_and_saturates() {
    let mut cfg = SimConfig::fixed_pool(2, 1, ServiceDist::Constant(100_000), 600);
    cfg.queue_limit = 500;
    cfg.timeout_us = 30_000_000;
    let s = fluid(cfg, 30.0);
    assert_eq!(s.requests_arrived, 18_000);
    assert_eq!(
        s.requests_arrived,
        s.requests_served + s.requests_dropped + s.requests_rejected + s.requests_in_flight
    );
    // 20 served per second for 600 s (the queue never empties).
    assert!(
        (s.requests_served as f64 - 12_000.0).abs() <= 20.0,
        "{}",
        s.requests_served
    );
    assert_eq!(s.requests_in_flight, 500);
    // The last backlog of 500 waits 25 s at 20/s.
    assert!(
        s.latency_max_ms.unwrap() > 20_000.0,
        "{:?}",
        s.latency_max_ms
    );
    // A short timeout drops instead: 1 s of waiting at most.
    let mut cfg = SimConfig::fixed_pool(2, 1, ServiceDist::Constant(100_000), 600);
    cfg.timeout_us = 1_000_000;
    let s = fluid(cfg, 30.0);
    assert!(s.requests_dropped > 5_000, "{}", s.requests_dropped);
    assert_eq!(
        s.requests_arrived,
        s.requests_served + s.requests_dropped + s.requests_rejected + s.requests_in_flight
    );
    assert!(
        s.latency_max_ms.unwrap() < 1_500.0,
        "{:?}",
        s.latency_max_ms
    );
}

/// The screen against the engine on every built-in scenario over
/// `workloads/peak.csv`, with the tolerances the measurement in
/// docs/sweeps.md justifies: the month's cost within 1 % (5 % for the
/// KEDA queue scenario, whose queue metric the fluid backlog only
/// approximates), the p95 within 10 % (15 % for overloaded runs), availability within 0.002, the
/// windowed p95 from 15 % below (the screen has no per-window sampling
/// noise) to 10 % above, and mean replicas within 5 % except where the usage
/// model and the VPA, which the screen leaves out, move them.
#[test]
fn fluid_screen_error_on_every_builtin_scenario() {
    let (meta, rows) = super::peak_trace();
    let book = PriceBook::builtin();
    let mut failures = Vec::new();
    for name in meshsim::scenario::builtin::names() {
        let sc = meshsim::scenario::resolve(name, &[], &[], &book).unwrap();
        let run = |mode| {
            run_one_mode(
                &sc,
                &meta,
                Rows::Memory(&rows),
                1,
                ArrivalProcess::Poisson,
                mode,
            )
            .unwrap()
        };
        let (e, f) = (run(SimMode::Exact), run(SimMode::Fluid));
        let (es, fs) = (&e.summary, &f.summary);
        assert_eq!(
            fs.requests_arrived,
            fs.requests_served + fs.requests_dropped + fs.requests_rejected + fs.requests_in_flight,
            "{name}: conservation"
        );
        let month = |s| projected_month_usd(s, meta.start_epoch_us);
        let rel = |a: f64, b: f64| if a == b { 0.0 } else { b / a - 1.0 };
        let cost_tol = if name == "pattern-queue" { 0.05 } else { 0.01 };
        let dc = rel(month(es), month(fs));
        if dc.abs() > cost_tol {
            failures.push(format!("{name}: cost {:+.2} %", dc * 100.0));
        }
        // Overloaded runs (most requests dropped or rejected) have latencies
        // made of queueing up to the timeout, which the fluid queue makes
        // deterministic: 15 % there (measured: +11.9 % on `development`).
        let p95_tol = if es.availability() >= 0.9 { 0.10 } else { 0.15 };
        let dp = rel(es.latency_p95_ms.unwrap(), fs.latency_p95_ms.unwrap());
        if dp.abs() > p95_tol {
            failures.push(format!("{name}: p95 {:+.2} %", dp * 100.0));
        }
        if (es.availability() - fs.availability()).abs() > 0.002 {
            failures.push(format!(
                "{name}: availability {} vs {}",
                es.availability(),
                fs.availability()
            ));
        }
        let w = |o: &meshsim::metrics::RunOutcome| {
            meshsim::metrics::judge_windows(&o.windows, sc.slo.p95_ms, sc.slo.windows_met_pct)
                .quantile_p95_ms
                .unwrap()
        };
        let (ew, fw) = (w(&e), w(&f));
        if ew.is_finite() || fw.is_finite() {
            let dw = rel(ew, fw);
            if !(-0.15..=0.10).contains(&dw) {
                failures.push(format!("{name}: windowed p95 {ew} vs {fw}"));
            }
        }
        if sc.usage.is_none() {
            let dr = rel(es.replicas_mean, fs.replicas_mean);
            if dr.abs() > 0.05 {
                failures.push(format!("{name}: replicas {:+.2} %", dr * 100.0));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A screened plan's answer is the full plan's, and it simulates fewer
/// configurations with the engine.
#[test]
fn screened_plan_answers_as_the_full_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let o = meshsim(
        &[
            "trace",
            "gen",
            "--pattern",
            "diurnal",
            "--mean",
            "40",
            "--peak",
            "120",
            "--duration",
            "6h",
            "--out",
            "t.csv",
        ],
        tmp.path(),
    );
    assert!(o.status.success());
    let plan = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "plan",
            "steady",
            "--trace",
            "t.csv",
            "--slo-p95-ms",
            "400",
            "--vary",
            "scaling.min=1..6:1",
            "--vary",
            "scaling.max=6",
            "--vary",
            "service.concurrency=2..10:2",
            "--replications",
            "1",
            "--no-charts",
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        let o = meshsim(&args, tmp.path());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let best = text
            .lines()
            .find(|l| l.trim_start().starts_with("best"))
            .unwrap_or_else(|| panic!("no best in {text}"))
            .to_string();
        let rows = csv::Reader::from_path(tmp.path().join(out).join("results.csv"))
            .unwrap()
            .records()
            .count();
        (best, rows, text)
    };
    let (full, full_rows, _) = plan("full", &[]);
    let (screened, rows, text) = plan("screened", &["--screen", "fluid", "--confirm", "3"]);
    assert_eq!(full_rows, 30);
    assert_eq!(screened, full, "{text}");
    assert!(rows < full_rows, "{rows} engine runs:\n{text}");
    assert!(text.contains("screened with the fluid model"), "{text}");
    // The ranking error: the exact winner (the full plan's answer, equal to
    // this one) stood among the screen's first `--confirm` candidates, so
    // one round of engine runs found it. Measured on 30-configuration grids
    // of peak.csv and on the 30-day plan (docs/sweeps.md): position 1-2.
    let at: usize = text
        .split("the best was the screen's candidate ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no screen rank in {text}"));
    assert!(
        (1..=3).contains(&at),
        "the exact winner was the screen's candidate {at}:\n{text}"
    );
    // The screen's own table is kept beside the answer.
    let screen_rows = csv::Reader::from_path(tmp.path().join("screened/screen/results.csv"))
        .unwrap()
        .records()
        .count();
    assert_eq!(screen_rows, 30);
    // A bad model name is refused with the one that exists.
    let o = meshsim(
        &[
            "plan",
            "steady",
            "--trace",
            "t.csv",
            "--slo-p95-ms",
            "400",
            "--vary",
            "scaling.min=1,2",
            "--screen",
            "exact",
        ],
        tmp.path(),
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected fluid"));
}
