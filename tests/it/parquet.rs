//! Parquet traces: the same columns as CSV, and the same results.

use super::meshsim;
#[cfg(feature = "parquet")]
use std::path::Path;

#[cfg(feature = "parquet")]
fn write_parquet(path: &Path, ts: Vec<String>, rps: Vec<f64>) {
    use polars::prelude::*;
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("timestamp".into(), ts),
        Column::new("rps".into(), rps),
    ])
    .unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_and_csv_traces_give_identical_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("t.csv");
    let o = meshsim(
        &[
            "trace",
            "gen",
            "--pattern",
            "spike",
            "--mean",
            "20",
            "--duration",
            "3h",
            "--out",
            csv.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(o.status.success());
    let mut rdr = csv::Reader::from_path(&csv).unwrap();
    let (mut ts, mut rps) = (Vec::new(), Vec::new());
    for r in rdr.records() {
        let r = r.unwrap();
        ts.push(r[0].to_string());
        rps.push(r[1].parse::<f64>().unwrap());
    }
    let pq = tmp.path().join("t.parquet");
    write_parquet(&pq, ts, rps);
    for (trace, out) in [(&csv, "a"), (&pq, "b")] {
        let o = meshsim(
            &[
                "run",
                "steady",
                "--trace",
                trace.to_str().unwrap(),
                "--out",
                out,
                "--quiet",
            ],
            tmp.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for f in ["timeline.csv", "scaling.csv"] {
        assert_eq!(
            std::fs::read(tmp.path().join("a").join(f)).unwrap(),
            std::fs::read(tmp.path().join("b").join(f)).unwrap(),
            "{f}"
        );
    }
    // Both files are named `t`, so even the trace column agrees.
    let a = std::fs::read_to_string(tmp.path().join("a/summary.csv")).unwrap();
    let b = std::fs::read_to_string(tmp.path().join("b/summary.csv")).unwrap();
    assert_eq!(a, b);
}

#[cfg(feature = "parquet")]
#[test]
fn bad_parquet_rows_name_row_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let pq = tmp.path().join("bad.parquet");
    write_parquet(
        &pq,
        vec!["2025-01-01T00:00:00Z".into(), "2025-01-01T00:01:00Z".into()],
        vec![5.0, -1.0],
    );
    let o = meshsim(&["trace", "info", pq.to_str().unwrap()], tmp.path());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("bad.parquet") && err.contains("row 2") && err.contains("rps"),
        "{err}"
    );
}

#[cfg(not(feature = "parquet"))]
#[test]
fn parquet_without_the_feature_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let pq = tmp.path().join("t.parquet");
    std::fs::write(&pq, b"PAR1").unwrap();
    let o = meshsim(&["trace", "info", pq.to_str().unwrap()], tmp.path());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("--features parquet"), "{err}");
}

/// `results.parquet` holds what `results.csv` holds, typed.
#[cfg(feature = "parquet")]
#[test]
fn sweep_results_parquet_matches_results_csv() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().unwrap();
    let o = meshsim(
        &[
            "trace",
            "gen",
            "--pattern",
            "spike",
            "--mean",
            "30",
            "--duration",
            "30m",
            "--out",
            "t.csv",
        ],
        tmp.path(),
    );
    assert!(o.status.success());
    let o = meshsim(
        &[
            "sweep",
            "steady",
            "--trace",
            "t.csv",
            "--set",
            "scaling.min=1,2,3",
            "--set",
            "scaling.max=3",
            "--set",
            "capacity.arch=x86_64,arm64",
            "--replications",
            "2",
            "--no-charts",
            "--out",
            "s",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let df = ParquetReader::new(std::fs::File::open(tmp.path().join("s/results.parquet")).unwrap())
        .finish()
        .unwrap();
    let mut rdr = csv::Reader::from_path(tmp.path().join("s/results.csv")).unwrap();
    let head: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(df.height(), rows.len());
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(names, head);
    // Numbers where the axis is numeric, text where it is not.
    assert_eq!(
        df.column("scaling.min").unwrap().dtype(),
        &DataType::Float64
    );
    assert_eq!(
        df.column("capacity.arch").unwrap().dtype(),
        &DataType::String
    );
    assert_eq!(df.column("slo_met").unwrap().dtype(), &DataType::Boolean);
    let i = head
        .iter()
        .position(|h| h == "cost_total_usd_mean")
        .unwrap();
    let cost = df
        .column("cost_total_usd_mean")
        .unwrap()
        .f64()
        .unwrap()
        .clone();
    for (k, r) in rows.iter().enumerate() {
        let want: f64 = r[i].parse().unwrap();
        assert_eq!(cost.get(k), Some(want), "row {k}");
    }
}
