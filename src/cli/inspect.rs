//! Commands that inspect without simulating: pricing, traces, scenarios
//! (list, validate, diff) and `hpa explain`.

use super::args::*;
use super::env_overrides;
use crate::billing::{PriceBook, PriceRow};
use crate::scenario::{self, builtin};
use crate::trace::{self, TraceKind, r#gen};
use crate::units::us_to_secs;
use anyhow::{Context, Result, anyhow, bail};
use std::io::Write;

pub(super) fn pricing(args: PricingArgs, book: &PriceBook) -> Result<()> {
    let PricingArgs {
        service,
        region,
        sku,
        option,
        file,
        csv,
    } = args;
    let own;
    let book = match file {
        Some(f) => {
            let text = std::fs::read_to_string(&f)
                .with_context(|| format!("cannot read {}", f.display()))?;
            own = book.overlay(&PriceBook::from_csv(&text, &f.display().to_string())?);
            &own
        }
        None => book,
    };
    let eq = |a: &str, b: &Option<String>| b.as_ref().is_none_or(|b| a.eq_ignore_ascii_case(b));
    let rows: Vec<_> = book
        .rows()
        .iter()
        .filter(|r| {
            eq(&r.service, &service)
                && eq(&r.region, &region)
                && eq(&r.purchase_option, &option)
                && sku.as_ref().is_none_or(|s| r.sku.contains(s.as_str()))
        })
        .collect();
    if rows.is_empty() {
        bail!(
            "no price matches (the catalogue has {} rows; try without filters)",
            book.rows().len()
        );
    }
    let mut o = std::io::stdout().lock();
    if csv {
        write_prices_csv(&mut o, &rows)
    } else {
        write_prices_table(&mut o, &rows)
    }
}

pub(super) fn trace_gen(args: GenArgs) -> Result<()> {
    let GenArgs {
        pattern,
        mean,
        peak,
        duration,
        interval,
        seed,
        start,
        noise,
        out,
    } = args;
    let spec = r#gen::GenSpec {
        pattern,
        mean_rps: mean,
        peak_rps: peak,
        duration_s: crate::units::parse_duration_secs(&duration)
            .map_err(|e| anyhow!("--duration: {e}"))?,
        interval_s: crate::units::parse_duration_secs(&interval)
            .map_err(|e| anyhow!("--interval: {e}"))?,
        seed,
        start: start
            .parse()
            .map_err(|e| anyhow!("--start: `{start}` is not an RFC 3339 timestamp: {e}"))?,
        noise,
    };
    let rows = r#gen::generate(&spec).map_err(|e| anyhow!(e))?;
    match out {
        Some(path) => {
            let tmp = path.with_extension("csv.partial");
            let f = std::fs::File::create(&tmp)
                .with_context(|| format!("cannot create {}", tmp.display()))?;
            r#gen::write_csv(std::io::BufWriter::new(f), &rows)?;
            std::fs::rename(&tmp, &path)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => r#gen::write_csv(std::io::stdout().lock(), &rows)?,
    }
    Ok(())
}

/// `meshsim trace import`: a monitoring export to a rate trace, then the
/// trace's summary as `trace info` reads it back.
pub(super) fn trace_import(args: ImportArgs) -> Result<()> {
    use crate::trace::import;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let from = match args.from {
        ImportFormat::Prometheus => "prometheus",
        ImportFormat::Cloudwatch => "cloudwatch",
    };
    let at = |e: String| anyhow!("{} (read as --from {from}): {e}", args.file.display());
    let imported = match args.from {
        ImportFormat::Prometheus => {
            let values = args.values.ok_or_else(|| {
                anyhow!(
                    "--from prometheus needs --values rate (a rate(...) query: requests per second) \
                     or --values count (increase(...): requests per step); the response does not say which"
                )
            })?;
            let series = args
                .series
                .iter()
                .map(|s| {
                    s.split_once('=')
                        .map(|(k, v)| {
                            (k.trim().to_string(), v.trim().trim_matches('"').to_string())
                        })
                        .ok_or_else(|| anyhow!("--series `{s}`: expected label=value"))
                })
                .collect::<Result<Vec<_>>>()?;
            import::prometheus(&text, values, &series, args.sum).map_err(at)?
        }
        ImportFormat::Cloudwatch => {
            if args.values == Some(import::Values::Rate) {
                bail!(
                    "--from cloudwatch gives a count per period (Sum of RequestCount or Count); drop --values rate"
                );
            }
            import::cloudwatch(&text).map_err(at)?
        }
    };
    if args.out.exists() && !args.force {
        bail!("{} exists; give --force to replace it", args.out.display());
    }
    let tmp = args.out.with_extension("csv.partial");
    let f =
        std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    import::write_csv(std::io::BufWriter::new(f), &imported)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    for n in &imported.notes {
        eprintln!("note: {n}");
    }
    eprintln!(
        "wrote {} ({} rows)",
        args.out.display(),
        imported.rows.len()
    );
    trace_info(InfoArgs {
        file: args.out,
        bin: 60.0,
    })
}

pub(super) fn trace_info(args: InfoArgs) -> Result<()> {
    let InfoArgs { file, bin } = args;
    if bin.is_nan() || bin <= 0.0 {
        bail!("--bin must be > 0 seconds");
    }
    let m = trace::scan(&file, bin)?;
    let start = jiff::Timestamp::from_microsecond(m.start_epoch_us)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let kind = match m.kind {
        TraceKind::Rate => "rate trace (requests per second per row)",
        TraceKind::Count => "rate trace (request count per row)",
        TraceKind::Request => "request trace (one row per request)",
    };
    let mut o = std::io::stdout().lock();
    writeln!(o, "file          {}", file.display())?;
    writeln!(o, "kind          {kind}")?;
    writeln!(o, "rows          {}", m.rows)?;
    writeln!(o, "start         {start}")?;
    writeln!(
        o,
        "span          {:.0} s ({:.2} h)",
        m.span_s(),
        m.span_s() / 3600.0
    )?;
    if m.kind != TraceKind::Request {
        writeln!(
            o,
            "row interval  {} s (median)",
            us_to_secs(m.median_interval_us)
        )?;
    }
    writeln!(o, "requests      {:.0}", m.expected_requests)?;
    writeln!(o, "mean rate     {:.3} rps", m.mean_rps)?;
    let per = if m.kind == TraceKind::Request {
        format!(" (per {} s bin)", m.info_bin_s)
    } else {
        " (row)".into()
    };
    writeln!(o, "peak rate     {:.3} rps{per}", m.peak_rps)?;
    writeln!(o, "peak/mean     {:.2}", m.peak_rps / m.mean_rps)?;
    if m.has_service_ms || m.has_tokens {
        writeln!(
            o,
            "columns       {}{}",
            if m.has_service_ms { "service_ms " } else { "" },
            if m.has_tokens { "tokens" } else { "" }
        )?;
    }
    Ok(())
}

pub(super) fn list_scenarios() -> Result<()> {
    let mut names: Vec<String> = builtin::names().iter().map(|s| s.to_string()).collect();
    if let Ok(rd) = std::fs::read_dir("scenarios") {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml")
                && let Some(stem) = p.file_stem()
            {
                names.push(stem.to_string_lossy().into_owned());
            }
        }
    }
    names.sort();
    names.dedup();
    let mut o = std::io::stdout().lock();
    for n in names {
        match scenario::load::load(&n, &[], &[]) {
            Ok(l) => {
                writeln!(o, "{n:<20} {}", l.file.description)?;
                if let Some(src) = &l.file.source {
                    writeln!(o, "{:<20} source: {src}", "")?;
                }
            }
            Err(e) => writeln!(
                o,
                "{n:<20} (invalid: {})",
                e.0.first().map(|d| d.to_string()).unwrap_or_default()
            )?,
        }
    }
    Ok(())
}

pub(super) fn validate(args: ValidateArgs, book: &PriceBook) -> Result<()> {
    let ValidateArgs { scenarios, set } = args;
    let env = env_overrides();
    let mut failed = 0;
    for s in &scenarios {
        match scenario::resolve(s, &env, &set, book) {
            Ok(sc) => {
                println!("{s}: ok ({})", sc.origin);
                for r in &sc.regions {
                    let outage = r
                        .outages_s
                        .iter()
                        .map(|(a, b)| match b {
                            Some(b) => {
                                format!("; down from {:.2} h to {:.2} h", a / 3600.0, b / 3600.0)
                            }
                            None => format!("; down from {:.2} h", a / 3600.0),
                        })
                        .collect::<String>();
                    println!(
                        "  region {} ({}): {:.0} % of the traffic; {}{outage}",
                        r.name,
                        r.aws_region,
                        r.weight * 100.0,
                        r.scenario.compute.explanation
                    );
                }
                for w in &sc.warnings {
                    println!("  warning: {w}");
                }
            }
            Err(e) => {
                failed += 1;
                eprint!("{s}: {e}");
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} scenario(s) invalid", scenarios.len());
    }
    Ok(())
}

pub(super) fn diff(args: DiffArgs) -> Result<()> {
    let DiffArgs { a, b } = args;
    let sa = scenario::load::load(&a, &[], &[]).map_err(|e| anyhow!("{a}: {e}"))?;
    let sb = scenario::load::load(&b, &[], &[]).map_err(|e| anyhow!("{b}: {e}"))?;
    let d = scenario::diff(&sa.file, &sb.file);
    let mut o = std::io::stdout().lock();
    if d.is_empty() {
        writeln!(o, "{a} and {b} have the same effective settings")?;
    }
    let w = d.iter().map(|x| x.0.len()).max().unwrap_or(0);
    for (k, va, vb) in d {
        let show = |v: Option<String>| v.unwrap_or_else(|| "(unset)".into());
        writeln!(o, "{k:<w$}  {}  ->  {}", show(va), show(vb))?;
    }
    Ok(())
}

/// Reads the HPA named `name` (or the only one) from a manifest file.
pub fn load_hpa(
    path: &std::path::Path,
    name: Option<&str>,
) -> Result<crate::model::autoscaler::hpa::spec::HpaSpec> {
    use crate::model::autoscaler::hpa::manifest::parse_hpas;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the HPA manifest {}", path.display()))?;
    let hpas = parse_hpas(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    match name {
        Some(n) => hpas
            .into_iter()
            .find(|h| h.name == n)
            .ok_or_else(|| anyhow!("{}: no HorizontalPodAutoscaler named `{n}`", path.display())),
        None if hpas.len() == 1 => Ok(hpas.into_iter().next().expect("one")),
        None => bail!(
            "{}: {} HorizontalPodAutoscalers ({}); choose one with --name",
            path.display(),
            hpas.len(),
            hpas.iter()
                .map(|h| h.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub(super) fn hpa_explain(
    hpa: &std::path::Path,
    state: &std::path::Path,
    name: Option<&str>,
) -> Result<()> {
    use crate::model::autoscaler::hpa::{explain, state::Snapshot};
    let spec = load_hpa(hpa, name)?;
    let text = std::fs::read_to_string(state)
        .with_context(|| format!("cannot read the snapshot {}", state.display()))?;
    let snap: Snapshot =
        serde_json::from_str(&text).map_err(|e| anyhow!("{}: {e}", state.display()))?;
    let ex = explain(&spec, &snap);
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &ex)?;
    writeln!(out)?;
    Ok(())
}

/// Prices as CSV, every column of the catalogue (with each price's source).
fn write_prices_csv<W: Write>(o: &mut W, rows: &[&PriceRow]) -> Result<()> {
    let mut w = ::csv::Writer::from_writer(o);
    w.write_record([
        "service",
        "sku",
        "region",
        "unit",
        "price_usd",
        "purchase_option",
        "description",
        "source",
        "source_date",
    ])?;
    for r in rows {
        w.write_record([
            &r.service,
            &r.sku,
            &r.region,
            &r.unit,
            &r.price_usd.to_string(),
            &r.purchase_option,
            &r.description,
            &r.source,
            &r.source_date,
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Prices as an aligned table.
fn write_prices_table<W: Write>(o: &mut W, rows: &[&PriceRow]) -> Result<()> {
    let header = [
        "service",
        "sku",
        "region",
        "price_usd",
        "unit",
        "option",
        "source date",
    ];
    writeln!(
        o,
        "{:<16} {:<28} {:<15} {:>11}  {:<26} {:<9} {}",
        header[0], header[1], header[2], header[3], header[4], header[5], header[6]
    )?;
    for r in rows {
        writeln!(
            o,
            "{:<16} {:<28} {:<15} {:>11}  {:<26} {:<9} {}",
            r.service, r.sku, r.region, r.price_usd, r.unit, r.purchase_option, r.source_date
        )?;
    }
    writeln!(
        o,
        "{} price(s); `--csv` prints each one's source",
        rows.len()
    )?;
    Ok(())
}
