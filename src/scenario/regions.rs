//! `[[regions]]` and `[replication]`: each region a scenario of its own.

use super::{
    Diagnostic, Diagnostics, Loaded, Problems, RegionPlan, RegionSpec, ScenarioFile, load, validate,
};
use crate::billing::PriceBook;
use crate::rng::fnv1a;
use std::collections::BTreeSet;

/// Checks the regions' names, routes, weights and outages, and replication.
fn check(loaded: &Loaded) -> Result<(), Diagnostics> {
    let f = &loaded.file;
    let mut p = Problems::new(&loaded.layers);
    let mut names = BTreeSet::new();
    let mut routes = BTreeSet::new();
    let mut sum = 0.0_f64;
    for (i, r) in f.regions.iter().enumerate() {
        let at = format!("regions[{i}]");
        if !names.insert(r.name.clone()) {
            p.bad(
                &format!("{at}.name"),
                format!("region `{}` is named twice", r.name),
                None,
            );
        }
        for v in &r.route {
            if !routes.insert(v.trim().to_string()) {
                p.bad(
                    &format!("{at}.route"),
                    format!("`{v}` is routed to more than one region"),
                    None,
                );
            }
        }
        if !(r.weight.is_finite() && r.weight > 0.0) {
            p.bad(
                &format!("{at}.weight"),
                format!("{} is not a share > 0", r.weight),
                None,
            );
        } else {
            sum += r.weight;
        }
        check_outage(r, &at, &mut p);
    }
    check_together(f, sum, &mut p);
    if !p.list.is_empty() {
        return Err(Diagnostics(p.list));
    }
    Ok(())
}

fn check_outage(r: &RegionSpec, at: &str, p: &mut Problems) {
    match (r.fail_at_s, r.recover_at_s) {
        (Some(a), _) if !(a.is_finite() && a >= 0.0) => p.bad(
            &format!("{at}.fail_at_s"),
            format!("{a} is not a time >= 0 s"),
            None,
        ),
        (None, Some(_)) => p.bad(
            &format!("{at}.recover_at_s"),
            "a region recovers only after `fail_at_s`".into(),
            None,
        ),
        (Some(a), Some(b)) if b.is_nan() || b <= a => p.bad(
            &format!("{at}.recover_at_s"),
            format!("{b} is not after fail_at_s = {a}"),
            None,
        ),
        _ => {}
    }
}

/// The checks across regions: their number, weights summing to 1, some
/// region up at every failure, and replication's size.
fn check_together(f: &ScenarioFile, sum: f64, p: &mut Problems) {
    if f.regions.len() == 1 {
        p.bad(
            "regions",
            "a multi-region scenario needs at least two regions".into(),
            None,
        );
    }
    if (sum - 1.0).abs() > 1e-6
        && f.regions
            .iter()
            .all(|r| r.weight.is_finite() && r.weight > 0.0)
    {
        p.bad(
            "regions",
            format!("the regions' weights sum to {sum}, not 1"),
            None,
        );
    }
    // Some region must be up whenever one fails.
    for r in &f.regions {
        if let Some(t) = r.fail_at_s {
            let up = f.regions.iter().any(|o| {
                o.fail_at_s
                    .is_none_or(|a| t < a || o.recover_at_s.is_some_and(|b| t >= b))
            });
            if !up {
                p.bad(
                    "regions",
                    format!("at {t} s every region is down; the traffic has nowhere to go"),
                    None,
                );
            }
        }
    }
    if let Some(rep) = &f.replication
        && !(rep.bytes_per_request.is_finite() && rep.bytes_per_request >= 0.0)
    {
        p.bad(
            "replication.bytes_per_request",
            format!("{} is not a size >= 0", rep.bytes_per_request),
            None,
        );
    }
}

/// Resolves `[[regions]]`: each region is the scenario with its `override`
/// table laid over it and `region` set to its AWS region, validated as a
/// scenario of its own (its prices are that region's).
pub(super) fn resolve_regions(
    loaded: &Loaded,
    book: &PriceBook,
) -> Result<(Vec<RegionPlan>, Vec<String>), Diagnostics> {
    check(loaded)?;
    let f = &loaded.file;
    let mut out = Vec::new();
    let mut all = Vec::new();
    let mut region_warnings = Vec::new();
    for (i, r) in f.regions.iter().enumerate() {
        let sub = match region_loaded(loaded, i, r) {
            Ok(sub) => sub,
            Err(d) => {
                all.push(d);
                continue;
            }
        };
        let scenario = match validate(sub, book) {
            Ok(s) => {
                for w in &s.warnings {
                    let w = format!("regions[{i}] ({}): {w}", r.name);
                    if !region_warnings.contains(&w) {
                        region_warnings.push(w);
                    }
                }
                s
            }
            Err(Diagnostics(ds)) => {
                all.extend(ds);
                continue;
            }
        };
        match replication_price(loaded, r, &scenario.region, book) {
            Ok(replication_usd_per_gb) => out.push(RegionPlan {
                name: r.name.clone(),
                aws_region: scenario.region.clone(),
                weight: r.weight,
                outages_s: r
                    .fail_at_s
                    .map(|a| (a, r.recover_at_s))
                    .into_iter()
                    .collect(),
                replication_usd_per_gb,
                route: r.route.iter().map(|v| fnv1a(v.trim().as_bytes())).collect(),
                scenario,
            }),
            Err(d) => all.push(d),
        }
    }
    if !all.is_empty() {
        return Err(Diagnostics(all));
    }
    Ok((out, region_warnings))
}

/// Region `i` as a scenario of its own: the merged scenario without its
/// regions, its `override` laid over it as one more layer.
fn region_loaded(loaded: &Loaded, i: usize, r: &RegionSpec) -> Result<Loaded, Diagnostic> {
    let f = &loaded.file;
    let aws = r.aws_region.clone().unwrap_or_else(|| r.name.clone());
    let mut t = loaded.merged.clone();
    t.remove("regions");
    t.remove("replication");
    let mut over = r.overrides.clone().unwrap_or_default();
    over.entry("region".to_string())
        .or_insert(toml::Value::String(aws.clone()));
    // A global daily Bedrock limit is shared: each region enforces its
    // share of it (unless the region sets its own).
    if let Some(limit) = f.llm.as_ref().and_then(|l| l.daily_limit_usd) {
        let llm = over
            .entry("llm".to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Table(t) = llm {
            t.entry("daily_limit_usd".to_string())
                .or_insert(toml::Value::Float(limit * r.weight));
        }
    }
    load::merge(&mut t, &over);
    let origin = format!("{} regions[{i}] ({})", loaded.origin, r.name);
    let file: ScenarioFile = match serde_path_to_error::deserialize(toml::Value::Table(t.clone())) {
        Ok(f) => f,
        Err(e) => {
            return Err(Diagnostic {
                origin: origin.clone(),
                line: None,
                key: format!("regions[{i}].override.{}", e.path()),
                message: e.inner().to_string(),
                hint: None,
            });
        }
    };
    let mut layers = loaded.layers.clone();
    layers.push(load::Layer {
        origin: origin.clone(),
        table: over,
        text: None,
    });
    Ok(Loaded {
        name: format!("{}/{}", loaded.name, r.name),
        origin,
        layers,
        merged: t,
        file,
    })
}

/// The inter-region transfer price out of a region, when replication is on.
fn replication_price(
    loaded: &Loaded,
    r: &RegionSpec,
    aws_region: &str,
    book: &PriceBook,
) -> Result<f64, Diagnostic> {
    match &loaded.file.replication {
        Some(rep) if rep.bytes_per_request > 0.0 => {
            match book.get("Data Transfer", "inter-region", aws_region, "on_demand") {
                Ok(p) => Ok(p.price_usd),
                Err(e) => Err(Diagnostic {
                    origin: loaded.origin.clone(),
                    line: None,
                    key: "replication".into(),
                    message: format!("region `{}`: {e}", r.name),
                    hint: None,
                }),
            }
        }
        _ => Ok(0.0),
    }
}
