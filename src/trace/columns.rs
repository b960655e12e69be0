//! A trace's header: which columns it has (with their aliases) and so what
//! kind of trace it is; timestamps in the accepted formats.

use super::{TraceError, TraceKind};
use crate::units::US_PER_SEC;
use std::path::Path;

pub(crate) const TIMESTAMP: &[&str] = &[
    "timestamp",
    "time",
    "ts",
    "period",
    "unix_ts",
    "window_start_s",
];

pub(crate) const RATE: &[&str] = &["rps", "requests_per_second", "rate", "total_rate_rps"];

pub(crate) const COUNT: &[&str] = &["count", "requests"];

pub(crate) const SERVICE_MS: &[&str] = &["service_ms"];

pub(crate) const TOKENS_IN: &[&str] = &["tokens_in", "contexttokens", "input_length"];

pub(crate) const TOKENS_OUT: &[&str] = &["tokens_out", "generatedtokens", "output_length"];

pub(crate) const SESSION: &[&str] = &["session", "session_id"];

pub(crate) const REGION: &[&str] = &["region"];

pub(crate) const MODEL: &[&str] = &["model"];

#[derive(Clone, Debug)]
pub(super) struct Columns {
    pub ts: usize,
    pub value: Option<usize>,
    pub service_ms: Option<usize>,
    pub tokens_in: Option<usize>,
    pub tokens_out: Option<usize>,
    pub session: Option<usize>,
    pub region: Option<usize>,
    pub names: Vec<String>,
}

pub(crate) fn find(header: &[String], aliases: &[&str]) -> Option<usize> {
    aliases
        .iter()
        .find_map(|a| header.iter().position(|h| h.trim().eq_ignore_ascii_case(a)))
}

/// The nearest known column name to `name`, if it is close enough to be a typo.
pub(crate) fn suggest(names: &[String], candidates: &[&[&str]]) -> Option<String> {
    let mut best: Option<(f64, String)> = None;
    for name in names {
        for group in candidates {
            for c in *group {
                let score = strsim::jaro_winkler(&name.trim().to_ascii_lowercase(), c);
                if score > 0.85 && best.as_ref().is_none_or(|(b, _)| score > *b) {
                    best = Some((score, format!("`{}` looks like `{c}`", name.trim())));
                }
            }
        }
    }
    best.map(|(_, s)| s)
}

pub(super) fn classify(
    path: &Path,
    header: Vec<String>,
) -> Result<(TraceKind, Columns), TraceError> {
    let Some(ts) = find(&header, TIMESTAMP) else {
        let hint = suggest(&header, &[TIMESTAMP])
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        return Err(TraceError::Header {
            path: path.to_owned(),
            message: format!(
                "no timestamp column: the header has {}, expected one of {}{hint}",
                list(&header),
                TIMESTAMP.join(", ")
            ),
        });
    };
    let rate = find(&header, RATE);
    let count = find(&header, COUNT);
    let service_ms = find(&header, SERVICE_MS);
    let tokens_in = find(&header, TOKENS_IN);
    let tokens_out = find(&header, TOKENS_OUT);
    let request_cols = service_ms.is_some()
        || tokens_in.is_some()
        || tokens_out.is_some()
        || find(&header, SESSION).is_some()
        || find(&header, REGION).is_some()
        || find(&header, MODEL).is_some();
    let (kind, value) = if let Some(i) = rate {
        (TraceKind::Rate, Some(i))
    } else if let Some(i) = count {
        (TraceKind::Count, Some(i))
    } else if request_cols || header.len() == 1 {
        (TraceKind::Request, None)
    } else {
        let others: Vec<String> = header
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != ts)
            .map(|(_, h)| h.clone())
            .collect();
        let hint = suggest(&others, &[RATE, COUNT])
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        return Err(TraceError::Header {
            path: path.to_owned(),
            message: format!(
                "no rate column: the header has {}; a rate trace needs one of {} (or a count per row: {}), \
                 a request trace one of service_ms, tokens_in, tokens_out, session, region, model{hint}",
                list(&header),
                RATE.join(", "),
                COUNT.join(", ")
            ),
        });
    };
    Ok((
        kind,
        Columns {
            ts,
            value,
            service_ms,
            tokens_in,
            tokens_out,
            session: find(&header, SESSION),
            region: find(&header, REGION),
            names: header,
        },
    ))
}

pub(crate) fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", n.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses a timestamp to microseconds since the Unix epoch: a number of seconds
/// (Unix epoch; a small number is simply early in 1970, i.e. relative to 0),
/// RFC 3339 with an offset, or `YYYY-MM-DD HH:MM:SS[.fff]` without one (read as UTC).
pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    if let Ok(v) = text.parse::<f64>() {
        if v.is_finite() && v.abs() < 1e13 {
            return Ok((v * US_PER_SEC as f64).round() as i64);
        }
        return Err(format!(
            "`{text}` is out of range: a number of seconds since the Unix epoch must be finite and below 1e13"
        ));
    }
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts.as_microsecond());
    }
    if let Ok(dt) = text.parse::<jiff::civil::DateTime>()
        && let Ok(z) = dt.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Ok(z.timestamp().as_microsecond());
    }
    // A well-formed time that is outside what a timestamp can hold (e.g.
    // 9999-12-31T23:58:00Z): say so rather than "not a timestamp".
    if jiff::fmt::temporal::Pieces::parse(text).is_ok()
        || text.parse::<jiff::civil::DateTime>().is_ok()
    {
        return Err(format!(
            "`{text}` is out of range: supported times are {} to {}",
            jiff::Timestamp::MIN,
            jiff::Timestamp::MAX
        ));
    }
    Err(format!(
        "`{text}` is not a timestamp (expected RFC 3339 such as 2025-11-28T08:00:00Z, \
         `YYYY-MM-DD HH:MM:SS` in UTC, or a number of seconds)"
    ))
}
