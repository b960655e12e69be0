//! Streaming CSV trace reader and the validating first pass.

use super::columns::*;
use super::logs::{JsonShape, LogFormat};
use super::{TraceError, TraceKind, TraceMeta, TraceRow};
use crate::units::{US_PER_SEC, secs_to_us};
use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// Reads a trace file row by row. Rows are validated as they are read; the
/// reader holds one record, so memory does not grow with the trace.
pub struct TraceReader {
    path: PathBuf,
    kind: TraceKind,
    source: Source,
}

// One reader per trace pass: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum Source {
    Csv {
        rdr: csv::Reader<Box<dyn Read>>,
        rec: csv::ByteRecord,
        /// The file ends its lines with CRLF: the csv crate then places a
        /// record's start on the previous line's `\n`, one line early.
        crlf: bool,
        cols: Columns,
        first_abs_us: Option<i64>,
        last_abs_us: i64,
    },
    #[cfg(feature = "parquet")]
    Parquet(super::parquet::ParquetRows),
    /// A JSON-lines trace, streamed.
    JsonLines {
        r: Box<dyn BufRead>,
        buf: String,
        line: u64,
        shape: JsonShape,
        first_abs_us: Option<i64>,
        last_abs_us: i64,
    },
    /// A format converted whole on opening (an access log, a CloudWatch
    /// export): rows of (Unix µs, value, service µs or `NO_SERVICE`).
    Memory {
        rows: std::vec::IntoIter<(i64, f64, u64)>,
        first_abs_us: Option<i64>,
        has_service: bool,
    },
}

const NO_SERVICE: u64 = u64::MAX;

/// What a file given as a trace turned out to be, from its first line.
enum Sniffed {
    /// A CSV trace; whether its first line ends with CRLF.
    Csv {
        crlf: bool,
    },
    JsonLines(JsonShape),
    Log(LogFormat),
    CloudwatchJson,
    CloudwatchCsv,
}

impl TraceReader {
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext.eq_ignore_ascii_case("parquet") {
            return Self::open_parquet(path);
        }
        let io = |source| TraceError::Io {
            path: path.to_owned(),
            source,
        };
        let unsupported = |message: String| TraceError::Unsupported {
            path: path.to_owned(),
            message,
        };
        let crlf = match sniff(path)? {
            Sniffed::Csv { crlf } => crlf,
            Sniffed::JsonLines(shape) => {
                return Ok(TraceReader {
                    path: path.to_owned(),
                    kind: TraceKind::Request,
                    source: Source::JsonLines {
                        r: super::open_text(path).map_err(io)?,
                        buf: String::new(),
                        line: 0,
                        shape,
                        first_abs_us: None,
                        last_abs_us: i64::MIN,
                    },
                });
            }
            Sniffed::Log(format) => {
                let log = super::logs::read_log(super::open_text(path).map_err(io)?, format, false)
                    .map_err(|(line, message)| TraceError::Csv {
                        path: path.to_owned(),
                        line,
                        message: format!("{message} (read as an {} access log)", format.name()),
                    })?;
                let has_service = log.has_service();
                // Same size and alignment: collected in place (24 bytes a request).
                let rows: Vec<(i64, f64, u64)> = log
                    .requests
                    .into_iter()
                    .map(|q| (q.t_us, 1.0, q.service_us.unwrap_or(NO_SERVICE)))
                    .collect();
                return Ok(Self::memory(path, TraceKind::Request, rows, has_service));
            }
            s @ (Sniffed::CloudwatchJson | Sniffed::CloudwatchCsv) => {
                let mut text = String::new();
                super::open_text(path)
                    .and_then(|mut r| r.read_to_string(&mut text))
                    .map_err(io)?;
                let imp = if matches!(s, Sniffed::CloudwatchJson) {
                    super::import::cloudwatch(&text)
                } else {
                    super::import::cloudwatch_csv(&text, None)
                }
                .map_err(|m| unsupported(format!("read as CloudWatch output: {m}")))?;
                let rows = imp.rows.iter().map(|&(t, v)| (t, v, NO_SERVICE)).collect();
                return Ok(Self::memory(path, TraceKind::Count, rows, false));
            }
        };
        let file = super::open_text(path).map_err(io)?;
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(Box::new(file) as Box<dyn Read>);
        let header: Vec<String> = match rdr.headers() {
            Ok(h) => h.iter().map(|s| s.to_string()).collect(),
            Err(e) => return Err(csv_error(path, e, false)),
        };
        if header.is_empty() || header.iter().all(|h| h.trim().is_empty()) {
            return Err(TraceError::Empty {
                path: path.to_owned(),
            });
        }
        let (kind, cols) = classify(path, header)?;
        Ok(TraceReader {
            path: path.to_owned(),
            kind,
            source: Source::Csv {
                rdr,
                rec: csv::ByteRecord::new(),
                crlf,
                cols,
                first_abs_us: None,
                last_abs_us: i64::MIN,
            },
        })
    }

    fn memory(path: &Path, kind: TraceKind, rows: Vec<(i64, f64, u64)>, has_service: bool) -> Self {
        TraceReader {
            path: path.to_owned(),
            kind,
            source: Source::Memory {
                first_abs_us: rows.first().map(|r| r.0),
                rows: rows.into_iter(),
                has_service,
            },
        }
    }

    #[cfg(not(feature = "parquet"))]
    fn open_parquet(path: &Path) -> Result<Self, TraceError> {
        Err(TraceError::Unsupported {
            path: path.to_owned(),
            message: "this meshsim was built without Parquet support; rebuild with \
                      `cargo build --release --features parquet`, or convert the trace to CSV"
                .into(),
        })
    }

    #[cfg(feature = "parquet")]
    fn open_parquet(path: &Path) -> Result<Self, TraceError> {
        let rows = super::parquet::ParquetRows::open(path)?;
        Ok(TraceReader {
            path: path.to_owned(),
            kind: rows.kind(),
            source: Source::Parquet(rows),
        })
    }

    pub fn kind(&self) -> TraceKind {
        self.kind
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Microseconds since the Unix epoch of the first row, once it was read.
    pub fn start_epoch_us(&self) -> Option<i64> {
        match &self.source {
            Source::Csv { first_abs_us, .. }
            | Source::JsonLines { first_abs_us, .. }
            | Source::Memory { first_abs_us, .. } => *first_abs_us,
            #[cfg(feature = "parquet")]
            Source::Parquet(p) => p.start_epoch_us(),
        }
    }

    pub fn has_service_ms(&self) -> bool {
        match &self.source {
            Source::Csv { cols, .. } => cols.service_ms.is_some(),
            Source::JsonLines { shape, .. } => shape.service_ms,
            Source::Memory { has_service, .. } => *has_service,
            #[cfg(feature = "parquet")]
            Source::Parquet(p) => p.has_service_ms(),
        }
    }

    pub fn has_tokens(&self) -> bool {
        match &self.source {
            Source::Csv { cols, .. } => cols.tokens_in.is_some() || cols.tokens_out.is_some(),
            Source::JsonLines { shape, .. } => shape.tokens_in || shape.tokens_out,
            Source::Memory { .. } => false,
            #[cfg(feature = "parquet")]
            Source::Parquet(p) => p.has_tokens(),
        }
    }

    /// Columns (or JSON fields) the trace has that meshsim does not read.
    pub fn ignored(&self) -> Vec<String> {
        match &self.source {
            Source::Csv { cols, .. } => {
                let used = [
                    Some(cols.ts),
                    cols.value,
                    cols.service_ms.filter(|_| self.kind == TraceKind::Request),
                    cols.tokens_in,
                    cols.tokens_out,
                    cols.session,
                    cols.region,
                ];
                cols.names
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !used.contains(&Some(*i)))
                    .map(|(_, n)| n.trim().to_string())
                    .collect()
            }
            Source::JsonLines { shape, .. } => shape.ignored.clone(),
            _ => Vec::new(),
        }
    }

    /// The next row, validated; `Ok(None)` at the end of the file.
    pub fn next_row(&mut self) -> Result<Option<TraceRow>, TraceError> {
        let kind = self.kind;
        match &mut self.source {
            #[cfg(feature = "parquet")]
            Source::Parquet(p) => p.next_row(),
            Source::Memory {
                rows, first_abs_us, ..
            } => Ok(rows.next().map(|(t, value, service)| TraceRow {
                t_us: (t - first_abs_us.unwrap_or(t)) as u64,
                value,
                service_us: (service != NO_SERVICE).then_some(service),
                tokens_in: None,
                tokens_out: None,
                session: None,
                region: None,
            })),
            Source::JsonLines {
                r,
                buf,
                line,
                shape,
                first_abs_us,
                last_abs_us,
            } => loop {
                buf.clear();
                let path = &self.path;
                let n = r.read_line(buf).map_err(|e| TraceError::Csv {
                    path: path.clone(),
                    line: *line + 1,
                    message: format!("cannot read: {e}"),
                })?;
                if n == 0 {
                    return Ok(None);
                }
                *line += 1;
                let text = buf.trim();
                if text.is_empty() {
                    continue;
                }
                let err = |message: String| TraceError::Csv {
                    path: path.clone(),
                    line: *line,
                    message,
                };
                let q = super::logs::parse_json_line(text, shape).map_err(err)?;
                if q.t_us < *last_abs_us {
                    return Err(err(
                        "earlier than the line before it; a JSON-lines trace given to --trace must be in time order (`meshsim trace import --from jsonl` sorts it)".into(),
                    ));
                }
                *last_abs_us = q.t_us;
                let first = *first_abs_us.get_or_insert(q.t_us);
                return Ok(Some(TraceRow {
                    t_us: (q.t_us - first) as u64,
                    value: 1.0,
                    service_us: q.service_ms.map(crate::units::ms_to_us),
                    tokens_in: q.tokens_in,
                    tokens_out: q.tokens_out,
                    session: q.session.map(|s| super::session_hash(s.as_bytes())),
                    region: None,
                }));
            },
            Source::Csv {
                rdr,
                rec,
                crlf,
                cols,
                first_abs_us,
                last_abs_us,
            } => {
                match rdr.read_byte_record(rec) {
                    Ok(true) => {}
                    Ok(false) => return Ok(None),
                    Err(e) => return Err(csv_error(&self.path, e, *crlf)),
                }
                let line = rec.position().map(|p| p.line()).unwrap_or(0) + u64::from(*crlf);
                let path = &self.path;
                let field = |i: usize| -> Result<&str, TraceError> {
                    std::str::from_utf8(&rec[i])
                        .map(str::trim)
                        .map_err(|_| TraceError::Row {
                            path: path.clone(),
                            line,
                            column: cols.names[i].clone(),
                            message: "not valid UTF-8".into(),
                        })
                };
                let row_err = |i: usize, message: String| TraceError::Row {
                    path: path.clone(),
                    line,
                    column: cols.names[i].clone(),
                    message,
                };
                let ts_text = field(cols.ts)?;
                let abs = parse_timestamp(ts_text).map_err(|m| row_err(cols.ts, m))?;
                if abs < *last_abs_us {
                    return Err(row_err(
                        cols.ts,
                        format!(
                            "`{ts_text}` is earlier than the row before it; rows must be in non-decreasing time order"
                        ),
                    ));
                }
                *last_abs_us = abs;
                let first = *first_abs_us.get_or_insert(abs);
                let t_us = (abs - first) as u64;
                let number = |i: usize, what: &str| -> Result<f64, TraceError> {
                    let text = field(i)?;
                    match text.parse::<f64>() {
                        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                        Ok(v) => Err(row_err(
                            i,
                            format!("{v} is not a valid {what} (expected a finite number >= 0)"),
                        )),
                        Err(_) => Err(row_err(
                            i,
                            format!("`{text}` is not a number (expected {what}, a number >= 0)"),
                        )),
                    }
                };
                let value = match (kind, cols.value) {
                    (TraceKind::Rate, Some(i)) => {
                        let v = number(i, "rate in requests per second")?;
                        if v > super::MAX_RPS {
                            return Err(row_err(i, too_fast(v)));
                        }
                        v
                    }
                    (TraceKind::Count, Some(i)) => number(i, "request count")?,
                    _ => 1.0,
                };
                let service_us = match cols.service_ms {
                    Some(i) if kind == TraceKind::Request => {
                        Some(crate::units::ms_to_us(number(i, "service time in ms")?))
                    }
                    _ => None,
                };
                let tokens_in = cols
                    .tokens_in
                    .map(|i| number(i, "token count"))
                    .transpose()?;
                let tokens_out = cols
                    .tokens_out
                    .map(|i| number(i, "token count"))
                    .transpose()?;
                let session = cols.session.map(|i| super::session_hash(&rec[i]));
                let region = cols
                    .region
                    .map(|i| super::session_hash(rec[i].trim_ascii()));
                Ok(Some(TraceRow {
                    t_us,
                    value,
                    service_us,
                    tokens_in,
                    tokens_out,
                    session,
                    region,
                }))
            }
        }
    }
}

/// Tells what a trace file is from its first line. Monitoring exports that
/// need a choice the file does not record (rate or count, time zone) are
/// refused with the command that converts them.
fn sniff(path: &Path) -> Result<Sniffed, TraceError> {
    let unsupported = |message: String| TraceError::Unsupported {
        path: path.to_owned(),
        message,
    };
    let mut r = super::open_text(path).map_err(|source| TraceError::Io {
        path: path.to_owned(),
        source,
    })?;
    // The first line, at most 1 MiB of it.
    let mut first = Vec::new();
    (&mut r)
        .take(1 << 20)
        .read_until(b'\n', &mut first)
        .map_err(|source| TraceError::Io {
            path: path.to_owned(),
            source,
        })?;
    let first = String::from_utf8_lossy(&first);
    let line = first.trim_start_matches('\u{feff}').trim();
    if line.starts_with('{') {
        if let Ok(shape) = super::logs::json_shape(line) {
            return Ok(Sniffed::JsonLines(shape));
        }
        let mut rest = String::new();
        let _ = r.take(64 << 20).read_to_string(&mut rest);
        let doc = format!("{first}{rest}");
        if doc.contains("\"MetricDataResults\"") || doc.contains("\"Datapoints\"") {
            return Ok(Sniffed::CloudwatchJson);
        }
        if doc.contains("\"resultType\"") {
            return Err(unsupported(
                "this is a Prometheus query response, not a trace; convert it with \
                 `meshsim trace import --from prometheus --values rate|count FILE -o trace.csv` \
                 (rate for a rate(...) query, count for increase(...): the response does not say)"
                    .into(),
            ));
        }
    }
    if line.starts_with('{') || line.starts_with('[') {
        return Err(unsupported(
            "this is JSON, not a CSV trace: a Prometheus query_range response or CloudWatch \
             get-metric-statistics / get-metric-data output converts with \
             `meshsim trace import --from prometheus|cloudwatch FILE -o trace.csv`; a JSON-lines \
             trace has one object per line with a `timestamp`"
                .into(),
        ));
    }
    if super::logs::looks_like_alb(line) {
        return Ok(Sniffed::Log(LogFormat::Alb));
    }
    if super::logs::looks_like_clf(line) {
        return Ok(Sniffed::Log(LogFormat::Clf));
    }
    let lower = line.to_ascii_lowercase();
    if first.starts_with('\u{feff}') || lower.starts_with("sep=") || lower.starts_with("\"time\",")
    {
        return Err(unsupported(
            "this looks like a Grafana panel CSV (a quoted \"Time\" column, a byte-order mark): \
             convert it with `meshsim trace import --from grafana --values rate|count --timezone ZONE FILE -o trace.csv` \
             (the export does not say whether its values are rates or counts, nor, for local times, the zone)"
                .into(),
        ));
    }
    let cells: Vec<String> = lower
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_string())
        .collect();
    if cells.len() == 2
        && cells.iter().any(|c| c == "timestamp")
        && cells.iter().any(|c| c == "sum" || c == "samplecount")
    {
        return Ok(Sniffed::CloudwatchCsv);
    }
    Ok(Sniffed::Csv {
        crlf: first.ends_with("\r\n"),
    })
}

/// The message for a rate above [`super::MAX_RPS`].
fn too_fast(rps: f64) -> String {
    let shown = if rps >= 1e9 {
        format!("{rps:e}")
    } else {
        format!("{rps}")
    };
    format!(
        "{shown} requests per second is out of range: at most {} (one arrival per simulated microsecond, the engine's resolution); \
         check the column's units (a byte count or a total pasted as a rate?)",
        super::MAX_RPS
    )
}

/// A CSV read error with its line (`crlf`: one line later than the csv
/// crate says, as for rows).
fn csv_error(path: &Path, e: csv::Error, crlf: bool) -> TraceError {
    let line = e.position().map(|p| p.line()).unwrap_or(0) + u64::from(crlf);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("has {len} fields, but the header has {expected_len}"),
        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".into(),
        _ => e.to_string(),
    };
    TraceError::Csv {
        path: path.to_owned(),
        line,
        message,
    }
}

/// The validating first pass: reads the whole trace once (streamed) and
/// returns its facts. Nothing is simulated on a trace that fails here.
/// `info_bin_s` is the bin width used for the peak rate of request traces.
pub fn scan(path: &Path, info_bin_s: f64) -> Result<TraceMeta, TraceError> {
    let mut r = TraceReader::open(path)?;
    let kind = r.kind();
    let mut rows = 0u64;
    let mut intervals: BTreeMap<u64, u64> = BTreeMap::new();
    let mut prev: Option<TraceRow> = None;
    let mut requests = 0.0f64;
    let mut peak = 0.0f64;
    let bin_us = secs_to_us(info_bin_s).max(1);
    let (mut bin, mut bin_count) = (0u64, 0u64);
    while let Some(row) = r.next_row()? {
        rows += 1;
        if kind == TraceKind::Rate && row.value > super::MAX_RPS {
            return Err(TraceError::Row {
                path: path.to_owned(),
                line: rows + 1,
                column: "rps".into(),
                message: too_fast(row.value),
            });
        }
        if let Some(p) = prev {
            let dt = row.t_us - p.t_us;
            *intervals.entry(dt).or_insert(0) += 1;
            match kind {
                TraceKind::Rate => {
                    requests += p.value * crate::units::us_to_secs(dt);
                    peak = peak.max(p.value);
                }
                TraceKind::Count => {
                    if dt == 0 {
                        return Err(TraceError::Row {
                            path: path.to_owned(),
                            line: rows + 1,
                            column: "timestamp".into(),
                            message: "two count rows at the same time; a count trace needs strictly increasing timestamps".into(),
                        });
                    }
                    requests += p.value;
                    let rps = p.value / crate::units::us_to_secs(dt);
                    if rps > super::MAX_RPS {
                        return Err(TraceError::Row {
                            path: path.to_owned(),
                            line: rows,
                            column: "count".into(),
                            message: too_fast(rps),
                        });
                    }
                    peak = peak.max(rps);
                }
                TraceKind::Request => {}
            }
        }
        if kind == TraceKind::Request {
            requests += 1.0;
            let b = row.t_us / bin_us;
            if b != bin {
                peak = peak.max(bin_count as f64 / info_bin_s);
                bin = b;
                bin_count = 0;
            }
            bin_count += 1;
        }
        prev = Some(row);
    }
    let Some(last) = prev else {
        return Err(TraceError::Empty {
            path: path.to_owned(),
        });
    };
    let median_interval_us = median(&intervals, rows.saturating_sub(1));
    let end_us = match kind {
        TraceKind::Rate | TraceKind::Count => {
            if median_interval_us == 0 {
                return Err(TraceError::Header {
                    path: path.to_owned(),
                    message: "a rate trace needs at least two rows at different times (the row interval is taken from them)".into(),
                });
            }
            let d = median_interval_us;
            match kind {
                TraceKind::Rate => {
                    requests += last.value * crate::units::us_to_secs(d);
                    peak = peak.max(last.value);
                }
                _ => {
                    requests += last.value;
                    peak = peak.max(last.value / crate::units::us_to_secs(d));
                }
            }
            last.t_us + d
        }
        TraceKind::Request => {
            peak = peak.max(bin_count as f64 / info_bin_s);
            (last.t_us / US_PER_SEC + 1) * US_PER_SEC
        }
    };
    Ok(TraceMeta {
        path: path.to_owned(),
        kind,
        rows,
        start_epoch_us: r.start_epoch_us().unwrap_or(0),
        last_t_us: last.t_us,
        median_interval_us,
        end_us,
        has_service_ms: r.has_service_ms(),
        has_tokens: r.has_tokens(),
        ignored: r.ignored(),
        expected_requests: requests,
        mean_rps: requests / crate::units::us_to_secs(end_us),
        peak_rps: peak,
        info_bin_s,
    })
}

fn median(counts: &BTreeMap<u64, u64>, n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let target = (n - 1) / 2;
    let mut seen = 0;
    for (&v, &c) in counts {
        seen += c;
        if seen > target {
            return v;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("0").unwrap(), 0);
        assert_eq!(parse_timestamp("1.5").unwrap(), 1_500_000);
        assert_eq!(parse_timestamp("1970-01-01T00:00:01Z").unwrap(), 1_000_000);
        assert_eq!(
            parse_timestamp("2023-11-16 18:17:03.9799600").unwrap(),
            parse_timestamp("2023-11-16T18:17:03.97996Z").unwrap()
        );
        assert!(parse_timestamp("yesterday").is_err());
    }

    #[test]
    fn median_of_intervals() {
        let mut m = BTreeMap::new();
        m.insert(60, 5);
        m.insert(61, 1);
        assert_eq!(median(&m, 6), 60);
    }
}
