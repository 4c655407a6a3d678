//! Service agreements and their lines: what recurring work is promised to a customer, on which
//! recurrence rule, at what price, under which SLA policy.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ids::{
    AgreementId, AgreementLineId, CustomerId, ServiceObjectId, SlaPolicyId, TaskCode, TechnicianId,
};
use super::order::Priority;

/// Lifecycle status of an agreement; only active agreements generate work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementStatus {
    /// Being negotiated.
    Draft,
    /// In force.
    Active,
    /// Temporarily not served (e.g. unpaid invoices).
    Suspended,
    /// Terminated.
    Ended,
}

impl AgreementStatus {
    /// Lower-case name as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            AgreementStatus::Draft => "draft",
            AgreementStatus::Active => "active",
            AgreementStatus::Suspended => "suspended",
            AgreementStatus::Ended => "ended",
        }
    }
}

/// When a line recurs: an RFC 5545 RRULE with its local DTSTART (in the customer's zone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recurrence {
    /// The RRULE value, e.g. `FREQ=MONTHLY;BYDAY=1MO` (a leading `RRULE:` is accepted).
    pub rrule: String,
    /// First occurrence, local wall-clock time of the customer's zone.
    pub dtstart: NaiveDateTime,
    /// Local dates on which no occurrence is generated (date-level EXDATE).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exdates: Vec<NaiveDate>,
    /// Extra occurrences (RDATE), local wall-clock time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rdates: Vec<NaiveDateTime>,
}

/// One line of an agreement: a task on an object, recurring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementLine {
    /// Line id, unique across agreements.
    pub id: AgreementLineId,
    /// The object serviced, if the line is object-specific.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_object: Option<ServiceObjectId>,
    /// The task performed.
    pub task: TaskCode,
    /// Recurrence of the work.
    pub recurrence: Recurrence,
    /// First day the line is in force (defaults to the agreement's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<NaiveDate>,
    /// Last day the line is in force, inclusive (defaults to the agreement's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveDate>,
    /// Price per occurrence.
    pub price: Decimal,
    /// Technician the customer prefers for this work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_technician: Option<TechnicianId>,
    /// Priority of generated orders (default normal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// A stopped line generates nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stopped: bool,
}

/// A service agreement with a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceAgreement {
    /// Agreement id.
    pub id: AgreementId,
    /// The customer served.
    pub customer: CustomerId,
    /// First day in force.
    pub valid_from: NaiveDate,
    /// Last day in force, inclusive; open-ended when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
    /// Status.
    pub status: AgreementStatus,
    /// SLA policy the SLA rules apply to its orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_policy: Option<SlaPolicyId>,
    /// Lines.
    #[serde(default)]
    pub lines: Vec<AgreementLine>,
}
