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
    periods(rows, notes)
}

/// CloudWatch counts per period, sorted, with the periods CloudWatch
/// omitted (no data) written as 0.
fn periods(mut rows: Vec<(i64, f64)>, mut notes: Vec<String>) -> Result<Imported, String> {
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

/// Where in its window a sample's timestamp sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SampleAt {
    /// The window that ends at the timestamp (Prometheus `rate`/`increase`).
    End,
    /// The window that starts at the timestamp (CloudWatch periods).
    Start,
}

/// A CSV export's records (a leading byte-order mark and Excel's `sep=,`
/// line dropped), each with its 1-based line; blank lines skipped.
type Records = (Vec<String>, Vec<(u64, Vec<String>)>);

fn csv_records(text: &str) -> Result<Records, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (text, skipped) = match text.lines().next() {
        Some(l) if l.trim().to_ascii_lowercase().starts_with("sep=") => {
            (&text[text.find('\n').map_or(text.len(), |i| i + 1)..], 1)
        }
        _ => (text, 0),
    };
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("line {}: {e}", 1 + skipped))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    // A record's line, from its byte offset: the csv crate places the
    // start of a record after a CRLF on the `\n`, one line early.
    let (mut at, mut line_at) = (0usize, 1u64);
    let mut line_of = |byte: u64| {
        let mut b = (byte as usize).min(text.len());
        while b < text.len() && matches!(text.as_bytes()[b], b'\r' | b'\n') {
            b += 1;
        }
        if b >= at {
            line_at += text.as_bytes()[at..b]
                .iter()
                .filter(|&&c| c == b'\n')
                .count() as u64;
            at = b;
        }
        line_at + skipped
    };
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            format!(
                "line {}: {e}",
                e.position().map_or(0, |p| p.line()) + skipped
            )
        })?;
        let line = line_of(rec.position().map_or(0, |p| p.byte()));
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != header.len() {
            return Err(format!(
                "line {line}: {} fields, but the header has {}",
                rec.len(),
                header.len()
            ));
        }
        rows.push((line, rec.iter().map(|f| f.trim().to_string()).collect()));
    }
    Ok((header, rows))
}

/// A time as a CSV export writes it: Unix milliseconds (a number of 11 or
/// more digits), RFC 3339 with an offset, or a local `YYYY-MM-DD HH:MM:SS`
/// in `tz`. In the hour a daylight-saving change repeats, the earlier
/// reading is taken unless it would go back before `prev`.
fn export_time(
    text: &str,
    tz: Option<&jiff::tz::TimeZone>,
    prev: Option<i64>,
    zone_hint: &str,
) -> Result<i64, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let ms: i64 = text
            .parse()
            .map_err(|_| format!("`{text}` is out of range for Unix milliseconds"))?;
        return ms
            .checked_mul(1000)
            .filter(|_| text.len() >= 11)
            .ok_or_else(|| {
                format!("`{text}` is not a time: Unix milliseconds have 11 or more digits")
            });
    }
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(t.as_microsecond());
    }
    let dt: jiff::civil::DateTime = text.parse().map_err(|_| {
        format!(
            "`{text}` is not a time (expected YYYY-MM-DD HH:MM:SS, RFC 3339 or Unix milliseconds)"
        )
    })?;
    let tz = tz.ok_or_else(|| format!("`{text}` has no offset: {zone_hint}"))?;
    let amb = tz.to_ambiguous_timestamp(dt);
    let earlier = amb
        .earlier()
        .map_err(|e| format!("`{text}`: {e}"))?
        .as_microsecond();
    if prev.is_some_and(|p| earlier <= p)
        && let Ok(later) = amb.later()
    {
        return Ok(later.as_microsecond());
    }
    Ok(earlier)
}

/// A value cell of a Grafana export: a plain number, or Grafana's
/// formatted display text (`12.5 req/s`, `1.20 K`). Returns the number and
/// the unit it carried.
fn grafana_value(text: &str, at: &str) -> Result<(f64, String), String> {
    if let Ok(v) = text.parse::<f64>() {
        return Ok((finite(v, at)?, String::new()));
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(text.len());
    let (num, rest) = text.split_at(split);
    let v: f64 = num.trim().parse().map_err(|_| {
        format!("{at}: `{text}` is not a number (download the CSV with \"Formatted data\" off)")
    })?;
    let mut rest = rest.trim();
    let mut scale = 1.0;
    for (suffix, m) in [
        ("Mil", 1e6),
        ("Bil", 1e9),
        ("Tri", 1e12),
        ("K", 1e3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
    ] {
        if let Some(r) = rest.strip_prefix(suffix)
            && (r.is_empty() || r.starts_with(' ') || r.starts_with('/'))
        {
            scale = m;
            rest = r.trim();
            break;
        }
    }
    let unit = rest.to_string();
    let known = [
        "", "req/s", "reqps", "rps", "ops/s", "opm", "req/min", "rpm", "/s", "/min", "cps",
    ];
    if !known.contains(&unit.as_str()) {
        return Err(format!(
            "{at}: `{text}` carries the unit `{unit}`, not a request rate or count; export the request-rate panel, or download with \"Formatted data\" off"
        ));
    }
    Ok((finite(v * scale, at)?, unit))
}

/// Parses Grafana's CSV download of a panel (Inspect → Data → Download
/// CSV; `@grafana/data` `toCSV`): an optional byte-order mark, a header
/// of quoted field names (`"Time","<series>"`, one column per series when
/// the series are joined by time), CRLF lines, times as the dashboard
/// shows them (`YYYY-MM-DD HH:MM:SS` in the dashboard's time zone, or Unix
/// milliseconds with "Formatted data" off), values as displayed (with
/// their unit) or raw, an empty cell for no data.
pub fn grafana(
    text: &str,
    values: Values,
    tz: Option<&jiff::tz::TimeZone>,
    series: &[String],
    sum: bool,
    sample_at: SampleAt,
) -> Result<Imported, String> {
    let (header, records) = csv_records(text)?;
    let time_col = header
        .iter()
        .position(|h| h.eq_ignore_ascii_case("time"))
        .ok_or_else(|| {
            format!(
                "line 1: no `Time` column (header: {}); a Grafana panel's CSV starts with \"Time\"",
                header.join(", ")
            )
        })?;
    let value_cols: Vec<usize> = (0..header.len()).filter(|&i| i != time_col).collect();
    let matches = |h: &str| {
        series.iter().all(|s| match s.split_once('=') {
            Some((k, v)) => {
                let v = v.trim().trim_matches('"');
                h.contains(&format!("{}=\"{v}\"", k.trim()))
                    || h.contains(&format!("{}={v}", k.trim()))
            }
            None => h == s.trim(),
        })
    };
    let chosen: Vec<usize> = value_cols
        .iter()
        .copied()
        .filter(|&i| matches(&header[i]))
        .collect();
    if chosen.is_empty() {
        return Err(format!(
            "line 1: no value column{} (columns: {})",
            if series.is_empty() {
                ""
            } else {
                " matches --series"
            },
            column_list(&header, &value_cols)
        ));
    }
    if chosen.len() > 1 && !sum {
        return Err(format!(
            "line 1: {} value columns ({}): pick one with --series NAME (a column's name, or label=value in it), or add them with --sum",
            chosen.len(),
            column_list(&header, &chosen)
        ));
    }
    let mut rows: Vec<(i64, f64)> = Vec::new();
    let mut units: Vec<String> = Vec::new();
    let mut empty = 0usize;
    let mut prev: Option<i64> = None;
    for (line, rec) in &records {
        let t = export_time(
            &rec[time_col],
            tz,
            prev,
            "Grafana writes times in the dashboard's time zone; give it with --timezone (e.g. Europe/Berlin, or UTC)",
        )
        .map_err(|m| format!("line {line}, column `{}`: {m}", header[time_col]))?;
        if prev.is_some_and(|p| t <= p) {
            return Err(format!(
                "line {line}: `{}` is not later than the row before it",
                rec[time_col]
            ));
        }
        prev = Some(t);
        let mut total: Option<f64> = None;
        for &i in &chosen {
            if rec[i].is_empty() {
                continue;
            }
            let (v, unit) =
                grafana_value(&rec[i], &format!("line {line}, column `{}`", header[i]))?;
            if !unit.is_empty() && !units.contains(&unit) {
                units.push(unit);
            }
            *total.get_or_insert(0.0) += v;
        }
        match total {
            Some(v) => rows.push((t, v)),
            None => empty += 1,
        }
    }
    for u in &units {
        let per_time =
            u.contains('/') || matches!(u.as_str(), "reqps" | "rps" | "opm" | "rpm" | "cps");
        if per_time && values == Values::Count {
            return Err(format!(
                "the values carry the unit `{u}`, a rate: use --values rate"
            ));
        }
    }
    if rows.len() < 2 {
        return Err("fewer than 2 rows with a value: the step cannot be read from the data".into());
    }
    let step = data_step(&rows).expect("two rows");
    let mut notes = vec![format!("step {} s (the rows' spacing)", step as f64 / 1e6)];
    if !units.is_empty() {
        notes.push(format!("formatted values with unit {}", units.join(", ")));
    }
    let gaps = rows.windows(2).filter(|w| w[1].0 - w[0].0 > step).count();
    if empty > 0 || gaps > 0 {
        notes.push(format!(
            "{empty} row(s) without a value and {gaps} gap(s) longer than the step: the previous row holds over each"
        ));
    }
    if sample_at == SampleAt::End {
        notes.push(
            "each row describes the step that ends at its time (a Prometheus panel) and is written one step earlier; --sample-at start for a panel whose times start their periods (CloudWatch)".into(),
        );
        for r in &mut rows {
            r.0 -= step;
        }
    }
    Ok(Imported {
        rows,
        values,
        notes,
    })
}

/// Parses the CloudWatch console's CSV download of a graph, or any CSV of a
/// `Timestamp` column and one value column (`Sum`/`SampleCount` or the
/// metric's label): a request count per period. Times without an offset
/// are read in `tz` (UTC when not given, as the console shows by default).
pub fn cloudwatch_csv(text: &str, tz: Option<&jiff::tz::TimeZone>) -> Result<Imported, String> {
    let (header, records) = csv_records(text)?;
    let time_col = header
        .iter()
        .position(|h| ["timestamp", "time", "date"].contains(&h.to_ascii_lowercase().as_str()))
        .ok_or_else(|| {
            format!(
                "line 1: no `Timestamp` column (header: {})",
                header.join(", ")
            )
        })?;
    let value_cols: Vec<usize> = (0..header.len()).filter(|&i| i != time_col).collect();
    let [col] = value_cols[..] else {
        return Err(format!(
            "line 1: {} value columns ({}); a CloudWatch CSV has one (Sum or SampleCount of a request count)",
            value_cols.len(),
            column_list(&header, &value_cols)
        ));
    };
    let lower = header[col].to_ascii_lowercase();
    if ["average", "maximum", "minimum"].contains(&lower.as_str())
        || lower.starts_with('p') && lower[1..].parse::<f64>().is_ok()
    {
        return Err(format!(
            "line 1: column `{}` is a per-request statistic; export Sum (or SampleCount) of RequestCount / Count",
            header[col]
        ));
    }
    let utc = jiff::tz::TimeZone::UTC;
    let naive_utc = tz.is_none();
    let tz = tz.unwrap_or(&utc);
    let mut rows = Vec::new();
    let mut prev = None;
    for (line, rec) in &records {
        let at = |c: usize| format!("line {line}, column `{}`", header[c]);
        let t = export_time(&rec[time_col], Some(tz), prev, "")
            .map_err(|m| format!("{}: {m}", at(time_col)))?;
        prev = Some(t);
        if rec[col].is_empty() {
            continue;
        }
        let v: f64 = rec[col]
            .parse()
            .map_err(|_| format!("{}: `{}` is not a number", at(col), rec[col]))?;
        rows.push((t, finite(v, &at(col))?));
    }
    let mut notes = vec![format!("column `{}`: requests per period", header[col])];
    if naive_utc
        && records.iter().any(|(_, r)| {
            r[time_col].parse::<jiff::Timestamp>().is_err()
                && !r[time_col].bytes().all(|b| b.is_ascii_digit())
        })
    {
        notes.push("times without an offset read as UTC (--timezone to change)".into());
    }
    periods(rows, notes)
}

/// Writes a log's requests as a meshsim request trace
/// (`timestamp[,service_ms]`).
pub fn write_requests_csv<W: std::io::Write>(
    w: W,
    log: &super::logs::LogRead,
) -> std::io::Result<()> {
    let mut out = ::csv::Writer::from_writer(w);
    let service = log.has_service();
    if service {
        out.write_record(["timestamp", "service_ms"])?;
    } else {
        out.write_record(["timestamp"])?;
    }
    for r in &log.requests {
        let ts = jiff::Timestamp::from_microsecond(r.t_us)
            .map(|t| t.to_string())
            .map_err(std::io::Error::other)?;
        if service {
            let ms = r.service_us.map_or(0.0, |u| u as f64 / 1e3);
            out.write_record([ts, format!("{ms}")])?;
        } else {
            out.write_record([ts])?;
        }
    }
    out.flush()
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

/// Columns `idx` of `header`, quoted and comma-separated, for a message.
fn column_list<S: AsRef<str>>(header: &[S], idx: &[usize]) -> String {
    idx.iter()
        .map(|&i| format!("`{}`", header[i].as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}
