//! `fieldwork recur`: previews a recurrence rule — the occurrences of an RRULE from a local
//! DTSTART in a zone within `[from, to)`, as RFC 3339 with the zone's offset.

use chrono::NaiveDate;

use super::{CliError, Output};
use fieldwork::calendar::parse_local;
use fieldwork::model::Recurrence;
use fieldwork::recurrence::{Expander, RecurrenceRuleError, Window};

/// Arguments of `fieldwork recur`.
#[derive(Debug, clap::Args)]
pub struct RecurArgs {
    /// The RRULE value, e.g. `FREQ=MONTHLY;BYDAY=1MO` (a leading `RRULE:` is accepted).
    #[arg(long)]
    pub rrule: String,
    /// First occurrence, local wall-clock time of the zone (YYYY-MM-DDTHH:MM[:SS]).
    #[arg(long)]
    pub dtstart: String,
    /// IANA time zone, e.g. Europe/Berlin.
    #[arg(long)]
    pub tz: String,
    /// First local date of the window (YYYY-MM-DD).
    #[arg(long)]
    pub from: NaiveDate,
    /// First local date after the window (YYYY-MM-DD).
    #[arg(long)]
    pub to: NaiveDate,
}

/// The occurrences as RFC 3339 texts.
///
/// # Errors
/// Unknown zone, malformed DTSTART, invalid rule, inverted window.
pub fn occurrences(args: &RecurArgs) -> Result<Vec<String>, CliError> {
    let tz: chrono_tz::Tz = args
        .tz
        .parse()
        .map_err(|_| CliError::user(RecurrenceRuleError::UnknownTimeZone(args.tz.clone())))?;
    let dtstart = parse_local(&args.dtstart).ok_or_else(|| {
        CliError::user(format!(
            "--dtstart `{}` is not a local date-time (YYYY-MM-DDTHH:MM[:SS])",
            args.dtstart
        ))
    })?;
    let recurrence = Recurrence {
        rrule: args.rrule.clone(),
        dtstart,
        exdates: Vec::new(),
        rdates: Vec::new(),
    };
    let expander = Expander::new(&recurrence, tz).map_err(CliError::user)?;
    let window = Window::new(args.from, args.to).map_err(CliError::user)?;
    Ok(expander
        .expand(window)
        .iter()
        .map(|o| o.to_rfc3339())
        .collect())
}

/// Runs the command.
pub fn run(args: RecurArgs, out: &Output) -> Result<(), CliError> {
    let list = occurrences(&args)?;
    if out.json {
        return out.print_json(&list);
    }
    for line in list {
        say!("{line}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(rrule: &str, dtstart: &str, tz: &str, from: &str, to: &str) -> RecurArgs {
        RecurArgs {
            rrule: rrule.into(),
            dtstart: dtstart.into(),
            tz: tz.into(),
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
        }
    }

    #[test]
    fn prints_occurrences_with_the_zone_offset() {
        let got = occurrences(&args(
            "FREQ=WEEKLY;BYDAY=SU",
            "2027-01-03T09:00",
            "Europe/Berlin",
            "2027-03-20",
            "2027-04-01",
        ))
        .unwrap();
        assert_eq!(
            got,
            ["2027-03-21T09:00:00+01:00", "2027-03-28T09:00:00+02:00"]
        );
    }

    #[test]
    fn bad_input_is_a_user_error() {
        for (a, needle) in [
            (
                args(
                    "FREQ=DAILY",
                    "2027-01-01T09:00",
                    "Mars/Base",
                    "2027-01-01",
                    "2027-02-01",
                ),
                "unknown time zone `Mars/Base`",
            ),
            (
                args("FREQ=DAILY", "soon", "UTC", "2027-01-01", "2027-02-01"),
                "--dtstart `soon`",
            ),
            (
                args(
                    "FREQ=OFTEN",
                    "2027-01-01T09:00",
                    "UTC",
                    "2027-01-01",
                    "2027-02-01",
                ),
                "invalid recurrence rule",
            ),
            (
                args(
                    "FREQ=DAILY",
                    "2027-01-01T09:00",
                    "UTC",
                    "2027-02-01",
                    "2027-01-01",
                ),
                "window ends",
            ),
        ] {
            let err = occurrences(&a).unwrap_err();
            assert_eq!(err.exit_code(), 1);
            assert!(err.to_string().contains(needle), "{err}");
        }
    }
}
