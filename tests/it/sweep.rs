//! Sweeps: reproducible whatever the thread count, shardable, resumable.

use super::meshsim;
use std::path::Path;

fn setup() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let o = meshsim(
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
        tmp.path(),
    );
    assert!(o.status.success());
    tmp
}

const AXES: &[&str] = &[
    "--set",
    "scaling.min=1,2,3",
    "--set",
    "scaling.max=3",
    "--set",
    "service.concurrency=2,4",
];

fn sweep(dir: &Path, out: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "sweep",
        "steady",
        "--trace",
        "t.csv",
        "--replications",
        "2",
        "--out",
        out,
    ];
    args.extend_from_slice(AXES);
    args.extend_from_slice(extra);
    let o = meshsim(&args, dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn results(dir: &Path, out: &str) -> String {
    std::fs::read_to_string(dir.join(out).join("results.csv")).unwrap()
}

#[test]
fn one_thread_and_two_threads_give_identical_results() {
    let tmp = setup();
    sweep(tmp.path(), "one", &["--jobs", "1"]);
    sweep(tmp.path(), "two", &["--jobs", "2"]);
    let a = results(tmp.path(), "one");
    assert_eq!(a, results(tmp.path(), "two"));
    assert_eq!(a.lines().count(), 1 + 6, "{a}");
    assert!(a.lines().next().unwrap().starts_with("point,scaling.min,scaling.max,service.concurrency,replications,cost_total_usd_mean,cost_total_usd_ci95"));
}

#[test]
fn three_shards_merged_equal_the_unsharded_sweep() {
    let tmp = setup();
    sweep(tmp.path(), "all", &[]);
    for k in 0..3 {
        sweep(
            tmp.path(),
            &format!("s{k}"),
            &["--shard", &format!("{k}/3")],
        );
    }
    let o = meshsim(&["merge", "s0", "s1", "s2", "--out", "merged"], tmp.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(results(tmp.path(), "all"), results(tmp.path(), "merged"));
    // Merging an incomplete set is an error naming what is missing.
    let o = meshsim(&["merge", "s0", "s1", "--out", "partial"], tmp.path());
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing"));
}

#[test]
fn an_interrupted_sweep_resumes_without_recomputing_finished_points() {
    let tmp = setup();
    sweep(tmp.path(), "full", &[]);
    let expected = results(tmp.path(), "full");
    sweep(tmp.path(), "cut", &[]);
    // As if killed half-way: three points finished, three not, no results.csv,
    // and a half-written temporary file left behind.
    let points = tmp.path().join("cut/points");
    for id in [1, 3, 5] {
        std::fs::remove_file(points.join(format!("point-{id:06}.csv"))).unwrap();
    }
    std::fs::write(points.join("point-000003.tmp-999"), "point,scal").unwrap();
    std::fs::remove_file(tmp.path().join("cut/results.csv")).unwrap();
    let out = sweep(tmp.path(), "cut", &[]);
    assert!(out.contains("3 computed, 3 reused"), "{out}");
    assert_eq!(results(tmp.path(), "cut"), expected);
    // A different sweep is not mixed into an existing directory.
    let o = meshsim(
        &[
            "sweep",
            "steady",
            "--trace",
            "t.csv",
            "--set",
            "scaling.min=1",
            "--out",
            "cut",
        ],
        tmp.path(),
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("different sweep"));
}

#[test]
fn the_pareto_front_is_non_dominated() {
    let tmp = setup();
    sweep(tmp.path(), "p", &[]);
    let mut rdr = csv::Reader::from_path(tmp.path().join("p/pareto.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let (c, l) = (
        h.iter().position(|x| x == "cost_total_usd_mean").unwrap(),
        h.iter().position(|x| x == "latency_p95_ms_mean").unwrap(),
    );
    let front: Vec<(f64, f64)> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[c].parse().unwrap(), r[l].parse().unwrap())
        })
        .collect();
    assert!(!front.is_empty());
    // Sorted by cost, the front's latency strictly falls.
    for w in front.windows(2) {
        assert!(w[1].0 >= w[0].0 && w[1].1 < w[0].1, "{front:?}");
    }
}

#[test]
fn plan_picks_the_cheapest_configuration_that_meets_the_slo_and_budget() {
    let tmp = setup();
    // 60 rps mean, 300 rps peak: 1 replica (8 slots × 1/0.12 s ≈ 67 rps) cannot hold the spike.
    let o = meshsim(
        &[
            "plan",
            "steady",
            "--trace",
            "t.csv",
            "--slo-p95-ms",
            "500",
            "--vary",
            "scaling.min=1..6:1",
            "--vary",
            "scaling.max=6",
            "--out",
            "plan",
        ],
        tmp.path(),
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut rdr = csv::Reader::from_path(tmp.path().join("plan/results.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let idx = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (mi, si, ki) = (
        idx("projected_month_usd_mean"),
        idx("slo_met"),
        idx("scaling.min"),
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let best = rows
        .iter()
        .filter(|r| &r[si] == "true")
        .min_by(|a, b| {
            a[mi]
                .parse::<f64>()
                .unwrap()
                .total_cmp(&b[mi].parse::<f64>().unwrap())
        })
        .unwrap();
    assert!(
        text.contains(&format!("best      scaling.min={} ", &best[ki])),
        "{text}"
    );
    let plan = std::fs::read_to_string(tmp.path().join("plan/plan.csv")).unwrap();
    assert!(plan.lines().nth(1).unwrap().starts_with("1,"));
    // A budget below every passing configuration leaves nothing.
    let o = meshsim(
        &[
            "plan",
            "steady",
            "--trace",
            "t.csv",
            "--slo-p95-ms",
            "500",
            "--budget-usd",
            "0.01",
            "--vary",
            "scaling.min=1..6:1",
            "--vary",
            "scaling.max=6",
            "--out",
            "plan",
        ],
        tmp.path(),
    );
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("no configuration meets the SLO within the budget")
    );
}

fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let info = png::Decoder::new(&bytes[..])
        .read_info()
        .unwrap()
        .info()
        .clone();
    (info.width, info.height)
}

#[test]
fn sweep_draws_pareto_and_heatmap_and_skips_them_when_asked() {
    let tmp = setup();
    sweep(tmp.path(), "c", &[]);
    assert_eq!(png_size(&tmp.path().join("c/pareto.png")), (1200, 600));
    // Two varying axes (scaling.max has one value): a heatmap.
    assert_eq!(png_size(&tmp.path().join("c/heatmap.png")), (1200, 600));
    sweep(tmp.path(), "n", &["--no-charts"]);
    assert!(!tmp.path().join("n/pareto.png").exists());
    assert!(!tmp.path().join("n/heatmap.png").exists());
    assert_eq!(
        std::fs::read(tmp.path().join("c/results.csv")).unwrap(),
        std::fs::read(tmp.path().join("n/results.csv")).unwrap()
    );
}

#[test]
fn a_sweep_file_runs_the_same_sweep_as_the_flags() {
    let tmp = setup();
    sweep(tmp.path(), "flags", &[]);
    std::fs::create_dir(tmp.path().join("sweeps")).unwrap();
    std::fs::write(
        tmp.path().join("sweeps/s.toml"),
        r#"
scenario = "steady"
trace = "../t.csv"
replications = 2
out = "../file"

[slo]
p95_ms = 500

[[axis]]
key = "scaling.min"
range = "1..3:1"

[[axis]]
key = "scaling.max"
values = [3]

[[axis]]
key = "service.concurrency"
values = [2, 4]
"#,
    )
    .unwrap();
    let o = meshsim(&["sweep", "--file", "sweeps/s.toml", "--quiet"], tmp.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("flags/results.csv")).unwrap(),
        std::fs::read_to_string(tmp.path().join("file/results.csv")).unwrap()
    );
    // Mistakes name the file, the key and the line.
    let bad = |text: &str, expect: &[&str]| {
        std::fs::write(tmp.path().join("sweeps/bad.toml"), text).unwrap();
        let o = meshsim(&["sweep", "--file", "sweeps/bad.toml"], tmp.path());
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{err}");
        for e in expect {
            assert!(err.contains(e), "expected `{e}` in: {err}");
        }
    };
    bad(
        "scenario = \"steady\"\nreplicatons = 2\n",
        &["sweeps/bad.toml", "replicatons", "line 2"],
    );
    bad(
        "scenario = \"steady\"\ntrace = \"../t.csv\"\n[[axis]]\nkey = \"scaling.min\"\nvalues = [1]\nrange = \"1..2:1\"\n",
        &["axis[0]", "scaling.min", "not both"],
    );
    bad(
        "scenario = \"steady\"\ntrace = \"../t.csv\"\n",
        &["no axis"],
    );
}

/// The coarse-to-fine search finds the configuration the whole grid finds,
/// simulating fewer of them.
#[test]
fn plan_search_on_a_large_grid_finds_what_the_whole_grid_finds() {
    let tmp = setup();
    let plan = |out: &str, max_points: &str| {
        let o = meshsim(
            &[
                "plan",
                "steady",
                "--trace",
                "t.csv",
                "--slo-p95-ms",
                "400",
                "--vary",
                "scaling.min=1..16:1",
                "--vary",
                "scaling.max=16",
                "--vary",
                "service.concurrency=1..8:1",
                "--replications",
                "1",
                "--max-points",
                max_points,
                "--no-charts",
                "--out",
                out,
            ],
            tmp.path(),
        );
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
    let (full_best, full_rows, _) = plan("full", "1000");
    let (smart_best, smart_rows, text) = plan("smart", "24");
    assert_eq!(full_rows, 128);
    assert!(smart_rows < 80, "searched {smart_rows} of 128:\n{text}");
    assert!(text.contains("coarse to fine"), "{text}");
    assert_eq!(smart_best, full_best);
    assert!(tmp.path().join("smart/plan.html").exists());
}

/// `--mode fluid` writes a fluid sweep: the same columns, its description
/// says so, and an engine sweep into the same folder is refused (its points
/// are not the engine's) until `--force`; the exact sweep's description has
/// no `mode` (as before the screen existed).
#[test]
fn a_fluid_sweep_is_never_resumed_as_an_engine_sweep() {
    let tmp = setup();
    sweep(tmp.path(), "f", &["--mode", "fluid"]);
    let id = std::fs::read_to_string(tmp.path().join("f/sweep.json")).unwrap();
    assert!(id.contains("\"mode\": \"fluid\""), "{id}");
    let fluid = results(tmp.path(), "f");
    assert_eq!(fluid.lines().count(), 1 + 6, "{fluid}");
    sweep(tmp.path(), "e", &[]);
    let exact = results(tmp.path(), "e");
    assert_eq!(fluid.lines().next(), exact.lines().next());
    let id = std::fs::read_to_string(tmp.path().join("e/sweep.json")).unwrap();
    assert!(!id.contains("mode"), "{id}");
    let mut args = vec![
        "sweep",
        "steady",
        "--trace",
        "t.csv",
        "--replications",
        "2",
        "--out",
        "f",
    ];
    args.extend_from_slice(AXES);
    let o = meshsim(&args, tmp.path());
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("mode fluid → exact") && err.contains("--force"),
        "{err}"
    );
    let o = meshsim(
        &[
            "sweep",
            "steady",
            "--trace",
            "t.csv",
            "--set",
            "scaling.min=1",
            "--mode",
            "slow",
        ],
        tmp.path(),
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected exact or fluid"));
}
