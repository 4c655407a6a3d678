//! Batch scheduling: assigns service orders to technicians' working time over a horizon and
//! sequences each technician's route. [`plan`] holds the result types that hosts persist and
//! views (dispatch board, calendars) render.

pub mod plan;
