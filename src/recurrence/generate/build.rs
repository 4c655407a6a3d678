//! Building service orders from work units: deterministic ids derived from the origin key,
//! the order's fields from its agreement lines, and grouping by agreement or object and date.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::fmt::Write;

use super::options::{GenerateOptions, GroupBy};
use crate::model::{
    AgreementLine, LineKind, Model, OrderId, OrderLine, OrderOrigin, Priority, ServiceAgreement,
    ServiceOrder,
};
use crate::recurrence::{localize, Occurrence};

/// One agreement line on one local date, ready to become (part of) an order. Refers to its
/// line by position, so that planning can end its borrow of the model before orders are added.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unit {
    /// Index of the agreement in `Model::agreements()`.
    pub agreement: u32,
    /// Index of the line in the agreement's lines.
    pub line: u32,
    /// The customer's zone.
    pub tz: Tz,
    /// Local date of the work.
    pub date: NaiveDate,
    /// When, after adjustment (the earliest if occurrences were merged).
    pub at: Occurrence,
    /// The earliest original occurrence (local wall-clock time): the origin key.
    pub origin: NaiveDateTime,
    /// Occurrences merged into the unit (1 unless rules moved several onto one date).
    pub quantity: u32,
    /// Start-by deadline from the SLA response target, if any.
    pub sla_due: Option<DateTime<Utc>>,
}

impl Unit {
    /// The unit's agreement and line in `model`.
    pub(crate) fn resolve<'m>(
        &self,
        model: &'m Model,
    ) -> Option<(&'m ServiceAgreement, &'m AgreementLine)> {
        let agreement = model.agreements().get(self.agreement as usize)?;
        Some((agreement, agreement.lines.get(self.line as usize)?))
    }
}

/// Appends `YYYYMMDD` to `s`.
fn push_date(s: &mut String, d: NaiveDate) {
    match u32::try_from(d.year()) {
        Ok(year) if year <= 9999 => {
            push2(s, year / 100);
            push2(s, year % 100);
        }
        _ => {
            let _ = write!(s, "{:04}", d.year());
        }
    }
    push2(s, d.month());
    push2(s, d.day());
}

/// Appends a two-digit number (0–99).
fn push2(s: &mut String, n: u32) {
    s.push(char::from(b'0' + (n / 10 % 10) as u8));
    s.push(char::from(b'0' + (n % 10) as u8));
}

/// The id of a line-grouped order: `<prefix>-L-<line>-<YYYYMMDDTHHMMSS of the origin>`.
///
/// Derived from the origin key only (line id and original local occurrence), so it is the
/// same in every run and process; the fixed-length suffix and the kind letter make the
/// mapping injective.
pub(crate) fn line_order_id(prefix: &str, line: &str, origin: NaiveDateTime) -> String {
    let mut s = String::with_capacity(prefix.len() + line.len() + 20);
    s.push_str(prefix);
    s.push_str("-L-");
    s.push_str(line);
    s.push('-');
    push_date(&mut s, origin.date());
    s.push('T');
    push2(&mut s, origin.hour());
    push2(&mut s, origin.minute());
    push2(&mut s, origin.second());
    s
}

/// The id of a grouped order: `<prefix>-A-<agreement>-<YYYYMMDD>` or `<prefix>-O-<object>-…`.
pub(crate) fn group_order_id(prefix: &str, kind: char, key: &str, date: NaiveDate) -> String {
    let mut s = String::with_capacity(prefix.len() + key.len() + 13);
    s.push_str(prefix);
    s.push('-');
    s.push(kind);
    s.push('-');
    s.push_str(key);
    s.push('-');
    push_date(&mut s, date);
    s
}

/// The first of `base-2`, `base-3`… that no order has: for when an order that covers other
/// work already has `base` (an order entered by hand, or a group of the same key generated
/// from other occurrences).
pub(crate) fn suffixed_id(model: &Model, base: &OrderId) -> OrderId {
    (2u32..)
        .map(|n| OrderId::new(format!("{base}-{n}")))
        .find(|id| model.order(id).is_none())
        .unwrap_or_else(|| base.clone())
}

/// The order line for a unit: the line's task, once per merged occurrence, at its price.
fn order_line(line: &AgreementLine, quantity: u32) -> OrderLine {
    OrderLine {
        kind: LineKind::Task,
        task: Some(line.task.clone()),
        agreement_line: Some(line.id.clone()),
        description: String::new(),
        quantity: Decimal::from(quantity),
        unit_price: line.price,
    }
}

/// End of the local `date` (start of the next), as an instant.
fn end_of_day(tz: Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    let next = date.succ_opt()?;
    Some(localize(tz, next.and_time(chrono::NaiveTime::MIN)).to_utc())
}

/// A new order for units (non-empty, all of one customer and date); the first unit is the
/// origin. Time window: from the earliest adjusted occurrence to the end of its date, or to
/// the SLA's start-by deadline when that is earlier.
/// `None` when a unit no longer resolves (the model cannot change during generation).
pub(crate) fn new_order(
    model: &Model,
    id: OrderId,
    units: &[Unit],
    options: &GenerateOptions<'_>,
) -> Option<ServiceOrder> {
    let resolved: Vec<(&ServiceAgreement, &AgreementLine)> = units
        .iter()
        .map(|u| u.resolve(model))
        .collect::<Option<_>>()?;
    let (first, (agreement, line)) = (units.first()?, *resolved.first()?);
    let priority = resolved
        .iter()
        .map(|(_, l)| l.priority.unwrap_or(Priority::Normal))
        .min()
        .unwrap_or(Priority::Normal);
    let mut order = ServiceOrder::new(id, agreement.customer.clone(), priority, options.created_at);
    if resolved.iter().all(|(a, _)| a.id == agreement.id) {
        order.agreement = Some(agreement.id.clone());
    }
    if resolved
        .iter()
        .all(|(_, l)| l.service_object == line.service_object)
    {
        order.service_object = line.service_object.clone();
    }
    order.origin = OrderOrigin::Agreement {
        line: line.id.clone(),
        occurrence: first.origin,
    };
    order.preferred_technician = resolved
        .iter()
        .find_map(|(_, l)| l.preferred_technician.clone());
    order.earliest_start = units.iter().map(|u| u.at.to_utc()).min();
    let sla_due = units.iter().filter_map(|u| u.sla_due).min();
    order.due = match (end_of_day(first.tz, first.date), sla_due) {
        (Some(end), Some(sla)) => Some(end.min(sla)),
        (end, sla) => end.or(sla),
    };
    order.lines = resolved
        .iter()
        .zip(units)
        .map(|((_, l), u)| order_line(l, u.quantity))
        .collect();
    Some(order)
}

/// What a grouped order is keyed by (besides its date): an agreement, or a customer's
/// service object; numbers are positions of first appearance, ids are kept for order ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum GroupKey {
    /// Agreement by index in `Model::agreements()`.
    Agreement(u32),
    /// (customer, object), each numbered in order of first appearance.
    Object(u32, u32),
}

/// Numbers customers and objects in order of first appearance (one lookup per line).
#[derive(Debug, Default)]
pub(crate) struct Numbering<'m> {
    customers: HashMap<&'m str, u32>,
    objects: HashMap<&'m str, u32>,
}

impl<'m> Numbering<'m> {
    fn number(map: &mut HashMap<&'m str, u32>, id: &'m str) -> u32 {
        let next = u32::try_from(map.len()).unwrap_or(u32::MAX);
        *map.entry(id).or_insert(next)
    }

    /// The group key of a line under `group_by` (`None` for line grouping).
    pub(crate) fn key(
        &mut self,
        group_by: GroupBy,
        agreement_index: u32,
        agreement: &'m ServiceAgreement,
        line: &'m AgreementLine,
    ) -> Option<GroupKey> {
        match (group_by, &line.service_object) {
            (GroupBy::Line, _) => None,
            (GroupBy::Object, Some(object)) => Some(GroupKey::Object(
                Self::number(&mut self.customers, agreement.customer.as_str()),
                Self::number(&mut self.objects, object.as_str()),
            )),
            _ => Some(GroupKey::Agreement(agreement_index)),
        }
    }
}

/// The base id of a grouped order from its first unit.
pub(crate) fn group_base_id(
    model: &Model,
    prefix: &str,
    key: GroupKey,
    unit: &Unit,
) -> Option<String> {
    let (agreement, line) = unit.resolve(model)?;
    Some(match key {
        GroupKey::Agreement(_) => group_order_id(prefix, 'A', agreement.id.as_str(), unit.date),
        GroupKey::Object(..) => group_order_id(
            prefix,
            'O',
            line.service_object.as_ref()?.as_str(),
            unit.date,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_derived_from_the_origin_key_and_cannot_collide_across_kinds() {
        let t: NaiveDateTime = "2027-03-01T09:00:00".parse().unwrap();
        assert_eq!(line_order_id("SO", "L-7", t), "SO-L-L-7-20270301T090000");
        let d = t.date();
        assert_eq!(group_order_id("SO", 'A', "AG-1", d), "SO-A-AG-1-20270301");
        assert_eq!(group_order_id("SO", 'O', "AG-1", d), "SO-O-AG-1-20270301");
        // A line id that looks like a date suffix still maps injectively.
        assert_ne!(
            line_order_id("SO", "X-20270301T090000", t),
            line_order_id("SO", "X", t)
        );
    }
}
