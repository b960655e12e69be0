//! Importing demand from monitoring exports into meshsim's rate-trace CSV
//! (`timestamp,rps` or `timestamp,count`, RFC 3339 UTC): `meshsim trace
//! import --from prometheus|cloudwatch FILE -o trace.csv`.
//!
//! - **Prometheus** `GET /api/v1/query_range` response (Prometheus docs,
//!   "HTTP API", range queries): `{"status":"success","data":{"resultType":
//!   "matrix","result":[{"metric":{…labels…},"values":[[<unix_time>,
//!   "<sample_value>"],…]}]}}`. A sample at `t` of `rate(x[w])` or
//!   `increase(x[w])` describes the window that ends at `t`; meshsim's row at
//!   `t` holds from `t` to the next row, so each sample is written one step
//!   earlier (the step is the samples' spacing: the window is taken to
//!   equal the step, as a dashboard's `$__rate_interval`-style query does).
//!   Whether the values are a rate or a count the response does not say:
//!   `--values rate|count` does.
//! - **CloudWatch** `aws cloudwatch get-metric-statistics` output
//!   (`{"Label":…,"Datapoints":[{"Timestamp":…,"Sum":…,"Unit":"Count"},…]}`,
//!   unordered) and `aws cloudwatch get-metric-data` output
//!   (`{"MetricDataResults":[{"Id":…,"Timestamps":[…],"Values":[…]}]}`,
//!   newest first by default). A datapoint's timestamp is the start of its
//!   period and `Sum`/`SampleCount` of `RequestCount` (ALB) or `Count` (API
//!   Gateway) is the number of requests in the period: a count row, as is.

use std::collections::BTreeMap;

/// What a series' values are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Values {
    /// Requests per second (`rate(...)`).
    Rate,
    /// Requests per step (`increase(...)`).
    Count,
}

/// An imported series: (Unix time µs, value) in time order, the column it
/// goes to (`rps` or `count`), and what the import had to decide.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    pub rows: Vec<(i64, f64)>,
    pub values: Values,
    pub notes: Vec<String>,
}

fn json(text: &str, what: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|e| {
        format!(
            "line {}, column {}: not {what} JSON: {e}",
            e.line(),
            e.column()
        )
    })
}

fn finite(v: f64, at: &str) -> Result<f64, String> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!(
            "{at}: {v} is not a request rate or count (a finite number >= 0)"
        ))
    }
}

/// The step of sorted times: their smallest spacing, µs (missing samples
/// only widen a spacing).
fn data_step(rows: &[(i64, f64)]) -> Option<i64> {
    rows.windows(2).map(|w| w[1].0 - w[0].0).min()
}

/// Parses a Prometheus `query_range` response. `series` picks the series
/// whose labels include every `label=value`; `sum` adds all series point by
/// point.
pub fn prometheus(
    text: &str,
    values: Values,
    series: &[(String, String)],
    sum: bool,
) -> Result<Imported, String> {
    let v = json(text, "Prometheus query_range")?;
    let status = v.get("status").and_then(|s| s.as_str()).unwrap_or("");
    if status != "success" {
        return Err(format!(
            "status is `{status}`, not `success`{}",
            v.get("error")
                .and_then(|e| e.as_str())
                .map_or(String::new(), |e| format!(": {e}"))
        ));
    }
    let rt = v
        .pointer("/data/resultType")
        .and_then(|r| r.as_str())
        .unwrap_or("");
    if rt != "matrix" {
        return Err(format!(
            "data.resultType is `{rt}`: a range query's response is a `matrix` (use /api/v1/query_range, not /api/v1/query)"
        ));
    }
    let result = v
        .pointer("/data/result")
        .and_then(|r| r.as_array())
        .ok_or("data.result: expected a list of series")?;
    let label_text = |s: &serde_json::Value| -> String {
        s.get("metric")
            .and_then(|m| m.as_object())
            .map(|m| {
                let parts: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("?")))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            })
            .unwrap_or_else(|| "{}".into())
    };
    let chosen: Vec<(usize, &serde_json::Value)> = result
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            series.iter().all(|(k, want)| {
                s.pointer(&format!("/metric/{k}"))
                    .and_then(|x| x.as_str())
                    .is_some_and(|x| x == want)
            })
        })
        .collect();
    if chosen.is_empty() {
        return Err(format!(
            "no series{} (the file holds {}: {})",
            if series.is_empty() {
                String::new()
            } else {
                " matches --series".to_string()
            },
            result.len(),
            result.iter().map(label_text).collect::<Vec<_>>().join("; ")
        ));
    }
    if chosen.len() > 1 && !sum {
        return Err(format!(
            "{} series: pick one with --series label=value, or add them with --sum ({})",
            chosen.len(),
            chosen
                .iter()
                .map(|(_, s)| label_text(s))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    let mut by_time: BTreeMap<i64, f64> = BTreeMap::new();
    for (i, s) in &chosen {
        let points = s
            .get("values")
            .and_then(|p| p.as_array())
            .ok_or_else(|| format!("data.result[{i}].values: expected [[time, \"value\"], …]"))?;
        for (k, p) in points.iter().enumerate() {
            let at = format!("data.result[{i}].values[{k}]");
            let (Some(t), Some(val)) = (
                p.get(0).and_then(|t| t.as_f64()),
                p.get(1).and_then(|x| x.as_str()),
            ) else {
                return Err(format!("{at}: expected [unix_time, \"value\"]"));
            };
            let x: f64 = val
                .parse()
                .map_err(|_| format!("{at}: `{val}` is not a number"))?;
            let x = finite(x, &at)?;
            *by_time.entry((t * 1e6).round() as i64).or_insert(0.0) += x;
        }
    }
    let mut rows: Vec<(i64, f64)> = by_time.into_iter().collect();
    if rows.len() < 2 {
        return Err("fewer than 2 samples: the step cannot be read from the data".into());
    }
    let step = data_step(&rows).expect("two rows");
    let gaps = rows.windows(2).filter(|w| w[1].0 - w[0].0 > step).count();
    let mut notes = vec![format!(
        "step {} s (the samples' spacing); each sample describes the step before it and is written one step earlier",
        step as f64 / 1e6
    )];
    if gaps > 0 {
        notes.push(format!(
            "{gaps} gap(s) longer than the step (no samples): the previous row holds over each"
        ));
    }
    for r in &mut rows {
        r.0 -= step;
    }
    Ok(Imported {
        rows,
        values,
        notes,
    })
}

/// Parses `aws cloudwatch get-metric-statistics` or `get-metric-data`
/// output: one count row per period.
pub fn cloudwatch(text: &str) -> Result<Imported, String> {
    let v = json(text, "CloudWatch")?;
    let ts = |s: &str, at: &str| -> Result<i64, String> {
        s.parse::<jiff::Timestamp>()
            .map(|t| t.as_microsecond())
            .map_err(|e| format!("{at}: `{s}` is not a timestamp: {e}"))
    };
    let mut rows: Vec<(i64, f64)> = Vec::new();
    let mut notes = Vec::new();
    if let Some(points) = v.get("Datapoints").and_then(|d| d.as_array()) {
        // get-metric-statistics: Sum (or SampleCount) per period.
        let stat = ["Sum", "SampleCount"]
            .into_iter()
            .find(|k| points.iter().any(|p| p.get(*k).is_some()))
            .ok_or_else(|| {
                "Datapoints carry neither Sum nor SampleCount: ask for --statistics Sum (a request count per period)".to_string()
            })?;
        notes.push(format!("statistic {stat}: requests per period"));
        for (k, p) in points.iter().enumerate() {
            let at = format!("Datapoints[{k}]");
            let t = p
                .get("Timestamp")
                .and_then(|t| t.as_str())
                .ok_or_else(|| format!("{at}.Timestamp: missing"))?;
            let x = p
                .get(stat)
                .and_then(|x| x.as_f64())
                .ok_or_else(|| format!("{at}.{stat}: missing"))?;
            if let Some(u) = p.get("Unit").and_then(|u| u.as_str())
                && u != "Count"
                && u != "None"
            {
                return Err(format!(
                    "{at}.Unit is `{u}`: a request count has Unit Count"
                ));
            }
            rows.push((ts(t, &at)?, finite(x, &at)?));
        }
    } else if let Some(results) = v.get("MetricDataResults").and_then(|r| r.as_array()) {
        // get-metric-data: one result per query Id.
        let r = match results.as_slice() {
            [r] => r,
            [] => return Err("MetricDataResults is empty".into()),
            _ => {
                return Err(format!(
                    "MetricDataResults holds {} results ({}); export one metric (one query Id)",
                    results.len(),
                    results
                        .iter()
                        .filter_map(|r| r.get("Id").and_then(|i| i.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        };
        let times = r
            .get("Timestamps")
            .and_then(|t| t.as_array())
            .ok_or("MetricDataResults[0].Timestamps: missing")?;
        let vals = r
            .get("Values")
            .and_then(|t| t.as_array())
            .ok_or("MetricDataResults[0].Values: missing")?;
        if times.len() != vals.len() {
            return Err(format!(
                "MetricDataResults[0]: {} Timestamps but {} Values",
                times.len(),
                vals.len()
            ));
        }
        if r.get("StatusCode").and_then(|s| s.as_str()) == Some("PartialData") {
            notes.push("StatusCode PartialData: the export is incomplete (page with NextToken for the rest)".into());
        }
        for (k, (t, x)) in times.iter().zip(vals).enumerate() {
            let at = format!("MetricDataResults[0] point {k}");
            let t = t
                .as_str()
                .ok_or_else(|| format!("{at}: Timestamp is not a string"))?;
            let x = x
                .as_f64()
                .ok_or_else(|| format!("{at}: Value is not a number"))?;
            rows.push((ts(t, &at)?, finite(x, &at)?));
        }
    } else {
        return Err(
            "neither `Datapoints` (get-metric-statistics) nor `MetricDataResults` (get-metric-data) found"
                .into(),
        );
    }
    rows.sort_by_key(|r| r.0);
    if rows.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err("two datapoints share a timestamp: export one metric and one statistic".into());
    }
    if rows.len() < 2 {
        return Err("fewer than 2 datapoints".into());
    }
    let step = data_step(&rows).expect("two rows");
    notes.push(format!(
        "period {} s (the datapoints' spacing)",
        step as f64 / 1e6
    ));
    // CloudWatch omits the periods without data (no request): they are
    // written as 0, so that no count spreads over them.
    let mut filled = Vec::with_capacity(rows.len());
    let mut empty = 0usize;
    for (i, r) in rows.iter().enumerate() {
        filled.push(*r);
        if let Some(next) = rows.get(i + 1) {
            let mut t = r.0 + step;
            while t < next.0 {
                filled.push((t, 0.0));
                empty += 1;
                t += step;
            }
        }
    }
    if empty > 0 {
        notes.push(format!(
            "{empty} period(s) without a datapoint written as 0 (CloudWatch omits periods with no data)"
        ));
    }
    Ok(Imported {
        rows: filled,
        values: Values::Count,
        notes,
    })
}

/// Writes an imported series as a meshsim rate trace.
pub fn write_csv<W: std::io::Write>(w: W, imp: &Imported) -> std::io::Result<()> {
    let mut out = ::csv::Writer::from_writer(w);
    out.write_record([
        "timestamp",
        match imp.values {
            Values::Rate => "rps",
            Values::Count => "count",
        },
    ])?;
    for (t, v) in &imp.rows {
        let ts = jiff::Timestamp::from_microsecond(*t)
            .map(|t| t.to_string())
            .map_err(std::io::Error::other)?;
        out.write_record([ts, format!("{v}")])?;
    }
    out.flush()
}
