//! The planner's page: what `meshsim plan` found, as review blocks.

use crate::report::html::{Block, Table};
use crate::report::sweep::{HEIGHT, WIDTH};

/// What `meshsim plan` found, for its page.
#[derive(Clone, Debug)]
pub struct Plan {
    pub scenario: String,
    pub trace: String,
    pub slo_p95_ms: f64,
    /// The SLO it judged by (window and share of windows).
    pub slo: crate::scenario::Slo,
    pub budget_usd: Option<f64>,
    pub replications: u32,
    pub search: super::PlanSearch,
    /// Configurations meeting the SLO (and budget), cheapest first.
    pub ranked: Vec<super::Ranked>,
}

impl Plan {
    /// `plan.csv`: every configuration meeting the SLO (and budget), ranked.
    pub fn csv(&self) -> String {
        let best = self.ranked.first().map(|r| r.month_usd).unwrap_or(0.0);
        let mut text = String::from(
            "rank,point,parameters,projected_month_usd,latency_p95_ms,availability,more_than_best_usd\n",
        );
        for (i, r) in self.ranked.iter().enumerate() {
            text.push_str(&format!(
                "{},{},\"{}\",{:.6},{:.3},{:.6},{:.6}\n",
                i + 1,
                r.point,
                r.params,
                r.month_usd,
                r.p95_ms,
                r.availability,
                r.month_usd - best
            ));
        }
        text
    }

    /// One line: what was searched and against what.
    pub fn headline(&self) -> String {
        let how = if self.search.screened > 0 {
            format!(
                "{} configurations screened with the fluid model, {} confirmed by the engine",
                self.search.screened, self.search.evaluated
            )
        } else if self.search.rounds == 0 {
            format!("all {} configurations", self.search.grid_points)
        } else {
            format!(
                "{} of {} configurations, coarse to fine in {} rounds",
                self.search.evaluated, self.search.grid_points, self.search.rounds
            )
        };
        format!(
            "plan: {} on {}, {how} ({} replications each); SLO p95 <= {} ms over the run and in {} % of {} windows{}",
            self.scenario,
            self.trace,
            self.replications,
            self.slo_p95_ms,
            self.slo.windows_met_pct,
            self.slo.window,
            self.budget_usd
                .map(|b| format!(", budget <= ${b}/month"))
                .unwrap_or_default()
        )
    }

    pub fn blocks<'a>(
        &self,
        pareto: Option<&'a [u8]>,
        heatmap: Option<&'a [u8]>,
    ) -> Vec<Block<'a>> {
        let mut b = vec![
            Block::Title(format!(
                "Capacity plan: {} on {}",
                self.scenario, self.trace
            )),
            Block::Para(format!("{}.", self.headline())),
        ];
        match self.ranked.first() {
            None => b.push(Block::Para(format!(
                "No configuration meets the SLO{}. results.csv holds every configuration simulated.",
                if self.budget_usd.is_some() {
                    " within the budget"
                } else {
                    ""
                }
            ))),
            Some(best) => {
                b.push(Block::Para(format!(
                    "Cheapest configuration meeting the SLO: {} at ${:.2} a month (p95 {:.1} ms, availability {:.4}).",
                    best.params, best.month_usd, best.p95_ms, best.availability
                )));
                b.push(Block::Table(Table {
                    id: "plan",
                    head: vec![
                        "rank".into(),
                        "configuration".into(),
                        "projected month".into(),
                        "p95".into(),
                        "availability".into(),
                        "more than the best".into(),
                    ],
                    rows: self
                        .ranked
                        .iter()
                        .take(10)
                        .enumerate()
                        .map(|(i, r)| {
                            vec![
                                (i + 1).to_string(),
                                r.params.clone(),
                                format!("${:.2}", r.month_usd),
                                format!("{:.1} ms", r.p95_ms),
                                format!("{:.4}", r.availability),
                                if i == 0 {
                                    "—".into()
                                } else {
                                    format!("+${:.2}", r.month_usd - best.month_usd)
                                },
                            ]
                        })
                        .collect(),
                }));
            }
        }
        if let Some(png) = pareto {
            b.push(Block::Image {
                file: "pareto.png",
                caption: "Every configuration simulated: projected monthly cost against p95; filled points meet the SLO; the line joins the Pareto front.".into(),
                png,
                size: (WIDTH, HEIGHT),
            });
        }
        if let Some(png) = heatmap {
            b.push(Block::Image {
                file: "heatmap.png",
                caption: "Projected monthly cost over the two axes where the SLO is met (grey: missed; outlined: the cheapest).".into(),
                png,
                size: (WIDTH, HEIGHT),
            });
        }
        b.push(Block::Para(
            "results.csv: every configuration simulated (means and 95 % confidence half-widths); plan.csv: those meeting the SLO and budget, cheapest first.".into(),
        ));
        b
    }
}
