//! Batch scheduling: assigns service orders to technicians' working time over a horizon and
//! sequences each technician's route.
//!
//! * [`solver`]: the generic vehicle-routing optimiser (jobs with time windows, routes with
//!   shifts, eligibility, preferences, fixed jobs), measured on the Solomon VRPTW instances
//!   ([`solomon`]) and the technician routing instances of Pillac et al. 2013 ([`trsp`]:
//!   skills, tools, spare parts and a depot to restock at).
//! * [`field`]: the field-service scheduler that maps the domain model onto it (one route per
//!   technician and working day, dispatch work rules as eligibility, policy grades as
//!   preferences, SLA deadlines as due times).
//! * [`plan`]: the result types that hosts persist and views render.
//! * [`stock`]: parts and tools along a technician's day (what a technician cannot bring even
//!   with a depot stop, the day's stock visit by visit, the route's stock rules).
//! * [`slots`]: the arrival windows that can be offered for one order without moving any
//!   planned visit (appointment booking).

#![warn(missing_docs)]

pub mod diff;
pub mod field;
pub mod plan;
pub mod slots;
pub mod solomon;
pub mod solver;
pub mod stock;
pub mod trsp;
