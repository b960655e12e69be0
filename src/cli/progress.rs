//! The progress bar of the commands that simulate runs (`run`, `compare`,
//! `gallery`, `explain`; sweeps and plans count points instead): requests
//! simulated out of the requests the traces state; and of the commands
//! that read a trace (`trace info`, `import`, `transform`, a run's scan):
//! bytes read out of the file's size. With rate and ETA, with rate and ETA, on stderr when it is a terminal and the
//! command is not `--quiet`. It appears after the first second, so a short
//! run prints nothing extra, and is cleared when the work ends.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Shown on a terminal after this long.
const DELAY: Duration = Duration::from_secs(1);
const REFRESH: Duration = Duration::from_millis(100);

/// What a bar counts.
#[derive(Clone, Copy)]
pub enum Counting {
    /// Requests simulated (`crate::engine::progress`).
    Requests,
    /// Bytes of trace files read (`crate::trace::bytes_read`), compressed
    /// bytes for a gzip file.
    Bytes,
}

impl Counting {
    fn now(self) -> u64 {
        match self {
            Counting::Requests => crate::engine::progress::simulated(),
            Counting::Bytes => crate::trace::bytes_read(),
        }
    }
}

/// A running progress bar; dropping it clears the bar.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// A bar for `total` requests; hidden when `quiet` or when stderr is not a terminal.
    /// `_MESHSIM_PROGRESS_DELAY_MS` changes the one-second delay (for tests;
    /// outside the `MESHSIM_` scenario overrides).
    pub fn start(total: f64, quiet: bool) -> Progress {
        Progress::counting(Counting::Requests, total, quiet)
    }

    /// A bar for reading `path` (a trace being scanned, imported or
    /// transformed), by its size on disk.
    pub fn reading(path: &std::path::Path, quiet: bool) -> Progress {
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        Progress::counting(Counting::Bytes, size as f64, quiet)
    }

    fn counting(what: Counting, total: f64, quiet: bool) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        let total = total.max(0.0).round() as u64;
        let delay = std::env::var("_MESHSIM_PROGRESS_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(DELAY, Duration::from_millis);
        let thread = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let stop = stop.clone();
            std::thread::spawn(move || draw(what, &stop, total, delay))
        });
        Progress { stop, thread }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn draw(what: Counting, stop: &AtomicBool, len: u64, delay: Duration) {
    let base = what.now();
    let start = Instant::now();
    while start.elapsed() < delay {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(REFRESH);
    }
    // The rate (and so the ETA) counts from when the bar appears: the
    // requests simulated since, over the time since.
    let shown = Instant::now();
    let at_show = what.now().saturating_sub(base);
    let bar = indicatif::ProgressBar::new(len).with_position(at_show.min(len));
    if let Ok(style) = indicatif::ProgressStyle::with_template(match what {
        Counting::Requests => "{bar:40} {percent:>3}%  {human_pos}/{human_len} requests  {msg}",
        Counting::Bytes => "{bar:40} {percent:>3}%  {bytes}/{total_bytes} read  {msg}",
    }) {
        bar.set_style(style);
    }
    while !stop.load(Ordering::Relaxed) {
        // Poisson arrivals may exceed the stated count a little.
        let done = what.now().saturating_sub(base).min(len);
        let rate = (done - at_show.min(done)) as f64 / shown.elapsed().as_secs_f64().max(1e-3);
        let eta = if rate > 0.0 {
            clock((len - done) as f64 / rate)
        } else {
            "?".into()
        };
        bar.set_position(done);
        bar.set_message(format!(
            "{} elapsed  eta {eta}",
            clock(start.elapsed().as_secs_f64())
        ));
        std::thread::sleep(REFRESH);
    }
    bar.finish_and_clear();
}

/// Seconds as `42s`, `3m07s` or `1h02m`.
fn clock(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}
