//! `meshsim explain RUN_DIR --at TIME`: one autoscaler decision of a run,
//! with what the controller saw. The run folder's `summary.json` records
//! everything that made the run (scenario as named, `--set` and `MESHSIM_*`
//! overrides, seed, arrivals, trace path and checksum, the effective
//! scenario); the run is simulated again from it — the engine is
//! deterministic, so it is the same run — with the policy recording its
//! inputs at the last sync at or before TIME. Nothing extra is stored in run
//! folders, so they stay small and every past run can be explained.

use super::args::RunExplainArgs;
use crate::billing::PriceBook;
use crate::engine::ArrivalProcess;
use crate::scenario;
use crate::units::US_PER_SEC;
use anyhow::{Context, Result, anyhow, bail};
use std::io::Write;
use std::path::Path;

/// What `summary.json` says about how the run was made.
struct Recorded {
    version: String,
    scenario: String,
    /// Where it was loaded from (`built-in:NAME` or a path).
    origin: String,
    overrides: Vec<String>,
    env_overrides: Vec<(String, String)>,
    seed: u64,
    arrivals: ArrivalProcess,
    trace_path: String,
    trace_sha256: String,
    effective: serde_json::Value,
}

fn recorded(dir: &Path) -> Result<Recorded> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} has no summary.json: give a folder `meshsim run` wrote (or one scenario's folder of a gallery)",
            dir.display()
        )
    })?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| anyhow!("{}: not JSON: {e}", path.display()))?;
    let p = v.get("provenance").ok_or_else(|| {
        anyhow!(
            "{}: no `provenance` (written by an older meshsim); run it again to explain it",
            path.display()
        )
    })?;
    let s = |k: &str| -> Result<String> {
        p.get(k)
            .and_then(|x| x.as_str())
            .map(str::to_string)
            .ok_or_else(|| anyhow!("{}: provenance.{k} is missing", path.display()))
    };
    let list = |k: &str| -> Vec<serde_json::Value> {
        p.get(k)
            .and_then(|x| x.as_array())
            .cloned()
            .unwrap_or_default()
    };
    let arrivals = match s("arrivals")?.as_str() {
        "uniform" => ArrivalProcess::Uniform,
        "poisson" => ArrivalProcess::Poisson,
        other => bail!(
            "{}: provenance.arrivals `{other}` is not poisson or uniform",
            path.display()
        ),
    };
    Ok(Recorded {
        version: s("meshsim_version")?,
        scenario: s("scenario")?,
        origin: s("scenario_origin")?,
        overrides: list("overrides")
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        env_overrides: list("env_overrides")
            .iter()
            .filter_map(|x| {
                let pair = x.as_array()?;
                Some((
                    pair.first()?.as_str()?.into(),
                    pair.get(1)?.as_str()?.into(),
                ))
            })
            .collect(),
        seed: p
            .get("seed")
            .and_then(|x| x.as_u64())
            .ok_or_else(|| anyhow!("{}: provenance.seed is missing", path.display()))?,
        arrivals,
        trace_path: s("trace_path")?,
        trace_sha256: s("trace_sha256")?,
        effective: p.get("effective_scenario").cloned().unwrap_or_default(),
    })
}

/// TIME as µs from the trace's start: seconds (`34605`, `34605s`), RFC 3339
/// with an offset, a local date and time in `tz`, or a local clock time
/// (the first on or after the start).
pub fn parse_at(text: &str, tz: &jiff::tz::TimeZone, start_epoch_us: i64) -> Result<i64> {
    let t = text.trim();
    let secs = t.strip_suffix('s').unwrap_or(t);
    if let Ok(s) = secs.parse::<f64>()
        && s.is_finite()
    {
        return Ok((s * US_PER_SEC as f64).round() as i64);
    }
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(ts.as_microsecond() - start_epoch_us);
    }
    let at_zone = |dt: jiff::civil::DateTime| -> Result<i64> {
        let z = dt
            .to_zoned(tz.clone())
            .map_err(|e| anyhow!("--at `{text}`: {e}"))?;
        Ok(z.timestamp().as_microsecond() - start_epoch_us)
    };
    if let Ok(dt) = t.replacen(' ', "T", 1).parse::<jiff::civil::DateTime>() {
        return at_zone(dt);
    }
    if let Ok(clock) = t.parse::<jiff::civil::Time>() {
        let start = jiff::Timestamp::from_microsecond(start_epoch_us)
            .map_err(|e| anyhow!("trace start out of range: {e}"))?
            .to_zoned(tz.clone());
        let mut at = at_zone(start.date().to_datetime(clock))?;
        if at < 0 {
            at = at_zone(
                start
                    .date()
                    .tomorrow()
                    .map_err(|e| anyhow!("{e}"))?
                    .to_datetime(clock),
            )?;
        }
        return Ok(at);
    }
    bail!(
        "--at `{text}` is not a time: give seconds from the trace's start (34605), RFC 3339 \
         (2025-11-28T14:36:45Z), a local date and time (2025-11-28 09:36) or a local clock time (09:36)"
    )
}

fn utc(epoch_us: i64) -> String {
    jiff::Timestamp::from_microsecond(epoch_us)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// The rows of the run's scaling.csv at time `t_s` (seconds, as written).
fn scaling_rows_at(dir: &Path, t_s: f64) -> Vec<serde_json::Value> {
    let Ok(mut r) = ::csv::Reader::from_path(dir.join("scaling.csv")) else {
        return Vec::new();
    };
    let headers = r.headers().cloned().unwrap_or_default();
    r.records()
        .filter_map(|rec| rec.ok())
        .filter(|rec| {
            rec.get(1)
                .and_then(|v| v.parse::<f64>().ok())
                .is_some_and(|v| (v - t_s).abs() < 5e-4)
        })
        .map(|rec| {
            serde_json::Value::Object(
                headers
                    .iter()
                    .zip(rec.iter())
                    .map(|(h, v)| (h.to_string(), serde_json::Value::String(v.to_string())))
                    .collect(),
            )
        })
        .collect()
}

pub(super) fn explain(args: RunExplainArgs, book: &PriceBook) -> Result<()> {
    let dir = &args.run_dir;
    let rec = recorded(dir)?;
    // Loaded as the run loaded it: the file it came from, or the built-in.
    let spec = match rec.origin.strip_prefix("built-in:") {
        Some(name) => name.to_string(),
        None => rec.origin.clone(),
    };
    let sc = scenario::resolve(&spec, &rec.env_overrides, &rec.overrides, book)
        .map_err(|e| anyhow!("the run's scenario `{}` no longer loads: {e}", rec.scenario))?;
    let effective = serde_json::to_value(&sc.file).unwrap_or_default();
    if effective != rec.effective {
        bail!(
            "the scenario `{}` has changed since the run in {} (its effective settings differ from summary.json's); \
             explain needs the same scenario: restore it, or run again and explain the new run",
            rec.scenario,
            dir.display()
        );
    }
    let trace = Path::new(&rec.trace_path);
    let sha = crate::trace::sha256_file(trace).with_context(|| {
        format!(
            "cannot read the run's trace {} (run explain in the folder the run was made in)",
            trace.display()
        )
    })?;
    if sha != rec.trace_sha256 {
        bail!(
            "the trace {} has changed since the run (SHA-256 {} now, {} then)",
            trace.display(),
            &sha[..12],
            &rec.trace_sha256[..12.min(rec.trace_sha256.len())]
        );
    }
    if sc.hpa.is_none() && sc.keda.is_none() && sc.target_tracking.is_none() {
        bail!(
            "scenario `{}` has no autoscaler (scaling.hpa, scaling.queue or scaling.target_tracking): \
             its replicas change only by scheduled actions, spot replacements and outages, each a row of {}",
            sc.name,
            dir.join("scaling.csv").display()
        );
    }
    let meta = crate::trace::scan(trace, 60.0)?;
    let at_us = parse_at(&args.at, &sc.tz, meta.start_epoch_us)?;
    if at_us < 0 || at_us as u64 > meta.end_us {
        bail!(
            "--at `{}` is outside the run: it spans {} to {} (0 to {} s)",
            args.at,
            utc(meta.start_epoch_us),
            utc(meta.start_epoch_us + meta.end_us as i64),
            meta.end_us / US_PER_SEC
        );
    }
    let bar = super::progress::Progress::start(crate::run::work(&sc, &meta), false);
    let ex = crate::run::explain_at(&sc, &meta, trace, rec.seed, rec.arrivals, at_us as u64);
    drop(bar);
    let ex = ex?
            .ok_or_else(|| {
                anyhow!(
                    "no autoscaler sync at or before {} s (the first sync comes one period after the start)",
                    at_us as f64 / 1e6
                )
            })?;
    let sync_s = ex.t_us as f64 / 1e6;
    let local = |us: i64| {
        jiff::Timestamp::from_microsecond(us)
            .map(|t| {
                t.to_zoned(sc.tz.clone())
                    .strftime("%Y-%m-%d %H:%M:%S %Z")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let latest_action = {
        let (initial, actions) = crate::model::autoscaler::schedule::expand(
            &sc.schedules,
            &sc.tz,
            meta.start_epoch_us,
            meta.end_us,
        );
        actions
            .into_iter()
            .rev()
            .find(|a| a.t_us <= ex.t_us)
            .or(initial)
            .map(|a| {
                serde_json::json!({
                    "name": a.name,
                    "t_s": a.t_us as f64 / 1e6,
                    "time": utc(meta.start_epoch_us + a.t_us as i64),
                    "min": a.min,
                    "max": a.max,
                    "desired": a.desired,
                })
            })
    };
    let replay = (ex.autoscaler == "hpa" || ex.autoscaler == "keda")
        .then_some(
            "save .detail.hpa (or .detail.hpa.hpa for KEDA) as hpa.json and .detail.state (.detail.hpa.state) as state.json; \
             `meshsim hpa explain --hpa hpa.json --state state.json` prints .detail.explain again",
        );
    let out = serde_json::json!({
        "run": dir.display().to_string(),
        "scenario": sc.name,
        "seed": rec.seed,
        "meshsim_version": env!("CARGO_PKG_VERSION"),
        "run_meshsim_version": rec.version,
        "at": {
            "t_s": at_us as f64 / 1e6,
            "time": utc(meta.start_epoch_us + at_us),
            "local": local(meta.start_epoch_us + at_us),
        },
        "sync": {
            "t_s": sync_s,
            "time": utc(meta.start_epoch_us + ex.t_us as i64),
            "local": local(meta.start_epoch_us + ex.t_us as i64),
        },
        "autoscaler": ex.autoscaler,
        "replicas": {
            "before": ex.desired_before,
            "after": ex.desired_after,
            "min": ex.min,
            "max": ex.max,
        },
        "decision": ex.decided.as_ref().map(|(by, desired, reason)| serde_json::json!({
            "by": by,
            "desired": desired,
            "reason": reason,
        })),
        "latest_scheduled_action": latest_action,
        "scaling_csv": scaling_rows_at(dir, sync_s),
        "detail": ex.detail,
        "replay": replay,
    });
    if rec.version != env!("CARGO_PKG_VERSION") {
        eprintln!(
            "warning: the run was made by meshsim {}, this is {}: decisions may differ",
            rec.version,
            env!("CARGO_PKG_VERSION")
        );
    }
    let mut w = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut w, &out)?;
    writeln!(w)?;
    Ok(())
}
