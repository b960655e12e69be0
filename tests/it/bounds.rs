//! Bounded work (ARCHITECTURE.md, "What a run holds in memory"; issue 17):
//! a run that would simulate more than `--max-requests` is refused at once,
//! with the count and the time it would take.

use crate::meshsim;
use std::path::Path;
use std::time::{Duration, Instant};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A rate trace of `rps` for `minutes` one-minute rows.
fn rate_trace(dir: &Path, name: &str, rps: f64, minutes: u32) {
    let mut s = String::from("timestamp,rps\n");
    for m in 0..minutes {
        s.push_str(&format!(
            "2025-01-01T{:02}:{:02}:00Z,{rps}\n",
            m / 60,
            m % 60
        ));
    }
    std::fs::write(dir.join(name), s).unwrap();
}

#[test]
fn a_run_beyond_the_request_bound_is_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // 900,000 rps (a legal rate: under one arrival a microsecond) for 300
    // one-minute rows, the last row lasting the median interval too:
    // 900,000 × 300 × 60 = 1.62e10 requests > 1e10.
    rate_trace(d, "big.csv", 900_000.0, 300);
    let start = Instant::now();
    let o = meshsim(&["run", "steady", "--trace", "big.csv", "--out", "o"], d);
    let took = start.elapsed();
    let err = text(&o.stderr);
    assert!(!o.status.success());
    assert!(took < Duration::from_secs(1), "refused after {took:?}");
    assert!(err.contains("about 1.620e10 requests"), "{err}");
    assert!(err.contains("--max-requests 16362000000"), "{err}");
    assert!(err.contains("minutes of one core"), "{err}");
    assert!(!d.join("o").exists(), "a refused run wrote its folder");
    // The same holds for the other commands that simulate.
    for args in [
        &["compare", "steady", "small-team", "--trace", "big.csv"][..],
        &[
            "sweep",
            "steady",
            "--trace",
            "big.csv",
            "--set",
            "scaling.min=1,2",
        ],
        &[
            "plan",
            "steady",
            "--trace",
            "big.csv",
            "--slo-p95-ms",
            "200",
            "--vary",
            "scaling.min=1,2",
        ],
    ] {
        let o = meshsim(args, d);
        assert!(!o.status.success(), "{args:?}");
        assert!(
            text(&o.stderr).contains("--max-requests"),
            "{args:?}: {}",
            text(&o.stderr)
        );
    }
}

#[test]
fn max_requests_moves_the_bound_both_ways() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // 10 rps for 10 minutes: 10 × 600 = 6,000 requests.
    rate_trace(d, "t.csv", 10.0, 10);
    let o = meshsim(
        &[
            "run",
            "steady",
            "--trace",
            "t.csv",
            "--out",
            "a",
            "-q",
            "--max-requests",
            "5000",
        ],
        d,
    );
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("about 6.000e3 requests"),
        "{}",
        text(&o.stderr)
    );
    // trace_scale counts: × 2 is 12,000 requests.
    let o = meshsim(
        &[
            "run",
            "steady",
            "--trace",
            "t.csv",
            "--out",
            "b",
            "-q",
            "--max-requests",
            "1e4",
            "--trace-scale",
            "2",
        ],
        d,
    );
    assert!(
        text(&o.stderr).contains("at trace_scale 2"),
        "{}",
        text(&o.stderr)
    );
    let o = meshsim(
        &[
            "run",
            "steady",
            "--trace",
            "t.csv",
            "--out",
            "c",
            "-q",
            "--max-requests",
            "7000",
        ],
        d,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = meshsim(
        &[
            "run",
            "steady",
            "--trace",
            "t.csv",
            "--out",
            "c",
            "-q",
            "--max-requests",
            "0",
        ],
        d,
    );
    assert!(
        text(&o.stderr).contains("out of range"),
        "{}",
        text(&o.stderr)
    );
}

/// Runs `meshsim ARGS` in a pseudo-terminal (util-linux `script`, part of
/// every Debian system) and returns what the terminal showed.
fn on_a_terminal(dir: &Path, args: &str) -> String {
    let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_meshsim"));
    let o = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(dir)
        // The bar's one-second delay, shortened so a short run shows it.
        .env("_MESHSIM_PROGRESS_DELAY_MS", "0")
        .output()
        .expect("`script` (util-linux) runs: this test needs a pseudo-terminal");
    assert!(o.status.success(), "{}", text(&o.stderr));
    text(&o.stdout)
}

#[test]
fn a_run_shows_a_progress_bar_on_a_terminal_only() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // 700 rps for 2 hours: 5.04 M requests, long enough for a few refreshes.
    rate_trace(d, "t.csv", 700.0, 120);
    let args =
        "run steady --trace t.csv --no-charts --force --set scaling.min=40 --set scaling.max=60";
    let shown = on_a_terminal(d, &format!("{args} --out a"));
    assert!(
        shown.contains("/5,040,000 requests") && shown.contains("eta"),
        "{shown}"
    );
    // The bar is cleared: the run's summary follows on a clean line.
    assert!(shown.contains("wrote a/"), "{shown}");
    let quiet = on_a_terminal(d, &format!("{args} --out b --quiet"));
    assert!(!quiet.contains("eta"), "{quiet}");
    // Not a terminal: nothing but the summary.
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_meshsim"));
    c.args(args.split(' ')).args(["--out", "c"]).current_dir(d);
    let o = c.env("_MESHSIM_PROGRESS_DELAY_MS", "0").output().unwrap();
    assert!(o.status.success());
    assert!(!text(&o.stderr).contains("eta"), "{}", text(&o.stderr));
    // The same results either way.
    assert_eq!(
        std::fs::read(d.join("a/summary.csv")).unwrap(),
        std::fs::read(d.join("c/summary.csv")).unwrap()
    );
}
