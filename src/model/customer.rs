//! Customers: who is served, where, in which zone, under which calendar.

use serde::{Deserialize, Serialize};

use super::common::{Location, TimeZoneName};
use super::ids::{CalendarId, CustomerId, TechnicianId, TerritoryId};

/// A customer (a site-owning account).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Customer id.
    pub id: CustomerId,
    /// Display name.
    pub name: String,
    /// Service tier, lower-case by convention (`"gold"`, `"silver"`, `"bronze"`, `"standard"`);
    /// rules read it as `customer.tier`.
    pub tier: String,
    /// IANA zone of the customer's site; recurrence rules are expanded in it.
    pub time_zone: TimeZoneName,
    /// Site location.
    pub location: Location,
    /// Street address, for people and technicians' calendars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Business calendar of the customer's site (opening hours for visits and SLA time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<CalendarId>,
    /// When technicians may be on site (a calendar's opening hours): every visit must start
    /// and end inside one of its intervals. `None`: any time the technician works. Distinct
    /// from `calendar` (business time of SLAs) so that a site with a 24x7 SLA can still
    /// receive visits only in office hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visiting_hours: Option<CalendarId>,
    /// Service territory the site belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub territory: Option<TerritoryId>,
    /// Technicians the customer does not want sent (a dispatch work rule).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_technicians: Vec<TechnicianId>,
}
