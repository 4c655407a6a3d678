//! Service-order generation from agreement lines: the periodic job that turns recurring
//! promises into work (Dynamics AX's "Create service orders").
//!
//! For every active line whose validity overlaps the window, the occurrences in the window
//! are adjusted (kept, moved or skipped), occurrences of a line that land on the same local
//! date are merged into one *work unit*, units already covered by existing orders are
//! skipped (see the coverage rules in [`coverage`](self)), and the rest become orders —
//! one per unit, or grouped per agreement or service object and date.
//!
//! Generation is **idempotent**: order ids derive from the origin key (line and original
//! occurrence for line grouping; agreement or object and date for grouped orders), and
//! existing orders are recognised whatever their status, so a re-run over the same or an
//! overlapping window creates nothing twice. One failing line (invalid rule, rule error,
//! SLA seam error) is reported and the others run.

mod build;
mod coverage;
mod options;
mod report;

pub use options::{GenerateOptions, GroupBy, SlaTargets};
pub use report::GenerationReport;

use chrono::{Duration, NaiveDate, NaiveDateTime};

use build::{group_base_id, line_order_id, new_order, suffixed_id, GroupKey, Numbering, Unit};
use coverage::Coverage;

use super::{
    localize, Adjusted, LineContext, Occurrence, OccurrenceAdjuster, RecurrenceError,
    RecurrenceRuleError, Window,
};
use crate::model::{AgreementLineId, Model, OrderId, OrderOrigin, ServiceOrder};

/// Generates the orders for occurrences in `[from, to)` with an explicit adjuster, adds them
/// to the model and reports what happened.
///
/// `adjuster` decides per occurrence; [`NonBusinessDay`](super::NonBusinessDay) is the native
/// one (what `options.non_business_day` selects when no rules are involved).
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use fieldwork::model::Model;
/// use fieldwork::recurrence::NonBusinessDay;
/// use fieldwork::recurrence::generate::{generate_with, GenerateOptions};
/// let mut model = Model::from_json(r#"{
///   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "Europe/Berlin",
///                  "location": {"lat": 52.5, "lon": 13.4}}],
///   "tasks": [{"code": "INSP", "description": "Inspection", "duration_minutes": 60}],
///   "agreements": [{"id": "A-1", "customer": "C-1", "valid_from": "2027-01-01",
///     "status": "active", "lines": [{"id": "L-1", "task": "INSP", "price": "80",
///       "recurrence": {"rrule": "FREQ=MONTHLY;BYMONTHDAY=6", "dtstart": "2027-01-06T09:00:00"}}]}]
/// }"#).unwrap();
/// let d = |m, d| NaiveDate::from_ymd_opt(2027, m, d).unwrap();
/// let options = GenerateOptions::new(Utc.with_ymd_and_hms(2027, 2, 20, 6, 0, 0).unwrap());
/// let mut policy = NonBusinessDay::NextBusinessDay;
/// let report = generate_with(&mut model, &mut policy, d(3, 1), d(4, 1), &options).unwrap();
/// // 6 March 2027 is a Saturday: moved to Monday the 8th; the id keeps the original date.
/// assert_eq!(report.created[0].as_str(), "SO-L-L-1-20270306T090000");
/// assert_eq!(report.moved_by_rule, 1);
/// // Running again creates nothing.
/// let again = generate_with(&mut model, &mut policy, d(3, 1), d(4, 1), &options).unwrap();
/// assert!(again.created.is_empty());
/// assert_eq!(again.skipped_existing, 1);
/// ```
///
/// # Errors
/// Only for an inverted window; everything about a line goes into the report.
pub fn generate_with(
    model: &mut Model,
    adjuster: &mut dyn OccurrenceAdjuster,
    from: NaiveDate,
    to: NaiveDate,
    options: &GenerateOptions<'_>,
) -> Result<GenerationReport, RecurrenceRuleError> {
    let window = Window::new(from, to)?;
    let plan = plan(model, adjuster, window, options);
    Ok(apply(model, plan, options))
}

/// Like [`generate_with`], for the `days` days starting `today`: `[today, today + days)` — the
/// convenience for a scheduler that runs every day with a fixed horizon. Re-running it daily
/// generates each occurrence exactly once, as it enters the horizon.
///
/// # Errors
/// As [`generate_with`] (a horizon that overflows the calendar is an inverted window).
pub fn generate_days_ahead_with(
    model: &mut Model,
    adjuster: &mut dyn OccurrenceAdjuster,
    today: NaiveDate,
    days: u32,
    options: &GenerateOptions<'_>,
) -> Result<GenerationReport, RecurrenceRuleError> {
    let to = today
        .checked_add_signed(Duration::days(i64::from(days)))
        .unwrap_or(NaiveDate::MIN);
    generate_with(model, adjuster, today, to, options)
}

fn origin_line(order: &ServiceOrder) -> AgreementLineId {
    match &order.origin {
        OrderOrigin::Agreement { line, .. } => line.clone(),
        OrderOrigin::Manual => AgreementLineId::new(""),
    }
}

/// One adjusted occurrence of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    at: Occurrence,
    original: NaiveDateTime,
}

/// Per-line counts, committed to the report only when the line succeeds.
#[derive(Debug, Default)]
struct LineCounts {
    occurrences: usize,
    skipped: usize,
    moved: usize,
}

/// The work to create, by position in the model: units (line grouping) or keyed units.
#[derive(Debug)]
struct Plan {
    report: GenerationReport,
    units: Vec<Unit>,
    keyed: Vec<(GroupKey, Unit)>,
}

/// Phase 1, read-only: expands, adjusts and merges every line's occurrences into work units
/// not yet covered by existing orders.
fn plan(
    model: &Model,
    adjuster: &mut dyn OccurrenceAdjuster,
    window: Window,
    options: &GenerateOptions<'_>,
) -> Plan {
    let coverage = Coverage::build(model);
    let mut numbering = Numbering::default();
    let mut plan = Plan {
        report: GenerationReport::new(window, options.group_by),
        units: Vec::new(),
        keyed: Vec::new(),
    };
    let report = &mut plan.report;
    let mut occurrences = Vec::new();
    let mut entries = Vec::new();
    let mut originals = Vec::new();
    for (a, agreement) in model.agreements().iter().enumerate() {
        for (l, line) in agreement.lines.iter().enumerate() {
            let ctx = match LineContext::resolve(model, agreement, line) {
                Ok(ctx) => ctx,
                Err(e) => {
                    report.errors.push(e);
                    continue;
                }
            };
            let effective = ctx.effective_window(window);
            let (Ok(a), Ok(l)) = (u32::try_from(a), u32::try_from(l)) else {
                continue;
            };
            if effective.is_empty() {
                continue;
            }
            report.lines += 1;
            occurrences.clear();
            let counts = match ctx.expander().and_then(|expander| {
                expander.expand_into(effective, &mut occurrences);
                adjust_line(&ctx, &occurrences, adjuster, &mut entries)
            }) {
                Ok(counts) => counts,
                Err(e) => {
                    report.errors.push(e);
                    continue;
                }
            };
            report.occurrences += counts.occurrences;
            report.skipped_by_rule += counts.skipped;
            report.moved_by_rule += counts.moved;
            let key = numbering.key(options.group_by, a, agreement, line);
            for run in entries.chunk_by(|x, y| x.at.date_naive() == y.at.date_naive()) {
                report.merged += run.len() - 1;
                let date = run[0].at.date_naive();
                originals.clear();
                originals.extend(run.iter().map(|e| e.original));
                if !coverage.is_empty() && coverage.covers(line.id.as_str(), date, &originals) {
                    report.skipped_existing += 1;
                    continue;
                }
                let unit = Unit {
                    agreement: a,
                    line: l,
                    tz: ctx.tz,
                    date,
                    at: run[0].at,
                    origin: originals.iter().copied().min().unwrap_or(run[0].original),
                    quantity: u32::try_from(run.len()).unwrap_or(u32::MAX),
                };
                match key {
                    None => plan.units.push(unit),
                    Some(key) => plan.keyed.push((key, unit)),
                }
            }
        }
    }
    plan
}

/// Phase 2: builds the orders (ids, fields, SLA seam) and adds them to the model.
fn apply(model: &mut Model, plan: Plan, options: &GenerateOptions<'_>) -> GenerationReport {
    let Plan {
        mut report,
        units,
        mut keyed,
    } = plan;
    if !units.is_empty() {
        model.reserve_orders(units.len());
        report.created.reserve(units.len());
        for unit in units {
            let Some((_, line)) = unit.resolve(model) else {
                continue;
            };
            let id = OrderId::new(line_order_id(
                options.id_prefix,
                line.id.as_str(),
                unit.origin,
            ));
            let order = new_order(model, id, &[unit], options);
            add(model, order, options, &mut report);
        }
    }
    // Stable: within a group, units keep the order of their lines in the dataset.
    keyed.sort_by_key(|(key, unit)| (*key, unit.date));
    let groups: Vec<&[(GroupKey, Unit)]> = keyed
        .chunk_by(|(k1, u1), (k2, u2)| k1 == k2 && u1.date == u2.date)
        .collect();
    model.reserve_orders(groups.len());
    report.created.reserve(groups.len());
    let mut units = Vec::new();
    for group in groups {
        let Some(&(key, first)) = group.first() else {
            continue;
        };
        let Some(base) = group_base_id(model, options.id_prefix, key, &first) else {
            continue;
        };
        units.clear();
        units.extend(group.iter().map(|(_, u)| *u));
        let order = new_order(model, OrderId::new(base), &units, options);
        add(model, order, options, &mut report);
    }
    report
}

/// Applies the SLA seam and adds the order; an error is reported against the order's origin
/// line and drops the order.
fn add(
    model: &mut Model,
    order: Option<ServiceOrder>,
    options: &GenerateOptions<'_>,
    report: &mut GenerationReport,
) {
    let Some(mut order) = order else { return };
    if let Some(sla) = options.sla {
        if let Err(message) = sla.apply(model, &mut order) {
            report.errors.push(RecurrenceError::Order {
                line: origin_line(&order),
                order: order.id,
                message: format!("SLA targets: {message}"),
            });
            return;
        }
    }
    // The derived id is free unless an order covering other work has it (see `suffixed_id`).
    let mut id = order.id.clone();
    if model.order(&id).is_some() {
        id = suffixed_id(model, &id);
        order.id = id.clone();
    }
    let line = origin_line(&order);
    match model.add_order(order) {
        Ok(()) => report.created.push(id),
        Err(e) => report.errors.push(RecurrenceError::Order {
            line,
            order: id,
            message: format!("rejected by the model: {e}"),
        }),
    }
}

/// Adjusts a line's occurrences into `entries` (sorted by adjusted time).
fn adjust_line(
    ctx: &LineContext<'_>,
    occurrences: &[Occurrence],
    adjuster: &mut dyn OccurrenceAdjuster,
    entries: &mut Vec<Entry>,
) -> Result<LineCounts, RecurrenceError> {
    entries.clear();
    let mut counts = LineCounts {
        occurrences: occurrences.len(),
        ..LineCounts::default()
    };
    if occurrences.is_empty() {
        return Ok(counts);
    }
    adjuster.begin_line(ctx);
    for &occurrence in occurrences {
        let original = occurrence.naive_local();
        let at = match adjuster.adjust(original, ctx)? {
            Adjusted::Keep => occurrence,
            Adjusted::Move(local) if local == original => occurrence,
            Adjusted::Move(local) => {
                counts.moved += 1;
                localize(ctx.tz, local).fixed_offset()
            }
            Adjusted::Skip => {
                counts.skipped += 1;
                continue;
            }
        };
        entries.push(Entry { at, original });
    }
    if counts.moved > 0 {
        entries.sort_unstable();
    }
    Ok(counts)
}

#[cfg(test)]
mod tests;
