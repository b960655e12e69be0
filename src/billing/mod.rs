//! Billing: the one place where usage becomes money. Prices come from the
//! [`PriceBook`]; rules follow AWS's (per-second billing with a 60 s minimum).

pub mod budget;
pub mod fixed;
pub mod meter;
pub mod pricebook;
pub mod spot;

pub use meter::{ComputeRate, ReplicaMeter};
pub use pricebook::{PriceBook, PriceError, PriceRow};
