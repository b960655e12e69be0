//! # meshsim
//!
//! A cost and autoscaling simulator: a discrete-event engine replays a workload
//! trace against a scenario's scaling rules and reports cost, latency
//! percentiles and budget outcomes.
//!
//! ```text
//! trace (CSV/Parquet)  ─┐
//! scenario (TOML)      ─┼─> engine: event loop + clock ─> model: load balancer, replicas,
//! pricing catalogue    ─┘        │                          metrics, billing meters
//!                                └─> metrics (histograms, timeline) ─> report: CSV
//! ```
//!
//! Dependencies point one way: `cli -> engine -> model -> units`; `report`
//! reads results, never the engine; nothing under `engine`, `model`,
//! `billing` or `metrics` touches files, the environment, threads or the clock.
//! See `ARCHITECTURE.md` for the module map and the glossary.

pub mod billing;
pub mod cli;
pub mod engine;
pub mod metrics;
pub mod model;
pub mod report;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod sweep;
pub mod trace;
pub mod units;
