//! The command line's bounds on date ranges and output (the README's "Limits"): every
//! `--from`/`--to` range is at most so many days, so no argument can ask for unbounded work.
//! The dates themselves are bounded to the supported years by [`crate::format::parse_date`].

use chrono::{Duration, NaiveDate};

use super::run::exclusive_end;
use super::CliError;

/// Longest range of `fieldwork board`, in days: a month of visits on one page.
pub const MAX_BOARD_DAYS: i64 = 31;
/// Longest range of `fieldwork schedule`, in days: a year.
pub const MAX_SCHEDULE_DAYS: i64 = 366;
/// Longest horizon of `fieldwork run` and `fieldwork generate` (`--from`/`--to` or
/// `--days-ahead`), in days: the library's generation bound.
pub const MAX_HORIZON_DAYS: i64 = fieldwork::recurrence::MAX_GENERATION_DAYS;
/// Longest range of `fieldwork recur`, in days: ten years.
pub const MAX_RECUR_DAYS: i64 = 3660;
/// Most occurrences `fieldwork recur` prints; more is an error, never a truncated list.
pub const MAX_RECUR_OCCURRENCES: usize = 10_000;

/// The exclusive end of the inclusive range `from..=last`, checked to be ordered and at most
/// `max_days` days long (`what` names the range in the message, e.g. ``the `fieldwork board` range``).
///
/// # Errors
/// `--to` before `--from`, or a range longer than `max_days`, with a hint.
pub fn bounded_end(
    from: NaiveDate,
    last: NaiveDate,
    max_days: i64,
    what: &str,
) -> Result<NaiveDate, CliError> {
    let end = exclusive_end(from, last)?;
    check_days(from, (end - from).num_days(), max_days, what)?;
    Ok(end)
}

/// Checks that a range of `days` days from `from` is at most `max_days` long.
///
/// # Errors
/// A range longer than `max_days`, with a hint naming the longest range from `from`.
pub fn check_days(from: NaiveDate, days: i64, max_days: i64, what: &str) -> Result<(), CliError> {
    if days <= max_days {
        return Ok(());
    }
    let last = from
        .checked_add_signed(Duration::days(max_days - 1))
        .unwrap_or(from);
    Err(CliError::User(format!(
        "{what} is {days} days; at most {max_days} days are allowed\n\
         hint: split it, e.g. --from {from} --to {last} first"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_up_to_the_bound_pass_and_longer_ones_are_explained() {
        let d = |m, d| NaiveDate::from_ymd_opt(2027, m, d).unwrap();
        assert_eq!(
            bounded_end(d(3, 1), d(3, 31), 31, "the board range").unwrap(),
            d(4, 1)
        );
        let err = bounded_end(d(3, 1), d(4, 1), 31, "the board range").unwrap_err();
        assert_eq!(err.exit_code(), 1);
        let text = err.to_string();
        assert!(
            text.starts_with("the board range is 32 days; at most 31 days"),
            "{text}"
        );
        assert!(
            text.contains("hint: split it, e.g. --from 2027-03-01 --to 2027-03-31"),
            "{text}"
        );
    }
}
