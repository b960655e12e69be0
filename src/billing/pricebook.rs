//! The price book: every price meshsim uses, read from the catalogue in
//! `pricing/` (compiled into the binary), each with its source and date. A
//! missing price is an error naming the SKU and region, never a zero.

use serde::Deserialize;

/// The built-in catalogue (`pricing/catalogue.csv`).
pub const BUILTIN_CATALOGUE_CSV: &str = include_str!("../../pricing/catalogue.csv");

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct PriceRow {
    pub service: String,
    pub sku: String,
    pub region: String,
    pub unit: String,
    pub price_usd: f64,
    pub purchase_option: String,
    pub description: String,
    pub source: String,
    pub source_date: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PriceError {
    #[error("no {purchase_option} price for {service} `{sku}` in {region}{}", hint.as_ref().map(|h| format!(" (did you mean `{h}`?)")).unwrap_or_default())]
    Missing {
        service: String,
        sku: String,
        region: String,
        purchase_option: String,
        hint: Option<String>,
    },
    #[error("{origin}: line {line}: {message}")]
    BadRow {
        origin: String,
        line: u64,
        message: String,
    },
}

#[derive(Clone, Debug, Default)]
pub struct PriceBook {
    rows: Vec<PriceRow>,
}

impl PriceBook {
    /// The catalogue compiled into the binary.
    pub fn builtin() -> PriceBook {
        PriceBook::from_csv(BUILTIN_CATALOGUE_CSV, "pricing/catalogue.csv")
            .expect("the built-in pricing catalogue is valid (checked by a unit test)")
    }

    /// Parses a catalogue; every row needs a price >= 0, a source and a source date.
    pub fn from_csv(text: &str, origin: &str) -> Result<PriceBook, PriceError> {
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let mut rows = Vec::new();
        for rec in rdr.deserialize::<PriceRow>() {
            let bad = |line: u64, message: String| PriceError::BadRow {
                origin: origin.to_string(),
                line,
                message,
            };
            let row = rec.map_err(|e| {
                bad(
                    e.position().map(|p| p.line()).unwrap_or(0),
                    format!("{e} (columns: service,sku,region,unit,price_usd,purchase_option,description,source,source_date)"),
                )
            })?;
            let line = rows.len() as u64 + 2;
            if !(row.price_usd.is_finite() && row.price_usd >= 0.0) {
                return Err(bad(
                    line,
                    format!("price_usd {} is not a price >= 0", row.price_usd),
                ));
            }
            if row.source.trim().is_empty() || row.source_date.trim().is_empty() {
                return Err(bad(
                    line,
                    "every price needs a `source` and a `source_date`".into(),
                ));
            }
            rows.push(row);
        }
        Ok(PriceBook { rows })
    }

    pub fn rows(&self) -> &[PriceRow] {
        &self.rows
    }

    /// This book with `other`'s rows taking precedence (same service, SKU,
    /// region and purchase option replaced; new rows added).
    pub fn overlay(&self, other: &PriceBook) -> PriceBook {
        let key = |r: &PriceRow| {
            (
                r.service.clone(),
                r.sku.clone(),
                r.region.clone(),
                r.purchase_option.clone(),
            )
        };
        let mut rows: Vec<PriceRow> = other.rows.clone();
        let mine: std::collections::BTreeSet<_> = other.rows.iter().map(key).collect();
        rows.extend(
            self.rows
                .iter()
                .filter(|r| !mine.contains(&key(r)))
                .cloned(),
        );
        PriceBook { rows }
    }

    /// The row for exactly this service, SKU, region and purchase option.
    pub fn get(
        &self,
        service: &str,
        sku: &str,
        region: &str,
        purchase_option: &str,
    ) -> Result<&PriceRow, PriceError> {
        self.rows
            .iter()
            .find(|r| {
                r.service == service
                    && r.sku == sku
                    && r.region == region
                    && r.purchase_option == purchase_option
            })
            .ok_or_else(|| PriceError::Missing {
                service: service.into(),
                sku: sku.into(),
                region: region.into(),
                purchase_option: purchase_option.into(),
                hint: self.nearest_sku(service, sku),
            })
    }

    /// The known SKU of `service` closest to `sku`, for "did you mean".
    pub fn nearest_sku(&self, service: &str, sku: &str) -> Option<String> {
        let mut best: Option<(f64, &str)> = None;
        for r in self
            .rows
            .iter()
            .filter(|r| r.service == service && r.sku != sku)
        {
            let s = strsim::jaro_winkler(&r.sku, sku);
            if s > 0.8 && best.is_none_or(|(b, _)| s > b) {
                best = Some((s, &r.sku));
            }
        }
        best.map(|(_, s)| s.to_string())
    }

    /// Whether `service` has a SKU of this name in any region.
    pub fn knows_sku(&self, service: &str, sku: &str) -> bool {
        self.rows
            .iter()
            .any(|r| r.service == service && r.sku == sku)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_parses_and_cites_every_price() {
        let book = PriceBook::builtin();
        assert!(book.rows().len() > 20);
        for r in book.rows() {
            assert!(!r.source.is_empty() && !r.source_date.is_empty(), "{r:?}");
        }
        // Values from ../shared/pricing/pricing.md §3.
        assert_eq!(
            book.get("EC2", "t4g.nano", "us-east-1", "on_demand")
                .unwrap()
                .price_usd,
            0.0042
        );
        assert_eq!(
            book.get("Fargate", "vcpu-x86_64", "us-east-1", "on_demand")
                .unwrap()
                .price_usd,
            0.04048
        );
        assert_eq!(
            book.get("Fargate", "memory-arm64", "us-east-1", "on_demand")
                .unwrap()
                .price_usd,
            0.00356
        );
    }

    #[test]
    fn missing_price_names_sku_region_and_suggests() {
        let book = PriceBook::builtin();
        let e = book
            .get("EC2", "t4g.nanoo", "us-east-1", "on_demand")
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("t4g.nanoo") && text.contains("us-east-1") && text.contains("t4g.nano`?"),
            "{text}"
        );
    }

    #[test]
    fn a_row_without_source_is_rejected() {
        let csv = "service,sku,region,unit,price_usd,purchase_option,description,source,source_date\n\
                   EC2,x.large,us-east-1,USD per instance-hour,0.1,on_demand,x,,2026-01-01\n";
        assert!(
            PriceBook::from_csv(csv, "mine.csv")
                .unwrap_err()
                .to_string()
                .contains("line 2")
        );
    }
}
