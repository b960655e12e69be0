//! Every built-in scenario on one trace: `gallery.csv` (one row per
//! scenario), `index.html` linking each run's report, and `gallery.md`.

use super::html::{Block, Table};
use super::{RunInfo, projected_month_usd};
use crate::metrics::RunOutcome;
use std::io::Write;

/// One scenario of the gallery: its run, or why it could not run.
pub struct Entry<'a> {
    pub name: &'a str,
    pub source: Option<&'a str>,
    pub description: &'a str,
    pub run: Result<(&'a RunOutcome, &'a RunInfo), String>,
}

pub const COLUMNS: &[&str] = &[
    "scenario",
    "source",
    "requests_arrived",
    "latency_p95_ms",
    "availability",
    "cost_total_usd",
    "projected_month_usd",
    "budget_alerts_fired",
    "llm_limit_hits",
    "slo_met",
    "error",
];

fn row(e: &Entry<'_>) -> Vec<String> {
    let mut v = vec![e.name.to_string(), e.source.unwrap_or("").to_string()];
    match &e.run {
        Ok((o, info)) => {
            let s = &o.summary;
            v.extend([
                s.requests_arrived.to_string(),
                s.latency_p95_ms
                    .map(|x| format!("{x:.3}"))
                    .unwrap_or_default(),
                format!("{:.6}", s.availability()),
                format!("{:.6}", s.cost_total_usd()),
                format!("{:.6}", projected_month_usd(s, info.start_epoch_us)),
                s.budget_alerts_fired.to_string(),
                o.alerts
                    .iter()
                    .filter(|a| a.kind.starts_with("llm_"))
                    .count()
                    .to_string(),
                super::review::slo_verdict(o, info).0.to_string(),
                String::new(),
            ]);
        }
        Err(msg) => {
            v.extend(std::iter::repeat_n(String::new(), 8));
            v.push(msg.clone());
        }
    }
    v
}

pub fn write_csv<W: Write>(w: W, entries: &[Entry<'_>]) -> csv::Result<()> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record(COLUMNS)?;
    for e in entries {
        wr.write_record(row(e))?;
    }
    wr.flush()?;
    Ok(())
}

/// The gallery page: the table (each name linking its report), then notes.
pub fn blocks<'a>(entries: &[Entry<'_>], trace: &str, seed: u64) -> Vec<Block<'a>> {
    let ok = entries.iter().filter(|e| e.run.is_ok()).count();
    let mut b = vec![
        Block::Title(format!("Scenario gallery on {trace}")),
        Block::Para(format!(
            "{ok} of {} built-in scenarios simulated on {trace} with seed {seed}; each row links the scenario's capacity-planning review. Projected month: the run's average cost rate over the calendar month.",
            entries.len()
        )),
    ];
    b.push(Block::Table(Table {
        id: "gallery",
        head: [
            "scenario",
            "cost of the run",
            "projected month",
            "p95",
            "availability",
            "alerts",
            "SLO",
            "source",
        ]
        .map(String::from)
        .to_vec(),
        rows: entries
            .iter()
            .map(|e| {
                let mut r = vec![e.name.to_string()];
                match &e.run {
                    Ok((o, info)) => {
                        let s = &o.summary;
                        let llm = o
                            .alerts
                            .iter()
                            .filter(|a| a.kind.starts_with("llm_"))
                            .count();
                        r.extend([
                            format!("${:.2}", s.cost_total_usd()),
                            format!("${:.2}", projected_month_usd(s, info.start_epoch_us)),
                            s.latency_p95_ms
                                .map(|x| format!("{x:.1} ms"))
                                .unwrap_or_else(|| "n/a".into()),
                            format!("{:.4} %", s.availability() * 100.0),
                            format!("{} budget, {llm} LLM limit", s.budget_alerts_fired),
                            if super::review::slo_verdict(o, info).0 {
                                "MET".into()
                            } else {
                                "MISSED".into()
                            },
                        ]);
                    }
                    Err(msg) => {
                        r.push(format!("did not run: {msg}"));
                        r.extend(std::iter::repeat_n(String::new(), 5));
                    }
                }
                r.push(e.source.unwrap_or("").to_string());
                r
            })
            .collect(),
    }));
    b.push(Block::Heading("Reports".into()));
    b.push(Block::Links(
        entries
            .iter()
            .filter(|e| e.run.is_ok())
            .map(|e| {
                (
                    format!("{} — {}", e.name, e.description),
                    format!("{}/report.html", e.name),
                )
            })
            .collect(),
    ));
    b.push(Block::Para(
        "gallery.csv holds the same table for scripts; each folder is a full run directory.".into(),
    ));
    b
}
