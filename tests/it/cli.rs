//! The binary as a user meets it: determinism of the output files, and bad
//! input that must exit non-zero with a message naming file and line (or key),
//! without a panic and without an output directory that looks complete.

use super::meshsim;
use std::path::{Path, PathBuf};
use std::process::Output;

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A 2-hour trace with a flash crowd, written with the project's own generator.
fn small_trace(dir: &Path) -> PathBuf {
    let p = dir.join("small.csv");
    let out = meshsim(
        &[
            "trace",
            "gen",
            "--pattern",
            "spike",
            "--mean",
            "30",
            "--duration",
            "2h",
            "--interval",
            "60s",
            "--out",
            p.to_str().unwrap(),
        ],
        dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    p
}

fn run_to(dir: &Path, trace: &Path, out: &str, seed: &str) -> Output {
    meshsim(
        &[
            "run",
            "steady",
            "--trace",
            trace.to_str().unwrap(),
            "--out",
            out,
            "--seed",
            seed,
            "--quiet",
            "--no-charts",
        ],
        dir,
    )
}

const FILES: &[&str] = &["summary.csv", "timeline.csv", "scaling.csv", "alerts.csv"];

#[test]
fn same_seed_same_bytes_other_seed_other_results() {
    let tmp = tempfile::tempdir().unwrap();
    let trace = small_trace(tmp.path());
    for (d, seed) in [("a", "7"), ("b", "7"), ("c", "8")] {
        let o = run_to(tmp.path(), &trace, d, seed);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for f in FILES {
        let a = std::fs::read(tmp.path().join("a").join(f)).unwrap();
        let b = std::fs::read(tmp.path().join("b").join(f)).unwrap();
        assert_eq!(a, b, "{f} differs between two runs with the same seed");
    }
    let a = std::fs::read(tmp.path().join("a/summary.csv")).unwrap();
    let c = std::fs::read(tmp.path().join("c/summary.csv")).unwrap();
    assert_ne!(a, c, "a different seed gave the same summary");
    // Only the finished directories exist: no temporary leftovers.
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");
}

#[test]
fn contract_columns_and_conservation_in_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let trace = small_trace(tmp.path());
    assert!(run_to(tmp.path(), &trace, "r", "1").status.success());
    let mut rdr = csv::Reader::from_path(tmp.path().join("r/summary.csv")).unwrap();
    let hdr = rdr.headers().unwrap().clone();
    for col in [
        "scenario",
        "requests_arrived",
        "latency_p95_ms",
        "cost_total_usd",
        "budget_alerts_fired",
        "slo_p95_met",
    ] {
        assert!(hdr.iter().any(|h| h == col), "summary.csv lacks {col}");
    }
    let row = rdr.records().next().unwrap().unwrap();
    let get = |c: &str| {
        row.get(hdr.iter().position(|h| h == c).unwrap())
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    assert_eq!(
        get("requests_arrived"),
        get("requests_served")
            + get("requests_dropped")
            + get("requests_rejected")
            + get("requests_in_flight")
    );
    assert!(get("cost_total_usd") > 0.0);
    let tl = std::fs::read_to_string(tmp.path().join("r/timeline.csv")).unwrap();
    assert_eq!(
        tl.lines().count(),
        1 + 120,
        "one row per minute of a 2 h trace"
    );
    assert!(
        tl.lines()
            .nth(1)
            .unwrap()
            .starts_with("2025-11-28T05:00:00Z,0,")
    );
}

/// Runs `steady` on a trace with the given content and expects a clean failure.
fn bad_trace(content: &str, expect: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("bad.csv");
    std::fs::write(&p, content).unwrap();
    let o = run_to(tmp.path(), &p, "out", "1");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "accepted a bad trace");
    assert!(!err.contains("panicked"), "{err}");
    for e in expect {
        assert!(err.contains(e), "stderr lacks `{e}`: {err}");
    }
    assert!(
        !tmp.path().join("out").exists(),
        "an output directory was left behind"
    );
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "leftover files"
    );
}

#[test]
fn unparsable_timestamp() {
    bad_trace(
        "timestamp,rps\n2025-11-28T05:00:00Z,5\nnot-a-time,5\n",
        &["bad.csv", "line 3", "timestamp", "not-a-time"],
    );
}

#[test]
fn negative_rate() {
    bad_trace(
        "timestamp,rps\n0,5\n60,-2\n",
        &["bad.csv", "line 3", "rps", "-2"],
    );
}

#[test]
fn rows_out_of_order() {
    bad_trace(
        "timestamp,rps\n0,5\n120,5\n60,5\n",
        &["bad.csv", "line 4", "non-decreasing"],
    );
}

#[test]
fn missing_rate_column() {
    bad_trace(
        "timestamp,requests_per_sec\n0,5\n60,5\n",
        &["bad.csv", "no rate column", "requests_per_second"],
    );
}

#[test]
fn empty_file() {
    bad_trace("", &["bad.csv", "no data rows"]);
    bad_trace("timestamp,rps\n", &["bad.csv", "no data rows"]);
}

#[test]
fn ragged_row() {
    bad_trace(
        "timestamp,rps\n0,5\n60,5,7\n",
        &["bad.csv", "line 3", "fields"],
    );
}

/// Runs a scenario file with the given content and expects a clean failure.
fn bad_scenario(content: &str, expect: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let trace = small_trace(tmp.path());
    let sc = tmp.path().join("mine.toml");
    std::fs::write(&sc, content).unwrap();
    let o = meshsim(
        &[
            "run",
            sc.to_str().unwrap(),
            "--trace",
            trace.to_str().unwrap(),
            "--out",
            "out",
            "--quiet",
        ],
        tmp.path(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "accepted a bad scenario");
    assert!(!err.contains("panicked"), "{err}");
    for e in expect {
        assert!(err.contains(e), "stderr lacks `{e}`: {err}");
    }
    assert!(!tmp.path().join("out").exists());
    let v = meshsim(&["validate", sc.to_str().unwrap()], tmp.path());
    assert!(!v.status.success(), "validate accepted it");
}

const BASE: &str = "[service]\nconcurrency = 4\n\n[capacity]\nplatform = \"ec2\"\ninstance_type = \"t4g.small\"\n\n[scaling]\nmin = 1\nmax = 2\n";

#[test]
fn scenario_unknown_key() {
    let text = BASE.replace("concurrency = 4", "concurency = 4");
    bad_scenario(
        &text,
        &[
            "mine.toml:2",
            "service.concurency",
            "unknown field",
            "did you mean `concurrency`?",
        ],
    );
}

#[test]
fn scenario_min_greater_than_max() {
    let text = BASE.replace("min = 1", "min = 5");
    bad_scenario(&text, &["mine.toml:9", "scaling.min", "greater than max"]);
}

#[test]
fn scenario_misspelt_instance_type() {
    let text = BASE.replace("t4g.small", "t4g.smal");
    bad_scenario(
        &text,
        &[
            "mine.toml:6",
            "capacity.instance_type",
            "t4g.smal",
            "did you mean `t4g.small`?",
        ],
    );
}

#[test]
fn scenario_reports_every_problem_at_once() {
    let text = BASE
        .replace("min = 1", "min = 5")
        .replace("t4g.small", "t4g.smal");
    bad_scenario(
        &text,
        &["2 problems", "scaling.min", "capacity.instance_type"],
    );
}

#[test]
fn unknown_scenario_name_suggests() {
    let tmp = tempfile::tempdir().unwrap();
    let o = meshsim(&["validate", "cost-optimised"], tmp.path());
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `cost-optimized`?"));
}

#[test]
fn readme_trace_info_and_scenarios_commands_work() {
    let o = meshsim(&["trace", "info", "workloads/peak.csv"], &project());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(text.contains("rows          1440"), "{text}");
    assert!(text.contains("peak/mean     3.00"), "{text}");
    let o = meshsim(&["scenarios"], &project());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("cost-optimized") && text.contains("seeds/000_173cc7b48eed3f72.txt"),
        "{text}"
    );
}

#[test]
fn shared_real_traces_are_read_when_present() {
    // Real public traces live beside the project (../shared/traces); CI has them.
    let azure = project().join("../shared/traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv");
    if !azure.exists() {
        eprintln!("skipping: {} not present", azure.display());
        return;
    }
    let o = meshsim(&["trace", "info", azure.to_str().unwrap()], &project());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        text.contains("request trace") && text.contains("rows          19366"),
        "{text}"
    );
    let nasa = project().join("../shared/traces/nasa_http_1995/nasa_per_minute_derived.csv");
    let o = meshsim(&["trace", "info", nasa.to_str().unwrap()], &project());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        text.contains("count per row") && text.contains("rows          84334"),
        "{text}"
    );
}
