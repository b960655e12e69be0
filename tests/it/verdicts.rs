//! Verdicts and reviews out (issue 14): windowed SLOs and goodput,
//! summary.json, the pull-request comment and its gate, folders that keep
//! their provenance, sweeps and plans that a failure or another target does
//! not block, `--set` into manifest HPAs, autoscaling/v1, CLI conventions.

use super::meshsim;
use std::path::Path;
use std::process::Output;

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// 2025-11-28T00:00:00Z, seconds since the Unix epoch.
const DAY0: u64 = 1_764_288_000;

/// A day of requests, one every 10 s (6 per minute), each served in 50 ms
/// except those arriving in [14:00, 14:04), served in 2,000 ms. One replica
/// with 8 slots: a request never waits (at most one is in service), so every
/// latency is exactly its service time.
fn spike_day(dir: &Path) {
    let mut csv = String::from("timestamp,service_ms\n");
    for i in 0..8640u64 {
        let t = i * 10;
        let slow = (14 * 3600..14 * 3600 + 240).contains(&t);
        csv.push_str(&format!("{},{}\n", DAY0 + t, if slow { 2000 } else { 50 }));
    }
    std::fs::write(dir.join("day.csv"), csv).unwrap();
    std::fs::write(
        dir.join("exact.toml"),
        "extends = \"steady\"\nname = \"exact\"\n[service]\nconcurrency = 8\nservice_time = { dist = \"trace\" }\n[scaling]\nmin = 1\nmax = 1\n[slo]\np95_ms = 400\n",
    )
    .unwrap();
}

#[test]
fn a_four_minute_spike_is_missed_per_window_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    spike_day(dir);
    // 99.9 % of the 1-minute windows must hold: 4 missed of 1,440 is 99.72 %.
    let text = ok(&meshsim(
        &[
            "run",
            "exact.toml",
            "--trace",
            "day.csv",
            "--no-charts",
            "--out",
            "strict",
            "--set",
            "slo.windows_met_pct=99.9",
        ],
        dir,
    ));
    let s = json(&dir.join("strict/summary.json"));
    // Latencies are read from the histogram, within 0.1 % of the value.
    let near = |v: &serde_json::Value, want: f64| (v.as_f64().unwrap() / want - 1.0).abs() < 1e-3;
    // The whole day's p95 is 50 ms (24 slow requests of 8,640 are 0.28 %).
    assert!(near(&s["latency_p95_ms"], 50.0), "{}", s["latency_p95_ms"]);
    assert_eq!(s["slo_p95_met"], true);
    assert_eq!(s["slo_windows"], 1440);
    // 1,436 / 1,440 windows = 99.722 %.
    assert!((s["slo_windows_met_pct"].as_f64().unwrap() - 99.722).abs() < 1e-9);
    assert!(near(&s["latency_p95_worst_window_ms"], 2000.0));
    assert_eq!(s["slo_met"], false, "{s}");
    let missed: Vec<&str> = s["slo"]["windows_missed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        missed,
        [
            "2025-11-28T14:00:00Z",
            "2025-11-28T14:01:00Z",
            "2025-11-28T14:02:00Z",
            "2025-11-28T14:03:00Z"
        ]
    );
    assert!(text.contains("SLO          MISSED"), "{text}");
    assert!(
        text.contains("11-28 14:00–11-28 14:04 (4 windows of 1m, worst p95 2000."),
        "{text}"
    );
    let report = std::fs::read_to_string(dir.join("strict/report.md")).unwrap();
    assert!(
        report.contains("11-28 14:00–11-28 14:04"),
        "the review names the windows"
    );
    // The timeline marks the minutes.
    let mut rdr = csv::Reader::from_path(dir.join("strict/timeline.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (met, p95) = (col("slo_window_met"), col("slo_window_p95_ms"));
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1440);
    for (m, r) in rows.iter().enumerate() {
        let spike = (840..844).contains(&m);
        assert_eq!(&r[met], if spike { "false" } else { "true" }, "minute {m}");
        let want = if spike { 2000.0 } else { 50.0 };
        let got: f64 = r[p95].parse().unwrap();
        assert!((got / want - 1.0).abs() < 1e-3, "minute {m}: {got}");
    }

    // The default 99 % holds (99.72 ≥ 99): MET, and the windows are still named.
    let text = ok(&meshsim(
        &[
            "run",
            "exact.toml",
            "--trace",
            "day.csv",
            "--no-charts",
            "--out",
            "default",
        ],
        dir,
    ));
    assert!(text.contains("SLO          MET"), "{text}");
    assert!(
        text.contains("missed       11-28 14:00–11-28 14:04"),
        "{text}"
    );

    // 5-minute windows: 14:00–14:05 holds 30 requests, 24 of them slow, so
    // its p95 is 2 s; the other 287 windows hold. 287 / 288 = 99.653 %.
    ok(&meshsim(
        &[
            "run",
            "exact.toml",
            "--trace",
            "day.csv",
            "--no-charts",
            "--out",
            "five",
            "--set",
            "slo.window=\"5m\"",
        ],
        dir,
    ));
    let s = json(&dir.join("five/summary.json"));
    assert_eq!(s["slo_windows"], 288);
    assert!((s["slo_windows_met_pct"].as_f64().unwrap() - 100.0 * 287.0 / 288.0).abs() < 1e-3);
    assert_eq!(
        s["slo"]["windows_missed"][0]["start"],
        "2025-11-28T14:00:00Z"
    );
    assert_eq!(s["slo"]["windows_missed"][0]["len_s"], 300.0);

    // A window that is not whole minutes is refused, naming the key and the fix.
    let o = meshsim(
        &["validate", "exact.toml", "--set", "slo.window=\"90s\""],
        dir,
    );
    assert!(!o.status.success());
    let e = stderr(&o) + &String::from_utf8_lossy(&o.stdout);
    assert!(
        e.contains("slo.window") && e.contains("whole number of minutes"),
        "{e}"
    );
}

#[test]
fn goodput_by_hand_counts_drops_as_failures() {
    // One replica, one slot, waits longer than 250 ms dropped, target 150 ms.
    //   r0 arrives 0.000, 100 ms: served 0.000–0.100, latency 100  (within)
    //   r1 arrives 0.150, 300 ms: served 0.150–0.450, latency 300
    //   r2 arrives 0.210, 100 ms: waits 240 ms, served 0.450–0.550, latency 340
    //   r3 arrives 0.250, 100 ms: would wait 300 ms > 250: dropped at 0.500
    //   r4 arrives 1.000, 100 ms: served 1.000–1.100, latency 100  (within)
    //   r5 arrives 1.060, 100 ms: waits 40 ms, served 1.100–1.200, latency 140 (within)
    //   r6 arrives 1.500, 100 ms: served 1.500–1.600, latency 100  (within)
    // arrived 7, served 6, dropped 1; within 4: goodput 4/7 = 57.142857 %,
    // while availability is 6/7 and the served p95 ignores r3.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let rows = [
        (0.0, 100),
        (0.150, 300),
        (0.210, 100),
        (0.250, 100),
        (1.000, 100),
        (1.060, 100),
        (1.500, 100),
    ];
    let mut csv = String::from("timestamp,service_ms\n");
    for (t, ms) in rows {
        csv.push_str(&format!("{:.3},{ms}\n", DAY0 as f64 + t));
    }
    std::fs::write(dir.join("few.csv"), csv).unwrap();
    std::fs::write(
        dir.join("tiny.toml"),
        "extends = \"steady\"\nname = \"tiny\"\n[service]\nconcurrency = 1\nservice_time = { dist = \"trace\" }\ntimeout_ms = 250\n[scaling]\nmin = 1\nmax = 1\n[slo]\np95_ms = 150\n",
    )
    .unwrap();
    let out = ok(&meshsim(
        &[
            "run",
            "tiny.toml",
            "--trace",
            "few.csv",
            "--no-charts",
            "--format",
            "json",
        ],
        dir,
    ));
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["requests_arrived"], 7);
    assert_eq!(s["requests_served"], 6);
    assert_eq!(s["requests_dropped"], 1);
    assert_eq!(s["requests_within_slo"], 4);
    assert!((s["requests_within_slo_pct"].as_f64().unwrap() - 400.0 / 7.0).abs() < 1e-3);
    assert!((s["availability"].as_f64().unwrap() - 6.0 / 7.0).abs() < 1e-6);
    // --format json prints exactly the file.
    assert_eq!(s, json(&dir.join("reports/tiny-few/summary.json")));
    // Provenance: version, seed, overrides, the trace's SHA-256, the effective scenario.
    let p = &s["provenance"];
    assert_eq!(p["meshsim_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(p["seed"], 1);
    assert_eq!(p["overrides"], serde_json::json!([]));
    let sha = p["trace_sha256"].as_str().unwrap();
    assert_eq!(sha.len(), 64);
    assert!(sha.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(p["effective_scenario"]["service"]["timeout_ms"], 250.0);
    assert_eq!(p["effective_scenario"]["slo"]["window"], "1m");
}

/// A spike trace (1 h, mean 30 rps) that `steady` holds (its SLO met) and a
/// lean variant of `steady` (one task) that cannot hold.
fn spike_hour(dir: &Path) {
    ok(&meshsim(
        &[
            "trace",
            "gen",
            "--pattern",
            "spike",
            "--mean",
            "30",
            "--duration",
            "1h",
            "--out",
            "t.csv",
        ],
        dir,
    ));
    std::fs::write(
        dir.join("lean.toml"),
        "extends = \"steady\"\nname = \"lean\"\n[scaling]\nmin = 1\nmax = 1\n",
    )
    .unwrap();
}

#[test]
fn compare_markdown_matches_its_snapshot_and_gates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    spike_hour(dir);
    let args = [
        "compare",
        "steady",
        "lean.toml",
        "--trace",
        "t.csv",
        "--no-charts",
        "--out",
        "pr",
        "--markdown",
        "--report-url",
        "https://ci.example/run/1",
    ];
    let md = ok(&meshsim(&args, dir));
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/compare_pr.md");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &md).unwrap();
    }
    let want = std::fs::read_to_string(&snapshot).unwrap();
    assert_eq!(
        md, want,
        "compare --markdown changed; if intended, run with UPDATE_SNAPSHOTS=1"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("pr/compare.pr.md")).unwrap(),
        md
    );
    assert!(md.contains("**broken by this change**"));

    // The gate: the head misses the SLO the base meets → status 3, and why.
    let mut gated = args.to_vec();
    gated.extend(["--check", "--force"]);
    let o = meshsim(&gated, dir);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("`lean` misses the SLO that `steady` meets"),
        "{}",
        stderr(&o)
    );
    // The other way round the head is cheaper and meets it: but costs are
    // checked too, and the base (lean) is cheaper than steady by 4×.
    let o = meshsim(
        &[
            "compare",
            "lean.toml",
            "steady",
            "--trace",
            "t.csv",
            "--no-charts",
            "--out",
            "pr2",
            "--check",
            "--max-cost-increase",
            "10",
            "--quiet",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("more than the allowed +10 %"),
        "{}",
        stderr(&o)
    );
    let o = meshsim(
        &[
            "compare",
            "lean.toml",
            "steady",
            "--trace",
            "t.csv",
            "--no-charts",
            "--out",
            "pr3",
            "--check",
            "--max-cost-increase",
            "400",
            "--quiet",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Two versions of one file share a name: --label tells them apart.
    std::fs::create_dir(dir.join("base")).unwrap();
    std::fs::write(
        dir.join("base/lean.toml"),
        std::fs::read_to_string(dir.join("lean.toml")).unwrap(),
    )
    .unwrap();
    let o = meshsim(
        &[
            "compare",
            "base/lean.toml",
            "lean.toml",
            "--trace",
            "t.csv",
            "--no-charts",
            "--quiet",
        ],
        dir,
    );
    assert!(stderr(&o).contains("--label base,head"), "{}", stderr(&o));
    ok(&meshsim(
        &[
            "compare",
            "base/lean.toml",
            "lean.toml",
            "--label",
            "base,head",
            "--trace",
            "t.csv",
            "--no-charts",
            "--quiet",
            "--out",
            "labelled",
        ],
        dir,
    ));
    assert!(dir.join("labelled/base/summary.json").exists());
    assert!(dir.join("labelled/head/summary.json").exists());
}

#[test]
fn the_ci_example_runs_end_to_end() {
    // The workflow's "Compare scenarios" step, run as GitHub would run it
    // (bash, job and step env), on a scratch repository whose pull request
    // shrinks a scenario's capacity: the comment is written and the job fails
    // with status 3. No network: meshsim is already on the PATH.
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    let git = |args: &[&str]| {
        let o = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(repo)
            .output()
            .expect("git runs");
        assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(repo.join("scenarios")).unwrap();
    std::fs::create_dir_all(repo.join("workloads")).unwrap();
    ok(&meshsim(
        &[
            "trace",
            "gen",
            "--pattern",
            "spike",
            "--mean",
            "30",
            "--duration",
            "1h",
            "--out",
            "workloads/peak.csv",
        ],
        repo,
    ));
    let shop = |min: u32| {
        format!("extends = \"steady\"\nname = \"shop\"\n[scaling]\nmin = {min}\nmax = {min}\n")
    };
    std::fs::write(repo.join("scenarios/shop.toml"), shop(4)).unwrap();
    std::fs::write(
        repo.join("scenarios/other.toml"),
        shop(2).replace("shop", "other"),
    )
    .unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "base"]);
    let base = git(&["rev-parse", "HEAD"]);
    std::fs::write(repo.join("scenarios/shop.toml"), shop(1)).unwrap();
    git(&["commit", "-q", "-am", "shrink shop"]);

    let wf_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci/meshsim-pr.yml");
    let wf: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(wf_path).unwrap()).unwrap();
    let job = &wf["jobs"]["compare"];
    let step = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Compare scenarios")
        .expect("the workflow has its Compare scenarios step");
    let script = step["run"].as_str().unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_meshsim")).parent().unwrap();
    let mut cmd = std::process::Command::new("bash");
    cmd.arg("-e").arg("-c").arg(script).current_dir(repo);
    for (k, v) in job["env"].as_object().unwrap() {
        cmd.env(k, v.as_str().unwrap());
    }
    cmd.env("BASE_REF", &base)
        .env("REPORT_URL", "https://ci.example/run/7")
        .env(
            "PATH",
            format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
        );
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("MESHSIM_")) {
        cmd.env_remove(k);
    }
    let o = cmd.output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
    let comment = std::fs::read_to_string(repo.join("meshsim-pr/comment.md")).unwrap();
    assert!(
        comment.contains("### meshsim: `base` → `head`"),
        "{comment}"
    );
    assert!(comment.contains("| cost / month |"), "{comment}");
    assert!(comment.contains("**broken by this change**"), "{comment}");
    assert!(comment.contains("https://ci.example/run/7"), "{comment}");
    assert!(
        !comment.contains("other.toml"),
        "an unchanged scenario is not compared: {comment}"
    );
    assert!(repo.join("meshsim-pr/shop/compare.csv").exists());
    assert!(!repo.join("meshsim-pr/other").exists());
    assert!(
        !repo.join("meshsim-pr/base").exists(),
        "the base worktree is removed"
    );
}

fn trace_1h(dir: &Path) {
    ok(&meshsim(
        &[
            "trace",
            "gen",
            "--pattern",
            "spike",
            "--mean",
            "60",
            "--duration",
            "1h",
            "--out",
            "t.csv",
        ],
        dir,
    ));
}

#[test]
fn a_failed_sweep_does_not_block_its_correction() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    trace_1h(dir);
    let o = meshsim(
        &[
            "sweep",
            "steady",
            "--trace",
            "t.csv",
            "--set",
            "scaling.min=1,x",
            "--out",
            "sw",
        ],
        dir,
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("scaling.min"), "{}", stderr(&o));
    // The corrected command succeeds in the same folder.
    ok(&meshsim(
        &[
            "sweep",
            "steady",
            "--trace",
            "t.csv",
            "--set",
            "scaling.min=1,2",
            "--out",
            "sw",
        ],
        dir,
    ));
    // A different sweep over finished points is refused with what differs.
    let o = meshsim(
        &[
            "sweep",
            "steady",
            "--trace",
            "t.csv",
            "--set",
            "scaling.min=1,2",
            "--seed",
            "2",
            "--out",
            "sw",
        ],
        dir,
    );
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("seed 1 → 2") && e.contains("--force"), "{e}");
    ok(&meshsim(
        &[
            "sweep",
            "steady",
            "--trace",
            "t.csv",
            "--set",
            "scaling.min=1,2",
            "--seed",
            "2",
            "--out",
            "sw",
            "--force",
        ],
        dir,
    ));
    let id = json(&dir.join("sw/sweep.json"));
    assert_eq!(id["seed"], 2);
}

#[test]
fn a_plan_with_another_slo_simulates_nothing_new() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    trace_1h(dir);
    let plan = |slo: &str| {
        ok(&meshsim(
            &[
                "plan",
                "steady",
                "--trace",
                "t.csv",
                "--slo-p95-ms",
                slo,
                "--vary",
                "scaling.min=1..4:1",
                "--replications",
                "1",
                "--out",
                "plan",
                "--no-charts",
            ],
            dir,
        ))
    };
    let first = plan("500");
    assert!(
        first.contains("simulated 4 new point(s); 0 found"),
        "{first}"
    );
    let again = plan("300");
    assert!(
        again.contains("simulated 0 new point(s); 4 found"),
        "{again}"
    );
    // results.csv is judged against the plan's own target: a point meets it
    // exactly when its mean p95, windowed p95 and availability do.
    let mut rdr = csv::Reader::from_path(dir.join("plan/results.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    for r in rdr.records().map(Result::unwrap) {
        let num = |n: &str| r[col(n)].parse::<f64>().unwrap_or(f64::NAN);
        let want = num("latency_p95_ms_mean") <= 300.0
            && num("slo_window_p95_ms_mean") <= 300.0
            && num("availability_mean") >= 0.99;
        assert_eq!(&r[col("slo_met")], want.to_string());
        // Goodput counted against the scenario's 500 ms is not shown for a 300 ms plan.
        assert_eq!(&r[col("requests_within_slo_pct_mean")], "");
    }
}

#[test]
fn runs_with_different_overrides_never_share_a_folder_silently() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    trace_1h(dir);
    let run = |extra: &[&str]| {
        let mut a = vec![
            "run",
            "steady",
            "--trace",
            "t.csv",
            "--no-charts",
            "--quiet",
        ];
        a.extend_from_slice(extra);
        meshsim(&a, dir)
    };
    ok(&run(&["--set", "scaling.min=2"]));
    ok(&run(&["--set", "scaling.min=3"]));
    ok(&run(&[]));
    let mut folders: Vec<String> = std::fs::read_dir(dir.join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    assert_eq!(folders.len(), 3, "{folders:?}");
    assert!(folders.contains(&"steady-t".to_string()), "{folders:?}");
    for f in &folders {
        let s = json(&dir.join("reports").join(f).join("summary.json"));
        let sets = s["provenance"]["overrides"].clone();
        assert_eq!(
            f == "steady-t",
            sets == serde_json::json!([]),
            "{f}: {sets}"
        );
    }
    // Same --out, other settings: refused, naming the difference and the way on.
    ok(&run(&["--out", "one", "--set", "scaling.min=2"]));
    let o = run(&["--out", "one", "--set", "scaling.min=3"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("overrides") && e.contains("scaling.min=3") && e.contains("--force"),
        "{e}"
    );
    // The same settings again replace it (a re-run); --force replaces any.
    ok(&run(&["--out", "one", "--set", "scaling.min=2"]));
    ok(&run(&["--out", "one", "--set", "scaling.min=3", "--force"]));
    let s = json(&dir.join("one/summary.json"));
    assert_eq!(
        s["provenance"]["overrides"],
        serde_json::json!(["scaling.min=3"])
    );
    // A folder meshsim did not write is never replaced without --force.
    std::fs::create_dir(dir.join("mine")).unwrap();
    std::fs::write(dir.join("mine/notes.txt"), "keep").unwrap();
    let o = run(&["--out", "mine"]);
    assert!(!o.status.success());
    assert!(dir.join("mine/notes.txt").exists());
    // A run folder of an older meshsim (no settings recorded) is replaced, and said so.
    std::fs::create_dir(dir.join("old")).unwrap();
    std::fs::write(dir.join("old/summary.csv"), "scenario\nsteady\n").unwrap();
    let o = run(&["--out", "old"]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("older meshsim"), "{}", stderr(&o));
    assert!(dir.join("old/summary.json").exists());
}

#[test]
fn set_reaches_a_manifest_hpa_and_sweeps_lists() {
    use meshsim::billing::PriceBook;
    use meshsim::scenario::resolve;
    let book = PriceBook::builtin();
    let hpa = |sets: &[&str]| {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        resolve("i2s-staging", &[], &sets, &book)
            .unwrap()
            .hpa
            .unwrap()
            .spec
    };
    let manifest = hpa(&[]);
    let by_index = hpa(&["scaling.hpa.metrics.0.resource.target.averageUtilization=55"]);
    let short = hpa(&["scaling.hpa.target_cpu_pct=55"]);
    assert_ne!(manifest, by_index);
    assert_eq!(by_index, short);
    let text = format!("{short:?}");
    assert!(
        text.contains("Utilization(55)") && text.contains("Utilization(80)"),
        "{text}"
    );
    // An index past the manifest's metrics is refused with the count.
    let sets = vec!["scaling.hpa.metrics.5.resource.target.averageUtilization=55".to_string()];
    let e = resolve("i2s-staging", &[], &sets, &book)
        .unwrap_err()
        .to_string();
    assert!(e.contains("has 2 item(s)"), "{e}");
    // Behavior is laid over the manifest's, key by key.
    let b = hpa(&["scaling.hpa.behavior.scaleUp.stabilizationWindowSeconds=0"]);
    assert_ne!(b, manifest);

    // A sweep over a manifest value, and over whole lists (not split on commas).
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    trace_1h(dir);
    ok(&meshsim(
        &[
            "sweep",
            "i2s-staging",
            "--trace",
            "t.csv",
            "--set",
            "scaling.hpa.metrics.0.resource.target.averageUtilization=50..80:30",
            "--out",
            "a",
            "--no-charts",
            "--quiet",
        ],
        dir,
    ));
    let m = |t: u32| {
        format!(
            "[{{ type = \"Resource\", resource = {{ name = \"cpu\", target = {{ type = \"Utilization\", averageUtilization = {t} }} }} }}]"
        )
    };
    ok(&meshsim(
        &[
            "sweep",
            "pattern-resource",
            "--trace",
            "t.csv",
            "--set",
            &format!("scaling.hpa.metrics={},{}", m(50), m(80)),
            "--out",
            "b",
            "--no-charts",
            "--quiet",
        ],
        dir,
    ));
    let rows = std::fs::read_to_string(dir.join("b/results.csv")).unwrap();
    assert_eq!(
        csv::Reader::from_reader(rows.as_bytes()).records().count(),
        2,
        "two points: {rows}"
    );
    // The same axis in a sweep file, as TOML lists.
    std::fs::write(
        dir.join("s.toml"),
        "scenario = \"pattern-resource\"\ntrace = \"t.csv\"\n[[axis]]\nkey = \"scaling.hpa.metrics\"\nvalues = [\n  [{ type = \"Resource\", resource = { name = \"cpu\", target = { type = \"Utilization\", averageUtilization = 50 } } }],\n  [{ type = \"Resource\", resource = { name = \"cpu\", target = { type = \"Utilization\", averageUtilization = 80 } } }],\n]\n",
    )
    .unwrap();
    ok(&meshsim(
        &[
            "sweep",
            "--file",
            "s.toml",
            "--out",
            "c",
            "--no-charts",
            "--quiet",
        ],
        dir,
    ));
    // The file's lists are the flag's lists (as TOML values), and each took
    // effect: the two points differ.
    let table = |f: &str| -> Vec<csv::StringRecord> {
        csv::Reader::from_path(dir.join(f).join("results.csv"))
            .unwrap()
            .records()
            .map(Result::unwrap)
            .collect()
    };
    let as_toml = |t: &str| format!("v = {t}").parse::<toml::Table>().unwrap();
    let (b, c) = (table("b"), table("c"));
    assert_eq!(c.len(), 2);
    for (rb, rc) in b.iter().zip(&c) {
        assert_eq!(as_toml(&rb[1]), as_toml(&rc[1]));
    }
    assert_ne!(&c[0][3], &c[1][3], "the two lists give two configurations");
}

#[test]
fn an_autoscaling_v1_hpa_is_its_v2_equivalent() {
    // pkg/apis/autoscaling/v1/conversion.go: targetCPUUtilizationPercentage
    // is a v2 Resource metric on cpu with an Utilization target.
    use meshsim::model::autoscaler::hpa::manifest::parse_hpas;
    let v1 = "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 10\n  targetCPUUtilizationPercentage: 65\n";
    let v2 = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 10\n  metrics:\n  - type: Resource\n    resource: {name: cpu, target: {type: Utilization, averageUtilization: 65}}\n";
    assert_eq!(parse_hpas(v1).unwrap(), parse_hpas(v2).unwrap());
    // Without a target, the v2 default: CPU at 80 %.
    let bare = v1.replace("  targetCPUUtilizationPercentage: 65\n", "");
    let v2_80 = v2.replace("65", "80");
    assert_eq!(parse_hpas(&bare).unwrap(), parse_hpas(&v2_80).unwrap());
    // v2-only fields in a v1 document are named.
    let e = parse_hpas(&format!("{v1}  behavior: {{}}\n")).unwrap_err();
    assert!(
        e.contains("spec.behavior") && e.contains("autoscaling/v2"),
        "{e}"
    );
}

#[test]
fn first_mistakes_name_the_unit_and_the_place() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("to.toml"),
        "extends = \"steady\"\n[service]\ntimeout_ms = \"30s\"\n",
    )
    .unwrap();
    let o = meshsim(&["validate", "to.toml"], dir);
    assert!(!o.status.success());
    let e = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(e.contains("to.toml:3"), "{e}");
    assert!(
        e.contains("milliseconds") && e.contains("timeout_ms = 30000"),
        "{e}"
    );
    // An HPA metric without a source is located at the manifest, not at a default.
    std::fs::write(
        dir.join("hpa.yaml"),
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  maxReplicas: 5\n  metrics:\n  - type: Pods\n    pods:\n      metric: {name: queue_messages}\n      target: {type: AverageValue, averageValue: \"10\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("h.toml"),
        "extends = \"steady\"\n[scaling]\nmin = 1\n[scaling.hpa]\nmanifest = \"hpa.yaml\"\n",
    )
    .unwrap();
    let o = meshsim(&["validate", "h.toml"], dir);
    let e = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(!o.status.success());
    assert!(!e.contains("built-in default"), "{e}");
    assert!(
        e.contains("h.toml:5")
            && e.contains("hpa.yaml: ")
            && e.contains("metric_sources.queue_messages"),
        "{e}"
    );
}

#[test]
fn completions_man_pages_help_examples_and_no_color() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bash = ok(&meshsim(&["completions", "bash"], dir));
    assert!(bash.contains("_meshsim()") && bash.contains("--max-cost-increase"));
    std::fs::write(dir.join("c.bash"), &bash).unwrap();
    let syntax = std::process::Command::new("bash")
        .args(["-n", "c.bash"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(syntax.status.success(), "{}", stderr(&syntax));
    for shell in ["zsh", "fish"] {
        assert!(ok(&meshsim(&["completions", shell], dir)).contains("meshsim"));
    }
    let man = ok(&meshsim(&["man"], dir));
    assert!(
        man.starts_with(".ie") && man.contains(".TH meshsim 1"),
        "{}",
        &man[..200.min(man.len())]
    );
    ok(&meshsim(&["man", "--out", "man1"], dir));
    let run_page = std::fs::read_to_string(dir.join("man1/meshsim-run.1")).unwrap();
    assert!(run_page.contains("meshsim\\-run") && run_page.contains("\\-\\-format"));
    // Every command's --help has an example.
    for cmd in [
        "run",
        "compare",
        "gallery",
        "trace",
        "scenarios",
        "validate",
        "diff",
        "hpa",
        "sweep",
        "plan",
        "merge",
        "pricing",
        "completions",
        "man",
    ] {
        let help = ok(&meshsim(&[cmd, "--help"], dir));
        assert!(
            help.contains("Example"),
            "{cmd} --help has no example:\n{help}"
        );
    }
    // Colour: forced on, clap colours its error; NO_COLOR wins over it.
    let coloured = |env: &[(&str, &str)]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_meshsim"));
        c.arg("run")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(2));
        o.stderr.contains(&0x1b)
    };
    assert!(coloured(&[("CLICOLOR_FORCE", "1")]));
    assert!(!coloured(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
}

#[test]
fn set_overrides_a_scaled_objects_values() {
    // A KEDA ScaledObject manifest stays the source; a value set explicitly
    // (a layer or --set) wins over it, and behavior is laid over its own.
    use meshsim::billing::PriceBook;
    use meshsim::scenario::resolve;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("so.yaml"),
        "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: { name: worker }\nspec:\n  scaleTargetRef: { name: worker }\n  minReplicaCount: 0\n  maxReplicaCount: 5\n  cooldownPeriod: 120\n  advanced:\n    horizontalPodAutoscalerConfig:\n      behavior:\n        scaleDown:\n          stabilizationWindowSeconds: 60\n  triggers:\n  - type: rabbitmq\n    metadata: { queueName: jobs, mode: QueueLength, value: \"5\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("q.toml"),
        "extends = \"steady\"\n[scaling.queue]\nmanifest = \"so.yaml\"\n",
    )
    .unwrap();
    let book = PriceBook::builtin();
    let path = dir.join("q.toml").display().to_string();
    let keda = |sets: &[&str]| {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let sc = resolve(&path, &[], &sets, &book).unwrap();
        (sc.max, format!("{:?}", sc.keda.unwrap()))
    };
    let (max, base) = keda(&[]);
    // `steady`, the parent, sets scaling.max = 4 explicitly: it wins too.
    assert_eq!(max, 4);
    assert!(base.contains("AverageValue(5000)"), "{base}");
    let (_, q) = keda(&["scaling.queue.queue_length=20"]);
    assert!(q.contains("AverageValue(20000)"), "{q}");
    assert!(base.contains("cooldown_us: 120000000"), "{base}");
    let (_, c) = keda(&["scaling.queue.cooldown_period_s=30"]);
    assert!(c.contains("cooldown_us: 30000000"), "{c}");
    let (max, _) = keda(&["scaling.max=9"]);
    assert_eq!(max, 9);
    let (_, b) = keda(&["scaling.queue.behavior.scaleDown.stabilizationWindowSeconds=0"]);
    assert_ne!(b, base);
    assert!(base.contains("stabilization_window_s: Some(60)"), "{base}");
    assert!(b.contains("stabilization_window_s: Some(0)"), "{b}");
}
