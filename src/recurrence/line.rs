//! Expansion of an agreement line: its recurrence in the customer's zone, clipped to the
//! agreement's validity and the line's own start/end, nothing for agreements that are not
//! active or lines that are stopped.

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::error::RecurrenceError;
use super::expand::{Expander, Occurrence, Window};
use crate::model::{
    AgreementLine, AgreementLineId, AgreementStatus, BusinessCalendar, Customer, Model,
    ServiceAgreement,
};

/// An agreement line with everything its expansion and adjustment need, resolved from the
/// model: agreement, customer, the customer's zone and business calendar.
///
/// The calendar used for business days is the **customer's** calendar (their site's opening
/// hours); a customer without a calendar has Monday to Friday as business days.
#[derive(Debug, Clone, Copy)]
pub struct LineContext<'m> {
    /// The agreement the line belongs to.
    pub agreement: &'m ServiceAgreement,
    /// The line.
    pub line: &'m AgreementLine,
    /// The agreement's customer.
    pub customer: &'m Customer,
    /// The customer's zone: the recurrence is expanded in it.
    pub tz: Tz,
    /// The customer's business calendar, if any.
    pub calendar: Option<&'m BusinessCalendar>,
}

impl<'m> LineContext<'m> {
    /// Resolves a line of `agreement` against the model.
    ///
    /// # Errors
    /// The customer, its zone or its calendar is missing (impossible in a validated model).
    pub fn resolve(
        model: &'m Model,
        agreement: &'m ServiceAgreement,
        line: &'m AgreementLine,
    ) -> Result<Self, RecurrenceError> {
        let customer = model.customer(&agreement.customer).ok_or_else(|| {
            RecurrenceError::UnknownCustomer {
                line: line.id.clone(),
                customer: agreement.customer.clone(),
            }
        })?;
        let tz = customer.time_zone.tz().map_err(|_| RecurrenceError::Rule {
            line: line.id.clone(),
            source: super::RecurrenceRuleError::UnknownTimeZone(
                customer.time_zone.name().to_owned(),
            ),
        })?;
        let calendar = match &customer.calendar {
            None => None,
            Some(id) => {
                Some(
                    model
                        .calendar(id)
                        .ok_or_else(|| RecurrenceError::UnknownCalendar {
                            line: line.id.clone(),
                            calendar: id.clone(),
                        })?,
                )
            }
        };
        Ok(Self {
            agreement,
            line,
            customer,
            tz,
            calendar,
        })
    }

    /// Resolves a line by id.
    ///
    /// # Errors
    /// [`RecurrenceError::UnknownLine`], or as [`resolve`](Self::resolve).
    pub fn by_id(model: &'m Model, id: &AgreementLineId) -> Result<Self, RecurrenceError> {
        let (agreement, line) = model
            .agreement_line(id)
            .ok_or_else(|| RecurrenceError::UnknownLine { line: id.clone() })?;
        Self::resolve(model, agreement, line)
    }

    /// Whether the line generates work at all: its agreement is active and the line is not
    /// stopped.
    pub fn is_active(&self) -> bool {
        self.agreement.status == AgreementStatus::Active && !self.line.stopped
    }

    /// The first and last (inclusive) dates the line is in force: the later of the
    /// agreement's and the line's start, the earlier of their ends.
    pub fn validity(&self) -> (NaiveDate, Option<NaiveDate>) {
        let first = self.line.start.map_or(self.agreement.valid_from, |s| {
            s.max(self.agreement.valid_from)
        });
        let last = match (self.agreement.valid_to, self.line.end) {
            (Some(a), Some(l)) => Some(a.min(l)),
            (a, l) => a.or(l),
        };
        (first, last)
    }

    /// `window` narrowed to the line's validity; empty when the line is not active.
    pub fn effective_window(&self, window: Window) -> Window {
        if !self.is_active() {
            return window.clip(Some(window.to()), None);
        }
        let (first, last) = self.validity();
        window.clip(Some(first), last)
    }

    /// Parses the line's recurrence in the customer's zone.
    ///
    /// # Errors
    /// [`RecurrenceError::Rule`] naming the line.
    pub fn expander(&self) -> Result<Expander, RecurrenceError> {
        Expander::new(&self.line.recurrence, self.tz).map_err(|source| RecurrenceError::Rule {
            line: self.line.id.clone(),
            source,
        })
    }

    /// The line's occurrences in `window`, clipped to its validity, in time order.
    ///
    /// # Errors
    /// [`RecurrenceError::Rule`] naming the line when its rule is invalid (also for an
    /// inactive line: a broken rule is reported even when it would generate nothing).
    pub fn occurrences(&self, window: Window) -> Result<Vec<Occurrence>, RecurrenceError> {
        let expander = self.expander()?;
        Ok(expander.expand(self.effective_window(window)))
    }
}

/// The occurrences of agreement line `id` in `window` (see [`LineContext::occurrences`]).
///
/// ```
/// use chrono::NaiveDate;
/// use fieldwork::model::{AgreementLineId, Model};
/// use fieldwork::recurrence::{expand_line, Window};
/// let model = Model::from_json(r#"{
///   "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "Europe/Berlin",
///                  "location": {"lat": 52.5, "lon": 13.4}}],
///   "tasks": [{"code": "INSP", "description": "Inspection", "duration_minutes": 60}],
///   "agreements": [{"id": "A-1", "customer": "C-1", "valid_from": "2027-01-01",
///     "valid_to": "2027-03-15", "status": "active",
///     "lines": [{"id": "L-1", "task": "INSP", "price": "80",
///       "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=MO", "dtstart": "2027-01-04T09:00:00"}}]}]
/// }"#).unwrap();
/// let d = |m, d| NaiveDate::from_ymd_opt(2027, m, d).unwrap();
/// let got = expand_line(&model, &AgreementLineId::new("L-1"),
///                       Window::new(d(3, 1), d(4, 1)).unwrap()).unwrap();
/// // Mondays 1, 8 and 15 March: the agreement ends on the 15th (inclusive).
/// assert_eq!(got.len(), 3);
/// assert_eq!(got[2].to_rfc3339(), "2027-03-15T09:00:00+01:00");
/// ```
///
/// # Errors
/// As [`LineContext::by_id`] and [`LineContext::occurrences`].
pub fn expand_line(
    model: &Model,
    id: &AgreementLineId,
    window: Window,
) -> Result<Vec<Occurrence>, RecurrenceError> {
    LineContext::by_id(model, id)?.occurrences(window)
}
