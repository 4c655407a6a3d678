//! What each disposition implies, as values: a credit transaction, a replacement order, a
//! repair service order for the returned object, a scrap record, a shipment back to the
//! customer. Nothing is changed or stored here; the host adds the orders to its model and
//! posts the credits.
//!
//! | disposition | action |
//! |---|---|
//! | `credit` | a [`Transaction`] of kind `credit`: −(value × quantity), rounded half-up to cents, in the return order's currency, id `<rma>/<line>/credit` |
//! | `replace` | a [`ServiceOrder`] `<rma>-<line>-REPLACE` for the customer: one item line (the item, the quantity, unit price 0 — the replacement is not charged), the returned object as its object so the order goes where the object stood |
//! | `repair` | a [`ServiceOrder`] `<rma>-<line>-REPAIR` on the returned object, no lines (work is recorded during the repair) |
//! | `scrap` | a scrap record of the item, quantity and object |
//! | `return_to_customer` | a shipment record of the item, quantity and object back to the customer |
//!
//! Orders created from a return line have origin `return_order { rma, line }`, priority normal
//! and the given creation instant.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::error::RmaError;
use crate::billing::{round_money, Transaction, TransactionKind, TransactionSource};
use crate::model::{
    DispositionCode, LineKind, OrderId, OrderLine, OrderOrigin, Priority, ReturnLine, ReturnOrder,
    ServiceObjectId, ServiceOrder,
};

/// The action a line's disposition implies.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Credit the customer.
    Credit {
        /// The line number.
        line: u32,
        /// The credit transaction.
        transaction: Transaction,
    },
    /// Send a replacement.
    Replace {
        /// The line number.
        line: u32,
        /// The replacement order.
        order: Box<ServiceOrder>,
    },
    /// Repair the returned object.
    Repair {
        /// The line number.
        line: u32,
        /// The repair service order.
        order: Box<ServiceOrder>,
    },
    /// Dispose of the returned item.
    Scrap {
        /// The line number.
        line: u32,
        /// Item number.
        item: String,
        /// Quantity.
        quantity: Decimal,
        /// The returned object, if registered.
        #[serde(skip_serializing_if = "Option::is_none")]
        service_object: Option<ServiceObjectId>,
    },
    /// Ship the item back unchanged.
    ReturnToCustomer {
        /// The line number.
        line: u32,
        /// Item number.
        item: String,
        /// Quantity.
        quantity: Decimal,
        /// The returned object, if registered.
        #[serde(skip_serializing_if = "Option::is_none")]
        service_object: Option<ServiceObjectId>,
    },
}

impl Action {
    /// The line number the action is for.
    pub fn line(&self) -> u32 {
        match self {
            Action::Credit { line, .. }
            | Action::Replace { line, .. }
            | Action::Repair { line, .. }
            | Action::Scrap { line, .. }
            | Action::ReturnToCustomer { line, .. } => *line,
        }
    }

    /// The disposition the action carries out.
    pub fn disposition(&self) -> DispositionCode {
        match self {
            Action::Credit { .. } => DispositionCode::Credit,
            Action::Replace { .. } => DispositionCode::Replace,
            Action::Repair { .. } => DispositionCode::Repair,
            Action::Scrap { .. } => DispositionCode::Scrap,
            Action::ReturnToCustomer { .. } => DispositionCode::ReturnToCustomer,
        }
    }

    /// The order the action creates, if any.
    pub fn order(&self) -> Option<&ServiceOrder> {
        match self {
            Action::Replace { order, .. } | Action::Repair { order, .. } => Some(order),
            _ => None,
        }
    }

    /// One line of text for people.
    pub fn summary(&self) -> String {
        match self {
            Action::Credit { transaction, .. } => format!(
                "credit {} {} ({})",
                transaction.amount, transaction.currency, transaction.id
            ),
            Action::Replace { order, .. } => format!("replacement order {}", order.id),
            Action::Repair { order, .. } => format!(
                "repair order {}{}",
                order.id,
                order
                    .service_object
                    .as_ref()
                    .map(|o| format!(" for object {o}"))
                    .unwrap_or_default()
            ),
            Action::Scrap { item, quantity, .. } => format!("scrap {quantity} x {item}"),
            Action::ReturnToCustomer { item, quantity, .. } => {
                format!("ship {quantity} x {item} back to the customer")
            }
        }
    }
}

/// Id of the order a `replace` or `repair` disposition creates.
pub fn action_order_id(rma: &ReturnOrder, line: u32, disposition: DispositionCode) -> OrderId {
    let suffix = match disposition {
        DispositionCode::Replace => "REPLACE",
        _ => "REPAIR",
    };
    OrderId::new(format!("{}-{line}-{suffix}", rma.id))
}

/// The action `disposition` implies for `line` of `rma`, created at `at`.
///
/// # Errors
/// For a credit: [`RmaError::MissingCurrency`] and [`RmaError::AmountOverflow`].
pub fn action_for(
    rma: &ReturnOrder,
    line: &ReturnLine,
    disposition: DispositionCode,
    at: DateTime<Utc>,
) -> Result<Action, RmaError> {
    let n = line.line;
    let order = |kind: DispositionCode, description: String| {
        let mut order = ServiceOrder::new(
            action_order_id(rma, n, kind),
            rma.customer.clone(),
            Priority::Normal,
            at,
        );
        order.origin = OrderOrigin::ReturnOrder {
            rma: rma.id.clone(),
            line: n,
        };
        order.service_object = line.service_object.clone();
        order.description = description;
        order
    };
    let source = format!("RMA {} line {n}, reason {}", rma.id, rma.reason_code);
    Ok(match disposition {
        DispositionCode::Credit => {
            let currency = rma.currency.clone().ok_or(RmaError::MissingCurrency {
                rma: rma.id.clone(),
                line: n,
            })?;
            let value = line
                .value
                .checked_mul(line.quantity)
                .ok_or(RmaError::AmountOverflow {
                    rma: rma.id.clone(),
                    line: n,
                })?;
            let amount = round_money(value);
            Action::Credit {
                line: n,
                transaction: Transaction {
                    id: format!("{}/{n}/credit", rma.id),
                    customer: rma.customer.clone(),
                    source: TransactionSource::ReturnOrder {
                        rma: rma.id.clone(),
                        line: n,
                    },
                    kind: TransactionKind::Credit,
                    date: at.date_naive(),
                    service: None,
                    amount: if amount.is_zero() { amount } else { -amount },
                    currency,
                    description: format!(
                        "Credit for returned {} x {} ({source})",
                        line.quantity, line.item
                    ),
                },
            }
        }
        DispositionCode::Replace => {
            let mut o = order(
                disposition,
                format!("Replacement for returned {} ({source})", line.item),
            );
            o.lines.push(OrderLine {
                kind: LineKind::Item,
                task: None,
                agreement_line: None,
                description: format!("Replacement {}", line.item),
                quantity: line.quantity,
                unit_price: Decimal::ZERO,
            });
            Action::Replace {
                line: n,
                order: Box::new(o),
            }
        }
        DispositionCode::Repair => Action::Repair {
            line: n,
            order: Box::new(order(
                disposition,
                format!("Repair of returned {} ({source})", line.item),
            )),
        },
        DispositionCode::Scrap => Action::Scrap {
            line: n,
            item: line.item.clone(),
            quantity: line.quantity,
            service_object: line.service_object.clone(),
        },
        DispositionCode::ReturnToCustomer => Action::ReturnToCustomer {
            line: n,
            item: line.item.clone(),
            quantity: line.quantity,
            service_object: line.service_object.clone(),
        },
    })
}
