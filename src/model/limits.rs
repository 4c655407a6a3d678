//! Bounds of the model: the supported years of every instant (one definition, used by
//! validation, the calendar's arithmetic and the host's date arguments), and what a recurrence
//! rule may ask for, checked wherever an RRULE enters (dataset validation and the recurrence
//! expander alike), so a hostile or mistaken rule is rejected at the door with a message
//! instead of generating unbounded (or silently no) work.

use rrule::Frequency;
use rrule::RRule;
use rrule::Unvalidated;

/// First UTC year of the instants fieldwork supports (business-time arithmetic, order dates,
/// command-line dates): instants start at `FIRST_YEAR-01-01T00:00:00Z`.
pub const FIRST_YEAR: i32 = 1900;
/// First UTC year no longer supported: instants lie before `END_YEAR-01-01T00:00:00Z`.
pub const END_YEAR: i32 = 2200;

/// The frequencies a recurrence rule may use, as written in an RRULE.
pub const SUPPORTED_FREQUENCIES: &str = "DAILY, WEEKLY, MONTHLY or YEARLY";

/// Checks the parts of a parsed rule that the `rrule` crate accepts but fieldwork does not:
/// a sub-daily `FREQ` (SECONDLY, MINUTELY, HOURLY), `INTERVAL=0`, `COUNT=0` and
/// `BYMONTHDAY=0`. Returns the reason as a sentence.
///
/// ```
/// use fieldwork::model::check_rule_limits;
/// let rule: rrule::RRule<rrule::Unvalidated> = "FREQ=HOURLY".parse().unwrap();
/// assert!(check_rule_limits(&rule).unwrap_err().contains("FREQ=HOURLY"));
/// let rule: rrule::RRule<rrule::Unvalidated> = "FREQ=WEEKLY;BYDAY=MO".parse().unwrap();
/// assert!(check_rule_limits(&rule).is_ok());
/// ```
///
/// # Errors
/// The first unsupported part, e.g. `FREQ=HOURLY is not supported (use DAILY, WEEKLY, MONTHLY
/// or YEARLY)`.
pub fn check_rule_limits<S>(rule: &RRule<S>) -> Result<(), String> {
    let freq = rule.get_freq();
    if matches!(
        freq,
        Frequency::Secondly | Frequency::Minutely | Frequency::Hourly
    ) {
        return Err(format!(
            "FREQ={freq} is not supported (use {SUPPORTED_FREQUENCIES})"
        ));
    }
    if rule.get_interval() == 0 {
        return Err("INTERVAL=0 is not allowed (INTERVAL must be at least 1)".into());
    }
    if rule.get_count() == Some(0) {
        return Err("COUNT=0 is not allowed (COUNT must be at least 1)".into());
    }
    if rule.get_by_month_day().contains(&0) {
        return Err(
            "BYMONTHDAY=0 is not allowed (use 1 to 31, or -1 to -31 counting from the month's end)"
                .into(),
        );
    }
    Ok(())
}

/// [`check_rule_limits`] on an RRULE value as written (before the `rrule` crate's validation
/// drops parts such as `BYMONTHDAY=0`). A value that does not parse passes here: the parser
/// reports it.
pub(crate) fn check_rule_text(rule: &str) -> Result<(), String> {
    // RFC 5545 rule parts are ASCII; the rrule crate slices weekday names by bytes and panics
    // inside a multi-byte character (found by fuzzing), so anything else is refused here.
    if let Some(c) = rule.chars().find(|c| !c.is_ascii()) {
        return Err(format!(
            "the rule contains {c:?} (U+{:04X}); a recurrence rule is ASCII text",
            u32::from(c)
        ));
    }
    match rule.parse::<RRule<Unvalidated>>() {
        Ok(parsed) => check_rule_limits(&parsed),
        Err(_) => Ok(()),
    }
}
