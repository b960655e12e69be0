//! The cluster examples under deploy/: the Slurm array script and the
//! Kubernetes Indexed Job run their own `meshsim` lines here, one shard per
//! task index, and their shards merge into the sweep run whole. The Job
//! manifest is validated against the Kubernetes schema by
//! `kubernetes-validate` (ignored by `cargo test`; `.ci/run` installs it and
//! runs it).

use super::meshsim;
use std::path::{Path, PathBuf};
use std::process::Command;

fn project(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A shell in `dir` with meshsim on the PATH and no `MESHSIM_*` overrides.
fn shell(program: &str, dir: &Path) -> Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_meshsim")).parent().unwrap();
    let mut c = Command::new(program);
    c.current_dir(dir).env(
        "PATH",
        format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
    );
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("MESHSIM_")) {
        c.env_remove(k);
    }
    c
}

/// A short trace at `rel` under `dir` (the examples sweep 45 points × 5).
fn trace_at(dir: &Path, rel: &str) {
    std::fs::create_dir_all(dir.join(rel).parent().unwrap()).unwrap();
    let o = meshsim(
        &[
            "trace",
            "gen",
            "--pattern",
            "spike",
            "--mean",
            "40",
            "--duration",
            "30m",
            "--out",
            rel,
        ],
        dir,
    );
    assert!(o.status.success());
}

/// The whole sweep the examples shard (their axes, replications and seed),
/// run unsharded: its results.csv.
fn whole(dir: &Path, trace: &str) -> String {
    let o = meshsim(
        &[
            "sweep",
            "cost-optimized",
            "--trace",
            trace,
            "--set",
            "scaling.target_tracking.target=50..90:10",
            "--set",
            "scaling.max=2..10:1",
            "--replications",
            "5",
            "--seed",
            "1",
            "--out",
            "whole",
            "--no-charts",
            "--quiet",
        ],
        dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(dir.join("whole/results.csv")).unwrap()
}

fn run_ok(c: &mut Command, what: &str) -> String {
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_slurm_array_script_runs_its_shards_and_they_merge_into_the_whole_sweep() {
    let script = std::fs::read_to_string(project("deploy/slurm/sweep.sbatch")).unwrap();
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(project("deploy/slurm/sweep.sbatch"))
        .output()
        .unwrap();
    assert!(
        syntax.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    // --array=0-(N-1) and N in step.
    let array = script
        .lines()
        .find_map(|l| l.strip_prefix("#SBATCH --array="))
        .expect("#SBATCH --array");
    let (lo, hi) = array.split_once('-').unwrap();
    let n: usize = script
        .lines()
        .find_map(|l| l.strip_prefix("N="))
        .expect("N=")
        .parse()
        .unwrap();
    assert_eq!(
        (
            lo.parse::<usize>().unwrap(),
            hi.parse::<usize>().unwrap() + 1
        ),
        (0, n)
    );

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    trace_at(dir, "traces/peak.csv");
    for k in 0..n {
        run_ok(
            shell("bash", dir)
                .arg(project("deploy/slurm/sweep.sbatch"))
                .env("SLURM_ARRAY_TASK_ID", k.to_string())
                .env("SLURM_CPUS_PER_TASK", "1"),
            &format!("task {k}"),
        );
    }
    // The merge line of the script's header, as written there.
    let merge = script
        .lines()
        .find_map(|l| {
            l.trim_start_matches('#')
                .trim()
                .strip_prefix("meshsim merge")
        })
        .expect("the script names its merge command");
    run_ok(
        shell("bash", dir)
            .arg("-c")
            .arg(format!("meshsim merge{merge}")),
        "merge",
    );
    let merged = std::fs::read_to_string(dir.join("sweeps/cost-opt/merged/results.csv")).unwrap();
    assert_eq!(
        merged.lines().count(),
        1 + 45,
        "every point of the 5 × 9 grid"
    );
    assert_eq!(
        merged,
        whole(dir, "traces/peak.csv"),
        "shards merge into the whole sweep"
    );
}

#[test]
fn the_kubernetes_indexed_job_runs_its_shards_and_they_merge_into_the_whole_sweep() {
    let text = std::fs::read_to_string(project("deploy/kubernetes/sweep-job.yaml")).unwrap();
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).unwrap();
    assert_eq!(docs.len(), 2, "the sweep Job and the merge Job");
    let (job, merge) = (&docs[0], &docs[1]);
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    let n = job["spec"]["completions"].as_u64().unwrap();
    assert_eq!(job["spec"]["parallelism"].as_u64(), Some(n));
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["command"], serde_json::json!(["/bin/sh", "-c"]));
    let args = container["args"][0].as_str().unwrap();
    assert!(args.contains(&format!("/{n}")), "--shard …/{n}: {args}");
    let mount = container["volumeMounts"][0]["mountPath"].as_str().unwrap();
    assert_eq!(mount, "/data");

    // Each index's pod, with the shared volume at a folder of ours.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    trace_at(dir, "data/traces/peak.csv");
    let data = dir.join("data");
    let local = |s: &str| s.replace("/data/", &format!("{}/", data.display()));
    for k in 0..n {
        run_ok(
            shell("sh", dir)
                .arg("-c")
                .arg(local(args))
                .env("JOB_COMPLETION_INDEX", k.to_string()),
            &format!("index {k}"),
        );
    }
    let merge_args = merge["spec"]["template"]["spec"]["containers"][0]["args"][0]
        .as_str()
        .unwrap();
    run_ok(shell("sh", dir).arg("-c").arg(local(merge_args)), "merge");
    let merged = std::fs::read_to_string(data.join("sweeps/cost-opt/merged/results.csv")).unwrap();
    assert_eq!(merged.lines().count(), 1 + 45);
    assert_eq!(merged, whole(dir, "data/traces/peak.csv"));
}

#[test]
#[ignore = "needs kubernetes-validate (pip install kubernetes-validate): .ci/run installs it and runs this test"]
fn the_kubernetes_job_manifest_validates_against_the_schema() {
    let o = Command::new("python3")
        .args(["-m", "kubernetes_validate", "--strict"])
        .arg(project("deploy/kubernetes/sweep-job.yaml"))
        .output()
        .expect("python3 runs");
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{out}");
    assert!(!out.contains("ERROR"), "{out}");
    for name in ["job/meshsim-sweep ", "job/meshsim-sweep-merge "] {
        assert!(
            out.contains(&format!("passed for resource {name}")),
            "{name}: {out}"
        );
    }
}
