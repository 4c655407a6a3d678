//! fieldwork

pub mod rules;
