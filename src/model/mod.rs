//! The model: what is simulated (service, replicas, metrics), as plain data
//! and small functions. Knows nothing about files.

pub mod autoscaler;
pub mod cluster;
pub mod llm;
pub mod metrics;
pub mod resources;
pub mod service;
pub mod spot;
pub mod vpa;
