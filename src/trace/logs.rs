//! Request traces that are not CSV: web and load-balancer access logs (one
//! line per request) and JSON lines (one object per request).
//!
//! - **AWS ALB access logs** (Elastic Load Balancing User Guide, "Access
//!   logs for your Application Load Balancer", "Access log entries"): "Each
//!   log entry contains the details of a single request … The fields in the
//!   log entry are delimited by space characters", in the order `type time
//!   elb client:port target:port request_processing_time
//!   target_processing_time response_processing_time elb_status_code
//!   target_status_code received_bytes sent_bytes "request" "user_agent"
//!   ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name"
//!   "chosen_cert_arn" matched_rule_priority request_creation_time …`.
//!   `time` is "the time when the load balancer generated a response to the
//!   client"; `request_creation_time` is "the time when the load balancer
//!   received the request from the client": the arrival. The
//!   `target_processing_time` is "the total time elapsed (in seconds, with
//!   millisecond precision) from the time the load balancer sent the request
//!   to a target until the target started to send the response headers",
//!   and "-1 if the load balancer can't dispatch the request to a target";
//!   such requests never reached the service and are left out (counted).
//! - **Common Log Format / Combined** (Apache HTTP Server, "Log Files":
//!   `"%h %l %u %t \"%r\" %>s %b"`, Combined adds `\"%{Referer}i\"
//!   \"%{User-agent}i\"`; NGINX's `combined` is the same layout): `host ident
//!   authuser [day/month/year:hour:minute:second zone] "request" status
//!   bytes`. Apache's `%t` is "the time that the request was received";
//!   NGINX's `$time_local` is taken when the line is written, at the end of
//!   the request. Times have 1 s resolution: the requests logged in one
//!   second are spread evenly over it, so that a second's requests do not
//!   arrive as one burst.
//! - **JSON lines** (the Mooncake FAST'25 trace: `{"timestamp": <ms>,
//!   "input_length": …, "output_length": …, "hash_ids": […]}`): one object
//!   per line with the CSV trace's fields; a numeric `timestamp` is in
//!   milliseconds, as in Mooncake (`timestamp_s`, `timestamp_us` name other
//!   units; a string is RFC 3339).

use super::columns::{SERVICE_MS, SESSION, TOKENS_IN, TOKENS_OUT, parse_timestamp};
use std::io::BufRead;

/// The access-log formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Alb,
    Clf,
}

impl LogFormat {
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Alb => "alb",
            LogFormat::Clf => "clf",
        }
    }
}

/// One request of a log: arrival (µs since the Unix epoch) and, where the
/// log has it, the time the service took.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogRequest {
    pub t_us: i64,
    pub service_us: Option<u64>,
}

/// A whole log, in arrival order.
#[derive(Clone, Debug, Default)]
pub struct LogRead {
    pub requests: Vec<LogRequest>,
    pub notes: Vec<String>,
}

impl LogRead {
    pub fn has_service(&self) -> bool {
        self.requests.iter().any(|r| r.service_us.is_some())
    }
}

/// Splits a log line at spaces, keeping `"quoted strings"` (with `\"`
/// escapes) and `[bracketed]` fields whole, without their delimiters.
pub fn fields(line: &str) -> Result<Vec<&str>, String> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' => i += 1,
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                if j >= b.len() {
                    return Err(format!(
                        "a quoted field opened at column {} is not closed",
                        i + 1
                    ));
                }
                out.push(&line[start..j]);
                i = j + 1;
            }
            b'[' => {
                let start = i + 1;
                let j = line[start..]
                    .find(']')
                    .map(|k| start + k)
                    .ok_or_else(|| format!("`[` at column {} is not closed", i + 1))?;
                out.push(&line[start..j]);
                i = j + 1;
            }
            _ => {
                let start = i;
                while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
                    i += 1;
                }
                out.push(&line[start..i]);
            }
        }
    }
    Ok(out)
}

const ALB_TYPES: &[&str] = &["http", "https", "h2", "grpcs", "ws", "wss"];

/// Whether a line looks like an ALB access-log entry (for recognising a
/// file given to `--trace`).
pub fn looks_like_alb(line: &str) -> bool {
    let mut it = line.split(' ');
    matches!(it.next(), Some(t) if ALB_TYPES.contains(&t))
        && it
            .next()
            .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok())
}

/// Whether a line looks like a Common Log Format entry.
pub fn looks_like_clf(line: &str) -> bool {
    fields(line).is_ok_and(|f| f.len() >= 7 && clf_time(f[3]).is_ok())
}

/// Parses one ALB entry; `None` for a request the load balancer did not
/// dispatch to a target (`target_processing_time` -1).
pub fn parse_alb(line: &str) -> Result<Option<LogRequest>, String> {
    let f = fields(line)?;
    if f.first().is_none_or(|t| !ALB_TYPES.contains(t)) {
        return Err(format!(
            "`{}` is not an ALB entry type (the first field is one of {})",
            f.first().copied().unwrap_or(""),
            ALB_TYPES.join(", ")
        ));
    }
    if f.len() < 22 {
        return Err(format!(
            "{} fields; an ALB access-log entry has at least 22 (request_creation_time is the 22nd)",
            f.len()
        ));
    }
    let t = f[21]
        .parse::<jiff::Timestamp>()
        .map_err(|e| format!("request_creation_time `{}` is not a timestamp: {e}", f[21]))?;
    let tpt: f64 = f[6].parse().map_err(|_| {
        format!(
            "target_processing_time `{}` is not a number of seconds",
            f[6]
        )
    })?;
    if tpt == -1.0 {
        return Ok(None);
    }
    if !(tpt.is_finite() && tpt >= 0.0) {
        return Err(format!(
            "target_processing_time {tpt} is neither -1 nor a number of seconds >= 0"
        ));
    }
    Ok(Some(LogRequest {
        t_us: t.as_microsecond(),
        service_us: Some(crate::units::secs_to_us(tpt)),
    }))
}

fn clf_time(text: &str) -> Result<i64, String> {
    jiff::fmt::strtime::parse("%d/%b/%Y:%H:%M:%S %z", text)
        .and_then(|t| t.to_timestamp())
        .map(|t| t.as_microsecond())
        .map_err(|_| {
            format!("`[{text}]` is not a CLF time (expected [day/month/year:hh:mm:ss zone], e.g. [01/Jul/1995:00:00:01 -0400])")
        })
}

/// Parses one Common (or Combined) Log Format line: the request's time.
pub fn parse_clf(line: &str) -> Result<i64, String> {
    let f = fields(line)?;
    if f.len() < 7 {
        return Err(format!(
            "{} fields; a Common Log Format line has 7: host ident authuser [time] \"request\" status bytes",
            f.len()
        ));
    }
    let t = clf_time(f[3])?;
    if f[5].len() != 3 || !f[5].bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "status `{}` is not a 3-digit HTTP status (fields: host ident authuser [time] \"request\" status bytes)",
            f[5]
        ));
    }
    Ok(t)
}

/// Reads a whole access log. Lines that cannot be read are an error naming
/// the line, or, with `skip_bad`, left out and counted. Requests are put
/// in arrival order (logs are written as requests finish, so they are
/// slightly out of order); CLF's 1 s times are spread over their second.
pub fn read_log<R: BufRead>(
    mut r: R,
    format: LogFormat,
    skip_bad: bool,
) -> Result<LogRead, (u64, String)> {
    let mut out = LogRead::default();
    let mut buf = Vec::new();
    let (mut line_no, mut bad, mut undispatched, mut out_of_order) = (0u64, 0u64, 0u64, 0u64);
    let mut first_bad: Option<(u64, String)> = None;
    let mut last = i64::MIN;
    loop {
        buf.clear();
        match r.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err((line_no + 1, format!("cannot read: {e}"))),
        }
        line_no += 1;
        // Logs quote what clients sent, which need not be UTF-8; the fields
        // read here are ASCII.
        let text = String::from_utf8_lossy(&buf);
        let line = text.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let parsed = match format {
            LogFormat::Alb => parse_alb(line),
            LogFormat::Clf => parse_clf(line).map(|t| {
                Some(LogRequest {
                    t_us: t,
                    service_us: None,
                })
            }),
        };
        match parsed {
            Ok(Some(req)) => {
                if req.t_us < last {
                    out_of_order += 1;
                }
                last = last.max(req.t_us);
                out.requests.push(req);
            }
            Ok(None) => undispatched += 1,
            Err(m) if skip_bad => {
                bad += 1;
                first_bad.get_or_insert((line_no, m));
            }
            Err(m) => return Err((line_no, m)),
        }
    }
    if out.requests.is_empty() {
        return Err((
            line_no,
            format!(
                "no requests read ({line_no} line(s)){}",
                first_bad.map_or(String::new(), |(l, m)| format!("; line {l}: {m}"))
            ),
        ));
    }
    out.requests.sort_by_key(|q| q.t_us);
    out.notes.push(format!(
        "{} requests from {line_no} line(s) of {} access log",
        out.requests.len(),
        match format {
            LogFormat::Alb => "an ALB",
            LogFormat::Clf => "a Common Log Format",
        }
    ));
    if out_of_order > 0 {
        out.notes.push(format!(
            "{out_of_order} line(s) earlier than a line before them (logs are written as requests finish): sorted by arrival"
        ));
    }
    if undispatched > 0 {
        out.notes.push(format!(
            "{undispatched} request(s) with target_processing_time -1 (never dispatched to a target: redirects, fixed responses, errors at the load balancer) left out"
        ));
    }
    if let Some((l, m)) = first_bad {
        out.notes.push(format!(
            "{bad} unreadable line(s) skipped (--skip-bad-lines); the first, line {l}: {m}"
        ));
    }
    if format == LogFormat::Clf {
        spread_seconds(&mut out.requests);
        out.notes.push(
            "times have 1 s resolution: each second's requests are spread evenly over it".into(),
        );
    } else {
        out.notes
            .push("arrival = request_creation_time; service time = target_processing_time".into());
    }
    Ok(out)
}

/// Spreads the `n` requests of each whole second `s` to `s + (k + ½)/n`.
fn spread_seconds(reqs: &mut [LogRequest]) {
    let s_us = crate::units::US_PER_SEC as i64;
    let mut i = 0;
    while i < reqs.len() {
        let sec = reqs[i].t_us.div_euclid(s_us);
        let mut j = i;
        while j < reqs.len() && reqs[j].t_us.div_euclid(s_us) == sec {
            j += 1;
        }
        let n = (j - i) as f64;
        for (k, r) in reqs[i..j].iter_mut().enumerate() {
            r.t_us = sec * s_us + ((k as f64 + 0.5) / n * s_us as f64).floor() as i64;
        }
        i = j;
    }
}

/// One request of a JSON-lines trace.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonRequest {
    pub t_us: i64,
    pub service_ms: Option<f64>,
    pub tokens_in: Option<f64>,
    pub tokens_out: Option<f64>,
    pub session: Option<String>,
}

/// What a JSON-lines trace's first object holds: the fields later lines
/// must also have, and the ones meshsim does not simulate.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JsonShape {
    pub service_ms: bool,
    pub tokens_in: bool,
    pub tokens_out: bool,
    pub session: bool,
    pub ignored: Vec<String>,
}

const JSON_TIME: &[(&str, f64)] = &[
    ("timestamp", 1e3),
    ("timestamp_ms", 1e3),
    ("timestamp_s", 1.0),
    ("timestamp_us", 1e6),
];

fn key<'a>(
    obj: &'a serde_json::Map<String, serde_json::Value>,
    aliases: &[&str],
) -> Option<(&'a str, &'a serde_json::Value)> {
    aliases.iter().find_map(|a| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(a))
            .map(|(k, v)| (k.as_str(), v))
    })
}

/// The shape of a JSON-lines trace from its first object.
pub fn json_shape(line: &str) -> Result<JsonShape, String> {
    let obj = json_object(line)?;
    let mut used: Vec<&str> = Vec::new();
    let mut has = |aliases: &[&str]| key(&obj, aliases).map(|(k, _)| used.push(k)).is_some();
    let times: Vec<&str> = JSON_TIME.iter().map(|(k, _)| *k).collect();
    if !has(&times) {
        return Err(format!(
            "no time field: a JSON-lines trace needs `timestamp` (milliseconds, as Mooncake's), `timestamp_s`, `timestamp_us` or an RFC 3339 string; found {}",
            obj.keys()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let shape = JsonShape {
        service_ms: has(SERVICE_MS),
        tokens_in: has(TOKENS_IN),
        tokens_out: has(TOKENS_OUT),
        session: has(SESSION),
        ignored: Vec::new(),
    };
    let ignored = obj
        .keys()
        .filter(|k| !used.iter().any(|u| u == k))
        .cloned()
        .collect();
    Ok(JsonShape { ignored, ..shape })
}

fn json_object(line: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(o)) => Ok(o),
        Ok(_) => Err("not a JSON object (a JSON-lines trace has one object per line)".into()),
        Err(e) => Err(format!("column {}: not JSON: {e}", e.column())),
    }
}

/// Parses one line of a JSON-lines trace of the given shape.
pub fn parse_json_line(line: &str, shape: &JsonShape) -> Result<JsonRequest, String> {
    let obj = json_object(line)?;
    let times: Vec<&str> = JSON_TIME.iter().map(|(k, _)| *k).collect();
    let (tk, tv) = key(&obj, &times).ok_or("no `timestamp` field")?;
    let t_us = match tv {
        serde_json::Value::Number(n) => {
            let per_s = JSON_TIME
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(tk))
                .map_or(1.0, |(_, u)| *u);
            let v = n.as_f64().unwrap_or(f64::NAN);
            let us = v / per_s * 1e6;
            if !(us.is_finite() && us.abs() < 1e19) {
                return Err(format!("`{tk}` {v} is not a usable time"));
            }
            us.round() as i64
        }
        serde_json::Value::String(s) => parse_timestamp(s).map_err(|m| format!("`{tk}`: {m}"))?,
        other => {
            return Err(format!(
                "`{tk}` is {other}, not a number or a timestamp string"
            ));
        }
    };
    let number = |aliases: &[&str], want: bool, what: &str| -> Result<Option<f64>, String> {
        match key(&obj, aliases) {
            None if want => Err(format!(
                "no `{}` (the first line has it; every line needs the same fields)",
                aliases[0]
            )),
            None => Ok(None),
            Some((_, _)) if !want => Ok(None),
            Some((k, v)) => match v.as_f64() {
                Some(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
                _ => Err(format!("`{k}` is {v}, not a {what} (a number >= 0)")),
            },
        }
    };
    let session = if shape.session {
        match key(&obj, SESSION) {
            Some((_, serde_json::Value::String(s))) => Some(s.clone()),
            Some((_, serde_json::Value::Number(n))) => Some(n.to_string()),
            Some((k, v)) => {
                return Err(format!(
                    "`{k}` is {v}, not a session id (a string or number)"
                ));
            }
            None => return Err("no `session` (the first line has it)".into()),
        }
    } else {
        None
    };
    Ok(JsonRequest {
        t_us,
        service_ms: number(SERVICE_MS, shape.service_ms, "service time in ms")?,
        tokens_in: number(TOKENS_IN, shape.tokens_in, "token count")?,
        tokens_out: number(TOKENS_OUT, shape.tokens_out, "token count")?,
        session,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_quotes_and_brackets_whole() {
        let f = fields(r#"a - - [01/Jul/1995:00:00:01 -0400] "GET / HTTP/1.0" 200 6245"#).unwrap();
        assert_eq!(
            f,
            vec![
                "a",
                "-",
                "-",
                "01/Jul/1995:00:00:01 -0400",
                "GET / HTTP/1.0",
                "200",
                "6245"
            ]
        );
        assert!(fields(r#"x "open"#).is_err());
    }

    #[test]
    fn seconds_are_spread_evenly() {
        let mut r: Vec<LogRequest> = [0i64, 0, 1_000_000]
            .iter()
            .map(|&t| LogRequest {
                t_us: t,
                service_us: None,
            })
            .collect();
        spread_seconds(&mut r);
        // Two requests in second 0 at 0.25 s and 0.75 s; one in second 1 at 1.5 s.
        assert_eq!(
            r.iter().map(|q| q.t_us).collect::<Vec<_>>(),
            vec![250_000, 750_000, 1_500_000]
        );
    }
}
