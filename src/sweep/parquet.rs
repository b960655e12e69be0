//! `results.parquet`: the sweep's `results.csv` as a typed table (polars),
//! for DataFrame analysis. Axis columns are numbers when every value is one,
//! text otherwise; metrics are nullable floats (a confidence half-width is
//! null with one replication); `slo_met` is a boolean.

use crate::metrics::table::SweepTable;
use polars::prelude::*;
use std::path::Path;

pub fn write(t: &SweepTable, path: &Path) -> anyhow::Result<()> {
    let n_axes = t.axes.len();
    let mut columns = Vec::with_capacity(t.head.len());
    for (c, name) in t.head.iter().enumerate() {
        let cells = t.rows.iter().map(|r| r[c].as_str());
        let name: PlSmallStr = name.as_str().into();
        let col = if c == 0 {
            Column::new(
                name,
                cells.map(|v| v.parse::<u64>().ok()).collect::<Vec<_>>(),
            )
        } else if name.as_str() == "replications" {
            Column::new(
                name,
                cells.map(|v| v.parse::<u32>().ok()).collect::<Vec<_>>(),
            )
        } else if name.as_str() == "slo_met" {
            Column::new(name, cells.map(|v| v == "true").collect::<Vec<bool>>())
        } else if c <= n_axes {
            let nums: Option<Vec<f64>> = t.rows.iter().map(|r| r[c].parse::<f64>().ok()).collect();
            match nums {
                Some(v) => Column::new(name, v),
                None => Column::new(name, cells.collect::<Vec<&str>>()),
            }
        } else {
            Column::new(
                name,
                cells
                    .map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite()))
                    .collect::<Vec<Option<f64>>>(),
            )
        };
        columns.push(col);
    }
    let mut df = DataFrame::new_infer_height(columns)?;
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    ParquetWriter::new(std::fs::File::create(&tmp)?).finish(&mut df)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
