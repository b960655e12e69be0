//! # meshsim
//!
//! A cost and autoscaling simulator: a discrete-event engine replays a workload
//! trace against a scenario's scaling rules and reports cost, latency
//! percentiles and budget outcomes.
//!
//! ```text
//! trace (CSV/Parquet) ─┐
//! scenario (TOML)     ─┼─> scenario: validated, priced ─> run ─> engine: event loop
//! pricing catalogue   ─┘                                      │  (model: service, autoscalers;
//!                                                             │   billing: meters)
//!                                  metrics: RunOutcome <──────┘
//!                                        └─> report: CSV, charts, review page
//! ```
//!
//! Layers, bottom to top (a module uses only those before it; the test
//! `tests/it/layers.rs` keeps it so): `units`, `rng` < `trace` < `metrics` <
//! `model` < `billing` < `engine` < `scenario` < `run` < `report` < `sweep` <
//! `cli`. Nothing under `engine`, `model`, `billing` or `metrics` touches
//! files, the environment, threads or the clock. See `ARCHITECTURE.md` for
//! the module map, each module's invariant and the glossary.

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
