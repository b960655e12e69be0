//! `meshsim compare --markdown`: the pull-request comment. The first run is
//! the base, each other run a head; one short table per head (cost per
//! month, p95, p99, availability, goodput, replicas as base → head with the
//! change and an arrow), the SLO verdicts, and a link line. The gate
//! ([`gate`]) says whether a head misses an SLO the base met or costs more
//! than allowed.

use super::compare::Entry;
use super::{projected_month_usd, verdict};

/// What one row compares.
struct Row {
    label: &'static str,
    base: Option<f64>,
    head: Option<f64>,
    /// How a value is written.
    fmt: fn(f64) -> String,
    /// How a change is written.
    delta: fn(f64) -> String,
    /// Show the relative change too.
    relative: bool,
}

fn usd(v: f64) -> String {
    format!("${v:.2}")
}
fn signed_usd(v: f64) -> String {
    if v < 0.0 {
        format!("−${:.2}", -v)
    } else {
        format!("+${v:.2}")
    }
}
fn ms(v: f64) -> String {
    format!("{v:.1} ms")
}
fn signed_ms(v: f64) -> String {
    signed(v, 1, " ms")
}
fn pct(v: f64) -> String {
    format!("{v:.2} %")
}
fn signed_pp(v: f64) -> String {
    signed(v, 2, " pp")
}
fn num(v: f64) -> String {
    format!("{v:.2}")
}
fn signed_num(v: f64) -> String {
    signed(v, 2, "")
}

/// `+1.5 ms`, `−1.5 ms` (a true minus sign), `±0.0 ms` when it rounds to zero.
fn signed(v: f64, decimals: usize, unit: &str) -> String {
    let text = format!("{:.decimals$}", v.abs());
    if text.chars().all(|c| c == '0' || c == '.') {
        format!("±{text}{unit}")
    } else if v < 0.0 {
        format!("−{text}{unit}")
    } else {
        format!("+{text}{unit}")
    }
}

impl Row {
    fn cells(&self) -> [String; 4] {
        let show = |v: Option<f64>| v.map_or("n/a".to_string(), self.fmt);
        let change = match (self.base, self.head) {
            (Some(b), Some(h)) => {
                let d = h - b;
                let arrow = if (self.delta)(d).starts_with('±') {
                    "="
                } else if d > 0.0 {
                    "↑"
                } else {
                    "↓"
                };
                let rel = if self.relative && b != 0.0 && !arrow.starts_with('=') {
                    format!(" ({})", signed(100.0 * d / b.abs(), 1, " %"))
                } else {
                    String::new()
                };
                format!("{arrow} {}{rel}", (self.delta)(d))
            }
            _ => String::new(),
        };
        [
            self.label.to_string(),
            show(self.base),
            show(self.head),
            change,
        ]
    }
}

/// The monthly cost of a run (its average cost rate over the month of its start).
pub fn month_usd(e: &Entry<'_>) -> f64 {
    projected_month_usd(&e.outcome.summary, e.info.start_epoch_us)
}

fn verdict_word(met: bool) -> &'static str {
    if met { "✅ met" } else { "❌ missed" }
}

/// The SLO of a run in a few words: `p95 ≤ 500 ms (run and 99 % of 1m windows), availability ≥ 99 %`.
fn slo_words(e: &Entry<'_>) -> String {
    let s = &e.info.slo;
    format!(
        "p95 ≤ {} ms (run and {} % of {} windows), availability ≥ {} %",
        s.p95_ms,
        s.windows_met_pct,
        s.window,
        s.availability * 100.0
    )
}

/// The comment, Markdown. `link`: where the full report is (a URL or a path).
pub fn markdown(entries: &[Entry<'_>], link: &str) -> String {
    let mut out = String::new();
    let Some((base, heads)) = entries.split_first() else {
        return out;
    };
    for head in heads {
        out.push_str(&format!(
            "### meshsim: `{}` → `{}` on `{}` (seed {})\n\n",
            base.info.scenario, head.info.scenario, head.info.trace, head.info.seed
        ));
        let (b, h) = (&base.outcome.summary, &head.outcome.summary);
        let rows = [
            Row {
                label: "cost / month",
                base: Some(month_usd(base)),
                head: Some(month_usd(head)),
                fmt: usd,
                delta: signed_usd,
                relative: true,
            },
            Row {
                label: "p95",
                base: b.latency_p95_ms,
                head: h.latency_p95_ms,
                fmt: ms,
                delta: signed_ms,
                relative: true,
            },
            Row {
                label: "p99",
                base: b.latency_p99_ms,
                head: h.latency_p99_ms,
                fmt: ms,
                delta: signed_ms,
                relative: true,
            },
            Row {
                label: "availability",
                base: Some(100.0 * b.availability()),
                head: Some(100.0 * h.availability()),
                fmt: pct,
                delta: signed_pp,
                relative: false,
            },
            Row {
                label: "served within SLO",
                base: b.requests_within_slo_pct(),
                head: h.requests_within_slo_pct(),
                fmt: pct,
                delta: signed_pp,
                relative: false,
            },
            Row {
                label: "replicas (mean)",
                base: Some(b.replicas_mean),
                head: Some(h.replicas_mean),
                fmt: num,
                delta: signed_num,
                relative: false,
            },
            Row {
                label: "replicas (max)",
                base: Some(f64::from(b.replicas_max)),
                head: Some(f64::from(h.replicas_max)),
                fmt: |v| format!("{v:.0}"),
                delta: |v| signed(v, 0, ""),
                relative: false,
            },
        ];
        out.push_str("| | base | head | change |\n|---|---:|---:|---|\n");
        for r in &rows {
            let [l, bv, hv, c] = r.cells();
            out.push_str(&format!("| {l} | {bv} | {hv} | {c} |\n"));
        }
        let (vb, vh) = (
            verdict(base.outcome, base.info),
            verdict(head.outcome, head.info),
        );
        let change = match (vb.met, vh.met) {
            (true, false) => "**broken by this change**",
            (false, true) => "fixed by this change",
            _ => "unchanged",
        };
        out.push_str(&format!(
            "| SLO | {} | {} | {change} |\n",
            verdict_word(vb.met),
            verdict_word(vh.met)
        ));
        out.push('\n');
        let windows = |v: &super::Verdict| {
            v.windows
                .met_pct
                .map_or("no window with requests".into(), |p| format!("{p:.1} %"))
        };
        out.push_str(&format!(
            "SLO: {}. Run p95: {} → {}; windows within target: {} → {}; availability: {} → {}.\n\n",
            slo_words(head),
            verdict_word(vb.p95_met),
            verdict_word(vh.p95_met),
            windows(&vb),
            windows(&vh),
            verdict_word(vb.availability_met),
            verdict_word(vh.availability_met),
        ));
    }
    out.push_str(&format!(
        "Full report: {link} · simulated with meshsim {} on the same trace and seed.\n",
        env!("CARGO_PKG_VERSION")
    ));
    out
}

/// Why a comparison fails its gate: a head misses the SLO the base met, or
/// costs more per month than `max_cost_increase_pct` % above the base.
pub fn gate(entries: &[Entry<'_>], max_cost_increase_pct: Option<f64>) -> Vec<String> {
    let mut why = Vec::new();
    let Some((base, heads)) = entries.split_first() else {
        return why;
    };
    let vb = verdict(base.outcome, base.info);
    let cost_b = month_usd(base);
    for head in heads {
        let vh = verdict(head.outcome, head.info);
        if vb.met && !vh.met {
            why.push(format!(
                "`{}` misses the SLO that `{}` meets",
                head.info.scenario, base.info.scenario
            ));
        }
        if let Some(max) = max_cost_increase_pct {
            let cost_h = month_usd(head);
            let increase = if cost_b > 0.0 {
                100.0 * (cost_h - cost_b) / cost_b
            } else if cost_h > 0.0 {
                f64::INFINITY
            } else {
                0.0
            };
            if increase > max {
                why.push(format!(
                    "`{}` costs {} per month ({}), more than the allowed +{max} %",
                    head.info.scenario,
                    signed_usd(cost_h - cost_b),
                    if increase.is_finite() {
                        signed(increase, 1, " %")
                    } else {
                        "from $0".into()
                    }
                ));
            }
        }
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_zero() {
        assert_eq!(signed(-1.25, 1, " ms"), "−1.2 ms");
        assert_eq!(signed(0.04, 1, " ms"), "±0.0 ms");
        assert_eq!(signed(-0.04, 1, " ms"), "±0.0 ms");
        assert_eq!(signed(3.0, 0, ""), "+3");
        assert_eq!(signed_usd(-12.5), "−$12.50");
    }
}
