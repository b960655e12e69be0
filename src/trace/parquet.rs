//! Parquet traces (cargo feature `parquet`), with the same columns and
//! aliases as CSV. The file is read in slices of [`CHUNK_ROWS`] rows through
//! polars, so memory stays bounded by the slice, not the trace; values are
//! validated as CSV rows are, with errors naming the file, row and column.

use super::columns::{Columns, classify, parse_timestamp};
use super::{TraceError, TraceKind, TraceRow};
use polars::prelude::*;
use std::fs::File;
use std::path::{Path, PathBuf};

/// Rows read per slice.
pub const CHUNK_ROWS: usize = 65_536;

pub struct ParquetRows {
    path: PathBuf,
    kind: TraceKind,
    cols: Columns,
    total: usize,
    offset: usize,
    buf: std::vec::IntoIter<TraceRow>,
    first_abs_us: Option<i64>,
    last_abs_us: i64,
}

fn polars_error(path: &Path, e: PolarsError) -> TraceError {
    TraceError::Header {
        path: path.to_owned(),
        message: format!("cannot read the Parquet file: {e}"),
    }
}

/// Runs a polars read, turning a panic inside polars (it panics on some
/// damaged files instead of returning an error; found by tests/fuzz.rs) into
/// an error naming the file.
fn guarded<T>(path: &Path, read: impl FnOnce() -> PolarsResult<T>) -> Result<T, TraceError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)) {
        Ok(r) => r.map_err(|e| polars_error(path, e)),
        Err(panic) => {
            let why = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("a panic inside polars");
            Err(TraceError::Header {
                path: path.to_owned(),
                message: format!(
                    "cannot read the Parquet file (damaged or not written by a Parquet writer?): {why}"
                ),
            })
        }
    }
}

impl ParquetRows {
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        let file = File::open(path).map_err(|source| TraceError::Io {
            path: path.to_owned(),
            source,
        })?;
        let (schema, total) = guarded(path, || {
            let mut reader = ParquetReader::new(file);
            Ok((reader.schema()?, reader.num_rows()?))
        })?;
        let header: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
        let (kind, cols) = classify(path, header)?;
        if total == 0 {
            return Err(TraceError::Empty {
                path: path.to_owned(),
            });
        }
        Ok(ParquetRows {
            path: path.to_owned(),
            kind,
            cols,
            total,
            offset: 0,
            buf: Vec::new().into_iter(),
            first_abs_us: None,
            last_abs_us: i64::MIN,
        })
    }

    pub fn kind(&self) -> TraceKind {
        self.kind
    }
    pub fn start_epoch_us(&self) -> Option<i64> {
        self.first_abs_us
    }
    pub fn has_service_ms(&self) -> bool {
        self.cols.service_ms.is_some()
    }
    pub fn has_tokens(&self) -> bool {
        self.cols.tokens_in.is_some() || self.cols.tokens_out.is_some()
    }

    pub fn next_row(&mut self) -> Result<Option<TraceRow>, TraceError> {
        if let Some(r) = self.buf.next() {
            return Ok(Some(r));
        }
        if self.offset >= self.total {
            return Ok(None);
        }
        let rows = self.read_chunk()?;
        self.buf = rows.into_iter();
        Ok(self.buf.next())
    }

    fn row_err(&self, row: usize, col: usize, message: String) -> TraceError {
        TraceError::ParquetRow {
            path: self.path.clone(),
            row: row as u64 + 1,
            column: self.cols.names[col].clone(),
            message,
        }
    }

    /// A numeric column of the slice as f64 values (nulls are errors).
    fn floats(&self, df: &DataFrame, col: usize, what: &str) -> Result<Vec<f64>, TraceError> {
        let name = &self.cols.names[col];
        let s = df
            .column(name)
            .and_then(|c| c.as_materialized_series().cast(&DataType::Float64))
            .map_err(|e| {
                self.row_err(self.offset, col, format!("expected {what} (numbers): {e}"))
            })?;
        let ca = s.f64().map_err(|e| polars_error(&self.path, e))?;
        let mut out = Vec::with_capacity(ca.len());
        for (i, v) in ca.iter().enumerate() {
            match v {
                Some(v) if v.is_finite() && v >= 0.0 => out.push(v),
                Some(v) => {
                    return Err(self.row_err(
                        self.offset + i,
                        col,
                        format!("{v} is not a valid {what} (expected a finite number >= 0)"),
                    ));
                }
                None => {
                    return Err(self.row_err(
                        self.offset + i,
                        col,
                        format!("missing value (expected {what})"),
                    ));
                }
            }
        }
        Ok(out)
    }

    /// The timestamp column as µs since the Unix epoch.
    fn timestamps(&self, df: &DataFrame) -> Result<Vec<i64>, TraceError> {
        let col = self.cols.ts;
        let name = &self.cols.names[col];
        let s = df
            .column(name)
            .map_err(|e| polars_error(&self.path, e))?
            .as_materialized_series()
            .clone();
        let missing = |i: usize| self.row_err(self.offset + i, col, "missing timestamp".into());
        let mut out = Vec::with_capacity(s.len());
        match s.dtype() {
            DataType::Datetime(unit, _) => {
                let per_us = match unit {
                    TimeUnit::Nanoseconds => -1000,
                    TimeUnit::Microseconds => 1,
                    TimeUnit::Milliseconds => 1000,
                };
                let ints = s
                    .cast(&DataType::Int64)
                    .map_err(|e| polars_error(&self.path, e))?;
                for (i, v) in ints
                    .i64()
                    .map_err(|e| polars_error(&self.path, e))?
                    .iter()
                    .enumerate()
                {
                    let v = v.ok_or_else(|| missing(i))?;
                    out.push(if per_us < 0 { v / 1000 } else { v * per_us });
                }
            }
            DataType::String => {
                for (i, v) in s
                    .str()
                    .map_err(|e| polars_error(&self.path, e))?
                    .iter()
                    .enumerate()
                {
                    let v = v.ok_or_else(|| missing(i))?;
                    out.push(
                        parse_timestamp(v.trim())
                            .map_err(|m| self.row_err(self.offset + i, col, m))?,
                    );
                }
            }
            dt if dt.is_primitive_numeric() => {
                let f = s
                    .cast(&DataType::Float64)
                    .map_err(|e| polars_error(&self.path, e))?;
                for (i, v) in f
                    .f64()
                    .map_err(|e| polars_error(&self.path, e))?
                    .iter()
                    .enumerate()
                {
                    let v = v.ok_or_else(|| missing(i))?;
                    out.push(
                        parse_timestamp(&v.to_string())
                            .map_err(|m| self.row_err(self.offset + i, col, m))?,
                    );
                }
            }
            other => {
                return Err(self.row_err(
                    self.offset,
                    col,
                    format!("a {other} column is not a timestamp (expected a datetime, RFC 3339 text or seconds)"),
                ));
            }
        }
        Ok(out)
    }

    fn read_chunk(&mut self) -> Result<Vec<TraceRow>, TraceError> {
        let file = File::open(&self.path).map_err(|source| TraceError::Io {
            path: self.path.clone(),
            source,
        })?;
        let mut wanted = vec![self.cols.names[self.cols.ts].clone()];
        for c in [
            self.cols.value,
            self.cols.service_ms,
            self.cols.tokens_in,
            self.cols.tokens_out,
        ]
        .into_iter()
        .flatten()
        {
            wanted.push(self.cols.names[c].clone());
        }
        let len = CHUNK_ROWS.min(self.total - self.offset);
        let df = guarded(&self.path, || {
            ParquetReader::new(file)
                .with_columns(Some(wanted))
                .with_slice(Some((self.offset, len)))
                .finish()
        })?;
        let ts = self.timestamps(&df)?;
        let value = match (self.kind, self.cols.value) {
            (TraceKind::Rate, Some(c)) => {
                Some(self.floats(&df, c, "rate in requests per second")?)
            }
            (TraceKind::Count, Some(c)) => Some(self.floats(&df, c, "request count")?),
            _ => None,
        };
        let service = match self.cols.service_ms {
            Some(c) if self.kind == TraceKind::Request => {
                Some(self.floats(&df, c, "service time in ms")?)
            }
            _ => None,
        };
        let tin = self
            .cols
            .tokens_in
            .map(|c| self.floats(&df, c, "token count"))
            .transpose()?;
        let tout = self
            .cols
            .tokens_out
            .map(|c| self.floats(&df, c, "token count"))
            .transpose()?;
        let mut rows = Vec::with_capacity(ts.len());
        for (i, abs) in ts.into_iter().enumerate() {
            if abs < self.last_abs_us {
                return Err(self.row_err(
                    self.offset + i,
                    self.cols.ts,
                    "earlier than the row before it; rows must be in non-decreasing time order"
                        .into(),
                ));
            }
            self.last_abs_us = abs;
            let first = *self.first_abs_us.get_or_insert(abs);
            rows.push(TraceRow {
                t_us: (abs - first) as u64,
                value: value.as_ref().map_or(1.0, |v| v[i]),
                service_us: service.as_ref().map(|v| crate::units::ms_to_us(v[i])),
                tokens_in: tin.as_ref().map(|v| v[i]),
                tokens_out: tout.as_ref().map(|v| v[i]),
                session: None,
                region: None,
            });
        }
        self.offset += len;
        Ok(rows)
    }
}
