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
//! SLA error) is reported and the others run.

mod build;
mod coverage;
mod options;
mod report;
pub mod sla;

pub use options::{GenerateOptions, GroupBy};
pub use report::GenerationReport;

use chrono::{Duration, NaiveDate, NaiveDateTime};

use build::{group_base_id, line_order_id, new_order, suffixed_id, GroupKey, Numbering, Unit};
use coverage::Coverage;

use crate::sla::SlaEngine;

use super::{
    localize, AdjustHook, Adjusted, LineContext, Occurrence, OccurrenceAdjuster, RecurrenceError,
    RecurrenceRuleError, RuleAdjuster, Window, MAX_GENERATION_DAYS, MAX_OCCURRENCES_PER_LINE,
};
use crate::model::{AgreementLineId, Model, OrderId, OrderOrigin, ServiceOrder};
use crate::rules::RuleSet;

/// Generates the service orders for the occurrences in `[from, to)` (local dates of each
/// customer's zone), adds them to the model and reports what happened.
///
/// Occurrences are adjusted by the `adjust_occurrence` hook of `rules` when it defines one;
/// otherwise (no rules, or no such hook) by `options.non_business_day`, whose default is what
/// the shipped `rules/recurrence.rhai` does — natively, without a Rhai call.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use fieldwork::model::Model;
/// use fieldwork::recurrence::generate::{generate_orders, GenerateOptions};
/// use fieldwork::rules::RuleSet;
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
/// // A rule that skips Saturdays instead of moving them.
/// let rules = RuleSet::from_sources(&[("recurrence.rhai",
///     "fn adjust_occurrence(o, line, cal) { if o.weekday == 6 { () } else { o } }")]).unwrap();
/// let report = generate_orders(&mut model, Some(&rules), d(3, 1), d(5, 1), &options).unwrap();
/// // 6 March 2027 is a Saturday: skipped; 6 April is a Tuesday.
/// assert_eq!(report.skipped_by_rule, 1);
/// assert_eq!(report.created[0].as_str(), "SO-L-L-1-20270406T090000");
/// ```
///
/// # Errors
/// Only for an inverted window or one longer than [`MAX_GENERATION_DAYS`]; everything about
/// a line (including more than [`MAX_OCCURRENCES_PER_LINE`] occurrences) goes into the report.
pub fn generate_orders(
    model: &mut Model,
    rules: Option<&RuleSet>,
    from: NaiveDate,
    to: NaiveDate,
    options: &GenerateOptions<'_>,
) -> Result<GenerationReport, RecurrenceRuleError> {
    match rules.filter(|r| r.has_adjust_occurrence()) {
        Some(rules) => {
            let mut adjuster = RuleAdjuster::new(rules, options.non_business_day);
            let mut report = generate_with(model, &mut adjuster, from, to, options)?;
            report.rule_calls = adjuster.stats().calls;
            Ok(report)
        }
        None => {
            let mut policy = options.non_business_day;
            let mut report = generate_with(model, &mut policy, from, to, options)?;
            // No rule ran: the moves were the built-in policy's.
            report.moved_by_policy = std::mem::take(&mut report.moved_by_rule);
            Ok(report)
        }
    }
}

/// [`generate_orders`] for the `days` days starting `today`: `[today, today + days)` — the
/// convenience for a scheduler that runs every day with a fixed horizon. Re-running it daily
/// generates each occurrence exactly once, as it enters the horizon.
///
/// # Errors
/// As [`generate_orders`] (a horizon past the calendar's end is an inverted window).
pub fn generate_days_ahead(
    model: &mut Model,
    rules: Option<&RuleSet>,
    today: NaiveDate,
    days: u32,
    options: &GenerateOptions<'_>,
) -> Result<GenerationReport, RecurrenceRuleError> {
    generate_orders(model, rules, today, days_after(today, days), options)
}

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
/// Only for an inverted window or one longer than [`MAX_GENERATION_DAYS`]; everything about
/// a line (including more than [`MAX_OCCURRENCES_PER_LINE`] occurrences) goes into the report.
pub fn generate_with(
    model: &mut Model,
    adjuster: &mut dyn OccurrenceAdjuster,
    from: NaiveDate,
    to: NaiveDate,
    options: &GenerateOptions<'_>,
) -> Result<GenerationReport, RecurrenceRuleError> {
    let window = Window::new(from, to)?;
    let days = (to - from).num_days();
    if days > MAX_GENERATION_DAYS {
        return Err(RecurrenceRuleError::WindowTooLong {
            from,
            to,
            days,
            max: MAX_GENERATION_DAYS,
        });
    }
    let plan = plan(model, adjuster, window, options);
    Ok(apply(model, plan, options))
}

/// [`generate_with`] for the `days` days starting `today` (see [`generate_days_ahead`]).
///
/// # Errors
/// As [`generate_with`].
pub fn generate_days_ahead_with(
    model: &mut Model,
    adjuster: &mut dyn OccurrenceAdjuster,
    today: NaiveDate,
    days: u32,
    options: &GenerateOptions<'_>,
) -> Result<GenerationReport, RecurrenceRuleError> {
    generate_with(model, adjuster, today, days_after(today, days), options)
}

/// The end of a horizon of `days` days from `today`; past the calendar's end it is
/// `NaiveDate::MIN`, which makes the window inverted (an error, never a panic).
fn days_after(today: NaiveDate, days: u32) -> NaiveDate {
    today
        .checked_add_signed(Duration::days(i64::from(days)))
        .unwrap_or(NaiveDate::MIN)
}

fn origin_line(order: &ServiceOrder) -> AgreementLineId {
    match &order.origin {
        OrderOrigin::Agreement { line, .. } => line.clone(),
        OrderOrigin::Manual | OrderOrigin::ReturnOrder { .. } => AgreementLineId::new(""),
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
    let sla_engine = options.sla.then(|| {
        let engine = match options.sla_calendars {
            Some(calendars) => Ok(SlaEngine::with_calendars(model, calendars.clone())),
            None => SlaEngine::new(model),
        };
        engine.map(|e| match options.sla_rules {
            Some(rules) => e.with_rules(rules),
            None => e,
        })
    });
    let mut planner = Planner {
        coverage: Coverage::build(model),
        sla: sla_engine.as_ref(),
        numbering: Numbering::default(),
        occurrences: Vec::new(),
        entries: Vec::new(),
        originals: Vec::new(),
        units: Vec::new(),
    };
    let mut plan = Plan {
        report: GenerationReport::new(window, options.group_by),
        units: Vec::new(),
        keyed: Vec::new(),
    };
    for (a, agreement) in model.agreements().iter().enumerate() {
        for (l, line) in agreement.lines.iter().enumerate() {
            let planned = LineContext::resolve(model, agreement, line)
                .and_then(|ctx| planner.line(&ctx, (a, l), window, adjuster, options, &mut plan));
            if let Err(e) = planned {
                plan.report.errors.push(e);
            }
        }
    }
    plan
}

/// The state of phase 1: existing coverage, SLA engine, numbering and reused buffers.
struct Planner<'m, 'e> {
    coverage: Coverage<'m>,
    sla: Option<&'e Result<SlaEngine<'m>, crate::sla::SlaError>>,
    numbering: Numbering<'m>,
    occurrences: Vec<Occurrence>,
    entries: Vec<Entry>,
    originals: Vec<NaiveDateTime>,
    units: Vec<Unit>,
}

impl<'m> Planner<'m, '_> {
    /// Plans one line; on error the line contributes nothing (no units, no counts).
    fn line(
        &mut self,
        ctx: &LineContext<'m>,
        (a, l): (usize, usize),
        window: Window,
        adjuster: &mut dyn OccurrenceAdjuster,
        options: &GenerateOptions<'_>,
        plan: &mut Plan,
    ) -> Result<(), RecurrenceError> {
        let effective = ctx.effective_window(window);
        let (Ok(a), Ok(l)) = (u32::try_from(a), u32::try_from(l)) else {
            return Ok(());
        };
        if effective.is_empty() {
            return Ok(());
        }
        plan.report.lines += 1;
        self.occurrences.clear();
        if !ctx.expander()?.expand_at_most(
            effective,
            MAX_OCCURRENCES_PER_LINE,
            &mut self.occurrences,
        ) {
            return Err(RecurrenceError::TooManyOccurrences {
                line: ctx.line.id.clone(),
                from: effective.from(),
                to: effective.to(),
                max: MAX_OCCURRENCES_PER_LINE,
            });
        }
        let counts = adjust_line(ctx, &self.occurrences, adjuster, &mut self.entries)?;
        let line_sla = match self.sla {
            None => None,
            Some(Err(e)) => {
                return Err(RecurrenceError::Sla {
                    line: ctx.line.id.clone(),
                    message: e.to_string(),
                })
            }
            Some(Ok(engine)) => Some(sla::line_sla(engine, ctx, options)?),
        };
        let (mut merged, mut existing) = (0, 0);
        self.units.clear();
        for run in self
            .entries
            .chunk_by(|x, y| x.at.date_naive() == y.at.date_naive())
        {
            merged += run.len() - 1;
            let date = run[0].at.date_naive();
            self.originals.clear();
            self.originals.extend(run.iter().map(|e| e.original));
            if !self.coverage.is_empty()
                && self
                    .coverage
                    .covers(ctx.line.id.as_str(), date, &self.originals)
            {
                existing += 1;
                continue;
            }
            let at = run[0].at;
            let sla_due = match &line_sla {
                Some(line_sla) => line_sla.due(at.to_utc(), ctx)?,
                None => None,
            };
            self.units.push(Unit {
                agreement: a,
                line: l,
                tz: ctx.tz,
                date,
                at,
                origin: self
                    .originals
                    .iter()
                    .copied()
                    .min()
                    .unwrap_or(run[0].original),
                quantity: u32::try_from(run.len()).unwrap_or(u32::MAX),
                sla_due,
            });
        }
        match self
            .numbering
            .key(options.group_by, a, ctx.agreement, ctx.line)
        {
            None => plan.units.append(&mut self.units),
            Some(key) => plan.keyed.extend(self.units.drain(..).map(|u| (key, u))),
        }
        let report = &mut plan.report;
        report.merged += merged;
        report.skipped_existing += existing;
        report.occurrences += counts.occurrences;
        report.skipped_by_rule += counts.skipped;
        report.moved_by_rule += counts.moved;
        Ok(())
    }
}

/// Phase 2: builds the orders (ids, fields) and adds them to the model.
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
            add(model, order, &mut report);
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
        // The group's other units join the first one's order.
        report.merged += units.len() - 1;
        let order = new_order(model, OrderId::new(base), &units, options);
        add(model, order, &mut report);
    }
    report
}

/// Adds the order; a refusal is reported against the order's origin line.
fn add(model: &mut Model, order: Option<ServiceOrder>, report: &mut GenerationReport) {
    let Some(mut order) = order else { return };
    // The derived id is free unless an order covering other work has it (see `suffixed_id`).
    let mut id = order.id.clone();
    if model.order(&id).is_some() {
        id = suffixed_id(model, &id);
        order.id = id.clone();
    }
    let line = origin_line(&order);
    match model.add_order(order) {
        Ok(()) => report.created.push(id),
        Err(e) => {
            report.rejected += 1;
            report.errors.push(RecurrenceError::Order {
                line,
                order: id,
                message: format!("rejected by the model: {e}"),
            })
        }
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
