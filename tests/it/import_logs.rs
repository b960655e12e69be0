//! `trace import` of Grafana and CloudWatch CSV, access logs (ALB, Common
//! Log Format) and JSON lines, each on a file written by hand in the exact
//! shape the upstream tool emits; and the same files given to `--trace`
//! directly where they are unambiguous.

use super::meshsim;

fn info_field(out: &str, field: &str) -> String {
    out.lines()
        .find(|l| l.starts_with(field))
        .map(|l| l[field.len()..].trim().to_string())
        .unwrap_or_else(|| panic!("no `{field}` in {out}"))
}

fn run(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let o = meshsim(args, dir);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

/// Grafana's panel CSV download (`@grafana/data` `toCSV`, called by
/// `public/app/features/inspector/utils/download.ts`
/// `downloadDataFrameAsCsv`): a byte-order mark, then each field's display
/// name in double quotes (`csv += \`"${getFieldDisplayName(...)}"\``), rows
/// joined by `config.newline` = `'\r\n'`, a blank line after the frame;
/// with "Formatted data" each value is `formattedValueToString(display(v))`
/// — times as the dashboard shows them (`YYYY-MM-DD HH:mm:ss`, its time
/// zone), numbers with their unit. Two series of `rate(...)` joined by
/// time, unit `reqps`, dashboard zone Europe/Berlin (UTC+1 in November).
const GRAFANA: &str = "\u{feff}\"Time\",\"{instance=\"\"10.0.0.1:8080\"\", job=\"\"api\"\"}\",\"{instance=\"\"10.0.0.2:8080\"\", job=\"\"api\"\"}\"\r\n\
2025-11-28 15:01:00,10 req/s,1 req/s\r\n\
2025-11-28 15:02:00,20 req/s,2 req/s\r\n\
2025-11-28 15:03:00,30 req/s,3 req/s\r\n\
2025-11-28 15:04:00,20 req/s,2 req/s\r\n\
\r\n";

#[test]
fn grafana_panel_csv_becomes_a_rate_trace() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("panel.csv"), GRAFANA).unwrap();
    let base = [
        "trace",
        "import",
        "--from",
        "grafana",
        "panel.csv",
        "--values",
        "rate",
    ];
    // Local times without a zone: refused, naming the line and the flag.
    let (ok, _, err) = run(
        d,
        &[
            &base[..],
            &["--series", "instance=10.0.0.1:8080", "-o", "t.csv"],
        ]
        .concat(),
    );
    assert!(!ok);
    assert!(
        err.contains("line 2") && err.contains("--timezone"),
        "{err}"
    );
    // Two series: pick one or sum.
    let (ok, _, err) = run(
        d,
        &[&base[..], &["--timezone", "Europe/Berlin", "-o", "t.csv"]].concat(),
    );
    assert!(!ok);
    assert!(
        err.contains("2 value columns") && err.contains("--sum"),
        "{err}"
    );
    // 15:01 Berlin = 14:01 UTC; each row describes the minute before it
    // (a Prometheus panel), so rows start at 14:00. Requests (10 + 20 + 30
    // + 20) × 60 = 4800, as the Prometheus import of the same series.
    let (ok, out, err) = run(
        d,
        &[
            &base[..],
            &[
                "--timezone",
                "Europe/Berlin",
                "--series",
                "instance=10.0.0.1:8080",
                "-o",
                "one.csv",
            ],
        ]
        .concat(),
    );
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read_to_string(d.join("one.csv")).unwrap(),
        "timestamp,rps\n2025-11-28T14:00:00Z,10\n2025-11-28T14:01:00Z,20\n2025-11-28T14:02:00Z,30\n2025-11-28T14:03:00Z,20\n"
    );
    assert_eq!(info_field(&out, "requests"), "4800");
    let again = meshsim(&["trace", "info", "one.csv"], d);
    assert_eq!(String::from_utf8_lossy(&again.stdout), out);
    // --sum: (11 + 22 + 33 + 22) × 60 = 5280; --sample-at start keeps the times.
    let (ok, out, err) = run(
        d,
        &[
            &base[..],
            &[
                "--timezone",
                "Europe/Berlin",
                "--sum",
                "--sample-at",
                "start",
                "-o",
                "sum.csv",
            ],
        ]
        .concat(),
    );
    assert!(ok, "{err}");
    assert_eq!(info_field(&out, "requests"), "5280");
    assert!(
        std::fs::read_to_string(d.join("sum.csv"))
            .unwrap()
            .starts_with("timestamp,rps\n2025-11-28T14:01:00Z,11\n")
    );
    // Counts with a rate unit are refused (unit check).
    let (ok, _, err) = run(
        d,
        &[
            "trace",
            "import",
            "--from",
            "grafana",
            "panel.csv",
            "--values",
            "count",
            "--timezone",
            "UTC",
            "--sum",
            "-o",
            "c.csv",
        ],
    );
    assert!(!ok);
    assert!(
        err.contains("req/s") && err.contains("--values rate"),
        "{err}"
    );
    // Given to --trace directly it is refused with the command.
    let (ok, _, err) = run(d, &["trace", "info", "panel.csv"]);
    assert!(!ok);
    assert!(err.contains("--from grafana"), "{err}");
}

#[test]
fn grafana_unformatted_times_daylight_saving_and_bad_values() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // "Formatted data" off: Unix milliseconds and raw numbers, one series.
    std::fs::write(
        d.join("raw.csv"),
        "\"Time\",\"requests\"\r\n1764338460000,120\r\n1764338520000,60\r\n1764338580000,0\r\n\r\n",
    )
    .unwrap();
    let (ok, out, err) = run(
        d,
        &[
            "trace",
            "import",
            "--from",
            "grafana",
            "raw.csv",
            "--values",
            "count",
            "-o",
            "raw-out.csv",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(info_field(&out, "requests"), "180"); // 120 + 60 + 0
    // The repeated hour of 2025-10-26 in Berlin (CEST → CET at 03:00 CEST):
    // 01:30 CEST = 23:30 UTC, 02:00 CEST = 00:00, 02:30 CEST = 00:30, then
    // 02:00 CET = 01:00, 02:30 CET = 01:30, 03:00 CET = 02:00. Rows 30 min
    // apart throughout; sampled at the start of their half hour.
    std::fs::write(
        d.join("dst.csv"),
        "\"Time\",\"rps\"\r\n2025-10-26 01:30:00,1\r\n2025-10-26 02:00:00,2\r\n2025-10-26 02:30:00,3\r\n2025-10-26 02:00:00,4\r\n2025-10-26 02:30:00,5\r\n2025-10-26 03:00:00,6\r\n\r\n",
    )
    .unwrap();
    let (ok, out, err) = run(
        d,
        &[
            "trace",
            "import",
            "--from",
            "grafana",
            "dst.csv",
            "--values",
            "rate",
            "--timezone",
            "Europe/Berlin",
            "--sample-at",
            "start",
            "-o",
            "dst-out.csv",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read_to_string(d.join("dst-out.csv")).unwrap(),
        "timestamp,rps\n2025-10-25T23:30:00Z,1\n2025-10-26T00:00:00Z,2\n2025-10-26T00:30:00Z,3\n2025-10-26T01:00:00Z,4\n2025-10-26T01:30:00Z,5\n2025-10-26T02:00:00Z,6\n"
    );
    // (1+2+3+4+5+6) × 1800 = 37800 requests.
    assert_eq!(info_field(&out, "requests"), "37800");
    // A latency panel: its unit names the line.
    std::fs::write(
        d.join("lat.csv"),
        "\"Time\",\"p95\"\r\n2025-11-28 15:01:00,120 ms\r\n2025-11-28 15:02:00,130 ms\r\n",
    )
    .unwrap();
    let (ok, _, err) = run(
        d,
        &[
            "trace",
            "import",
            "--from",
            "grafana",
            "lat.csv",
            "--values",
            "rate",
            "--timezone",
            "UTC",
            "-o",
            "x.csv",
        ],
    );
    assert!(!ok);
    assert!(err.contains("line 2") && err.contains("`ms`"), "{err}");
    assert!(!d.join("x.csv").exists());
}

/// The CloudWatch console's CSV download of a graph of `RequestCount`, Sum
/// per minute: a `Timestamp` column and the statistic; periods without
/// requests are missing, as in the API output.
#[test]
fn cloudwatch_console_csv_is_a_count_per_period_imported_or_read_directly() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("cw.csv"),
        "Timestamp,Sum\n2025-11-28 14:00:00,600\n2025-11-28 14:02:00,1200\n2025-11-28 14:03:00,300\n",
    )
    .unwrap();
    let (ok, out, err) = run(
        d,
        &[
            "trace",
            "import",
            "--from",
            "cloudwatch",
            "cw.csv",
            "-o",
            "t.csv",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read_to_string(d.join("t.csv")).unwrap(),
        "timestamp,count\n2025-11-28T14:00:00Z,600\n2025-11-28T14:01:00Z,0\n2025-11-28T14:02:00Z,1200\n2025-11-28T14:03:00Z,300\n"
    );
    assert!(err.contains("read as UTC"), "{err}");
    // 2100 requests over 4 minutes: 8.75 rps (the JSON export's numbers).
    assert_eq!(info_field(&out, "requests"), "2100");
    assert_eq!(info_field(&out, "mean rate"), "8.750 rps");
    // `--trace cw.csv` reads it as the import does: the same facts.
    let (ok, direct, err) = run(d, &["trace", "info", "cw.csv"]);
    assert!(ok, "{err}");
    for f in ["rows", "requests", "mean rate", "peak rate", "span"] {
        assert_eq!(info_field(&direct, f), info_field(&out, f), "{f}");
    }
    // An Average is not a count.
    std::fs::write(
        d.join("avg.csv"),
        "Timestamp,Average\n2025-11-28 14:00:00,0.2\n",
    )
    .unwrap();
    let (ok, _, err) = run(
        d,
        &[
            "trace",
            "import",
            "--from",
            "cloudwatch",
            "avg.csv",
            "-o",
            "a.csv",
        ],
    );
    assert!(!ok);
    assert!(err.contains("Average") && err.contains("Sum"), "{err}");
    // A malformed row names its line.
    std::fs::write(
        d.join("bad.csv"),
        "Timestamp,Sum\n2025-11-28 14:00:00,600\n2025-11-28 14:01:00,lots\n",
    )
    .unwrap();
    let (ok, _, err) = run(
        d,
        &[
            "trace",
            "import",
            "--from",
            "cloudwatch",
            "bad.csv",
            "-o",
            "b.csv",
        ],
    );
    assert!(!ok);
    assert!(err.contains("line 3") && err.contains("`lots`"), "{err}");
}

/// ALB access-log entries (Elastic Load Balancing, "Access log entries",
/// "Syntax": `type time elb client:port target:port request_processing_time
/// target_processing_time response_processing_time elb_status_code
/// target_status_code received_bytes sent_bytes "request" "user_agent"
/// ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name"
/// "chosen_cert_arn" matched_rule_priority request_creation_time
/// "actions_executed" "redirect_url" "error_reason" "target:port_list"
/// "target_status_code_list" "classification" "classification_reason"
/// conn_trace_id`), after the guide's "Example HTTP entry". The third was
/// received first (logs are written as responses go out); the fourth was
/// never dispatched (a redirect: target_processing_time -1).
const ALB: &str = r#"http 2025-11-28T14:00:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.120 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2025-11-28T14:00:00.066000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90
https 2025-11-28T14:00:01.086013Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.001 0.080 0.000 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2025-11-28T14:00:01.005000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef91
h2 2025-11-28T14:00:01.200000Z app/my-loadbalancer/50dc6c495c0c9188 10.0.1.252:48160 10.0.0.66:9000 0.000 1.500 0.000 200 200 5 257 "GET https://10.0.2.105:773/ HTTP/2.0" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337327-72bd00b0343d75b906739c42" "-" "-" 1 2025-11-28T13:59:59.700000Z "redirect" "https://example.com:80/" "-" "10.0.0.66:9000" "200" "-" "-" TID_1234abcd5678ef92
http 2025-11-28T14:00:02.000000Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - -1 -1 -1 301 - 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - - "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 0 2025-11-28T14:00:01.990000Z "redirect" "https://www.example.com:443/" "-" "-" "-" "-" "-" TID_1234abcd5678ef93
"#;

#[test]
fn alb_access_logs_become_request_traces_with_service_times() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("alb.log"), ALB).unwrap();
    let (ok, out, err) = run(
        d,
        &[
            "trace", "import", "--from", "alb", "alb.log", "-o", "req.csv",
        ],
    );
    assert!(ok, "{err}");
    // Arrivals are request_creation_time, sorted; service is
    // target_processing_time; the redirect never reached a target.
    assert_eq!(
        std::fs::read_to_string(d.join("req.csv")).unwrap(),
        "timestamp,service_ms\n2025-11-28T13:59:59.7Z,1500\n2025-11-28T14:00:00.066Z,120\n2025-11-28T14:00:01.005Z,80\n"
    );
    assert!(
        err.contains("1 request(s) with target_processing_time -1"),
        "{err}"
    );
    assert!(err.contains("1 line(s) earlier"), "{err}");
    assert_eq!(info_field(&out, "requests"), "3");
    assert_eq!(info_field(&out, "columns"), "service_ms");
    // Given to --trace as is (gzip, as ALB delivers it): the same trace.
    let gz = std::process::Command::new("gzip")
        .arg("-k")
        .arg(d.join("alb.log"))
        .status();
    let (ok, direct, err) = run(
        d,
        &[
            "trace",
            "info",
            if gz.is_ok_and(|s| s.success()) {
                "alb.log.gz"
            } else {
                "alb.log"
            },
        ],
    );
    assert!(ok, "{err}");
    for f in ["rows", "requests", "span", "columns"] {
        assert_eq!(info_field(&direct, f), info_field(&out, f), "{f}");
    }
    // A truncated entry names its line.
    let bad = ALB.lines().take(2).collect::<Vec<_>>().join("\n")
        + "\nhttp 2025-11-28T14:00:03.000000Z app/my-loadbalancer/50dc6c495c0c9188 1.2.3.4:5 10.0.0.1:80 0.000 0.1\n";
    std::fs::write(d.join("bad.log"), bad).unwrap();
    let (ok, _, err) = run(
        d,
        &["trace", "import", "--from", "alb", "bad.log", "-o", "b.csv"],
    );
    assert!(!ok);
    assert!(
        err.contains("line 3") && err.contains("at least 22"),
        "{err}"
    );
    let (ok, _, err) = run(d, &["trace", "info", "bad.log"]);
    assert!(!ok);
    assert!(err.contains("line 3"), "{err}");
}

/// NASA-HTTP (Internet Traffic Archive; `../shared/traces/nasa_http_1995`)
/// lines in the Common Log Format (Apache "Log Files": `"%h %l %u %t
/// \"%r\" %>s %b"`, `%t` = "[day/month/year:hour:minute:second zone]").
const CLF: &str = r#"199.72.81.55 - - [01/Jul/1995:00:00:01 -0400] "GET /history/apollo/ HTTP/1.0" 200 6245
unicomp6.unicomp.net - - [01/Jul/1995:00:00:06 -0400] "GET /shuttle/countdown/ HTTP/1.0" 200 3985
199.120.110.21 - - [01/Jul/1995:00:00:09 -0400] "GET /shuttle/missions/sts-73/mission-sts-73.html HTTP/1.0" 200 4085
burger.letters.com - - [01/Jul/1995:00:00:11 -0400] "GET /shuttle/countdown/liftoff.html HTTP/1.0" 304 0
199.120.110.21 - - [01/Jul/1995:00:00:11 -0400] "GET /shuttle/missions/sts-73/sts-73-patch-small.gif HTTP/1.0" 200 4179
burger.letters.com - - [01/Jul/1995:00:00:12 -0400] "GET /images/NASA-logosmall.gif HTTP/1.0" 304 0
burger.letters.com - - [01/Jul/1995:00:00:11 -0400] "GET /shuttle/countdown/video/livevideo.GIF HTTP/1.0" 200 0
"#;

#[test]
fn common_log_format_becomes_a_request_trace() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("access_log"), CLF).unwrap();
    let (ok, out, err) = run(
        d,
        &[
            "trace",
            "import",
            "--from",
            "clf",
            "access_log",
            "-o",
            "req.csv",
        ],
    );
    assert!(ok, "{err}");
    // 00:00:01 -0400 = 04:00:01 UTC. Three requests in second 11 at
    // 11 + 1/6, 11 + 3/6, 11 + 5/6 s; one in each other second at +0.5 s.
    assert_eq!(
        std::fs::read_to_string(d.join("req.csv")).unwrap(),
        "timestamp\n1995-07-01T04:00:01.5Z\n1995-07-01T04:00:06.5Z\n1995-07-01T04:00:09.5Z\n\
         1995-07-01T04:00:11.166666Z\n1995-07-01T04:00:11.5Z\n1995-07-01T04:00:11.833333Z\n1995-07-01T04:00:12.5Z\n"
    );
    assert_eq!(info_field(&out, "requests"), "7");
    // --trace on the log: the same 7 requests and span.
    let (ok, direct, err) = run(d, &["trace", "info", "access_log"]);
    assert!(ok, "{err}");
    for f in ["rows", "requests", "span", "start"] {
        assert_eq!(info_field(&direct, f), info_field(&out, f), "{f}");
    }
    // A broken line (no closing bracket) names its line; --skip-bad-lines
    // leaves it out and says so.
    let bad = CLF.replace(
        "[01/Jul/1995:00:00:09 -0400]",
        "[01/Jul/1995:00:00:09 -0400",
    );
    std::fs::write(d.join("bad_log"), bad).unwrap();
    let (ok, _, err) = run(
        d,
        &["trace", "import", "--from", "clf", "bad_log", "-o", "b.csv"],
    );
    assert!(!ok);
    assert!(
        err.contains("line 3") && err.contains("not closed"),
        "{err}"
    );
    let (ok, out, err) = run(
        d,
        &[
            "trace",
            "import",
            "--from",
            "clf",
            "bad_log",
            "--skip-bad-lines",
            "-o",
            "b.csv",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(info_field(&out, "requests"), "6");
    assert!(
        err.contains("1 unreadable line(s) skipped") && err.contains("line 3"),
        "{err}"
    );
    // A file that is not CLF at all.
    let (ok, _, err) = run(
        d,
        &["trace", "import", "--from", "clf", "req.csv", "-o", "c.csv"],
    );
    assert!(!ok);
    assert!(err.contains("line 1"), "{err}");
}

/// The Mooncake FAST'25 trace's format (kvcache-ai/Mooncake
/// `FAST25-release/README`: "timestamp … the arrival time in
/// milliseconds", `input_length`, `output_length`, `hash_ids`).
const MOONCAKE: &str = r#"{"timestamp": 0, "input_length": 6758, "output_length": 500, "hash_ids": [0, 1, 2]}
{"timestamp": 250, "input_length": 7322, "output_length": 490, "hash_ids": [0, 3]}
{"timestamp": 2750, "input_length": 2290, "output_length": 316, "hash_ids": [4]}
"#;

#[test]
fn json_lines_traces_are_read_directly_and_imported() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("m.jsonl"), MOONCAKE).unwrap();
    let (ok, direct, err) = run(d, &["trace", "info", "m.jsonl"]);
    assert!(ok, "{err}");
    assert_eq!(info_field(&direct, "requests"), "3");
    assert_eq!(info_field(&direct, "span"), "3 s (0.00 h)"); // last at 2.75 s, rounded up
    assert_eq!(info_field(&direct, "columns"), "tokens");
    assert_eq!(info_field(&direct, "not simulated"), "hash_ids");
    let (ok, out, err) = run(
        d,
        &[
            "trace", "import", "--from", "jsonl", "m.jsonl", "-o", "m.csv",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read_to_string(d.join("m.csv")).unwrap(),
        "timestamp,tokens_in,tokens_out\n1970-01-01T00:00:00Z,6758,500\n1970-01-01T00:00:00.25Z,7322,490\n1970-01-01T00:00:02.75Z,2290,316\n"
    );
    for f in ["rows", "requests", "span", "columns"] {
        assert_eq!(info_field(&direct, f), info_field(&out, f), "{f}");
    }
    // A broken line names its line, directly and on import.
    std::fs::write(
        d.join("bad.jsonl"),
        MOONCAKE.replace("\"output_length\": 490", "\"output_length\": -490"),
    )
    .unwrap();
    for args in [
        &["trace", "info", "bad.jsonl"][..],
        &[
            "trace",
            "import",
            "--from",
            "jsonl",
            "bad.jsonl",
            "-o",
            "b.csv",
        ],
    ] {
        let (ok, _, err) = run(d, args);
        assert!(!ok);
        assert!(
            err.contains("line 2") && err.contains("output_length"),
            "{err}"
        );
    }
    // Out of order: --trace refuses (it streams), import sorts.
    std::fs::write(
        d.join("unsorted.jsonl"),
        MOONCAKE.lines().rev().collect::<Vec<_>>().join("\n"),
    )
    .unwrap();
    let (ok, _, err) = run(d, &["trace", "info", "unsorted.jsonl"]);
    assert!(!ok);
    assert!(
        err.contains("line 2") && err.contains("--from jsonl"),
        "{err}"
    );
    let (ok, out, err) = run(
        d,
        &[
            "trace",
            "import",
            "--from",
            "jsonl",
            "unsorted.jsonl",
            "-o",
            "s.csv",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(info_field(&out, "requests"), "3");
}

/// The real Mooncake conversation trace runs as given: 12,031 requests over
/// 58.9 minutes (its PROVENANCE.md), with their token counts.
#[test]
fn the_mooncake_trace_runs_as_given() {
    let trace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/traces/mooncake_conversation/conversation_trace.jsonl");
    if !trace.exists() {
        eprintln!("SKIPPED: {} is not here", trace.display());
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (ok, out, err) = run(tmp.path(), &["trace", "info", trace.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(info_field(&out, "requests"), "12031");
    assert_eq!(info_field(&out, "span"), "3537 s (0.98 h)"); // last at 3,536.999 s
}

/// `trace transform`: each step on a hand-made rate trace, with the
/// requests computed by hand; `--trace-scale` on a run.
#[test]
fn trace_transform_clips_scales_resamples_and_shifts() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Four 60 s rows: 10, 20, 30, 20 rps = 600 + 1200 + 1800 + 1200 = 4800 requests.
    std::fs::write(
        d.join("t.csv"),
        "timestamp,rps\n2025-11-28T14:00:00Z,10\n2025-11-28T14:01:00Z,20\n2025-11-28T14:02:00Z,30\n2025-11-28T14:03:00Z,20\n",
    )
    .unwrap();
    let tf = |args: &[&str]| {
        run(
            d,
            &[&["trace", "transform", "t.csv", "--force"][..], args].concat(),
        )
    };
    // × 1.5: 7200.
    let (ok, out, err) = tf(&["-o", "s.csv", "--scale", "1.5"]);
    assert!(ok, "{err}");
    assert_eq!(info_field(&out, "requests"), "7200");
    // 2 min rows from the epoch: (600 + 1200)/120 = 15 rps, (1800 + 1200)/120 = 25 rps.
    let (ok, out, err) = tf(&["-o", "r.csv", "--resample", "2m"]);
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read_to_string(d.join("r.csv")).unwrap(),
        "timestamp,rps\n2025-11-28T14:00:00Z,15\n2025-11-28T14:02:00Z,25\n"
    );
    assert_eq!(info_field(&out, "requests"), "4800");
    // Minutes 1 and 2, moved back a day: 1200 + 1800 = 3000.
    let (ok, out, err) = tf(&[
        "-o",
        "c.csv",
        "--clip",
        "1m..2025-11-28T14:03:00Z",
        "--shift",
        "-1d",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read_to_string(d.join("c.csv")).unwrap(),
        "timestamp,rps\n2025-11-27T14:01:00Z,20\n2025-11-27T14:02:00Z,30\n"
    );
    assert_eq!(info_field(&out, "requests"), "3000");
    // Bad values name the flag.
    for (args, want) in [
        (&["-o", "x.csv", "--scale", "0"][..], "--scale"),
        (&["-o", "x.csv", "--shift", "soon"][..], "--shift"),
        (&["-o", "x.csv", "--clip", "5h..6h"][..], "no row"),
    ] {
        let (ok, _, err) = tf(args);
        assert!(!ok);
        assert!(err.contains(want), "{err}");
    }
    // A request trace scaled by 2 has exactly twice the requests, as a run
    // with --trace-scale 2 sees them; 1.5 adds each request's second copy
    // with probability 0.5.
    std::fs::write(d.join("m.jsonl"), MOONCAKE).unwrap();
    let (ok, out, err) = run(
        d,
        &[
            "trace",
            "transform",
            "m.jsonl",
            "-o",
            "m2.csv",
            "--scale",
            "2",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(info_field(&out, "requests"), "6");
    let (ok, _, err) = run(
        d,
        &[
            "run",
            "steady",
            "--trace",
            "t.csv",
            "--trace-scale",
            "2",
            "--no-charts",
            "-q",
            "--out",
            "run2",
        ],
    );
    assert!(ok, "{err}");
    let (ok, _, err) = run(
        d,
        &[
            "run",
            "steady",
            "--trace",
            "t.csv",
            "--no-charts",
            "-q",
            "--out",
            "run1",
        ],
    );
    assert!(ok, "{err}");
    let arrived = |dir: &str| -> f64 {
        let text = std::fs::read_to_string(d.join(dir).join("summary.csv")).unwrap();
        let mut l = text.lines();
        let head: Vec<&str> = l.next().unwrap().split(',').collect();
        let row: Vec<&str> = l.next().unwrap().split(',').collect();
        row[head.iter().position(|h| *h == "requests_arrived").unwrap()]
            .parse()
            .unwrap()
    };
    // Poisson arrivals of twice the rate: 9600 expected, σ ≈ 98.
    let (a1, a2) = (arrived("run1"), arrived("run2"));
    assert!((a1 - 4800.0).abs() < 5.0 * 69.3, "{a1}");
    assert!((a2 - 9600.0).abs() < 5.0 * 98.0, "{a2}");
    // Out of range is a scenario error naming the key.
    let (ok, _, err) = run(
        d,
        &[
            "run",
            "steady",
            "--trace",
            "t.csv",
            "--trace-scale=-1",
            "--out",
            "run3",
        ],
    );
    assert!(!ok);
    assert!(err.contains("trace_scale"), "{err}");
}

/// A CSV trace saved with CRLF line ends (Excel, Windows tools): errors name
/// the same line as for LF files (the csv crate places a record after a CRLF
/// one line early).
#[test]
fn crlf_traces_report_the_right_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (name, nl) in [("lf.csv", "\n"), ("crlf.csv", "\r\n")] {
        let rows = [
            "timestamp,rps",
            "2025-01-01T00:00:00Z,1",
            "2025-01-01T00:01:00Z,x",
        ];
        std::fs::write(d.join(name), rows.join(nl) + nl).unwrap();
        let (ok, _, err) = run(d, &["trace", "info", name]);
        assert!(!ok);
        assert!(err.contains("line 3, column `rps`"), "{name}: {err}");
        let rows = [
            "timestamp,rps",
            "2025-01-01T00:00:00Z,1",
            "2025-01-01T00:01:00Z,2,3",
        ];
        std::fs::write(d.join(name), rows.join(nl) + nl).unwrap();
        let (ok, _, err) = run(d, &["trace", "info", name]);
        assert!(!ok);
        assert!(err.contains("line 3: has 3 fields"), "{name}: {err}");
    }
}

/// Rates no run can simulate (issue 17's rows: a byte count pasted as a
/// rate, 1e8, 1e308) are refused before anything is simulated, saying "out
/// of range" with the limit; a child process that hung would be killed and
/// the test fail. A well-formed time beyond what a timestamp holds is "out
/// of range" too, not "not a timestamp".
#[test]
fn impossible_rates_and_times_are_out_of_range_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for v in ["4294967296", "1e8", "1e308"] {
        std::fs::write(
            d.join("big.csv"),
            format!("timestamp,rps\n2025-01-01T00:00:00Z,1\n2025-01-01T00:01:00Z,{v}\n"),
        )
        .unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_meshsim"))
            .args([
                "run", "steady", "--trace", "big.csv", "--out", "o", "--force", "-q",
            ])
            .current_dir(d)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > std::time::Duration::from_secs(60) {
                child.kill().unwrap();
                panic!("{v}: the run did not end");
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        let took = start.elapsed();
        assert!(
            took < std::time::Duration::from_secs(1),
            "{v}: the error came after {took:?}"
        );
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert!(!status.success());
        assert!(
            err.contains("line 3, column `rps`") && err.contains("out of range: at most 1000000"),
            "{v}: {err}"
        );
    }
    // A count of 10^8 in one minute is 1.67 M/s: out of range too.
    std::fs::write(
        d.join("count.csv"),
        "timestamp,count\n2025-01-01T00:00:00Z,100000000\n2025-01-01T00:01:00Z,1\n",
    )
    .unwrap();
    let (ok, _, err) = run(d, &["trace", "info", "count.csv"]);
    assert!(!ok);
    assert!(err.contains("out of range"), "{err}");
    std::fs::write(
        d.join("late.csv"),
        "timestamp,rps\n9999-12-31T23:58:00Z,1\n",
    )
    .unwrap();
    let (ok, _, err) = run(d, &["trace", "info", "late.csv"]);
    assert!(!ok);
    assert!(
        err.contains("line 2") && err.contains("out of range: supported times are"),
        "{err}"
    );
}
