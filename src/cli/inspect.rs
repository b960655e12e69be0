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
    use crate::trace::{import, logs};
    use std::io::Read;
    let from = match args.from {
        ImportFormat::Prometheus => "prometheus",
        ImportFormat::Grafana => "grafana",
        ImportFormat::Cloudwatch => "cloudwatch",
        ImportFormat::Alb => "alb",
        ImportFormat::Clf => "clf",
        ImportFormat::Jsonl => "jsonl",
    };
    let at = |e: String| anyhow!("{} (read as --from {from}): {e}", args.file.display());
    let _bar = super::progress::Progress::reading(&args.file, false);
    let open = || {
        trace::open_text(&args.file).with_context(|| format!("cannot read {}", args.file.display()))
    };
    let read_all = || -> Result<String> {
        let mut text = String::new();
        open()?
            .read_to_string(&mut text)
            .with_context(|| format!("cannot read {} as UTF-8 text", args.file.display()))?;
        Ok(text)
    };
    let tz = args
        .timezone
        .as_deref()
        .map(|z| {
            jiff::tz::TimeZone::get(z).map_err(|e| {
                anyhow!(
                    "--timezone `{z}`: {e} (expected an IANA zone such as Europe/Berlin, or UTC)"
                )
            })
        })
        .transpose()?;
    let is_log = matches!(
        args.from,
        ImportFormat::Alb | ImportFormat::Clf | ImportFormat::Jsonl
    );
    if is_log && (args.values.is_some() || args.sum || !args.series.is_empty()) {
        bail!(
            "--from {from} reads one row per request: --values, --series and --sum are for rate exports"
        );
    }
    if !matches!(args.from, ImportFormat::Grafana) && args.sample_at.is_some() {
        bail!(
            "--sample-at is for --from grafana (Prometheus samples end their window; CloudWatch periods start at their timestamp)"
        );
    }
    let need_values = || {
        args.values.ok_or_else(|| {
            anyhow!(
                "--from {from} needs --values rate (a rate(...) query: requests per second) \
                 or --values count (increase(...): requests per step); the export does not say which"
            )
        })
    };
    enum Out {
        Series(import::Imported),
        Log(logs::LogRead),
        Json(Vec<logs::JsonRequest>, logs::JsonShape),
    }
    let out = match args.from {
        ImportFormat::Prometheus => {
            let values = need_values()?;
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
            Out::Series(import::prometheus(&read_all()?, values, &series, args.sum).map_err(at)?)
        }
        ImportFormat::Grafana => {
            let values = need_values()?;
            Out::Series(
                import::grafana(
                    &read_all()?,
                    values,
                    tz.as_ref(),
                    &args.series,
                    args.sum,
                    args.sample_at.unwrap_or(import::SampleAt::End),
                )
                .map_err(at)?,
            )
        }
        ImportFormat::Cloudwatch => {
            if args.values == Some(import::Values::Rate) {
                bail!(
                    "--from cloudwatch gives a count per period (Sum of RequestCount or Count); drop --values rate"
                );
            }
            let text = read_all()?;
            let json = text
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('{');
            Out::Series(
                if json {
                    import::cloudwatch(&text)
                } else {
                    import::cloudwatch_csv(&text, tz.as_ref())
                }
                .map_err(at)?,
            )
        }
        ImportFormat::Alb | ImportFormat::Clf => {
            let format = if args.from == ImportFormat::Alb {
                logs::LogFormat::Alb
            } else {
                logs::LogFormat::Clf
            };
            Out::Log(
                logs::read_log(open()?, format, args.skip_bad_lines)
                    .map_err(|(line, m)| at(format!("line {line}: {m}")))?,
            )
        }
        ImportFormat::Jsonl => {
            let (reqs, shape) =
                read_jsonl(open()?).map_err(|(line, m)| at(format!("line {line}: {m}")))?;
            Out::Json(reqs, shape)
        }
    };
    if args.out.exists() && !args.force {
        bail!("{} exists; give --force to replace it", args.out.display());
    }
    let tmp = args.out.with_extension("csv.partial");
    let f =
        std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    let w = std::io::BufWriter::new(f);
    let (written, notes) = match &out {
        Out::Series(imp) => (
            import::write_csv(w, imp).map(|_| imp.rows.len()),
            imp.notes.clone(),
        ),
        Out::Log(log) => (
            import::write_requests_csv(w, log).map(|_| log.requests.len()),
            log.notes.clone(),
        ),
        Out::Json(reqs, shape) => (
            write_json_requests(w, reqs, shape).map(|_| reqs.len()),
            if shape.ignored.is_empty() {
                vec![]
            } else {
                vec![format!(
                    "field(s) not simulated and not written: {}",
                    shape.ignored.join(", ")
                )]
            },
        ),
    };
    let rows = match written {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(anyhow!(e).context(format!("cannot write {}", tmp.display())));
        }
    };
    std::fs::rename(&tmp, &args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    for n in &notes {
        eprintln!("note: {n}");
    }
    eprintln!("wrote {} ({rows} rows)", args.out.display());
    trace_info(InfoArgs {
        file: args.out,
        bin: 60.0,
    })
}

/// Reads a whole JSON-lines trace, sorted by time (stable).
fn read_jsonl(
    mut r: Box<dyn std::io::BufRead>,
) -> std::result::Result<
    (
        Vec<crate::trace::logs::JsonRequest>,
        crate::trace::logs::JsonShape,
    ),
    (u64, String),
> {
    use crate::trace::logs;
    let mut shape: Option<logs::JsonShape> = None;
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        match r.read_line(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err((line + 1, format!("cannot read: {e}"))),
        }
        line += 1;
        let text = buf.trim();
        if text.is_empty() {
            continue;
        }
        let sh = match &shape {
            Some(s) => s,
            None => shape.insert(logs::json_shape(text).map_err(|m| (line, m))?),
        };
        out.push(logs::parse_json_line(text, sh).map_err(|m| (line, m))?);
    }
    let shape = shape.ok_or((line, "no JSON objects".to_string()))?;
    out.sort_by_key(|q| q.t_us);
    Ok((out, shape))
}

fn write_json_requests<W: std::io::Write>(
    w: W,
    reqs: &[crate::trace::logs::JsonRequest],
    shape: &crate::trace::logs::JsonShape,
) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let mut head = vec!["timestamp"];
    if shape.service_ms {
        head.push("service_ms");
    }
    if shape.tokens_in {
        head.push("tokens_in");
    }
    if shape.tokens_out {
        head.push("tokens_out");
    }
    if shape.session {
        head.push("session");
    }
    out.write_record(&head)?;
    for q in reqs {
        let mut rec = vec![
            jiff::Timestamp::from_microsecond(q.t_us)
                .map(|t| t.to_string())
                .map_err(std::io::Error::other)?,
        ];
        for v in [q.service_ms, q.tokens_in, q.tokens_out]
            .into_iter()
            .flatten()
        {
            rec.push(format!("{v}"));
        }
        if let Some(s) = &q.session {
            rec.push(s.clone());
        }
        out.write_record(&rec)?;
    }
    out.flush()
}

pub(super) fn scenario_import(args: ScenarioImportArgs, book: &PriceBook) -> Result<()> {
    use crate::scenario::import;
    let json = |f: &std::path::Path| {
        std::fs::read_to_string(f)
            .map(|t| t.trim_start().starts_with('{'))
            .unwrap_or(false)
    };
    let jsons = args.files.iter().filter(|f| json(f)).count();
    let imp = if jsons == 0 {
        import::kubernetes(&args.files, &args.out, args.workload.as_deref())
    } else if jsons == args.files.len() {
        import::ecs(&args.files, args.workload.as_deref())
    } else {
        Err("give either Kubernetes YAML or ECS JSON (AWS CLI output), not both".into())
    }
    .map_err(|e| anyhow!("{e}"))?;
    if args.out.exists() && !args.force {
        bail!("{} exists; give --force to replace it", args.out.display());
    }
    let tmp = args.out.with_extension("toml.partial");
    std::fs::write(&tmp, &imp.toml).with_context(|| format!("cannot write {}", tmp.display()))?;
    // The scenario must load as written: its manifests are read again.
    let out_str = args.out.display().to_string();
    let check = std::fs::rename(&tmp, &args.out)
        .map_err(anyhow::Error::from)
        .and_then(|_| scenario::resolve(&out_str, &[], &[], book).map_err(|e| anyhow!("{e}")));
    match check {
        Ok(sc) => {
            for n in &imp.notes {
                eprintln!("note: {n}");
            }
            for w in &sc.warnings {
                eprintln!("warning: {w}");
            }
            eprintln!(
                "assumed (not in the imported files; check them): {}",
                imp.assumed.join(", ")
            );
            eprintln!("wrote {}", args.out.display());
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&args.out);
            bail!("the imported scenario does not load, so nothing was written:\n{e}")
        }
    }
}

pub(super) fn trace_transform(args: TransformArgs) -> Result<()> {
    use crate::trace::transform::{self, Transform};
    let mut tf = Transform {
        seed: args.seed,
        ..Default::default()
    };
    if let Some(c) = &args.clip {
        let (a, b) = c
            .split_once("..")
            .ok_or_else(|| anyhow!("--clip `{c}`: expected START..END (either may be empty)"))?;
        tf.clip = (
            transform::parse_bound(a).map_err(|e| anyhow!("--clip: {e}"))?,
            transform::parse_bound(b).map_err(|e| anyhow!("--clip: {e}"))?,
        );
    }
    if let Some(f) = args.scale {
        if !(f.is_finite() && f > 0.0 && f <= 1000.0) {
            bail!("--scale {f}: expected a factor in (0, 1000] (1.5 = 50 % more requests)");
        }
        tf.scale = Some(f);
    }
    if let Some(r) = &args.resample {
        let d = transform::parse_duration(r).map_err(|e| anyhow!("--resample: {e}"))?;
        if d < 1_000_000 {
            bail!("--resample {r}: expected a row length of at least 1 s");
        }
        tf.resample_us = Some(d);
    }
    if let Some(s) = &args.shift {
        tf.shift_us = transform::parse_duration(s).map_err(|e| anyhow!("--shift: {e}"))?;
    }
    let bar = super::progress::Progress::reading(&args.file, false);
    let meta = trace::scan(&args.file, 60.0)?;
    drop(bar);
    if meta
        .ignored
        .iter()
        .any(|c| c.eq_ignore_ascii_case("region") || c.eq_ignore_ascii_case("model"))
    {
        eprintln!(
            "note: columns not carried over: {}",
            meta.ignored.join(", ")
        );
    }
    let bar = super::progress::Progress::reading(&args.file, false);
    let out = transform::apply(&args.file, &meta, &tf)?;
    drop(bar);
    if args.out.exists() && !args.force {
        bail!("{} exists; give --force to replace it", args.out.display());
    }
    if args.out == args.file {
        bail!("-o names the input; write to another file");
    }
    let tmp = args.out.with_extension("csv.partial");
    let f =
        std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    if let Err(e) = transform::write_csv(std::io::BufWriter::new(f), &out) {
        let _ = std::fs::remove_file(&tmp);
        return Err(anyhow!(e).context(format!("cannot write {}", tmp.display())));
    }
    std::fs::rename(&tmp, &args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    for n in &out.notes {
        eprintln!("note: {n}");
    }
    eprintln!("wrote {} ({} rows)", args.out.display(), out.rows.len());
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
    let bar = super::progress::Progress::reading(&file, false);
    let m = trace::scan(&file, bin)?;
    drop(bar);
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
    if !m.ignored.is_empty() {
        writeln!(o, "not simulated {}", m.ignored.join(", "))?;
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

/// `meshsim vpa explain`: the recommendation from a usage history.
pub(super) fn vpa_explain(a: &VpaExplainArgs) -> Result<()> {
    use crate::model::vpa::{Amounts, explain};
    use crate::scenario::resources::{VpaManifest, build_spec, parse_vpa_manifest};
    let manifest = match &a.vpa {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read the VPA manifest {}", p.display()))?;
            let shown = p.display().to_string();
            let m = parse_vpa_manifest(&text, &shown, a.name.as_deref(), a.container.as_deref())
                .map_err(|(_, e)| anyhow!("{e}"))?;
            for w in &m.warnings {
                eprintln!("warning: {w}");
            }
            m
        }
        None => VpaManifest {
            name: "(no manifest: Auto, cpu and memory, no bounds)".into(),
            ..VpaManifest::default()
        },
    };
    let spec = build_spec(&manifest).map_err(|(_, e, hint)| {
        let src = a
            .vpa
            .as_ref()
            .map_or(String::new(), |p| format!("{}: ", p.display()));
        match hint {
            Some(h) => anyhow!("{src}{e} ({h})"),
            None => anyhow!("{src}{e}"),
        }
    })?;
    let samples = read_vpa_samples(&a.history)?;
    let agg = crate::model::vpa::aggregate(&samples);
    let pod = match (&a.request_cpu, &a.request_memory) {
        (Some(c), Some(m)) => {
            let cpu = scenario::cpu_quantity(c).map_err(|e| anyhow!("--request-cpu: {e}"))?;
            let gib = scenario::memory_quantity(m).map_err(|e| anyhow!("--request-memory: {e}"))?;
            if !(a.age_s.is_finite() && a.age_s >= 0.0) {
                bail!("--age-s: {} is not a number of seconds ≥ 0", a.age_s);
            }
            Some((
                Amounts {
                    cpu_milli: (cpu * 1000.0).round(),
                    memory_bytes: (gib * 1024.0 * 1024.0 * 1024.0).round(),
                },
                crate::units::secs_to_us(a.age_s),
            ))
        }
        _ => None,
    };
    let ex = explain(&agg, &spec, pod);
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &ex)?;
    writeln!(out)?;
    Ok(())
}

/// Reads a usage history (`vpa_samples.csv`'s columns; others are ignored):
/// errors name the file, line and column.
pub(crate) fn read_vpa_samples(path: &std::path::Path) -> Result<Vec<crate::model::vpa::Sample>> {
    let shown = path.display();
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read the usage history {shown}"))?;
    let mut rd = ::csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(file);
    let headers = rd
        .headers()
        .map_err(|e| anyhow!("{shown}: line 1: not a CSV header: {e}"))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(t), Some(pod)) = (col("t_s"), col("pod")) else {
        bail!(
            "{shown}: line 1: the columns t_s and pod are required (with cpu_cores, memory_mb, oom_request_mb): a run's vpa_samples.csv has them"
        );
    };
    let (cpu, mem, oom) = (col("cpu_cores"), col("memory_mb"), col("oom_request_mb"));
    if cpu.is_none() && mem.is_none() && oom.is_none() {
        bail!("{shown}: line 1: none of the columns cpu_cores, memory_mb, oom_request_mb");
    }
    let mut out = Vec::new();
    let mut last_us = 0u64;
    for rec in rd.records() {
        let rec = rec.map_err(|e| anyhow!("{shown}: {e}"))?;
        let line = rec.position().map_or(0, |p| p.line());
        let cell = |i: usize| rec.get(i).unwrap_or("").trim();
        let num = |i: Option<usize>, name: &str, max: f64| -> Result<Option<f64>> {
            let Some(i) = i else { return Ok(None) };
            let s = cell(i);
            if s.is_empty() {
                return Ok(None);
            }
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() && (0.0..=max).contains(&v) => Ok(Some(v)),
                _ => bail!(
                    "{shown}: line {line}, column {name}: `{s}` is not a number in [0, {max}] (leave the cell empty for no sample)"
                ),
            }
        };
        let ts = num(Some(t), "t_s", 1e9)?.ok_or_else(|| {
            anyhow!(
                "{shown}: line {line}, column t_s: empty; every sample needs its time in seconds"
            )
        })?;
        let t_us = (ts * 1e6).round() as u64;
        if t_us < last_us {
            bail!(
                "{shown}: line {line}, column t_s: {ts} is before the previous row's time; sort the samples by time"
            );
        }
        last_us = t_us;
        let s = crate::model::vpa::Sample {
            t_us,
            pod: cell(pod).to_string(),
            cpu_cores: num(cpu, "cpu_cores", 1e5)?,
            memory_mb: num(mem, "memory_mb", 1e9)?,
            oom_request_mb: num(oom, "oom_request_mb", 1e9)?,
        };
        out.push(s);
    }
    if out.is_empty() {
        bail!("{shown}: no samples (a header and no rows)");
    }
    Ok(out)
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
