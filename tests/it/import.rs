//! `meshsim trace import`: monitoring exports, written by hand in the exact
//! shape the upstream tools emit, become rate traces whose requests and rates
//! `trace info` reads back as computed by hand.

use super::meshsim;

/// `trace info`'s value for a field (`requests`, `mean rate`, …).
fn info_field(out: &str, field: &str) -> String {
    out.lines()
        .find(|l| l.starts_with(field))
        .map(|l| l[field.len()..].trim().to_string())
        .unwrap_or_else(|| panic!("no `{field}` in {out}"))
}

fn import(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let o = meshsim(args, dir);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

/// Prometheus HTTP API, range queries (prometheus.io/docs/prometheus/latest/
/// querying/api/#range-queries): "resultType": "matrix", each series
/// `{"metric": {<label>: <value>}, "values": [[<unix_time>, "<sample_value>"], …]}`.
/// Two instances of `rate(http_requests_total[1m])`, step 60 s.
const PROM: &str = r#"{
   "status" : "success",
   "data" : {
      "resultType" : "matrix",
      "result" : [
         {
            "metric" : { "job" : "api", "instance" : "10.0.0.1:8080" },
            "values" : [ [ 1764338460, "10" ], [ 1764338520, "20" ], [ 1764338580, "30" ], [ 1764338640, "20" ] ]
         },
         {
            "metric" : { "job" : "api", "instance" : "10.0.0.2:8080" },
            "values" : [ [ 1764338460, "1" ], [ 1764338520, "2" ], [ 1764338580, "3" ], [ 1764338640, "2" ] ]
         }
      ]
   }
}"#;

#[test]
fn prometheus_rate_series_become_a_rate_trace() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("prom.json"), PROM).unwrap();
    // One instance: samples at 14:01..14:04 UTC describe the minute before
    // each, so rows start at 14:00. Requests: (10 + 20 + 30 + 20) × 60 = 4800.
    let (ok, out, err) = import(
        d,
        &[
            "trace",
            "import",
            "--from",
            "prometheus",
            "--values",
            "rate",
            "--series",
            "instance=10.0.0.1:8080",
            "prom.json",
            "-o",
            "one.csv",
        ],
    );
    assert!(ok, "{err}");
    let csv = std::fs::read_to_string(d.join("one.csv")).unwrap();
    assert_eq!(
        csv,
        "timestamp,rps\n2025-11-28T14:00:00Z,10\n2025-11-28T14:01:00Z,20\n2025-11-28T14:02:00Z,30\n2025-11-28T14:03:00Z,20\n"
    );
    assert_eq!(info_field(&out, "requests"), "4800");
    assert_eq!(info_field(&out, "mean rate"), "20.000 rps");
    // What trace info says of the written file is what the import printed.
    let again = meshsim(&["trace", "info", "one.csv"], d);
    assert_eq!(String::from_utf8_lossy(&again.stdout), out);
    // --sum: (11 + 22 + 33 + 22) × 60 = 5280.
    let (ok, out, err) = import(
        d,
        &[
            "trace",
            "import",
            "--from",
            "prometheus",
            "--values",
            "rate",
            "--sum",
            "prom.json",
            "-o",
            "sum.csv",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(info_field(&out, "requests"), "5280");
    assert_eq!(info_field(&out, "peak rate"), "33.000 rps (row)");
    // increase(...[1m]) is a count per step: the same numbers are requests
    // per minute: 10 + 20 + 30 + 20 = 80.
    let (ok, out, err) = import(
        d,
        &[
            "trace",
            "import",
            "--from",
            "prometheus",
            "--values",
            "count",
            "--series",
            "instance=10.0.0.1:8080",
            "prom.json",
            "-o",
            "count.csv",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        std::fs::read_to_string(d.join("count.csv"))
            .unwrap()
            .starts_with("timestamp,count\n")
    );
    assert_eq!(info_field(&out, "requests"), "80");
}

#[test]
fn prometheus_exports_that_are_not_what_they_should_be_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("prom.json"), PROM).unwrap();
    let err = |file: &str, extra: &[&str]| {
        let mut args = vec![
            "trace",
            "import",
            "--from",
            "prometheus",
            file,
            "-o",
            "x.csv",
        ];
        args.extend_from_slice(extra);
        let (ok, _, err) = import(d, &args);
        assert!(!ok, "{args:?}");
        assert!(!d.join("x.csv").exists(), "no output on error");
        err
    };
    assert!(err("prom.json", &[]).contains("needs --values rate"));
    // Handed to --trace as it is, the export is recognised and the way to
    // convert it named (not quoted whole as a CSV header).
    let o = meshsim(&["run", "steady", "--trace", "prom.json", "--out", "r"], d);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && e.contains("meshsim trace import --from prometheus"),
        "{e}"
    );
    assert!(err("prom.json", &["--values", "rate"]).contains("2 series: pick one with --series"));
    assert!(
        err("prom.json", &["--values", "rate", "--series", "job=web"])
            .contains("no series matches --series")
    );
    // Truncated JSON: the line is named.
    std::fs::write(d.join("cut.json"), &PROM[..PROM.len() / 2]).unwrap();
    let e = err("cut.json", &["--values", "rate"]);
    assert!(
        e.contains("cut.json (read as --from prometheus): line "),
        "{e}"
    );
    // An instant query's response is a vector.
    std::fs::write(d.join("vec.json"), PROM.replace("\"matrix\"", "\"vector\"")).unwrap();
    assert!(err("vec.json", &["--values", "rate"]).contains("resultType is `vector`"));
    // A NaN sample.
    std::fs::write(d.join("nan.json"), PROM.replace("\"30\"", "\"NaN\"")).unwrap();
    let e = err("nan.json", &["--values", "rate", "--sum"]);
    assert!(e.contains("data.result[0].values[2]"), "{e}");
}

/// `aws cloudwatch get-metric-statistics` output (AWS CLI reference,
/// get-metric-statistics, Output: Label, Datapoints[] with Timestamp, Sum,
/// Unit), unordered, ALB RequestCount Sum per 60 s; the 14:01 period has no
/// datapoint (no requests), so it is written as 0.
/// Requests: 600 + 0 + 1200 + 300 = 2100 over 4 minutes.
#[test]
fn cloudwatch_statistics_and_metric_data_become_count_traces() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("stats.json"),
        r#"{
    "Label": "RequestCount",
    "Datapoints": [
        {
            "Timestamp": "2025-11-28T14:02:00+00:00",
            "Sum": 1200.0,
            "Unit": "Count"
        },
        {
            "Timestamp": "2025-11-28T14:00:00+00:00",
            "Sum": 600.0,
            "Unit": "Count"
        },
        {
            "Timestamp": "2025-11-28T14:03:00+00:00",
            "Sum": 300.0,
            "Unit": "Count"
        }
    ]
}
"#,
    )
    .unwrap();
    let (ok, out, err) = import(
        d,
        &[
            "trace",
            "import",
            "--from",
            "cloudwatch",
            "stats.json",
            "-o",
            "cw.csv",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read_to_string(d.join("cw.csv")).unwrap(),
        "timestamp,count\n2025-11-28T14:00:00Z,600\n2025-11-28T14:01:00Z,0\n2025-11-28T14:02:00Z,1200\n2025-11-28T14:03:00Z,300\n"
    );
    assert!(
        err.contains("1 period(s) without a datapoint written as 0"),
        "{err}"
    );
    assert_eq!(info_field(&out, "requests"), "2100");
    assert_eq!(info_field(&out, "mean rate"), "8.750 rps"); // 2100 / 240 s
    // get-metric-data (AWS CLI reference, get-metric-data, Output:
    // MetricDataResults[] with Id, Label, Timestamps, Values, StatusCode),
    // newest first: the same series.
    std::fs::write(
        d.join("data.json"),
        r#"{
    "MetricDataResults": [
        {
            "Id": "m1",
            "Label": "RequestCount",
            "Timestamps": [
                "2025-11-28T14:03:00+00:00",
                "2025-11-28T14:02:00+00:00",
                "2025-11-28T14:00:00+00:00"
            ],
            "Values": [
                300.0,
                1200.0,
                600.0
            ],
            "StatusCode": "Complete"
        }
    ],
    "Messages": []
}
"#,
    )
    .unwrap();
    let (ok, out2, err) = import(
        d,
        &[
            "trace",
            "import",
            "--from",
            "cloudwatch",
            "data.json",
            "-o",
            "cw2.csv",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read_to_string(d.join("cw2.csv")).unwrap(),
        std::fs::read_to_string(d.join("cw.csv")).unwrap()
    );
    assert_eq!(info_field(&out2, "requests"), "2100");
    // Not a CloudWatch export, a non-count unit, a broken file: refused with the place.
    let refuse = |name: &str, text: &str, needle: &str| {
        std::fs::write(d.join(name), text).unwrap();
        let (ok, _, err) = import(
            d,
            &[
                "trace",
                "import",
                "--from",
                "cloudwatch",
                name,
                "-o",
                "bad.csv",
            ],
        );
        assert!(!ok && err.contains(needle), "{name}: {err}");
    };
    refuse("prom.json", PROM, "neither `Datapoints`");
    refuse(
        "unit.json",
        r#"{"Datapoints":[{"Timestamp":"2025-11-28T14:00:00Z","Sum":1.0,"Unit":"Seconds"},{"Timestamp":"2025-11-28T14:01:00Z","Sum":1.0,"Unit":"Seconds"}]}"#,
        "Datapoints[0].Unit is `Seconds`",
    );
    refuse(
        "broken.json",
        "{\n  \"Datapoints\": [\n    {\"Timestamp\": }\n",
        "line 3",
    );
}
