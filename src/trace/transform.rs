//! `meshsim trace transform`: a trace clipped, scaled, resampled and
//! shifted, written as a meshsim CSV trace. Applied in that order; every
//! step keeps the requests it does not mean to change:
//!
//! - **clip** `START..END` keeps the rows (requests) that start in
//!   `[START, END)`; START and END are RFC 3339 times or offsets from the
//!   trace's first timestamp (`2h`, `90m`), either may be left out. Rows are
//!   kept whole, so clip at row boundaries for an exact cut.
//! - **scale** F multiplies a rate or count; a request trace's requests
//!   each arrive floor(F) times, plus once more with probability frac(F)
//!   (the same draw as a run's `--trace-scale` with the same seed).
//! - **resample** D: rows of D aligned to multiples of D since the Unix
//!   epoch (as Prometheus steps and CloudWatch periods are). A rate becomes
//!   the time-weighted mean rate of each row; counts and requests become
//!   the requests of each row (a request trace becomes a count trace). The
//!   requests in the trace are kept exactly.
//! - **shift** D moves every time by D (negative: earlier).

use super::{TraceError, TraceKind, TraceMeta, TraceReader, TraceRow};

/// What to do.
#[derive(Clone, Debug, Default)]
pub struct Transform {
    pub clip: (Option<Bound>, Option<Bound>),
    pub scale: Option<f64>,
    pub resample_us: Option<i64>,
    pub shift_us: i64,
    pub seed: u64,
}

/// One end of `--clip`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// µs since the Unix epoch.
    At(i64),
    /// µs after the trace's first timestamp.
    After(i64),
}

/// A row with its absolute time (µs since the Unix epoch).
#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub t: i64,
    pub row: TraceRow,
}

/// The transformed trace: its kind and rows, in time order.
pub struct Output {
    pub kind: TraceKind,
    pub rows: Vec<Row>,
    pub has_service: bool,
    pub has_tokens: bool,
    pub has_session: bool,
    pub notes: Vec<String>,
}

/// Parses a duration such as `2h`, `90m`, `1h30m`, `45s`, `-2h`, `1d`.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let d: jiff::SignedDuration = body
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (expected e.g. 90s, 15m, 2h, 1h30m, 1d)"))
        .or_else(|e| {
            // jiff's friendly format has no days for an absolute duration.
            body.strip_suffix('d')
                .and_then(|n| n.trim().parse::<f64>().ok())
                .filter(|n| n.is_finite())
                .map(|n| jiff::SignedDuration::from_secs_f64(n * 86_400.0))
                .ok_or(e)
        })?;
    let us = d.as_micros();
    let us = i64::try_from(us).map_err(|_| format!("`{text}` is out of range"))?;
    Ok(if neg { -us } else { us })
}

/// Parses one end of `--clip`: an RFC 3339 time or a duration after the start.
pub fn parse_bound(text: &str) -> Result<Option<Bound>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(Some(Bound::At(ts.as_microsecond())));
    }
    parse_duration(t).map(|d| Some(Bound::After(d))).map_err(|_| {
        format!("`{text}` is neither an RFC 3339 time (2025-11-28T08:00:00Z) nor an offset from the trace's start (2h, 90m)")
    })
}

/// Reads `path` and applies `tf`.
pub fn apply(
    path: &std::path::Path,
    meta: &TraceMeta,
    tf: &Transform,
) -> Result<Output, TraceError> {
    let mut r = TraceReader::open(path)?;
    let kind = r.kind();
    let mut rows: Vec<Row> = Vec::new();
    let mut has_session = false;
    let start = meta.start_epoch_us;
    while let Some(row) = r.next_row()? {
        has_session |= row.session.is_some();
        rows.push(Row {
            t: start + row.t_us as i64,
            row,
        });
    }
    let mut notes = Vec::new();
    // The end of the last row (a rate or count row lasts to the next; the
    // last one median interval).
    let mut end = start + meta.end_us as i64;
    let bound = |b: Bound| match b {
        Bound::At(t) => t,
        Bound::After(d) => start + d,
    };
    let (lo, hi) = (tf.clip.0.map(bound), tf.clip.1.map(bound));
    if lo.is_some() || hi.is_some() {
        let before = rows.len();
        let lo_t = lo.unwrap_or(i64::MIN);
        let hi_t = hi.unwrap_or(i64::MAX);
        if lo_t >= hi_t {
            return Err(TraceError::Unsupported {
                path: path.to_owned(),
                message: "--clip: the end is not after the start".into(),
            });
        }
        // The end of a kept rate/count row: the next row's time, even when
        // that row is cut.
        if kind != TraceKind::Request {
            if let Some(next) = rows.iter().find(|x| x.t >= hi_t) {
                end = next.t;
            }
        } else if hi.is_some() {
            end = end.min(hi_t);
        }
        rows.retain(|x| x.t >= lo_t && x.t < hi_t);
        if rows.is_empty() {
            return Err(TraceError::Unsupported {
                path: path.to_owned(),
                message: "--clip keeps no row: the window is outside the trace".into(),
            });
        }
        notes.push(format!("clip kept {} of {before} rows", rows.len()));
    }
    if let Some(f) = tf.scale {
        match kind {
            TraceKind::Rate | TraceKind::Count => {
                for x in &mut rows {
                    x.row.value *= f;
                }
            }
            TraceKind::Request => {
                let seed = super::scale_seed(tf.seed);
                let mut out = Vec::with_capacity((rows.len() as f64 * f).ceil() as usize);
                for (j, x) in rows.iter().enumerate() {
                    for _ in 0..super::scaled_copies(seed, j as u64, f) {
                        out.push(*x);
                    }
                }
                rows = out;
            }
        }
    }
    let mut out_kind = kind;
    if let Some(d) = tf.resample_us {
        let (k, r) = resample(kind, &rows, end, d);
        out_kind = k;
        rows = r;
        notes.push(format!(
            "resampled to {} s rows aligned to the Unix epoch",
            d as f64 / 1e6
        ));
    }
    for x in &mut rows {
        x.t += tf.shift_us;
    }
    Ok(Output {
        kind: out_kind,
        has_service: out_kind == TraceKind::Request && r.has_service_ms(),
        has_tokens: out_kind == TraceKind::Request && r.has_tokens(),
        has_session: out_kind == TraceKind::Request && has_session,
        rows,
        notes,
    })
}

/// Rows of `d` µs aligned to the epoch: mean rates, or counts.
fn resample(kind: TraceKind, rows: &[Row], end: i64, d: i64) -> (TraceKind, Vec<Row>) {
    let bin = |t: i64| t.div_euclid(d) * d;
    let mut acc: std::collections::BTreeMap<i64, f64> = Default::default();
    match kind {
        TraceKind::Request => {
            for x in rows {
                *acc.entry(bin(x.t)).or_default() += 1.0;
            }
        }
        TraceKind::Rate | TraceKind::Count => {
            for (i, x) in rows.iter().enumerate() {
                let (a, b) = (x.t, rows.get(i + 1).map_or(end, |n| n.t));
                if b <= a {
                    continue;
                }
                // Requests of the row, spread evenly over it.
                let total = match kind {
                    TraceKind::Rate => x.row.value * (b - a) as f64 / 1e6,
                    _ => x.row.value,
                };
                let mut s = a;
                while s < b {
                    let e = (bin(s) + d).min(b);
                    *acc.entry(bin(s)).or_default() += total * (e - s) as f64 / (b - a) as f64;
                    s = e;
                }
            }
        }
    }
    // Every bin from the first to the last, empty ones as 0.
    let (first, last) = match (acc.keys().next(), acc.keys().next_back()) {
        (Some(&f), Some(&l)) => (f, l),
        _ => return (kind, Vec::new()),
    };
    let data_start = rows.first().map_or(first, |x| x.t);
    let mut out = Vec::new();
    let mut t = first;
    while t <= last {
        let n = acc.get(&t).copied().unwrap_or(0.0);
        // The first row starts where the data does (its bin may begin earlier).
        let t0 = t.max(data_start);
        let value = if kind == TraceKind::Rate {
            let covered = if t == first {
                (t + d - t0) as f64
            } else {
                d as f64
            };
            n / (covered / 1e6)
        } else {
            n
        };
        out.push(Row {
            t: t0,
            row: TraceRow {
                t_us: 0,
                value,
                service_us: None,
                tokens_in: None,
                tokens_out: None,
                session: None,
                region: None,
            },
        });
        t += d;
    }
    let out_kind = if kind == TraceKind::Rate {
        TraceKind::Rate
    } else {
        TraceKind::Count
    };
    (out_kind, out)
}

/// Writes the output as a meshsim CSV trace.
pub fn write_csv<W: std::io::Write>(w: W, o: &Output) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let mut head = vec!["timestamp"];
    match o.kind {
        TraceKind::Rate => head.push("rps"),
        TraceKind::Count => head.push("count"),
        TraceKind::Request => {
            if o.has_service {
                head.push("service_ms");
            }
            if o.has_tokens {
                head.extend(["tokens_in", "tokens_out"]);
            }
            if o.has_session {
                head.push("session");
            }
        }
    }
    out.write_record(&head)?;
    for x in &o.rows {
        let mut rec = vec![
            jiff::Timestamp::from_microsecond(x.t)
                .map(|t| t.to_string())
                .map_err(std::io::Error::other)?,
        ];
        let r = &x.row;
        let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
        match o.kind {
            TraceKind::Rate | TraceKind::Count => rec.push(format!("{}", r.value)),
            TraceKind::Request => {
                if o.has_service {
                    rec.push(opt(r.service_us.map(|u| u as f64 / 1e3)));
                }
                if o.has_tokens {
                    rec.push(opt(r.tokens_in));
                    rec.push(opt(r.tokens_out));
                }
                if o.has_session {
                    // Session ids are kept as their hash: the same sessions
                    // stay the same, distinct ones distinct.
                    rec.push(r.session.map_or(String::new(), |h| format!("{h:016x}")));
                }
            }
        }
        out.write_record(&rec)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2h").unwrap(), 7_200_000_000);
        assert_eq!(parse_duration("-30m").unwrap(), -1_800_000_000);
        assert_eq!(parse_duration("1h30m").unwrap(), 5_400_000_000);
        assert_eq!(parse_duration("1d").unwrap(), 86_400_000_000);
        assert!(parse_duration("soon").is_err());
    }
}
