//! Building service orders from work units: deterministic ids derived from the origin key,
//! the order's fields from its agreement lines, and grouping by agreement or object and date.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use super::options::{GenerateOptions, GroupBy};
use crate::model::{LineKind, Model, OrderId, OrderLine, OrderOrigin, Priority, ServiceOrder};
use crate::recurrence::{localize, LineContext, Occurrence};

/// One agreement line on one local date, ready to become (part of) an order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unit<'m> {
    pub ctx: LineContext<'m>,
    /// Local date of the work.
    pub date: NaiveDate,
    /// When, after adjustment (the earliest if occurrences were merged).
    pub at: Occurrence,
    /// The earliest original occurrence (local wall-clock time): the origin key.
    pub origin: NaiveDateTime,
    /// Occurrences merged into the unit (1 unless rules moved several onto one date).
    pub quantity: u32,
}

/// Appends `YYYYMMDD` to `s`.
fn push_date(s: &mut String, d: NaiveDate) {
    let _ = write!(s, "{:04}{:02}{:02}", d.year(), d.month(), d.day());
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
    let _ = write!(
        s,
        "T{:02}{:02}{:02}",
        origin.hour(),
        origin.minute(),
        origin.second()
    );
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

/// `base`, or `base-2`, `base-3`… when an order that covers other work already has the id.
pub(crate) fn free_id(model: &Model, taken: &HashSet<String>, base: String) -> OrderId {
    let base = OrderId::new(base);
    let is_free = |id: &OrderId| !taken.contains(id.as_str()) && model.order(id).is_none();
    if is_free(&base) {
        return base;
    }
    (2u32..)
        .map(|n| OrderId::new(format!("{base}-{n}")))
        .find(is_free)
        .unwrap_or(base)
}

/// The order line for a unit: the line's task, once per merged occurrence, at its price.
fn order_line(unit: &Unit<'_>) -> OrderLine {
    OrderLine {
        kind: LineKind::Task,
        task: Some(unit.ctx.line.task.clone()),
        agreement_line: Some(unit.ctx.line.id.clone()),
        description: String::new(),
        quantity: Decimal::from(unit.quantity),
        unit_price: unit.ctx.line.price,
    }
}

/// End of the unit's local date (start of the next), as an instant.
fn end_of_day(unit: &Unit<'_>) -> Option<DateTime<Utc>> {
    let next = unit.date.succ_opt()?;
    Some(localize(unit.ctx.tz, next.and_time(chrono::NaiveTime::MIN)).to_utc())
}

/// A new order for units (non-empty, all of one customer and date); the first unit is the
/// origin. Time window: from the earliest adjusted occurrence to the end of its date.
pub(crate) fn new_order(
    id: OrderId,
    units: &[Unit<'_>],
    options: &GenerateOptions<'_>,
) -> ServiceOrder {
    let first = &units[0];
    let priority = units
        .iter()
        .map(|u| u.ctx.line.priority.unwrap_or(Priority::Normal))
        .min()
        .unwrap_or(Priority::Normal);
    let mut order = ServiceOrder::new(
        id,
        first.ctx.agreement.customer.clone(),
        priority,
        options.created_at,
    );
    let same = |f: &dyn Fn(&Unit<'_>) -> bool| units.iter().all(f);
    if same(&|u| u.ctx.agreement.id == first.ctx.agreement.id) {
        order.agreement = Some(first.ctx.agreement.id.clone());
    }
    if same(&|u| u.ctx.line.service_object == first.ctx.line.service_object) {
        order.service_object = first.ctx.line.service_object.clone();
    }
    order.origin = OrderOrigin::Agreement {
        line: first.ctx.line.id.clone(),
        occurrence: first.origin,
    };
    order.preferred_technician = units
        .iter()
        .find_map(|u| u.ctx.line.preferred_technician.clone());
    order.earliest_start = units.iter().map(|u| u.at.to_utc()).min();
    order.due = end_of_day(first);
    order.lines = units.iter().map(order_line).collect();
    order
}

/// The key of a group: an agreement, or a customer's service object, and a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum GroupKey<'m> {
    Agreement(&'m str),
    Object(&'m str, &'m str),
}

/// Collects units into groups, keeping the order in which groups first appear.
#[derive(Debug, Default)]
pub(crate) struct Grouper<'m> {
    index: HashMap<(GroupKey<'m>, NaiveDate), usize>,
    groups: Vec<Vec<Unit<'m>>>,
}

impl<'m> Grouper<'m> {
    /// Adds a unit to its group.
    pub(crate) fn add(&mut self, group_by: GroupBy, unit: Unit<'m>) {
        let key = match (group_by, &unit.ctx.line.service_object) {
            (GroupBy::Object, Some(object)) => {
                GroupKey::Object(unit.ctx.agreement.customer.as_str(), object.as_str())
            }
            _ => GroupKey::Agreement(unit.ctx.agreement.id.as_str()),
        };
        let next = self.groups.len();
        let slot = *self.index.entry((key, unit.date)).or_insert(next);
        if slot == next {
            self.groups.push(Vec::new());
        }
        self.groups[slot].push(unit);
    }

    /// The groups with their base ids, in order of first appearance.
    pub(crate) fn into_groups(self, prefix: &str) -> Vec<(String, Vec<Unit<'m>>)> {
        let mut keys: Vec<(GroupKey<'m>, NaiveDate, usize)> = self
            .index
            .into_iter()
            .map(|((k, d), i)| (k, d, i))
            .collect();
        keys.sort_unstable_by_key(|&(_, _, i)| i);
        keys.into_iter()
            .zip(self.groups)
            .map(move |((key, date, _), units)| {
                let id = match key {
                    GroupKey::Agreement(a) => group_order_id(prefix, 'A', a, date),
                    GroupKey::Object(_, o) => group_order_id(prefix, 'O', o, date),
                };
                (id, units)
            })
            .collect()
    }
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
