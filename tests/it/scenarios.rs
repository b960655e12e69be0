//! Scenario layering: built-in defaults < file (with `extends`) < MESHSIM_*
//! environment < --set; and the seed's numbers in the built-in scenarios.

use meshsim::billing::PriceBook;
use meshsim::scenario::{self, MetricSource, Platform, builtin, load};
use std::path::PathBuf;

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn builtin_scenarios_are_the_files_in_scenarios_dir() {
    for (name, text) in builtin::BUILTIN {
        let on_disk =
            std::fs::read_to_string(project().join("scenarios").join(format!("{name}.toml")))
                .unwrap();
        assert_eq!(&on_disk, text, "{name}");
    }
}

#[test]
fn cost_optimized_carries_the_seed_values() {
    // ../shared/seeds/000_173cc7b48eed3f72.txt, "Cost-Optimized Setup".
    let s = scenario::resolve("cost-optimized", &[], &[], &PriceBook::builtin()).unwrap();
    let f = &s.file;
    assert_eq!((f.scaling.min, f.scaling.max), (1, 3));
    let tt = f.scaling.target_tracking.as_ref().unwrap();
    assert_eq!(tt.metric, MetricSource::Cpu);
    assert_eq!(
        (tt.target, tt.scale_out_cooldown_s, tt.scale_in_cooldown_s),
        (80.0, 60.0, 300.0)
    );
    assert_eq!(f.capacity.platform, Platform::Ec2);
    assert_eq!(f.capacity.instance_type.as_deref(), Some("t4g.nano"));
    assert_eq!(f.scaling.schedule[0].cron, "0 22 * * MON-FRI");
    assert_eq!(
        (
            f.scaling.schedule[0].min,
            f.scaling.schedule[0].max,
            f.scaling.schedule[0].desired
        ),
        (Some(0), Some(1), Some(0))
    );
    assert_eq!(f.scaling.schedule[1].cron, "0 8 * * MON-FRI");
    let llm = f.llm.as_ref().unwrap();
    assert_eq!(
        (llm.session_limit_usd, llm.daily_limit_usd),
        (Some(0.01), Some(10.0))
    );
    assert_eq!(
        f.fixed.as_ref().unwrap().rds.as_ref().unwrap().class,
        "db.t4g.micro"
    );
    // t4g.nano on-demand in us-east-1: $0.0042 per hour.
    assert_eq!(s.compute.usd_per_hour, 0.0042);
    // Target tracking, schedules and spot are simulated (no warning names them).
    assert!(
        !s.warnings
            .iter()
            .any(|n| n.contains("target_tracking") || n.contains("schedule") || n.contains("spot"))
    );
    // All replicas spot (weights 0/100); no catalogue price for t4g.nano spot, so the
    // Spot Advisor's 56 % savings: $0.0042 × 0.44; below SPOT_MAX_PRICE 0.05.
    let (spot, _) = s.spot.as_ref().unwrap();
    assert!((spot.usd_per_hour - 0.0042 * 0.44).abs() < 1e-12);
    assert!(spot.available);
    assert_eq!(
        (spot.base, spot.on_demand_weight, spot.spot_weight),
        (0, 0, 100)
    );
    assert_eq!(s.schedules.len(), 2);
}

#[test]
fn layers_apply_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().join("parent.toml");
    let child = tmp.path().join("child.toml");
    std::fs::write(
        &parent,
        "description = \"parent\"\n[service]\nconcurrency = 2\ntimeout_ms = 1000\n[capacity]\ncpu = 1.0\nmemory_gb = 2.0\n[scaling]\nmin = 1\nmax = 5\n",
    )
    .unwrap();
    std::fs::write(
        &child,
        "extends = \"parent.toml\"\n[service]\nconcurrency = 3\n",
    )
    .unwrap();
    let c = child.to_str().unwrap();
    let book = PriceBook::builtin();
    let s = scenario::resolve(c, &[], &[], &book).unwrap();
    assert_eq!(
        s.file.service.concurrency, 3,
        "the file overrides what it extends"
    );
    assert_eq!(s.file.service.timeout_ms, 1000.0, "inherited");
    assert_eq!(s.file.service.queue_limit, 10_000, "built-in default");
    assert_eq!(s.file.description, "parent");
    let env = vec![("MESHSIM_SERVICE__CONCURRENCY".to_string(), "4".to_string())];
    let s = scenario::resolve(c, &env, &[], &book).unwrap();
    assert_eq!(
        s.file.service.concurrency, 4,
        "environment overrides the file"
    );
    let s = scenario::resolve(c, &env, &["service.concurrency=5".into()], &book).unwrap();
    assert_eq!(
        s.file.service.concurrency, 5,
        "--set overrides the environment"
    );
    let e = scenario::resolve(c, &[], &["scaling.min=9".into()], &book).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("--set scaling.min=9") && text.contains("greater than max"),
        "{text}"
    );
}

#[test]
fn extends_cycles_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.toml"), "extends = \"b.toml\"\n").unwrap();
    std::fs::write(tmp.path().join("b.toml"), "extends = \"a.toml\"\n").unwrap();
    let e = load::load(tmp.path().join("a.toml").to_str().unwrap(), &[], &[]).unwrap_err();
    assert!(e.to_string().contains("cycle"), "{e}");
}

#[test]
fn diff_shows_key_by_key_differences() {
    let a = load::load("steady", &[], &[]).unwrap();
    let b = load::load("cost-optimized", &[], &[]).unwrap();
    let d = scenario::diff(&a.file, &b.file);
    let find = |k: &str| d.iter().find(|x| x.0 == k).cloned();
    assert_eq!(
        find("scaling.max"),
        Some(("scaling.max".into(), Some("4".into()), Some("3".into())))
    );
    assert_eq!(
        find("capacity.platform"),
        Some((
            "capacity.platform".into(),
            Some("\"fargate\"".into()),
            Some("\"ec2\"".into())
        ))
    );
    assert_eq!(find("scaling.schedule[0].cron").unwrap().1, None);
    assert!(
        find("service.concurrency").is_none(),
        "equal values are not differences"
    );
}

#[test]
fn i2s_scenarios_carry_the_documents_hpas() {
    // ../shared/seeds/003_ae843b2d052dc624.txt: staging conductor-hpa 2-6 on CPU 70 % /
    // memory 80 %; production conductor-custom-hpa 3-20, scale-down 25 % per 60 s (Min).
    use meshsim::model::autoscaler::hpa::spec::{MetricSpec, PolicyKind, SelectPolicy, Target};
    let book = PriceBook::builtin();
    let st = scenario::resolve("i2s-staging", &[], &[], &book).unwrap();
    assert_eq!((st.file.scaling.min, st.file.scaling.max), (2, 6));
    let h = st.hpa.as_ref().unwrap();
    assert!(matches!(
        h.spec.metrics[0],
        MetricSpec::Resource {
            target: Target::Utilization(70),
            ..
        }
    ));
    assert!(matches!(
        h.spec.metrics[1],
        MetricSpec::Resource {
            target: Target::Utilization(80),
            ..
        }
    ));
    let pr = scenario::resolve("i2s-production", &[], &[], &book).unwrap();
    assert_eq!((pr.file.scaling.min, pr.file.scaling.max), (3, 20));
    let h = pr.hpa.as_ref().unwrap();
    let down = h.spec.behavior.as_ref().unwrap().scale_down_rules(300);
    assert_eq!(
        (
            down.policies[0].kind,
            down.policies[0].value,
            down.policies[0].period_s
        ),
        (PolicyKind::Percent, 25, 60)
    );
    assert_eq!(down.select_policy, SelectPolicy::Min);
    assert_eq!(h.spec.metrics.len(), 4);
    // --set still overrides the manifest's bounds.
    let s = scenario::resolve("i2s-production", &[], &["scaling.max=8".into()], &book).unwrap();
    assert_eq!(s.file.scaling.max, 8);
}

#[test]
fn bad_autoscaling_input_names_file_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let book = PriceBook::builtin();
    let write = |name: &str, text: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let base = "[capacity]\ncpu = 0.25\nmemory_gb = 0.5\n[scaling]\nmin = 1\nmax = 4\n";
    // A manifest with a negative target, referenced from a scenario.
    write(
        "neg.yaml",
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\nspec:\n  maxReplicas: 4\n  metrics:\n  - type: External\n    external: {metric: {name: q}, target: {type: AverageValue, averageValue: \"-5\"}}\n",
    );
    let sc = write(
        "a.toml",
        &format!(
            "{base}[scaling.hpa]\nmanifest = \"neg.yaml\"\nmetric_sources = {{ q = \"queue_depth\" }}\n"
        ),
    );
    let e = scenario::resolve(&sc, &[], &[], &book)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("a.toml")
            && e.contains("scaling.hpa.manifest")
            && e.contains("neg.yaml")
            && e.contains("averageValue"),
        "{e}"
    );
    // A custom metric without a source.
    write(
        "nosrc.yaml",
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\nspec:\n  maxReplicas: 4\n  metrics:\n  - type: External\n    external: {metric: {name: q}, target: {type: Value, value: 5}}\n",
    );
    let sc = write(
        "b.toml",
        &format!("{base}[scaling.hpa]\nmanifest = \"nosrc.yaml\"\n"),
    );
    let e = scenario::resolve(&sc, &[], &[], &book)
        .unwrap_err()
        .to_string();
    assert!(e.contains("metric_sources.q"), "{e}");
    // An invalid cron expression and an unknown time zone, reported together.
    let sc = write(
        "c.toml",
        &format!(
            "timezone = \"Mars/Olympus\"\n{base}[[scaling.schedule]]\ncron = \"0 25 * * *\"\nmin = 1\n"
        ),
    );
    let e = scenario::resolve(&sc, &[], &[], &book)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("c.toml:") && e.contains("scaling.schedule[0].cron") && e.contains("timezone"),
        "{e}"
    );
    // Two autoscalers at once.
    let sc = write(
        "d.toml",
        &format!(
            "{base}[scaling.target_tracking]\nmetric = \"cpu\"\ntarget = 50\n[scaling.queue]\nqueue_length = 5\n"
        ),
    );
    let e = scenario::resolve(&sc, &[], &[], &book)
        .unwrap_err()
        .to_string();
    assert!(e.contains("more than one autoscaler"), "{e}");
}

#[test]
fn diagnyx_month_costs_by_hand_and_the_production_budget_alert() {
    use meshsim::engine::ArrivalProcess;
    use meshsim::trace::r#gen::{GenSpec, Pattern, generate, write_csv};
    // A steady low trace (0.5 rps) for the 30 days of November 2025.
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("low.csv");
    let rows = generate(&GenSpec {
        pattern: Pattern::Constant,
        mean_rps: 0.5,
        peak_rps: None,
        duration_s: 30.0 * 86400.0,
        interval_s: 600.0,
        seed: 1,
        start: "2025-11-01T00:00:00Z".parse().unwrap(),
        noise: 0.0,
    })
    .unwrap();
    write_csv(std::fs::File::create(&trace).unwrap(), &rows).unwrap();
    let book = PriceBook::builtin();
    let run = |name: &str| {
        let sc = scenario::resolve(name, &[], &[], &book).unwrap();
        meshsim::run::run_file(&sc, &trace, 1, ArrivalProcess::Poisson)
            .unwrap()
            .0
    };
    // Production: db.t4g.small Multi-AZ $0.065/h × 720 h = $46.80, plus 50 GB gp3
    // Multi-AZ $0.23/GB-month × 50 × 720/730 = $11.3425; one task on one
    // t4g.small container instance all month (the load never reaches the CPU
    // target; CapacityProviderReservation stays 1/1 = 100 %) $0.0168 × 720 = $12.096.
    let p = run("diagnyx-production");
    assert!((p.summary.fixed.database_usd - (46.80 + 0.23 * 50.0 * 720.0 / 730.0)).abs() < 1e-6);
    assert!((p.summary.cost_compute_usd - 0.0168 * 720.0).abs() < 1e-6);
    assert_eq!(p.nodes.len(), 1);
    // $70.2385 a month against an $80 budget: 80 % ($64) is crossed after
    // 64 / (70.2385 / 720) = 656.1 h; the next 8-hourly evaluation is at 664 h.
    assert_eq!(p.alerts.len(), 1, "{:?}", p.alerts);
    assert_eq!(
        (p.alerts[0].name.as_str(), p.alerts[0].kind.as_str()),
        ("monthly", "budget_actual")
    );
    assert_eq!(p.alerts[0].t_us / 3_600_000_000, 664);
    assert!(!p.alerts[0].projected);
    // UAT: db.t4g.micro $0.016 × 720 + 30 GB × $0.115 × 720/730; one t4g.micro.
    let u = run("diagnyx-uat");
    assert!(
        (u.summary.fixed.database_usd - (0.016 * 720.0 + 0.115 * 30.0 * 720.0 / 730.0)).abs()
            < 1e-6
    );
    assert!((u.summary.cost_compute_usd - 0.0084 * 720.0).abs() < 1e-6);
    assert!(u.alerts.is_empty());
    // Dev: the task is wanted 08:00-20:00 on the 20 weekdays of November 2025.
    // From 08:00 it is PROVISIONING (no instance). Managed scaling reads each
    // minute's CapacityProviderReservation after the minute: 08:00-08:01
    // ends at 200 % (N = 0, M = 1), so a t4g.micro is launched at 08:01. At
    // 20:00 the task stops; the minutes ending 20:01 ... 20:15 are at 0 %,
    // and the 15th below target removes the empty instance at 20:15. So
    // 20 × 12 h 14 min × $0.0084 = $2.0552.
    let d = run("diagnyx-dev");
    assert!(
        (d.summary.cost_compute_usd - 20.0 * (12.0 + 14.0 / 60.0) * 0.0084).abs() < 1e-6,
        "{}",
        d.summary.cost_compute_usd
    );
    assert_eq!(d.nodes.len(), 20);
    for n in &d.nodes {
        let h = |us: u64| (us / 3_600_000_000) % 24;
        assert_eq!(h(n.launched_us), 8, "{n:?}");
        assert_eq!(n.launched_us % 3_600_000_000, 60_000_000, "{n:?}");
        assert_eq!(
            n.removed_us.unwrap() - n.launched_us,
            12 * 3_600_000_000 + 14 * 60_000_000
        );
    }
}

#[test]
fn the_seeds_bedrock_limits_are_in_their_scenarios() {
    // ../shared/seeds/000_173cc7b48eed3f72.txt: BEDROCK_SESSION_LIMIT / GLOBAL_COST_LIMIT.
    let book = PriceBook::builtin();
    for (name, session, daily) in [
        ("development", 0.05, 1.00),
        ("small-team", 0.25, 50.00),
        ("cost-optimized", 0.01, 10.00),
        ("ai-research", 100.00, 10_000.00),
        ("enterprise", 10.00, 5_000.00),
    ] {
        let s = scenario::resolve(name, &[], &[], &book).unwrap();
        let l = s
            .llm
            .as_ref()
            .unwrap_or_else(|| panic!("{name} has no [llm]"));
        assert_eq!(
            (l.session_limit_usd, l.daily_limit_usd),
            (Some(session), Some(daily)),
            "{name}"
        );
    }
    // cost-optimized: cheapest_always with Claude 3 Opus disabled (GPT-4 is not on Bedrock: a warning).
    let co = scenario::resolve("cost-optimized", &[], &[], &book).unwrap();
    assert!(
        !co.llm
            .as_ref()
            .unwrap()
            .models
            .iter()
            .any(|m| m.id.contains("opus"))
    );
    assert!(co.warnings.iter().any(|w| w.contains("gpt-4")));
}

/// Every built-in scenario validates and runs on a short trace: requests are
/// conserved, cost and latency are finite and positive, and a multi-region
/// run's regions add up to the whole.
#[test]
fn every_builtin_scenario_runs_on_a_short_trace() {
    use meshsim::engine::ArrivalProcess;
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("two-hours.csv");
    let rows = meshsim::trace::r#gen::generate(&meshsim::trace::r#gen::GenSpec {
        pattern: meshsim::trace::r#gen::Pattern::Spike,
        mean_rps: 20.0,
        peak_rps: None,
        duration_s: 7200.0,
        interval_s: 60.0,
        seed: 3,
        start: "2025-11-28T14:00:00Z".parse().unwrap(),
        noise: 0.03,
    })
    .unwrap();
    meshsim::trace::r#gen::write_csv(std::fs::File::create(&trace).unwrap(), &rows).unwrap();
    let book = PriceBook::builtin();
    let names = builtin::names();
    assert!(names.len() >= 23, "{names:?}");
    for name in names {
        let sc = scenario::resolve(name, &[], &[], &book).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (o, _) = meshsim::run::run_file(&sc, &trace, 1, ArrivalProcess::Poisson)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let s = &o.summary;
        assert!(
            s.requests_arrived > 100_000,
            "{name}: {}",
            s.requests_arrived
        );
        assert_eq!(
            s.requests_arrived,
            s.requests_served + s.requests_dropped + s.requests_rejected + s.requests_in_flight,
            "{name}: conservation"
        );
        let cost = s.cost_total_usd();
        assert!(cost.is_finite() && cost > 0.0, "{name}: cost {cost}");
        let p95 = s.latency_p95_ms.unwrap_or(f64::NAN);
        assert!(p95.is_finite() && p95 > 0.0, "{name}: p95 {p95}");
        let last = o.timeline.last().unwrap();
        assert!(
            (last.cost_total_usd() - cost).abs() <= 1e-6 * cost.max(1.0),
            "{name}: timeline cost"
        );
        if !sc.regions.is_empty() {
            assert_eq!(o.regions.len(), sc.regions.len());
            let sum = |f: fn(&meshsim::metrics::Summary) -> u64| {
                o.regions.iter().map(|r| f(&r.outcome.summary)).sum::<u64>()
            };
            assert_eq!(sum(|x| x.requests_arrived), s.requests_arrived, "{name}");
            assert_eq!(sum(|x| x.requests_served), s.requests_served, "{name}");
            let c: f64 = o
                .regions
                .iter()
                .map(|r| r.outcome.summary.cost_total_usd())
                .sum();
            assert!(
                (c - cost).abs() <= 1e-9 * cost.max(1.0),
                "{name}: {c} vs {cost}"
            );
        }
    }
}

/// A few numbers of each seed document, verbatim in its scenarios.
#[test]
fn each_documents_numbers_are_in_its_scenarios() {
    let book = PriceBook::builtin();
    let r = |n: &str| scenario::resolve(n, &[], &[], &book).unwrap_or_else(|e| panic!("{n}: {e}"));
    // 000 Configuration Scenarios Guide.
    let co = r("cost-optimized");
    let tt = co.file.scaling.target_tracking.as_ref().unwrap();
    assert_eq!(
        (tt.target, tt.scale_out_cooldown_s, tt.scale_in_cooldown_s),
        (80.0, 60.0, 300.0)
    );
    assert_eq!((co.file.scaling.min, co.file.scaling.max), (1, 3));
    let ent = r("enterprise");
    assert_eq!(ent.file.service.concurrency, 50); // WORKER_CONCURRENCY=50
    assert_eq!(ent.file.service.timeout_ms, 10_000.0); // HTTP_TIMEOUT=10s
    assert_eq!(
        ent.file.llm.as_ref().unwrap().strategy.as_deref(),
        Some("performance_optimized")
    );
    let names: Vec<&str> = ent.regions.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["us-east-1", "us-west-2", "eu-west-1"]); // AWS_REGIONS
    let primary_db = ent.regions[0]
        .scenario
        .file
        .fixed
        .as_ref()
        .unwrap()
        .rds
        .as_ref()
        .unwrap();
    assert_eq!(
        (primary_db.class.as_str(), primary_db.read_replicas + 1),
        ("db.r6g.2xlarge", 3)
    );
    let hp = r("high-performance");
    assert_eq!(
        hp.file.capacity.instance_type.as_deref(),
        Some("c6i.8xlarge")
    );
    assert_eq!(
        (hp.file.scaling.min, hp.file.service.concurrency),
        (10, 200)
    ); // replicas: 10, WORKER_POOL_SIZE=200
    let mr = r("multi-region");
    assert_eq!(mr.file.region, "us-east-1"); // PRIMARY_REGION
    assert!(mr.file.replication.is_some()); // ENABLE_DB_REPLICATION=true
    let eu = mr.regions.iter().find(|x| x.name == "eu-west-1").unwrap();
    // EU_BEDROCK_MODELS=claude-3-haiku
    assert!(
        eu.scenario
            .file
            .llm
            .as_ref()
            .unwrap()
            .model
            .as_deref()
            .unwrap()
            .contains("claude-3-haiku")
    );
    let edge = r("edge");
    assert_eq!(edge.file.service.queue_limit, 10_000); // OFFLINE_QUEUE_SIZE=10000
    let locations: Vec<&str> = edge.regions.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(locations, ["edge-nyc", "edge-lax", "edge-chi"]); // EDGE_LOCATIONS
    assert_eq!(
        r("ai-research").file.capacity.instance_type.as_deref(),
        Some("p4d.24xlarge")
    );
    // 001 Diagnyx: budgets and database classes.
    let prod = r("diagnyx-production");
    assert_eq!(prod.budgets[0].monthly_usd, 80.0);
    assert_eq!(prod.budgets[1].monthly_usd, 50.0);
    assert_eq!(
        prod.file
            .fixed
            .as_ref()
            .unwrap()
            .rds
            .as_ref()
            .unwrap()
            .class,
        "db.t4g.small"
    );
    assert_eq!(r("diagnyx-dev").budgets[0].monthly_usd, 30.0);
    // 003 I2S: the production HPA's 3-20 replicas and 25 % per 60 s scale-down.
    let i2s = r("i2s-production");
    let hpa = &i2s.hpa.as_ref().unwrap().spec;
    assert_eq!((hpa.min_replicas, hpa.max_replicas), (3, 20));
    let down = format!("{:?}", hpa.behavior.as_ref().unwrap());
    assert!(down.contains("25") && down.contains("60"), "{down}");
    // 004 patterns: resource-based 80 % CPU and 90 % memory, queue-based KEDA.
    let pr = r("pattern-resource");
    let m = format!("{:?}", pr.hpa.as_ref().unwrap().spec.metrics);
    assert!(m.contains("80") && m.contains("90"), "{m}");
    assert!(r("pattern-queue").keda.is_some());
    assert!(!r("pattern-schedule").schedules.is_empty());
    assert_eq!(r("tier-minimal").file.capacity.cpu, Some(0.25));
}

#[test]
fn a_child_naming_another_distribution_replaces_the_parents_table() {
    // i2s-staging's service time is lognormal (mean_ms, cv) and its nodes'
    // provisioning a lognormal (mean_s, cv): a child switching either to
    // another `dist` gets exactly what it wrote, not a uniform with a stray
    // `cv`. A table without `dist` still merges key by key.
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("child.toml");
    std::fs::write(
        &p,
        "extends = \"i2s-staging\"\n[service]\nservice_time = { dist = \"constant\", mean_ms = 50 }\n[cluster]\nprovisioning_s = { dist = \"uniform\", min_s = 30, max_s = 90 }\n",
    )
    .unwrap();
    let book = PriceBook::builtin();
    let s = scenario::resolve(p.to_str().unwrap(), &[], &[], &book).unwrap();
    assert_eq!(
        s.file.service.service_time,
        meshsim::model::service::ServiceTime::Constant { mean_ms: 50.0 }
    );
    assert_eq!(
        s.cluster.unwrap().provisioning,
        meshsim::model::cluster::Delay::Dist(meshsim::model::cluster::DelayDist::Uniform {
            min_s: 30.0,
            max_s: 90.0
        })
    );
    let s = scenario::resolve(
        "i2s-staging",
        &[],
        &["service.service_time.cv=2.0".into()],
        &book,
    )
    .unwrap();
    assert_eq!(
        s.file.service.service_time,
        meshsim::model::service::ServiceTime::Lognormal {
            mean_ms: 150.0,
            cv: 2.0
        }
    );
}
