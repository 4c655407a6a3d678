//! fieldwork

pub mod schedule;
