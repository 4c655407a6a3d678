//! SLA targets of generated orders, from the SLA engine ([`crate::sla`]).
//!
//! The SLA engine derives an order's targets from its priority and customer (and the
//! `sla_targets` rule once the engine calls it) and counts its clocks from `created_at`. A
//! generated order is created ahead of its work, so its response target is also put on the
//! order's time window: `due` ("start by") becomes the earlier of the end of the planned day and
//! the planned start plus the response target in the SLA calendar's business time. Targets are
//! resolved once per line (priority and customer are the line's); the deadline per unit.

use chrono::{DateTime, TimeDelta, Utc};

use super::options::GenerateOptions;
use crate::calendar::CompiledCalendar;
use crate::model::{OrderId, Priority, ServiceOrder};
use crate::recurrence::{LineContext, RecurrenceError};
use crate::sla::{SlaEngine, Target};

/// The SLA response target of one line, in its SLA calendar.
pub(crate) struct LineSla<'e> {
    target: Option<Target>,
    calendar: Option<&'e CompiledCalendar>,
}

impl LineSla<'_> {
    /// The start-by deadline of work planned at `start`: `start` plus the response target in
    /// business time; `None` without a response target.
    pub(crate) fn due(
        &self,
        start: DateTime<Utc>,
        line: &LineContext<'_>,
    ) -> Result<Option<DateTime<Utc>>, RecurrenceError> {
        let (Some(target), Some(calendar)) = (self.target, self.calendar) else {
            return Ok(None);
        };
        let due = match target {
            Target::Minutes(m) => calendar.add(start, TimeDelta::minutes(i64::from(m))),
            Target::NextBusinessDay => calendar.next_business_day_end(start),
        };
        due.map(Some).map_err(|e| sla_error(line, e.to_string()))
    }
}

fn sla_error(line: &LineContext<'_>, message: String) -> RecurrenceError {
    RecurrenceError::Sla {
        line: line.line.id.clone(),
        message,
    }
}

/// The SLA of a line's orders: targets for an order of the line's priority, customer and
/// agreement, created at the run's creation instant.
pub(crate) fn line_sla<'e>(
    engine: &'e SlaEngine<'_>,
    line: &LineContext<'_>,
    options: &GenerateOptions<'_>,
) -> Result<LineSla<'e>, RecurrenceError> {
    // The orders do not exist yet: the probe is named after its line, so an error the SLA hook
    // raises for it says which line it came from (never an empty order id).
    let mut probe = ServiceOrder::new(
        OrderId::new(format!("(new order of line {})", line.line.id)),
        line.agreement.customer.clone(),
        line.line.priority.unwrap_or(Priority::Normal),
        options.created_at,
    );
    probe.agreement = Some(line.agreement.id.clone());
    let targets = engine
        .targets(&probe)
        .map_err(|e| sla_error(line, e.to_string()))?;
    let calendar_id = engine.calendar_id(&probe, &targets);
    let calendar = engine.calendar(&calendar_id);
    if targets.response.is_some() && calendar.is_none() {
        return Err(sla_error(
            line,
            format!("unknown SLA calendar `{calendar_id}`"),
        ));
    }
    Ok(LineSla {
        target: targets.response,
        calendar,
    })
}
