//! Point files and the assembled results: results.csv, pareto.csv, the charts, merge of shards.

use super::*;

pub(crate) fn header(axes: &[Axis]) -> Vec<String> {
    let mut h = vec!["point".to_string()];
    h.extend(axes.iter().map(|a| a.key.clone()));
    h.push("replications".into());
    for m in METRICS {
        h.push(format!("{m}_mean"));
        h.push(format!("{m}_ci95"));
    }
    h.push("slo_met".into());
    h
}

pub(crate) fn fmt(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        format!("{v:.6}")
    }
}

pub(crate) fn point_path(dir: &Path, id: usize) -> PathBuf {
    dir.join("points").join(format!("point-{id:06}.csv"))
}

pub(crate) fn csv_line(fields: &[String]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields).expect("in-memory CSV");
    String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8")
}

/// A sweep's results as written: the table, and the charts' PNG bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Assembled {
    pub table: SweepTable,
    pub pareto_png: Option<Vec<u8>>,
    pub heatmap_png: Option<Vec<u8>>,
}

/// Writes `out/results.csv` (and `pareto.csv`, with `charts` `pareto.png` and
/// for two axes `heatmap.png`, and with the `parquet` feature
/// `results.parquet`) from the point files found in `dirs`, for `ids` in
/// index order; every one must be present. Returns what it wrote.
pub(crate) fn assemble(
    out: &Path,
    dirs: &[PathBuf],
    id: &SweepId,
    ids: Vec<usize>,
    charts: bool,
    judge: Option<&Judge>,
) -> anyhow::Result<Assembled> {
    let axes = &id.axes;
    let mut text = csv_line(&header(axes));
    let mut missing = Vec::new();
    for id in ids {
        let found = dirs.iter().map(|d| point_path(d, id)).find(|p| p.exists());
        match found {
            Some(p) => {
                let t = std::fs::read_to_string(&p)?;
                let row = t.lines().nth(1).unwrap_or_default();
                match judge {
                    None => {
                        text.push_str(row);
                        text.push('\n');
                    }
                    Some(j) => text.push_str(&csv_line(&rejudge(row, axes.len(), j)?)),
                }
            }
            None => missing.push(id),
        }
    }
    if !missing.is_empty() {
        anyhow::bail!(
            "{} point(s) missing (first: {:?}); run the missing shards, or the sweep again to resume",
            missing.len(),
            &missing[..missing.len().min(10)]
        );
    }
    std::fs::create_dir_all(out)?;
    let table = SweepTable::parse(&text, axes.len())?;
    write_file_atomically(&out.join("pareto.csv"), &pareto_csv(&table)?)?;
    let (mut pareto_png, mut heatmap_png) = (None, None);
    if charts {
        let trace = Path::new(&id.trace)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let title = format!(
            "sweep of {} on {trace}: cost against p95 ({} points × {} replications)",
            id.scenario,
            table.rows.len(),
            id.replications
        );
        let png = pareto_chart(&table, &title)?;
        write_file_atomically(&out.join("pareto.png"), &png)?;
        pareto_png = Some(png);
        // A heatmap when exactly two axes vary (single-valued axes are fixed settings).
        let varying: Vec<(usize, &Axis)> = axes
            .iter()
            .enumerate()
            .filter(|(_, a)| a.values.len() > 1)
            .collect();
        if let [(ia, a), (ib, b)] = varying.as_slice() {
            let title = format!(
                "sweep of {} on {trace}: projected monthly cost by {} and {}",
                id.scenario, a.key, b.key
            );
            let png = heatmap_chart(&table, [(*ia, &a.values), (*ib, &b.values)], &title)?;
            write_file_atomically(&out.join("heatmap.png"), &png)?;
            heatmap_png = Some(png);
        }
    }
    #[cfg(feature = "parquet")]
    parquet::write(&table, &out.join("results.parquet"))?;
    write_file_atomically(&out.join("results.csv"), &text)?;
    Ok(Assembled {
        table,
        pareto_png,
        heatmap_png,
    })
}

/// A point row judged against `j` (the planner's SLO): `slo_met` recomputed
/// from the means, goodput blanked when it counts against another target.
fn rejudge(row: &str, n_axes: usize, j: &Judge) -> anyhow::Result<Vec<String>> {
    let mut fields: Vec<String> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(row.as_bytes())
        .records()
        .next()
        .transpose()?
        .map(|r| r.iter().map(str::to_string).collect())
        .unwrap_or_default();
    let first = n_axes + 2;
    if fields.len() != first + 2 * METRICS.len() + 1 {
        anyhow::bail!(
            "a point file has {} columns, expected {}",
            fields.len(),
            first + 2 * METRICS.len() + 1
        );
    }
    let col = |name: &str| first + 2 * METRICS.iter().position(|m| *m == name).expect("a metric");
    let mean = |name: &str| fields[col(name)].parse::<f64>().unwrap_or(f64::NAN);
    let met = j.met(mean);
    let last = fields.len() - 1;
    fields[last] = met.to_string();
    if j.blank_goodput {
        let c = col("requests_within_slo_pct");
        fields[c].clear();
        fields[c + 1].clear();
    }
    Ok(fields)
}

/// `pareto.csv`: the rows of [`SweepTable::pareto`], cheapest first.
pub(crate) fn pareto_csv(t: &SweepTable) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&t.head)?;
    for r in t.pareto() {
        w.write_record(&t.rows[r])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// Joins shard directories of one sweep into `out/results.csv`.
pub fn merge(dirs: &[PathBuf], out: &Path, charts: bool) -> anyhow::Result<usize> {
    use anyhow::{Context, bail};
    let mut id: Option<SweepId> = None;
    for d in dirs {
        let p = d.join("sweep.json");
        let this: SweepId = serde_json::from_str(
            &std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?,
        )
        .with_context(|| format!("{} is not a sweep description", p.display()))?;
        match &id {
            None => id = Some(this),
            Some(first) if *first != this => bail!(
                "{} holds a different sweep than {}: {}",
                d.display(),
                dirs[0].display(),
                differences(first, &this).join("; ")
            ),
            _ => {}
        }
    }
    let Some(id) = id else {
        bail!("no directories to merge")
    };
    assemble(out, dirs, &id, (0..id.points).collect(), charts, None)?;
    if !out.join("sweep.json").exists() {
        write_file_atomically(&out.join("sweep.json"), &serde_json::to_string_pretty(&id)?)?;
    }
    Ok(id.points)
}
