//! Amazon Bedrock calls and cost limits, end to end.

use meshsim::billing::PriceBook;
use meshsim::engine::ArrivalProcess;
use meshsim::scenario;
use std::path::{Path, PathBuf};

const BASE: &str = "[service]\nconcurrency = 100\nservice_time = { dist = \"constant\", mean_ms = 10 }\n[capacity]\ncpu = 0.25\nmemory_gb = 0.5\n[scaling]\nmin = 2\nmax = 2\n";

fn scenario_file(dir: &Path, llm: &str) -> String {
    let p = dir.join("llm.toml");
    std::fs::write(&p, format!("timezone = \"UTC\"\n{BASE}[llm]\n{llm}")).unwrap();
    p.to_str().unwrap().to_string()
}

fn run(sc: &str, trace: &Path, arrivals: ArrivalProcess) -> meshsim::metrics::RunOutcome {
    let s =
        scenario::resolve(sc, &[], &[], &PriceBook::builtin()).unwrap_or_else(|e| panic!("{e}"));
    meshsim::run::run_file(&s, trace, 1, arrivals).unwrap().0
}

#[test]
fn a_daily_limit_is_hit_at_the_hand_computed_time_and_holds_until_midnight() {
    // One request per second for two days from midnight UTC, every one calling
    // Claude 3 Sonnet with 1,000 tokens in and 500 out: $0.003 + $0.0075 = $0.0105.
    // $10 a day allows floor(10 / 0.0105) = 952 calls ($9.996); the 953rd, at
    // 952.5 s (evenly spaced arrivals start at 0.5 s), would make $10.0065 and is
    // the first rejected; so is every later call that day. Day 2 starts over.
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("t.csv");
    std::fs::write(
        &trace,
        "timestamp,rps\n2025-11-01T00:00:00Z,1\n2025-11-02T00:00:00Z,1\n",
    )
    .unwrap();
    let sc = scenario_file(
        tmp.path(),
        "fraction = 1.0\nmodel = \"anthropic.claude-3-sonnet\"\nstrategy = \"fixed\"\ntokens_in = { dist = \"constant\", mean = 1000 }\ntokens_out = { dist = \"constant\", mean = 500 }\ndaily_limit_usd = 10\non_limit = \"reject\"\n",
    );
    let out = run(&sc, &trace, ArrivalProcess::Uniform);
    let s = &out.summary;
    assert_eq!(s.requests_arrived, 2 * 86_400);
    assert_eq!(s.llm_calls, 2 * 952);
    assert_eq!(s.llm_rejected, 2 * (86_400 - 952));
    assert_eq!(s.requests_rejected, s.llm_rejected);
    assert!((s.cost_llm_usd - 2.0 * 952.0 * 0.0105).abs() < 1e-6);
    assert!((s.llm_cost_unlimited_usd - 2.0 * 86_400.0 * 0.0105).abs() < 1e-3);
    let hits: Vec<(u64, &str)> = out
        .alerts
        .iter()
        .map(|a| (a.t_us, a.kind.as_str()))
        .collect();
    assert_eq!(
        hits,
        vec![
            (952_500_000, "llm_daily_limit"),
            (86_400_000_000 + 952_500_000, "llm_daily_limit")
        ]
    );
    // The timeline's LLM cost is flat after the hit.
    let m = &out.timeline;
    assert!((m[16].cost_llm_usd - m[60].cost_llm_usd).abs() < 1e-9);
}

#[test]
fn session_limits_with_sessions_from_the_trace() {
    // Three sessions of ten requests each; every call $0.0105 (Sonnet, 1000/500);
    // a $0.05 session limit lets 4 calls through per session ($0.042), rejects 6.
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("req.csv");
    let mut text = String::from("timestamp,session,tokens_in,tokens_out\n");
    for i in 0..30 {
        text.push_str(&format!("{},s{},1000,500\n", i, i / 10));
    }
    std::fs::write(&trace, text).unwrap();
    let sc = scenario_file(
        tmp.path(),
        "model = \"anthropic.claude-3-sonnet\"\nstrategy = \"fixed\"\nsession_limit_usd = 0.05\n",
    );
    let s = run(&sc, &trace, ArrivalProcess::Poisson).summary;
    assert_eq!((s.llm_calls, s.llm_rejected), (12, 18));
    assert!((s.cost_llm_usd - 12.0 * 0.0105).abs() < 1e-9);
    assert_eq!(s.llm_tokens_in, 12_000);
    // With downgrade, the over-limit calls go to the cheapest model instead.
    let sc = scenario_file(
        tmp.path(),
        "model = \"anthropic.claude-3-sonnet\"\nstrategy = \"fixed\"\nsession_limit_usd = 0.05\non_limit = \"downgrade\"\n",
    );
    let s = run(&sc, &trace, ArrivalProcess::Poisson).summary;
    assert_eq!((s.llm_calls, s.llm_rejected, s.llm_downgraded), (30, 0, 18));
}

#[test]
fn bad_llm_settings_name_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let book = PriceBook::builtin();
    for (llm, key, text) in [
        ("daily_limit_usd = -1\n", "llm.daily_limit_usd", "-1"),
        ("model = \"claude-9-ultra\"\n", "llm.model", "unknown model"),
        (
            "strategy = \"cheapest_allways\"\n",
            "llm.strategy",
            "did you mean `cheapest_always`?",
        ),
    ] {
        let sc = scenario_file(tmp.path(), llm);
        let e = scenario::resolve(&sc, &[], &[], &book)
            .unwrap_err()
            .to_string();
        assert!(e.contains(key) && e.contains(text), "{e}");
    }
    // A disabled model Bedrock does not carry is a warning, not an error.
    let sc = scenario_file(
        tmp.path(),
        "disabled = [\"gpt-4\", \"claude-3-opus\"]\ntokens_in = { dist = \"constant\", mean = 10 }\n",
    );
    let s = scenario::resolve(&sc, &[], &[], &book).unwrap();
    assert!(s.warnings.iter().any(|w| w.contains("gpt-4")));
    assert!(!s.llm.unwrap().models.iter().any(|m| m.id.contains("opus")));
}

fn azure_conv() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv");
    p.exists().then_some(p)
}

#[test]
fn the_azure_llm_conversation_trace_under_a_daily_limit() {
    let Some(trace) = azure_conv() else {
        eprintln!("skipping: ../shared/traces not present");
        return;
    };
    // Every request of the trace calls Claude 3 Haiku with the trace's own token
    // counts; a $5 daily limit rejects the calls after it is reached.
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario_file(
        tmp.path(),
        "model = \"anthropic.claude-3-haiku\"\nstrategy = \"fixed\"\ndaily_limit_usd = 5\n",
    );
    let out = run(&sc, &trace, ArrivalProcess::Poisson);
    let s = &out.summary;
    eprintln!(
        "Azure conv: {} requests, {} calls, {} rejected, {} tokens in, {} out, ${:.4} (unlimited ${:.4}), limit hit at {:?} s",
        s.requests_arrived,
        s.llm_calls,
        s.llm_rejected,
        s.llm_tokens_in,
        s.llm_tokens_out,
        s.cost_llm_usd,
        s.llm_cost_unlimited_usd,
        out.alerts.first().map(|a| a.t_us as f64 / 1e6)
    );
    assert_eq!(s.requests_arrived, 19_366);
    assert_eq!(s.llm_calls + s.llm_rejected, 19_366);
    assert!(s.cost_llm_usd <= 5.0 && s.cost_llm_usd > 4.99);
    // Unlimited: Σ ContextTokens × $0.00025/1K + Σ GeneratedTokens × $0.00125/1K
    // = 22,361,870 × 0.00025/1000 + 4,088,665 × 0.00125/1000 = $10.7013 (SUMMARY.md's sums).
    assert!(
        (s.llm_cost_unlimited_usd - (22_361_870.0 * 0.00025 + 4_088_665.0 * 0.00125) / 1000.0)
            .abs()
            < 1e-6
    );
    assert!(s.llm_rejected > 0);
}
