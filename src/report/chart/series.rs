//! Timeline rows as chart series: bucketing long timelines, gaps, maxima.

use crate::metrics::TimelineRow;

/// Most points a series draws; longer timelines are bucketed (a point per
/// bucket, aggregated so that peaks stay visible).
pub(crate) const MAX_POINTS: usize = 2400;

/// End of the timeline, seconds since the trace start (at least 1).
pub(crate) fn end_s(rows: &[TimelineRow]) -> f64 {
    rows.last()
        .map(|r| r.t_s as f64 + r.len_s)
        .unwrap_or(1.0)
        .max(1.0)
}

/// Rows per point so that a series has at most `MAX_POINTS` points.
pub(crate) fn bucket_len(n: usize) -> usize {
    n.div_ceil(MAX_POINTS).max(1)
}

/// A step series: each bucket's value held over the bucket's time span.
pub(crate) fn steps(rows: &[TimelineRow], agg: impl Fn(&[TimelineRow]) -> f64) -> Vec<(f64, f64)> {
    let k = bucket_len(rows.len());
    let mut out = Vec::with_capacity(2 * rows.len().div_ceil(k));
    for g in rows.chunks(k) {
        let v = agg(g);
        let last = &g[g.len() - 1];
        out.push((g[0].t_s as f64, v));
        out.push((last.t_s as f64 + last.len_s, v));
    }
    out
}

/// A line series with gaps: a new segment wherever `agg` gives `None`.
pub(crate) fn segments(
    rows: &[TimelineRow],
    agg: impl Fn(&[TimelineRow]) -> Option<f64>,
) -> Vec<Vec<(f64, f64)>> {
    let k = bucket_len(rows.len());
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for g in rows.chunks(k) {
        let mid = g[0].t_s as f64
            + (g[g.len() - 1].t_s as f64 + g[g.len() - 1].len_s - g[0].t_s as f64) / 2.0;
        match agg(g) {
            Some(v) => out.last_mut().expect("never empty").push((mid, v)),
            None => {
                if !out.last().expect("never empty").is_empty() {
                    out.push(Vec::new());
                }
            }
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

pub(crate) fn max_of(g: &[TimelineRow], f: impl Fn(&TimelineRow) -> f64) -> f64 {
    g.iter().map(f).fold(0.0, f64::max)
}

pub(crate) fn max_opt(g: &[TimelineRow], f: impl Fn(&TimelineRow) -> Option<f64>) -> Option<f64> {
    g.iter()
        .filter_map(f)
        .fold(None, |m, v| Some(m.map_or(v, |m: f64| m.max(v))))
}
