//! A sweep's `results.csv` read back: one row per grid point, columns by name.

/// `results.csv` parsed: one row per grid point.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepTable {
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The axis keys (the columns after `point`).
    pub axes: Vec<String>,
}

impl SweepTable {
    pub fn parse(text: &str, n_axes: usize) -> Result<SweepTable, csv::Error> {
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let head: Vec<String> = rdr.headers()?.iter().map(str::to_string).collect();
        let rows = rdr
            .records()
            .map(|r| r.map(|r| r.iter().map(str::to_string).collect()))
            .collect::<Result<Vec<Vec<String>>, _>>()?;
        let axes = head.iter().skip(1).take(n_axes).cloned().collect();
        Ok(SweepTable { head, rows, axes })
    }

    pub fn col(&self, name: &str) -> Option<usize> {
        self.head.iter().position(|h| h == name)
    }

    /// A number of a row (NaN when empty or absent).
    pub fn num(&self, row: usize, name: &str) -> f64 {
        self.col(name)
            .and_then(|c| self.rows[row].get(c))
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }

    pub fn met(&self, row: usize) -> bool {
        self.col("slo_met")
            .and_then(|c| self.rows[row].get(c))
            .is_some_and(|v| v == "true")
    }

    pub fn point(&self, row: usize) -> usize {
        self.rows[row][0].parse().unwrap_or(0)
    }

    /// `key=value key=value …` of a row.
    pub fn params(&self, row: usize) -> String {
        self.axes
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k}={}", self.rows[row][i + 1]))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The rows no other row beats on both mean cost and mean p95 (lower is
    /// better for both), cheapest first.
    pub fn pareto(&self) -> Vec<usize> {
        let cost = |r| self.num(r, "cost_total_usd_mean");
        let p95 = |r| {
            let v = self.num(r, "latency_p95_ms_mean");
            if v.is_nan() { f64::INFINITY } else { v }
        };
        let n = self.rows.len();
        let mut front: Vec<usize> = (0..n)
            .filter(|&r| {
                let (c, p) = (cost(r), p95(r));
                !(0..n).any(|o| {
                    let (oc, op) = (cost(o), p95(o));
                    oc <= c && op <= p && (oc < c || op < p)
                })
            })
            .collect();
        front.sort_by(|a, b| cost(*a).total_cmp(&cost(*b)).then(a.cmp(b)));
        front
    }
}
