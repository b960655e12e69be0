//! Scheduled actions (EC2 Auto Scaling / Application Auto Scaling): a cron
//! recurrence evaluated in the scenario's time zone sets min, max and/or
//! desired; the dynamic policy keeps working inside the new bounds. Cron
//! parsing and daylight-saving arithmetic come from `croner` and `jiff` (with
//! its bundled time-zone database), not hand-written date code.
//!
//! The state at the start of the trace is that of the latest action before
//! it (looking back up to 31 days): a deployment whose off-hours action fired
//! at 22:00 yesterday is in its off-hours state when a trace starts at midnight.

use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// One scheduled action, as configured.
#[derive(Clone, Debug)]
pub struct ScheduleSpec {
    pub name: String,
    pub cron: Cron,
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub desired: Option<u32>,
}

/// One firing of a scheduled action, in simulated time.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledAction {
    pub t_us: u64,
    pub name: String,
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub desired: Option<u32>,
}

/// Parses a 5-field Unix cron expression (minute hour day-of-month month
/// day-of-week; names such as `MON-FRI` and `JAN` allowed).
pub fn parse_cron(expr: &str) -> Result<Cron, String> {
    let fields = expr.split_whitespace().count();
    if fields != 5 {
        return Err(format!(
            "`{expr}` has {fields} fields; a recurrence has 5: minute hour day-of-month month day-of-week (e.g. `0 22 * * MON-FRI`)"
        ));
    }
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(expr)
        .map_err(|e| format!("`{expr}` is not a valid cron expression: {e}"))
}

fn to_us(z: &jiff::Zoned, start_epoch_us: i64) -> i64 {
    z.timestamp().as_microsecond() - start_epoch_us
}

/// The actions firing in `[0, end_us)` (sorted by time, ties in configuration
/// order), and the action that sets the state at time 0, if any.
pub fn expand(
    specs: &[ScheduleSpec],
    tz: &jiff::tz::TimeZone,
    start_epoch_us: i64,
    end_us: u64,
) -> (Option<ScheduledAction>, Vec<ScheduledAction>) {
    let Ok(start) = jiff::Timestamp::from_microsecond(start_epoch_us) else {
        return (None, Vec::new());
    };
    let start = start.to_zoned(tz.clone());
    let lookback_us = 31 * 86_400 * 1_000_000i64;
    let action = |s: &ScheduleSpec, t_us: u64| ScheduledAction {
        t_us,
        name: s.name.clone(),
        min: s.min,
        max: s.max,
        desired: s.desired,
    };
    let mut initial: Option<(i64, usize)> = None;
    let mut out: Vec<(u64, usize, ScheduledAction)> = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        if let Ok(prev) = s.cron.find_previous_occurrence(&start, false) {
            let rel = to_us(&prev, start_epoch_us);
            if rel >= -lookback_us && initial.is_none_or(|(t, _)| rel >= t) {
                initial = Some((rel, i));
            }
        }
        let mut cur = start.clone();
        let mut inclusive = true;
        while let Ok(next) = s.cron.find_next_occurrence(&cur, inclusive) {
            let rel = to_us(&next, start_epoch_us);
            if rel < 0 || rel as u64 >= end_us {
                break;
            }
            out.push((rel as u64, i, action(s, rel as u64)));
            cur = next;
            inclusive = false;
        }
    }
    out.sort_by_key(|(t, i, _)| (*t, *i));
    (
        initial.map(|(_, i)| action(&specs[i], 0)),
        out.into_iter().map(|(_, _, a)| a).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, cron: &str, min: u32, max: u32, desired: u32) -> ScheduleSpec {
        ScheduleSpec {
            name: name.into(),
            cron: parse_cron(cron).unwrap(),
            min: Some(min),
            max: Some(max),
            desired: Some(desired),
        }
    }

    fn epoch_us(rfc3339: &str) -> i64 {
        rfc3339.parse::<jiff::Timestamp>().unwrap().as_microsecond()
    }

    const H: u64 = 3_600_000_000;

    #[test]
    fn cost_optimized_week_in_new_york() {
        // Trace from Friday 2025-11-28 00:00 New York (05:00 UTC) for 4 days.
        let tz = jiff::tz::TimeZone::get("America/New_York").unwrap();
        let specs = [
            spec("off-hours", "0 22 * * MON-FRI", 0, 1, 0),
            spec("business-hours", "0 8 * * MON-FRI", 1, 3, 2),
        ];
        let (initial, actions) = expand(&specs, &tz, epoch_us("2025-11-28T05:00:00Z"), 96 * H);
        // Thursday 22:00 was the last action before the start: off-hours.
        assert_eq!(initial.unwrap().name, "off-hours");
        let got: Vec<(u64, &str)> = actions
            .iter()
            .map(|a| (a.t_us / H, a.name.as_str()))
            .collect();
        // Fri 08:00 (+8 h), Fri 22:00 (+22 h), Mon 08:00 (+80 h), Mon 22:00 (+94 h).
        assert_eq!(
            got,
            vec![
                (8, "business-hours"),
                (22, "off-hours"),
                (80, "business-hours"),
                (94, "off-hours")
            ]
        );
    }

    #[test]
    fn daylight_saving_day_keeps_wall_clock_times() {
        // US DST began 2025-03-09 at 02:00 New York. An 08:00 daily action fires
        // at 13:00 UTC on Saturday 8 March (EST) and 12:00 UTC on Sunday 9 March (EDT):
        // 23 hours apart.
        let tz = jiff::tz::TimeZone::get("America/New_York").unwrap();
        let specs = [spec("morning", "0 8 * * *", 1, 3, 2)];
        let start = epoch_us("2025-03-08T05:00:00Z"); // Saturday 00:00 EST
        let (_, actions) = expand(&specs, &tz, start, 48 * H);
        let t: Vec<u64> = actions.iter().map(|a| a.t_us / 1_000_000).collect();
        assert_eq!(t, vec![8 * 3600, (8 + 23) * 3600]);
    }

    #[test]
    fn bad_cron_expressions_are_errors() {
        assert!(parse_cron("0 22 * * MON-FRI").is_ok());
        assert!(parse_cron("0 22 * *").unwrap_err().contains("4 fields"));
        assert!(parse_cron("0 25 * * *").is_err());
        assert!(parse_cron("0 22 * * FUNDAY").is_err());
    }
}
