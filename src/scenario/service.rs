//! `[service]`: concurrency, service times, start-up, timeouts, memory.

use super::{Problems, ScenarioFile, ServiceTime, non_negative, positive};

/// Checks `[service]`.
pub(super) fn check(f: &ScenarioFile, p: &mut Problems) {
    let s = &f.service;
    if s.concurrency == 0 {
        p.bad("service.concurrency", "must be at least 1".into(), None);
    } else if s.concurrency > super::MAX_CONCURRENCY {
        p.bad(
            "service.concurrency",
            format!(
                "{} is out of range: at most {} requests at a time per replica",
                s.concurrency,
                super::MAX_CONCURRENCY
            ),
            None,
        );
    }
    match &s.service_time {
        ServiceTime::Exponential { mean_ms } | ServiceTime::Constant { mean_ms } => {
            if !positive(*mean_ms) {
                p.bad(
                    "service.service_time.mean_ms",
                    format!("{mean_ms} is not a time > 0 ms"),
                    None,
                );
            }
        }
        ServiceTime::Lognormal { mean_ms, cv } => {
            if !positive(*mean_ms) {
                p.bad(
                    "service.service_time.mean_ms",
                    format!("{mean_ms} is not a time > 0 ms"),
                    None,
                );
            }
            if !positive(*cv) {
                p.bad(
                    "service.service_time.cv",
                    format!("{cv} is not a coefficient of variation > 0"),
                    None,
                );
            } else if *cv > super::MAX_CV {
                p.bad(
                    "service.service_time.cv",
                    format!(
                        "{} is out of range: a coefficient of variation from 0 to {}",
                        super::num(*cv),
                        super::MAX_CV
                    ),
                    None,
                );
            }
        }
        ServiceTime::Trace => {}
    }
    if let ServiceTime::Exponential { mean_ms }
    | ServiceTime::Constant { mean_ms }
    | ServiceTime::Lognormal { mean_ms, .. } = &s.service_time
        && positive(*mean_ms)
        && *mean_ms > super::MAX_SERVICE_MS
    {
        p.bad(
            "service.service_time.mean_ms",
            format!(
                "{} is out of range: a mean service time from 0 to {} ms (a day)",
                super::num(*mean_ms),
                super::MAX_SERVICE_MS
            ),
            None,
        );
    }
    if !non_negative(s.startup_s) {
        p.bad(
            "service.startup_s",
            format!("{} is not a duration >= 0 s", s.startup_s),
            None,
        );
    }
    if !positive(s.timeout_ms) {
        p.bad(
            "service.timeout_ms",
            format!("{} is not a duration > 0 ms", s.timeout_ms),
            None,
        );
    }
    for (k, v) in [
        ("service.memory_base_mb", s.memory_base_mb),
        ("service.memory_per_request_mb", s.memory_per_request_mb),
    ] {
        if !non_negative(v) {
            p.bad(k, format!("{v} is not a size >= 0 MB"), None);
        }
    }
    if !positive(s.memory_request_mb) {
        p.bad(
            "service.memory_request_mb",
            format!("{} is not a size > 0 MB", s.memory_request_mb),
            None,
        );
    }
}
