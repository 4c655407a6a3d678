//! What existing orders already cover — the basis of idempotent generation.
//!
//! A work unit (agreement line, local date) is covered when an existing order, in any status,
//!
//! * has as its origin one of the unit's original occurrences (robust against rule changes:
//!   an occurrence generated once is never generated again, wherever a rule moves it now), or
//! * carries an order line for the agreement line and starts (`earliest_start`, else its
//!   origin occurrence) on the unit's date in the customer's zone (covers grouped orders,
//!   whose origin names only their first line).

use chrono::{NaiveDate, NaiveDateTime};
use std::collections::HashMap;

use crate::model::{Model, OrderOrigin};

/// Index of the coverage by existing orders, borrowed from the model (sorted per line).
#[derive(Debug, Default)]
pub(crate) struct Coverage<'m> {
    origins: HashMap<&'m str, Vec<NaiveDateTime>>,
    line_dates: HashMap<&'m str, Vec<NaiveDate>>,
}

impl<'m> Coverage<'m> {
    /// Indexes every order of the model (one pass; orders without agreement lines cost a
    /// field check).
    pub(crate) fn build(model: &'m Model) -> Self {
        let mut coverage = Coverage::default();
        for order in model.orders() {
            let origin = match &order.origin {
                OrderOrigin::Agreement { line, occurrence } => {
                    coverage
                        .origins
                        .entry(line.as_str())
                        .or_default()
                        .push(*occurrence);
                    Some(*occurrence)
                }
                OrderOrigin::Manual | OrderOrigin::ReturnOrder { .. } => None,
            };
            if !order.lines.iter().any(|l| l.agreement_line.is_some()) {
                continue;
            }
            let tz = model
                .customer(&order.customer)
                .and_then(|c| c.time_zone.tz().ok());
            let date = match (order.earliest_start, tz) {
                (Some(start), Some(tz)) => Some(start.with_timezone(&tz).date_naive()),
                _ => origin.map(|o| o.date()),
            };
            let Some(date) = date else { continue };
            for line in order.lines.iter().filter_map(|l| l.agreement_line.as_ref()) {
                coverage
                    .line_dates
                    .entry(line.as_str())
                    .or_default()
                    .push(date);
            }
        }
        for dates in coverage.origins.values_mut() {
            dates.sort_unstable();
            dates.dedup();
        }
        for dates in coverage.line_dates.values_mut() {
            dates.sort_unstable();
            dates.dedup();
        }
        coverage
    }

    /// Whether nothing is covered (the common first run: lookups can be skipped).
    pub(crate) fn is_empty(&self) -> bool {
        self.origins.is_empty() && self.line_dates.is_empty()
    }

    /// Whether the unit of `line` on `date` with these original occurrences is covered.
    pub(crate) fn covers(&self, line: &str, date: NaiveDate, originals: &[NaiveDateTime]) -> bool {
        self.line_dates
            .get(line)
            .is_some_and(|dates| dates.binary_search(&date).is_ok())
            || self.origins.get(line).is_some_and(|occurrences| {
                originals
                    .iter()
                    .any(|o| occurrences.binary_search(o).is_ok())
            })
    }
}
