//! Role views of a persisted plan: the dispatcher's board (self-contained HTML), the
//! technicians' calendars (iCalendar) and the technician's day (text/JSON).

pub mod board;
pub mod ics;
pub mod today;
