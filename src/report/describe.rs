//! The scenario and the trace in words: the "what was simulated" part of a
//! report, as (label, text) pairs that the HTML and Markdown writers lay out.

use crate::scenario::Scenario;
use crate::trace::{TraceKind, TraceMeta};

#[derive(Clone, Debug, Default)]
pub struct About {
    pub description: String,
    /// Document and section the scenario's values come from.
    pub source: Option<String>,
    /// Where the scenario was loaded from (built-in name or file).
    pub origin: String,
    pub scenario: Vec<(String, String)>,
    pub trace: Vec<(String, String)>,
    pub warnings: Vec<String>,
}

use crate::scenario::describe::num;

impl About {
    pub fn new(sc: &Scenario, meta: &TraceMeta) -> About {
        let s = sc.words.clone();
        let start = jiff::Timestamp::from_microsecond(meta.start_epoch_us)
            .map(|t| {
                t.to_zoned(sc.tz.clone())
                    .strftime("%Y-%m-%d %H:%M %Z")
                    .to_string()
            })
            .unwrap_or_default();
        let kind = match meta.kind {
            TraceKind::Rate => "request rate per row",
            TraceKind::Count => "request count per row",
            TraceKind::Request => "one row per request",
        };
        let trace = vec![
            ("file".to_string(), meta.path.display().to_string()),
            (
                "rows".to_string(),
                format!(
                    "{} ({kind}{})",
                    meta.rows,
                    if meta.has_tokens {
                        ", with token counts"
                    } else {
                        ""
                    }
                ),
            ),
            ("starts".to_string(), start),
            (
                "span".to_string(),
                format!("{:.2} h", meta.span_s() / 3600.0),
            ),
            (
                "offered load".to_string(),
                format!(
                    "mean {:.2} rps, peak {:.2} rps (over {} s bins), {} requests",
                    meta.mean_rps,
                    meta.peak_rps,
                    num(meta.info_bin_s),
                    super::html::int(meta.expected_requests.round() as u64)
                ),
            ),
        ];
        About {
            description: sc.description.clone(),
            source: sc.source.clone(),
            origin: sc.origin.clone(),
            scenario: s,
            trace,
            warnings: sc.warnings.clone(),
        }
    }
}
