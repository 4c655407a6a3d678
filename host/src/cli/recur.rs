//! `fieldwork recur`: previews a recurrence rule — the occurrences of an RRULE from a local
//! DTSTART in a zone on the local dates `--from..=--to`, as local times of the zone (RFC 3339
//! in UTC with `--json`).

use chrono::NaiveDate;

use super::limits::{bounded_end, MAX_RECUR_DAYS, MAX_RECUR_OCCURRENCES};
use super::{CliError, Output};
use crate::format::{instant, parse_date, rfc3339};
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
    #[arg(long, value_name = "LOCAL_TIME")]
    pub dtstart: String,
    /// IANA time zone, e.g. Europe/Berlin.
    #[arg(long, value_name = "ZONE")]
    pub tz: String,
    /// First day of the window (YYYY-MM-DD, a local date of --tz, inclusive).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: NaiveDate,
    /// Last day of the window (YYYY-MM-DD, a local date of --tz, inclusive).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: NaiveDate,
}

/// The occurrences, as instants, and the zone.
///
/// # Errors
/// Unknown zone, malformed DTSTART, invalid rule, inverted window.
pub fn occurrences(
    args: &RecurArgs,
) -> Result<(Vec<chrono::DateTime<chrono::Utc>>, chrono_tz::Tz), CliError> {
    let tz: chrono_tz::Tz = args
        .tz
        .parse()
        .map_err(|_| CliError::user(RecurrenceRuleError::UnknownTimeZone(args.tz.clone())))?;
    let dtstart = parse_local(&args.dtstart).ok_or_else(|| {
        CliError::user(format!(
            "--dtstart `{}` is not a local date-time (YYYY-MM-DDTHH:MM[:SS])\nhint: e.g. \
             --dtstart 2027-01-04T09:00 (wall-clock time of --tz)",
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
    let end = bounded_end(
        args.from,
        args.to,
        MAX_RECUR_DAYS,
        "the `fieldwork recur` range",
    )?;
    let window = Window::new(args.from, end).map_err(CliError::user)?;
    let mut list = Vec::new();
    if !expander.expand_at_most(window, MAX_RECUR_OCCURRENCES, &mut list) {
        return Err(CliError::User(format!(
            "the rule has more than {MAX_RECUR_OCCURRENCES} occurrences from {} to {}\n\
             hint: preview a shorter range (--from/--to)",
            args.from, args.to
        )));
    }
    let list = list.iter().map(|o| o.to_utc()).collect();
    Ok((list, tz))
}

/// Runs the command.
pub fn run(args: RecurArgs, out: &Output) -> Result<(), CliError> {
    let (list, tz) = occurrences(&args)?;
    if out.json {
        let list: Vec<String> = list.into_iter().map(rfc3339).collect();
        return out.print_json(&list);
    }
    for t in list {
        say!("{}", instant(t, tz));
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
            "2027-03-28",
        ))
        .unwrap();
        let text: Vec<String> = got.0.iter().map(|t| instant(*t, got.1)).collect();
        assert_eq!(
            text,
            ["Sun 2027-03-21 09:00 CET", "Sun 2027-03-28 09:00 CEST"]
        );
        let json: Vec<String> = got.0.into_iter().map(rfc3339).collect();
        assert_eq!(json, ["2027-03-21T08:00:00Z", "2027-03-28T07:00:00Z"]);
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
                "is before --from",
            ),
        ] {
            let err = occurrences(&a).unwrap_err();
            assert_eq!(err.exit_code(), 1);
            assert!(err.to_string().contains(needle), "{err}");
        }
    }
}
