//! Traces: the demand side. A trace file is read as a stream of rows (never
//! loaded whole) and validated row by row; errors name file, line and column.
//!
//! Two shapes, told apart by their columns (DESIGN §3):
//! - a **rate trace** has a rate (`rps`, `requests_per_second`, `rate`) or a
//!   count per row interval (`count`, `requests`); each row's rate holds until
//!   the next row, the last row lasts one median row interval;
//! - a **request trace** has one row per request and at least one request
//!   column (`service_ms`, `tokens_in`, `tokens_out`, `session`, `model`, or
//!   their aliases such as the Azure LLM trace's `ContextTokens`), or only a
//!   timestamp column.

mod columns;
pub mod r#gen;
pub mod import;
pub mod logs;
#[cfg(feature = "parquet")]
mod parquet;
mod reader;
pub mod transform;

pub use reader::{TraceReader, scan};

use crate::rng::fnv1a;
use std::path::PathBuf;

/// The kind of a trace, from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// Rows carry a rate in requests per second.
    Rate,
    /// Rows carry a request count for the interval up to the next row.
    Count,
    /// One row per request.
    Request,
}

/// One parsed row. Times are microseconds since the trace's first timestamp.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceRow {
    pub t_us: u64,
    /// Requests per second (rate), requests in the row interval (count), or 1 (request).
    pub value: f64,
    /// Service time of this request (request traces with `service_ms`).
    pub service_us: Option<u64>,
    pub tokens_in: Option<f64>,
    pub tokens_out: Option<f64>,
    /// A hash of the row's `session` column (request traces).
    pub session: Option<u64>,
    /// A hash of the row's `region` column (request traces), for routing
    /// among a multi-region scenario's regions.
    pub region: Option<u64>,
}

/// A stable 64-bit hash of a session id ([`fnv1a`]).
/// The highest rate a trace row may hold: one arrival per simulated
/// microsecond (the engine's time resolution). Above it, arrivals would
/// pile onto the same microsecond and a run could not end.
pub const MAX_RPS: f64 = 1e6;

/// The seed of the draws that scale a request trace ([`scaled_copies`]),
/// from a run's seed.
pub fn scale_seed(seed: u64) -> u64 {
    crate::rng::mix64(seed ^ 0x0053_4341_4c45)
}

/// How many times request `j` arrives in a request trace scaled by
/// `factor`: floor(factor), plus one with probability frac(factor), by a
/// hash of (`seed`, `j`) so that every pass sees the same requests.
#[inline]
pub fn scaled_copies(seed: u64, j: u64, factor: f64) -> u32 {
    let u = (crate::rng::mix64(seed ^ j) >> 11) as f64 / (1u64 << 53) as f64;
    factor.floor() as u32 + u32::from(u < factor.fract())
}

/// Opens a text file for reading, decompressing it when it is gzip (by its
/// magic bytes, whatever its name: ALB writes its logs as `.log.gz`).
pub fn open_text(path: &std::path::Path) -> std::io::Result<Box<dyn std::io::BufRead>> {
    use std::io::{BufRead, BufReader};
    let file = Counted(std::fs::File::open(path)?);
    let mut r = BufReader::with_capacity(1 << 16, file);
    let gz = r.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gz {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(r),
        ))
    } else {
        Box::new(r)
    })
}

static BYTES_READ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Bytes this process has read from trace files opened by [`open_text`] (for
/// a progress bar; one relaxed add per 64 KiB read).
pub fn bytes_read() -> u64 {
    BYTES_READ.load(std::sync::atomic::Ordering::Relaxed)
}

/// A file whose reads are counted in [`bytes_read`].
struct Counted(std::fs::File);

impl std::io::Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        BYTES_READ.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// SHA-256 of a file's bytes, lower-case hex (a trace's checksum in a run's
/// provenance).
pub fn sha256_file(path: &std::path::Path) -> std::io::Result<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// SHA-256 of a text, lower-case hex.
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn session_hash(s: &[u8]) -> u64 {
    fnv1a(s)
}

/// Facts about a whole trace, gathered by the validating first pass ([`scan`]).
#[derive(Clone, Debug)]
pub struct TraceMeta {
    pub path: PathBuf,
    pub kind: TraceKind,
    pub rows: u64,
    /// First timestamp, microseconds since the Unix epoch (UTC).
    pub start_epoch_us: i64,
    /// Last timestamp relative to the first, µs.
    pub last_t_us: u64,
    /// Median interval between consecutive rows, µs (0 for a single row).
    pub median_interval_us: u64,
    /// End of the simulated span, µs: rate traces add one median interval after
    /// the last row; request traces end at the last request's second, rounded up.
    pub end_us: u64,
    pub has_service_ms: bool,
    pub has_tokens: bool,
    /// Columns or fields the trace has that are not simulated.
    pub ignored: Vec<String>,
    /// Requests the trace states (sum of rate × interval, of counts, or rows).
    pub expected_requests: f64,
    /// Mean and peak offered rate (rate traces: over rows; request traces: over
    /// `info_bin` bins), requests per second.
    pub mean_rps: f64,
    pub peak_rps: f64,
    pub info_bin_s: f64,
}

impl TraceMeta {
    pub fn span_s(&self) -> f64 {
        crate::units::us_to_secs(self.end_us)
    }
    pub fn name(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "trace".into())
    }
}

/// A trace that could not be read. Every variant names the file; row errors
/// also name the line (1-based, the header is line 1) and the column.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("{path}: cannot read the trace: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {message}")]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: {message}")]
    Header { path: PathBuf, message: String },
    #[error("{path}: line {line}, column `{column}`: {message}")]
    Row {
        path: PathBuf,
        line: u64,
        column: String,
        message: String,
    },
    #[error("{path}: row {row}, column `{column}`: {message}")]
    ParquetRow {
        path: PathBuf,
        row: u64,
        column: String,
        message: String,
    },
    #[error("{path}: the trace has no data rows (expected a header line and at least one row)")]
    Empty { path: PathBuf },
    #[error("{path}: {message}")]
    Unsupported { path: PathBuf, message: String },
}
