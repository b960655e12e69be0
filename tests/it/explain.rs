//! `meshsim explain RUN_DIR --at TIME`: the decision of a past run, with what
//! the controller saw, from the run folder's summary.json alone.

use super::meshsim;
use std::path::Path;

fn json(o: &std::process::Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn run(dir: &Path, scenario: &str, trace: &str, out: &str) {
    let o = meshsim(
        &[
            "run",
            scenario,
            "--trace",
            trace,
            "--out",
            out,
            "--quiet",
            "--no-charts",
        ],
        dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Every HPA decision of an i2s-staging run on a burst is explained with the
/// view the controller had; `hpa explain` on the printed manifest and state
/// gives the same reconcile again, and the decision is the run's scaling.csv row.
#[test]
fn an_hpa_decision_is_explained_and_replays_with_hpa_explain() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("burst.csv"),
        "timestamp,rps\n2025-11-28T14:00:00Z,5\n2025-11-28T14:05:00Z,200\n2025-11-28T14:20:00Z,5\n2025-11-28T14:40:00Z,5\n",
    )
    .unwrap();
    run(d, "i2s-staging", "burst.csv", "r");
    let mut rows = csv::Reader::from_path(d.join("r/scaling.csv")).unwrap();
    let hpa_rows: Vec<csv::StringRecord> = rows
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[2] == "hpa")
        .collect();
    assert!(!hpa_rows.is_empty(), "the burst makes the HPA scale");
    for row in &hpa_rows {
        let t = &row[1];
        let ex = json(&meshsim(&["explain", "r", "--at", t], d));
        assert_eq!(ex["autoscaler"], "hpa");
        assert_eq!(
            ex["sync"]["t_s"].as_f64().unwrap(),
            t.parse::<f64>().unwrap()
        );
        assert_eq!(ex["decision"]["reason"], row[6].to_string());
        assert_eq!(
            ex["replicas"]["after"].as_u64().unwrap(),
            row[4].parse::<u64>().unwrap()
        );
        assert_eq!(ex["scaling_csv"][0]["reason"], row[6].to_string());
        // Replay.
        std::fs::write(d.join("hpa.json"), ex["detail"]["hpa"].to_string()).unwrap();
        std::fs::write(d.join("state.json"), ex["detail"]["state"].to_string()).unwrap();
        let again = json(&meshsim(
            &[
                "hpa",
                "explain",
                "--hpa",
                "hpa.json",
                "--state",
                "state.json",
            ],
            d,
        ));
        assert_eq!(again, ex["detail"]["explain"], "replay at {t}");
        assert_eq!(
            again["desired_replicas"].as_u64().unwrap(),
            row[4].parse::<u64>().unwrap()
        );
    }
    // The same instant by RFC 3339 and by local clock time (i2s-staging is UTC).
    let t: f64 = hpa_rows[0][1].parse().unwrap();
    let rfc = hpa_rows[0][0].to_string();
    let by_secs = json(&meshsim(&["explain", "r", "--at", &hpa_rows[0][1]], d));
    let by_rfc = json(&meshsim(&["explain", "r", "--at", &rfc], d));
    let clock = &rfc[11..19];
    let by_clock = json(&meshsim(&["explain", "r", "--at", clock], d));
    for e in [&by_rfc, &by_clock] {
        assert_eq!(e["sync"]["t_s"].as_f64().unwrap(), t);
        assert_eq!(e["detail"], by_secs["detail"]);
    }
    // Between syncs: the last sync at or before the time (HPA every 15 s).
    let mid = json(&meshsim(
        &["explain", "r", "--at", &format!("{}", t + 7.0)],
        d,
    ));
    assert_eq!(mid["sync"]["t_s"].as_f64().unwrap(), t);
}

/// KEDA: the operator's triggers at the sync, and the HPA it drives. The
/// cron + queue object of `keda::cron_trigger_holds_its_floor…`: at 615 s
/// the HPA goes 1 → 3 on the cron trigger's 3 against a target of 1, the
/// queue trigger reading 0.
#[test]
fn a_keda_decision_shows_every_trigger_and_the_hpa_view() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("t.csv"),
        "timestamp,rps\n2025-01-06T07:50:00Z,0\n2025-01-06T09:30:00Z,0\n",
    )
    .unwrap();
    std::fs::write(
        d.join("so.toml"),
        "[service]\nconcurrency = 10\nservice_time = { dist = \"constant\", mean_ms = 100 }\nstartup_s = 20\n[capacity]\ncpu = 0.25\nmemory_gb = 0.5\n[scaling]\nmin = 0\nmax = 10\n[scaling.queue]\npolling_interval_s = 30\n[[scaling.queue.triggers]]\ntype = \"rabbitmq\"\nvalue = 5\n[[scaling.queue.triggers]]\ntype = \"cron\"\ntimezone = \"UTC\"\nstart = \"0 8 * * *\"\nend = \"0 9 * * *\"\ndesired_replicas = 3\n",
    )
    .unwrap();
    run(d, "so.toml", "t.csv", "r");
    let ex = json(&meshsim(&["explain", "r", "--at", "615"], d));
    assert_eq!(ex["autoscaler"], "keda");
    assert_eq!(ex["decision"]["by"], "keda-hpa");
    assert_eq!(ex["replicas"]["before"], 1);
    assert_eq!(ex["replicas"]["after"], 3);
    let triggers = ex["detail"]["operator"]["triggers"].as_array().unwrap();
    assert_eq!(triggers[0]["metric"], "s0-rabbitmq");
    assert_eq!(triggers[0]["value"], 0.0);
    assert_eq!(triggers[1]["metric"], "s1-cron");
    assert_eq!(triggers[1]["value"], 3.0);
    assert_eq!(triggers[1]["active"], true);
    // 615 s is an HPA sync, not a poll (every 30 s).
    assert_eq!(ex["detail"]["operator"]["polling"], false);
    let hpa = &ex["detail"]["hpa"];
    assert_eq!(hpa["state"]["external_metrics"]["s1-cron"][0], 3.0);
    assert_eq!(hpa["explain"]["desired_replicas"], 3);
    // The activation poll at 600 s: no HPA sync at 0 replicas.
    let ex = json(&meshsim(&["explain", "r", "--at", "600"], d));
    assert_eq!(ex["decision"]["by"], "keda");
    assert!(ex["detail"]["hpa"].is_null());
}

/// Target tracking: the datapoint, both alarms' runs and the cooldowns. A
/// load of 1.2 × the capacity at 80 % CPU (one replica, 10 slots, 100 ms, 96
/// rps = 96 %): datapoints above 80 from the first minute; AlarmHigh fires on
/// the third, at 180 s: ceil(1 × 96 / 80) = 2.
#[test]
fn a_target_tracking_decision_shows_its_alarms_and_cooldowns() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("t.csv"),
        "timestamp,rps\n2025-01-06T08:00:00Z,96\n2025-01-06T08:10:00Z,96\n",
    )
    .unwrap();
    std::fs::write(
        d.join("tt.toml"),
        "[service]\nconcurrency = 10\nservice_time = { dist = \"constant\", mean_ms = 100 }\nstartup_s = 20\n[capacity]\ncpu = 0.25\nmemory_gb = 0.5\n[scaling]\nmin = 1\nmax = 4\n[scaling.target_tracking]\nmetric = \"cpu\"\ntarget = 80\n",
    )
    .unwrap();
    let o = meshsim(
        &[
            "run",
            "tt.toml",
            "--trace",
            "t.csv",
            "--arrivals",
            "uniform",
            "--out",
            "r",
            "--quiet",
            "--no-charts",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ex = json(&meshsim(&["explain", "r", "--at", "180"], d));
    assert_eq!(ex["autoscaler"], "target_tracking");
    let det = &ex["detail"];
    assert_eq!(det["alarm_high"]["consecutive_datapoints_above"], 3);
    assert_eq!(det["alarm_high"]["in_alarm"], true);
    assert!(
        (det["datapoint"].as_f64().unwrap() - 96.0).abs() < 0.5,
        "{det}"
    );
    assert_eq!(det["proposal"], 2.0);
    assert_eq!(ex["replicas"]["after"], 2);
    assert_eq!(det["scale_out_cooldown"]["active"], false);
    // At 200 s the last sync at or before it is still 180 s (one a minute).
    let next = json(&meshsim(&["explain", "r", "--at", "200"], d));
    assert_eq!(next["sync"]["t_s"], 180.0);
}

/// What explain cannot do is said: a time outside the run or not a time, a
/// scenario or trace changed since the run, a scenario without an autoscaler.
#[test]
fn explain_refuses_what_it_cannot_explain() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("t.csv"),
        "timestamp,rps\n2025-01-06T08:00:00Z,5\n2025-01-06T08:10:00Z,5\n",
    )
    .unwrap();
    let tt = "[service]\nconcurrency = 10\nservice_time = { dist = \"constant\", mean_ms = 100 }\n[capacity]\ncpu = 0.25\nmemory_gb = 0.5\n[scaling]\nmin = 1\nmax = 4\n[scaling.target_tracking]\nmetric = \"cpu\"\ntarget = 80\n";
    std::fs::write(d.join("tt.toml"), tt).unwrap();
    run(d, "tt.toml", "t.csv", "r");
    let err = |args: &[&str]| {
        let o = meshsim(args, d);
        assert!(!o.status.success(), "{args:?}");
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    assert!(err(&["explain", "r", "--at", "5000"]).contains("outside the run"));
    assert!(err(&["explain", "r", "--at", "noon"]).contains("is not a time"));
    assert!(err(&["explain", "nowhere", "--at", "60"]).contains("has no summary.json"));
    std::fs::write(d.join("tt.toml"), tt.replace("target = 80", "target = 60")).unwrap();
    assert!(err(&["explain", "r", "--at", "60"]).contains("has changed since the run"));
    std::fs::write(d.join("tt.toml"), tt).unwrap();
    std::fs::write(
        d.join("t.csv"),
        "timestamp,rps\n2025-01-06T08:00:00Z,6\n2025-01-06T08:10:00Z,5\n",
    )
    .unwrap();
    assert!(err(&["explain", "r", "--at", "60"]).contains("trace t.csv has changed"));
    run(d, "steady", "t.csv", "fixed");
    assert!(err(&["explain", "fixed", "--at", "60"]).contains("has no autoscaler"));
}
