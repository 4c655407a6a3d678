//! Scheduling: turning jobs, technicians and shifts into routes.
//!
//! This module owns the generic vehicle-routing optimiser ([`solver`]) that the batch scheduler
//! maps field-service work onto (one route per technician-day, jobs with time windows, skills as
//! eligibility, preferences as scores, started work as fixed jobs), and the reader of the Solomon
//! VRPTW benchmark instances ([`solomon`]) used to measure it. The translation from the domain
//! model (agreements, visits, technicians) to a [`solver::Problem`] lives beside these files.

#![warn(missing_docs)]

pub mod solomon;
pub mod solver;
