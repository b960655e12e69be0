//! The fuzz harness (stable Rust, proptest): every input meshsim parses gets
//! arbitrary bytes and structured mutations of real inputs — spans deleted,
//! inserted and duplicated, numbers replaced by extreme values (NaN, ±inf,
//! 1e308, 2^64, -0, 1e-320), odd Unicode (BOM, bidi overrides, combining
//! marks, NUL) — and must answer with a result or an error with a message:
//! never a panic (with overflow checks on: in `.ci/run`'s
//! `--profile parquet-test` run; `cargo test --release` builds without
//! them), an abort, or a run that cannot end (every simulation is bounded by
//! `--max-requests`, and a watchdog fails a case that takes over a minute).
//!
//! The inputs: rate and request trace CSV, JSON lines, ALB and Common Log
//! Format access logs, Parquet (with the `parquet` feature), scenario TOML
//! with `extends`, `MESHSIM_*` environment and `--set` layers, HPA and KEDA
//! manifests (directly and referenced by a scenario), `hpa explain` state
//! JSON, sweep TOML and pricing overlay CSV.
//!
//! The cases are seeded (`PROPTEST_RNG_SEED`, default 17: every run tries
//! the same ones). `PROPTEST_CASES` sets the cases per input (default 500: 4,500 cases in
//! all, a few seconds); e.g. `PROPTEST_CASES=20000 cargo test --release
//! --test fuzz`. Every input that ever failed is kept under
//! `tests/fuzz-corpus/<input>/` with a name saying what it found, and runs
//! in `corpus_inputs_get_answers` on every test run.

use meshsim::billing::PriceBook;
use meshsim::engine::ArrivalProcess;
use meshsim::run::{Rows, run_one};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Values that break parsers and arithmetic.
const EXTREMES: &[&str] = &[
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "1e308",
    "-1e308",
    "1e-320",
    "0",
    "-0",
    "-1",
    "4294967296",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999999999",
    "1e19",
    "0.0000001",
    "1_000",
    "0x10",
    "+5",
    ".5",
    "5.",
    "",
    "1e",
    "--1",
];

/// Characters and fragments that break tokenizers and structure.
const TOKENS: &[&str] = &[
    "\u{feff}",
    "\u{202e}",
    "e\u{301}",
    "\u{0}",
    "\u{ffff}",
    "\u{1d7d8}",
    "İ",
    "\r",
    "\n",
    "\r\n",
    "\t",
    "\"",
    "'",
    ",",
    ";",
    "=",
    ":",
    "[",
    "]",
    "{",
    "}",
    "#",
    "\\",
    "- ",
    "  ",
    "null",
    "true",
    "~",
    "&a ",
    "*a",
    "!!binary ",
    "<<: *a",
    "[[axis]]\n",
    "[scaling]\n",
    "extends = \"steady\"\n",
    "2025-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
];

/// One structured change; positions are taken modulo the input's length.
#[derive(Clone, Debug)]
enum Mutation {
    Delete {
        at: usize,
        len: usize,
    },
    Insert {
        at: usize,
        token: usize,
    },
    Duplicate {
        at: usize,
        len: usize,
    },
    Number {
        nth: usize,
        with: usize,
    },
    /// A number replaced by an ordinary one: mutations that keep the input
    /// valid reach the simulation behind the parser.
    Plausible {
        nth: usize,
        value: u32,
        decimals: u8,
    },
    Truncate {
        at: usize,
    },
    SwapLines {
        a: usize,
        b: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => (any::<usize>(), 1..40usize).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        1 => (any::<usize>(), 1..200usize).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        2 => (any::<usize>(), 0..EXTREMES.len()).prop_map(|(nth, with)| Mutation::Number { nth, with }),
        3 => (any::<usize>(), 0..3000u32, 0..3u8).prop_map(|(nth, value, decimals)| {
            Mutation::Plausible { nth, value, decimals }
        }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
    ]
}

/// The nearest char boundary at or below `i`.
fn boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Spans of numbers (digits with sign, point, exponent) in `s`.
fn numbers(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let mut start = i;
            if start > 0 && (b[start - 1] == b'-' || b[start - 1] == b'.') {
                start -= 1;
            }
            while i < b.len() && (b[i].is_ascii_digit() || b"._eE+-".contains(&b[i])) {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

fn apply(mut s: String, muts: &[Mutation]) -> String {
    for m in muts {
        let n = s.len().max(1);
        match *m {
            Mutation::Delete { at, len } => {
                let a = boundary(&s, at % n);
                let b = boundary(&s, a + len);
                s.replace_range(a..b, "");
            }
            Mutation::Insert { at, token } => {
                let a = boundary(&s, at % n);
                s.insert_str(a, TOKENS[token]);
            }
            Mutation::Duplicate { at, len } => {
                let a = boundary(&s, at % n);
                let b = boundary(&s, a + len);
                let span = s[a..b].to_string();
                s.insert_str(b, &span);
            }
            Mutation::Number { nth, with } => {
                let spans = numbers(&s);
                if !spans.is_empty() {
                    let (a, b) = spans[nth % spans.len()];
                    s.replace_range(a..b, EXTREMES[with]);
                }
            }
            Mutation::Plausible {
                nth,
                value,
                decimals,
            } => {
                let spans = numbers(&s);
                if !spans.is_empty() {
                    let (a, b) = spans[nth % spans.len()];
                    let v = value as f64 / 10f64.powi(decimals as i32);
                    s.replace_range(a..b, &format!("{v}"));
                }
            }
            Mutation::Truncate { at } => {
                let a = boundary(&s, at % n);
                s.truncate(a);
            }
            Mutation::SwapLines { a, b } => {
                let mut lines: Vec<&str> = s.split('\n').collect();
                let k = lines.len();
                lines.swap(a % k, b % k);
                s = lines.join("\n");
            }
        }
    }
    s
}

/// A mutated copy of one of `seeds`, or (one case in eight) arbitrary bytes.
fn input(seeds: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    prop_oneof![
        7 => (0..n, proptest::collection::vec(mutation(), 1..4))
            .prop_map(move |(i, m)| apply(seeds[i].clone(), &m).into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..600),
    ]
}

/// The generator's seed: fixed, so every run tries the same cases;
/// `PROPTEST_RNG_SEED=N` explores others.
fn seed() -> proptest::test_runner::RngSeed {
    proptest::test_runner::RngSeed::Fixed(
        std::env::var("PROPTEST_RNG_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(17),
    )
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
}

/// When the case now running started, ms since the watchdog's epoch (0: none).
static CASE_STARTED_MS: AtomicU64 = AtomicU64::new(0);

/// Fails the process if one case runs for over a minute: a run that cannot
/// end is a failure, not a hung test suite.
fn watchdog() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(|| {
        let epoch = Instant::now();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(1));
                let started = CASE_STARTED_MS.load(Ordering::Relaxed);
                let now = epoch.elapsed().as_millis() as u64;
                if started > 0 && now.saturating_sub(started) > 60_000 {
                    eprintln!("fuzz: a case ran for over a minute: a run that cannot end");
                    std::process::abort();
                }
            }
        });
        // Each simulation is bounded: no fuzzed trace may ask for more.
        meshsim::run::set_max_requests(200_000);
        epoch
    })
}

/// Runs `target` on the input, timed by the watchdog; an `Err` must say
/// something.
/// What each input goes through: the input's bytes written in a scratch
/// folder, then parsed (and simulated) as meshsim does.
type Target = dyn Fn(&Path, &[u8]) -> Result<(), String>;

fn check(target: &Target, dir: &Path, bytes: &[u8]) -> bool {
    let epoch = watchdog();
    CASE_STARTED_MS.store(epoch.elapsed().as_millis().max(1) as u64, Ordering::Relaxed);
    let r = target(dir, bytes);
    CASE_STARTED_MS.store(0, Ordering::Relaxed);
    if let Err(msg) = &r {
        assert!(!msg.trim().is_empty(), "an error without a message");
    }
    r.is_ok()
}

fn fuzz(seeds: Vec<String>, target: fn(&Path, &[u8]) -> Result<(), String>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        rng_seed: seed(),
        ..Config::default()
    });
    let answered = std::cell::Cell::new((0u32, 0u32));
    let result = runner.run(&input(seeds), |bytes| {
        let ok = check(&target, &dir, &bytes);
        let (a, b) = answered.get();
        answered.set(if ok { (a + 1, b) } else { (a, b + 1) });
        Ok(())
    });
    let (ok, err) = answered.get();
    eprintln!(
        "fuzz: {} cases: {ok} results, {err} errors with a message",
        ok + err
    );
    if let Err(e) = result {
        panic!("{e}\n(keep the minimal input under tests/fuzz-corpus/ once fixed)");
    }
}

// ---- the targets: what meshsim does with each input -------------------------

/// A trace file as `--trace` reads it: the validating scan, then (when it
/// scans and is small) a run of the `steady` scenario on it.
fn trace_target(ext: &str) -> impl Fn(&Path, &[u8]) -> Result<(), String> {
    let ext = ext.to_string();
    move |dir: &Path, bytes: &[u8]| {
        let path = dir.join(format!("fuzzed.{ext}"));
        std::fs::write(&path, bytes).unwrap();
        let meta = meshsim::trace::scan(&path, 60.0).map_err(|e| e.to_string())?;
        let book = PriceBook::builtin();
        let sc =
            meshsim::scenario::resolve("steady", &[], &[], &book).map_err(|e| e.to_string())?;
        // A span of years at a low rate is legal but slow to simulate minute
        // by minute; the scan is what is fuzzed there.
        if meta.end_us > 7 * 86_400_000_000 {
            return Ok(());
        }
        let out = run_one(&sc, &meta, Rows::File(&path), 1, ArrivalProcess::Poisson)
            .map_err(|e| e.to_string())?;
        let s = &out.summary;
        assert_eq!(
            s.requests_arrived,
            s.requests_served + s.requests_dropped + s.requests_rejected + s.requests_in_flight,
            "conservation"
        );
        Ok(())
    }
}

fn csv_trace(dir: &Path, bytes: &[u8]) -> Result<(), String> {
    trace_target("csv")(dir, bytes)
}

fn log_trace(dir: &Path, bytes: &[u8]) -> Result<(), String> {
    trace_target("log")(dir, bytes)
}

fn jsonl_trace(dir: &Path, bytes: &[u8]) -> Result<(), String> {
    trace_target("jsonl")(dir, bytes)
}

/// Files a scenario refers to, written beside it: a base to `extends`, an
/// HPA, a KEDA ScaledObject, a Deployment and a pricing overlay.
fn scenario_dir(dir: &Path) {
    let files = [
        (
            "base.toml",
            "[service]\nconcurrency = 4\n[capacity]\ncpu = 0.25\nmemory_gb = 0.5\n[scaling]\nmin = 1\nmax = 4\n".to_string(),
        ),
        ("hpa.yaml", read("examples/hpa/web-hpa.yaml")),
        ("so.yaml", KEDA.to_string()),
        (
            "deployment.yaml",
            read("scenarios/k8s/i2s-staging-conductor-deployment.yaml"),
        ),
        ("prices.csv", pricing_seed()),
    ];
    for (name, text) in files {
        let p = dir.join(name);
        if !p.exists() {
            std::fs::write(p, text).unwrap();
        }
    }
}

const KEDA: &str = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: { name: worker }\nspec:\n  scaleTargetRef: { name: worker }\n  minReplicaCount: 0\n  maxReplicaCount: 10\n  triggers:\n  - type: rabbitmq\n    metadata: { queueName: jobs, mode: QueueLength, value: \"5\" }\n  - type: cron\n    metadata: { timezone: UTC, start: \"0 8 * * *\", end: \"0 9 * * *\", desiredReplicas: \"3\" }\n";

/// A short trace for the scenarios to run on: 20 minutes at 5 rps.
fn short_trace(dir: &Path) -> PathBuf {
    let p = dir.join("short.csv");
    if !p.exists() {
        let mut s = String::from("timestamp,rps\n");
        for m in 0..20 {
            s.push_str(&format!("2025-01-06T08:{m:02}:00Z,5\n"));
        }
        std::fs::write(&p, s).unwrap();
    }
    p
}

/// Resolves the scenario at `path` with `env` and `sets`, then simulates it
/// on the short trace.
fn resolve_and_run(
    dir: &Path,
    path: &Path,
    env: &[(String, String)],
    sets: &[String],
) -> Result<(), String> {
    let book = PriceBook::builtin();
    let sc = meshsim::scenario::resolve(&path.display().to_string(), env, sets, &book)
        .map_err(|e| e.to_string())?;
    let trace = short_trace(dir);
    let meta = meshsim::trace::scan(&trace, 60.0).map_err(|e| e.to_string())?;
    run_one(&sc, &meta, Rows::File(&trace), 1, ArrivalProcess::Poisson)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn scenario_toml(dir: &Path, bytes: &[u8]) -> Result<(), String> {
    scenario_dir(dir);
    let path = dir.join("fuzzed.toml");
    std::fs::write(&path, bytes).unwrap();
    resolve_and_run(dir, &path, &[], &[])
}

/// The layers above the file: the input's first line is a `--set`, its
/// second a `MESHSIM_*` variable (`NAME=value`), on the `small-team`
/// scenario (it has every layer: LLM limits, schedules, budgets) written out.
fn scenario_layers(dir: &Path, bytes: &[u8]) -> Result<(), String> {
    scenario_dir(dir);
    let path = dir.join("layers.toml");
    if !path.exists() {
        std::fs::write(&path, read("scenarios/small-team.toml")).unwrap();
    }
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.lines();
    let sets: Vec<String> = lines.next().map(str::to_string).into_iter().collect();
    let env: Vec<(String, String)> = lines
        .next()
        .and_then(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into_iter()
        .collect();
    resolve_and_run(dir, &path, &env, &sets)
}

/// A manifest as `scaling.manifest` (HPA), `scaling.queue.manifest` (KEDA)
/// or `deployment` reads it, and as `hpa explain --hpa` reads it.
fn manifest(dir: &Path, bytes: &[u8]) -> Result<(), String> {
    scenario_dir(dir);
    let path = dir.join("fuzzed.yaml");
    std::fs::write(&path, bytes).unwrap();
    let _ = meshsim::cli::load_hpa(&path, None).map_err(|e| {
        assert!(!e.to_string().trim().is_empty());
    });
    let head = "[service]\nconcurrency = 4\n[capacity]\ncpu = 0.25\nmemory_gb = 0.5\n";
    let mut last = Err(String::from("not used"));
    for (name, body) in [
        (
            "as-hpa.toml",
            format!("{head}[scaling.hpa]\nmanifest = \"fuzzed.yaml\"\n"),
        ),
        (
            "as-keda.toml",
            format!("{head}[scaling.queue]\nmanifest = \"fuzzed.yaml\"\n"),
        ),
        (
            "as-deployment.toml",
            "[capacity]\nplatform = \"kubernetes\"\ndeployment = \"fuzzed.yaml\"\n".to_string(),
        ),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        let r = resolve_and_run(dir, &p, &[], &[]);
        if let Err(m) = &r {
            assert!(!m.trim().is_empty());
        }
        // A result when the manifest worked in any of its roles.
        if last.is_err() || r.is_ok() {
            last = r;
        }
    }
    last
}

/// `hpa explain --state`: the snapshot against the example HPA.
fn hpa_state(dir: &Path, bytes: &[u8]) -> Result<(), String> {
    use meshsim::model::autoscaler::hpa::{explain, state::Snapshot};
    let hpa = dir.join("web-hpa.yaml");
    if !hpa.exists() {
        std::fs::write(&hpa, read("examples/hpa/web-hpa.yaml")).unwrap();
    }
    let spec = meshsim::cli::load_hpa(&hpa, None).map_err(|e| e.to_string())?;
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    let snap: Snapshot = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let ex = explain(&spec, &snap);
    serde_json::to_string(&ex).map_err(|e| e.to_string())?;
    Ok(())
}

/// `sweep --file`.
fn sweep_toml(dir: &Path, bytes: &[u8]) -> Result<(), String> {
    let path = dir.join("sweep.toml");
    std::fs::write(&path, bytes).unwrap();
    meshsim::sweep::file::load(&path).map(|_| ())
}

/// A pricing overlay (`pricing` key, `pricing --file`), laid over the
/// built-in prices and priced from.
fn pricing_csv(_dir: &Path, bytes: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    let mine = PriceBook::from_csv(text, "fuzzed.csv").map_err(|e| e.to_string())?;
    let book = PriceBook::builtin().overlay(&mine);
    for r in mine.rows() {
        let _ = book.get(&r.service, &r.sku, &r.region, &r.purchase_option);
    }
    Ok(())
}

// ---- the seeds: real inputs ----------------------------------------------------

fn trace_seeds() -> Vec<String> {
    let peak: String = read("workloads/peak.csv")
        .lines()
        .take(40)
        .map(|l| format!("{l}\n"))
        .collect();
    vec![
        peak,
        "timestamp,count\n2025-01-01T00:00:00Z,600\n2025-01-01T00:01:00Z,900\n2025-01-01T00:02:00Z,300\n".into(),
        "unix_ts,rps\n1735689600,5\n1735689660,7.5\n1735689720,0\n1735689780,3\n".into(),
        "timestamp,service_ms,tokens_in,tokens_out,session,region\n2025-01-01T00:00:00.000Z,120,800,200,a,us-east-1\n2025-01-01T00:00:00.250Z,80,400,100,b,eu-west-1\n2025-01-01T00:00:01.000Z,95,1200,300,a,us-east-1\n2025-01-01T00:00:02.500Z,300,50,20,c,eu-west-1\n".into(),
        "timestamp,rps\r\n2025-01-01T00:00:00+01:00,1\r\n2025-01-01T00:01:00+01:00,2\r\n".into(),
    ]
}

fn log_seeds() -> Vec<String> {
    vec![
        "http 2025-11-28T14:00:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.120 0.000 200 200 34 366 \"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.46.0\" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 \"Root=1-58337262-36d228ad5d99923122bbe354\" \"-\" \"-\" 0 2025-11-28T14:00:00.066000Z \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"200\" \"-\" \"-\" TID_1234abcd5678ef90\nhttp 2025-11-28T14:00:01.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 -1 0.000 502 - 34 366 \"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.46.0\" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 \"Root=1-58337262-36d228ad5d99923122bbe354\" \"-\" \"-\" 0 2025-11-28T14:00:01.066000Z \"forward\" \"-\" \"-\" \"-\" \"-\" \"-\" \"-\" TID_1\n".into(),
        "199.72.81.55 - - [01/Jul/1995:00:00:01 -0400] \"GET /history/apollo/ HTTP/1.0\" 200 6245\nunicomp6.unicomp.net - - [01/Jul/1995:00:00:06 -0400] \"GET /shuttle/countdown/ HTTP/1.0\" 200 3985\n199.120.110.21 - - [01/Jul/1995:00:00:09 -0400] \"GET /shuttle/missions/sts-73/mission-sts-73.html HTTP/1.0\" 200 4085\n".into(),
    ]
}

fn jsonl_seeds() -> Vec<String> {
    vec![
        "{\"timestamp\": 1735689600000, \"service_ms\": 50, \"session\": \"a\"}\n{\"timestamp\": 1735689600250, \"service_ms\": 70, \"session\": \"b\"}\n{\"timestamp\": 1735689601500, \"service_ms\": 20, \"session\": \"a\"}\n".into(),
        "{\"timestamp\": \"2025-01-01T00:00:00Z\", \"duration_ms\": 12}\n{\"timestamp\": \"2025-01-01T00:00:01Z\", \"duration_ms\": 15}\n".into(),
    ]
}

fn scenario_seeds() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        // Their manifests are referenced as k8s/...: point them at the
        // files written beside the fuzzed scenario.
        .map(|t| {
            t.replace("k8s/i2s-staging-conductor-hpa.yaml", "hpa.yaml")
                .replace("k8s/i2s-production-custom-metrics-hpa.yaml", "hpa.yaml")
                .replace(
                    "k8s/i2s-staging-conductor-deployment.yaml",
                    "deployment.yaml",
                )
        })
        .collect();
    v.sort();
    v.push("extends = \"base.toml\"\n[service]\nconcurrency = 8\n".into());
    v.push(
        "extends = \"steady\"\npricing = \"prices.csv\"\n[scaling.hpa]\nmanifest = \"hpa.yaml\"\n"
            .into(),
    );
    v.push("[service]\nconcurrency = 10\n[capacity]\ncpu = 0.25\nmemory_gb = 0.5\n[scaling.queue]\nmanifest = \"so.yaml\"\n".into());
    v
}

fn layer_seeds() -> Vec<String> {
    vec![
        "scaling.min=2\nMESHSIM_SCALING__MAX=6\n".into(),
        "service.concurrency=12\nMESHSIM_SERVICE__TIMEOUT_MS=2000\n".into(),
        "scaling.max=5\nMESHSIM_SLO__P95_MS=250\n".into(),
        "slo.window=5m\nMESHSIM_TRACE_SCALE=2\n".into(),
        "llm.session_limit_usd=0.01\nMESHSIM_LLM__SESSION_TIMEOUT_S=900\n".into(),
    ]
}

fn manifest_seeds() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("scenarios/k8s"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    v.sort();
    v.push(read("examples/hpa/web-hpa.yaml"));
    v.push(KEDA.to_string());
    v
}

fn sweep_seeds() -> Vec<String> {
    vec![
        "scenario = \"steady\"\ntrace = \"../t.csv\"\nreplications = 2\nout = \"../file\"\n\n[slo]\np95_ms = 500\n\n[[axis]]\nkey = \"scaling.min\"\nrange = \"1..3:1\"\n\n[[axis]]\nkey = \"scaling.max\"\nvalues = [3]\n\n[[axis]]\nkey = \"service.concurrency\"\nvalues = [2, 4]\n".into(),
        "scenario = \"cost-optimized\"\ntrace = \"peak.csv\"\nseed = 7\n[[axis]]\nkey = \"capacity.spot_pct\"\nrange = \"0..100:25\"\n".into(),
    ]
}

fn pricing_seed() -> String {
    read("pricing/catalogue.csv")
        .lines()
        .take(6)
        .map(|l| format!("{l}\n"))
        .collect()
}

// ---- the tests -----------------------------------------------------------------

#[test]
fn rate_and_request_trace_csv() {
    fuzz(trace_seeds(), csv_trace);
}

#[test]
fn access_logs() {
    fuzz(log_seeds(), log_trace);
}

#[test]
fn json_lines_traces() {
    fuzz(jsonl_seeds(), jsonl_trace);
}

#[test]
fn scenario_files_with_extends() {
    fuzz(scenario_seeds(), scenario_toml);
}

#[test]
fn set_and_environment_layers() {
    fuzz(layer_seeds(), scenario_layers);
}

#[test]
fn hpa_keda_and_deployment_manifests() {
    fuzz(manifest_seeds(), manifest);
}

#[test]
fn hpa_explain_states() {
    fuzz(vec![read("examples/hpa/web-state.json")], hpa_state);
}

#[test]
fn sweep_files() {
    fuzz(sweep_seeds(), sweep_toml);
}

#[test]
fn pricing_overlays() {
    fuzz(vec![pricing_seed()], pricing_csv);
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_traces() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("seed.parquet");
    let mut df = DataFrame::new_infer_height(vec![
        Column::new(
            "timestamp".into(),
            (0..30)
                .map(|m| format!("2025-01-01T00:{m:02}:00Z"))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "rps".into(),
            (0..30).map(|m| 5.0 + m as f64).collect::<Vec<f64>>(),
        ),
    ])
    .unwrap();
    ParquetWriter::new(std::fs::File::create(&p).unwrap())
        .finish(&mut df)
        .unwrap();
    let bytes = std::fs::read(&p).unwrap();
    // Byte-level mutations of a valid file (its text form means nothing).
    let strategy = (
        proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        any::<usize>(),
        any::<bool>(),
    )
        .prop_map(move |(flips, cut, truncate)| {
            let mut b = bytes.clone();
            for (at, v) in flips {
                let n = b.len();
                b[at % n] = v;
            }
            if truncate {
                b.truncate(cut % (b.len() + 1));
            }
            b
        });
    let dir = tmp.path().to_path_buf();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        rng_seed: seed(),
        ..Config::default()
    });
    let target = trace_target("parquet");
    runner
        .run(&strategy, |b| {
            let _ = check(&target, &dir, &b);
            Ok(())
        })
        .unwrap();
}

/// Every input that ever failed: `tests/fuzz-corpus/<target>/<what it found>.<ext>`.
#[test]
fn corpus_inputs_get_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = root().join("tests/fuzz-corpus");
    let mut n = 0;
    for dir in std::fs::read_dir(&corpus).unwrap() {
        let dir = dir.unwrap().path();
        let target: fn(&Path, &[u8]) -> Result<(), String> =
            match dir.file_name().unwrap().to_str().unwrap() {
                "trace" => csv_trace,
                "log" => log_trace,
                "jsonl" => jsonl_trace,
                "scenario" => scenario_toml,
                "layers" => scenario_layers,
                "manifest" => manifest,
                "hpa-state" => hpa_state,
                "sweep" => sweep_toml,
                "pricing" => pricing_csv,
                other => panic!("tests/fuzz-corpus/{other}: no such input"),
            };
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            let bytes = std::fs::read(&f).unwrap();
            let r = std::panic::catch_unwind(|| check(&target, tmp.path(), &bytes));
            assert!(r.is_ok(), "{} panicked", f.display());
            n += 1;
        }
    }
    assert!(n > 0);
}
