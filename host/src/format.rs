//! The one place where the host formats values for people and for `--json`, for the commands
//! and the views (board, day view, calendars) alike:
//!
//! * **instants** in text: local time of the relevant zone with its abbreviation and the date
//!   always present, `Mon 2027-03-01 08:00 CET` ([`instant`]); in JSON: RFC 3339 in UTC with
//!   whole seconds, `2027-03-01T07:00:00Z` ([`rfc3339`], and [`normalize_json`] which every
//!   `--json` output goes through);
//! * **due times** in the views (`today`, the board): short and absolute, the date always
//!   present and the view's zone named once in its header — `12 Mar 17:00`, with the year when
//!   it is not the current one (`12 Mar 2028 17:00`); an open order past its due time says so,
//!   `12 Mar 09:00 (overdue)`, and once it is more than a day overdue the hour no longer
//!   matters: `12 Mar (overdue)` ([`due`]);
//! * **date ranges**: local dates of the business, both ends inclusive,
//!   `Mon 2027-03-01 – Fri 2027-03-05 (5 days, Europe/Berlin)` ([`date_range`]); on the command
//!   line `--from` and `--to` are both inclusive ([`parse_date`] explains a bad date);
//! * **quantities** rounded for people: `4,261 km`, `17.2 km`, `1 h 35 min` ([`km`],
//!   [`minutes`], [`thousands`]);
//! * **tables** ([`table`]): comfy-table, wrapped to the terminal's width on a terminal and
//!   never wrapped otherwise (pipes, files and tests get the same text whatever the terminal).

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;
use comfy_table::{
    CellAlignment, ColumnConstraint, ContentArrangement, ContentLineStyle, LineStyle, Table,
    TableStyle,
};
use fieldwork::calendar::{END_YEAR, FIRST_YEAR};
use std::io::IsTerminal;

/// An instant for people: `Mon 2027-03-01 08:00 CET` (local time of `zone`, date always shown).
pub fn instant(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone)
        .format("%a %Y-%m-%d %H:%M %Z")
        .to_string()
}

/// The wall-clock time of an instant in `zone`, `08:00`, for rows whose date and zone are shown
/// elsewhere (a day's route, a table with a day column).
pub fn clock(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone).format("%H:%M").to_string()
}

/// A due instant for people (see the module docs): `12 Mar 17:00` in `zone`, the year added
/// when it is not `now`'s; when `open` (the work is not finished) and the due time has passed,
/// ` (overdue)` is added and, more than 24 hours past, the time of day dropped: `12 Mar
/// (overdue)`. Finished work (`open` false) is never overdue.
pub fn due(due: DateTime<Utc>, now: DateTime<Utc>, zone: Tz, open: bool) -> String {
    let local = due.with_timezone(&zone);
    let day = if local.year() == now.with_timezone(&zone).year() {
        local.format("%-d %b").to_string()
    } else {
        local.format("%-d %b %Y").to_string()
    };
    let overdue = open && due < now;
    if overdue && now - due > chrono::Duration::hours(24) {
        format!("{day} (overdue)")
    } else if overdue {
        format!("{day} {} (overdue)", local.format("%H:%M"))
    } else {
        format!("{day} {}", local.format("%H:%M"))
    }
}

/// A local date for people: `Mon 2027-03-01`.
pub fn date(d: NaiveDate) -> String {
    d.format("%a %Y-%m-%d").to_string()
}

/// An instant for machines: RFC 3339, UTC, whole seconds, `2027-03-01T07:00:00Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An inclusive range of local dates: `Mon 2027-03-01 – Fri 2027-03-05 (5 days, Europe/Berlin)`,
/// `Mon 2027-03-01 (1 day, Europe/Berlin)`; an inverted range says it is empty.
pub fn date_range(first: NaiveDate, last: NaiveDate, zone: Tz) -> String {
    let days = (last - first).num_days() + 1;
    match days {
        d if d < 1 => format!("{} – {} (empty, {zone})", date(first), date(last)),
        1 => format!("{} (1 day, {zone})", date(first)),
        d => format!("{} – {} ({d} days, {zone})", date(first), date(last)),
    }
}

/// The inclusive range of an exclusive end, as [`date_range`].
pub fn date_range_exclusive(from: NaiveDate, to: NaiveDate, zone: Tz) -> String {
    date_range(from, to.pred_opt().unwrap_or(to), zone)
}

/// Parses a local date given on the command line, in the supported years
/// [`FIRST_YEAR`]..[`END_YEAR`] (1900–2199); the error shows what a good one looks like.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        "expected a local date of the business as YYYY-MM-DD (e.g. 2027-03-01)".to_owned()
    })?;
    if !(FIRST_YEAR..END_YEAR).contains(&date.year()) {
        return Err(format!(
            "{date} is outside the supported years {FIRST_YEAR}–{}",
            END_YEAR - 1
        ));
    }
    Ok(date)
}

/// `4261` as `4,261`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A distance for people: one decimal below 100 km (`17.2 km`), whole kilometres with
/// thousands separators above (`4,261 km`).
pub fn km(km: f64) -> String {
    if !km.is_finite() || km < 0.0 {
        return format!("{km} km");
    }
    if km < 100.0 {
        format!("{km:.1} km")
    } else {
        format!("{} km", thousands(km.round() as u64))
    }
}

/// A duration in minutes for people, rounded to the minute: `35 min`, `1 h 35 min`, `2 h`,
/// `-20 min` for negative ones.
pub fn minutes(minutes: f64) -> String {
    if !minutes.is_finite() {
        return format!("{minutes} min");
    }
    let sign = if minutes < 0.0 { "-" } else { "" };
    let total = minutes.abs().round() as u64;
    match (total / 60, total % 60) {
        (0, m) => format!("{sign}{m} min"),
        (h, 0) => format!("{sign}{} h", thousands(h)),
        (h, m) => format!("{sign}{} h {m} min", thousands(h)),
    }
}

/// The width tables may take: the terminal's when stdout is one, else none (no wrapping, so
/// output in pipes, files and tests is stable).
fn terminal_width() -> Option<u16> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size().map(|(w, _)| w.0)
}

/// Renders rows as a text table: a header line, a rule of dashes, left-aligned columns two
/// spaces apart. On a terminal long cells wrap so the table fits its width; elsewhere nothing
/// wraps.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    table_with_width(headers, rows, terminal_width())
}

/// [`table`] for a given width (`None`: never wrap).
pub fn table_with_width(headers: &[&str], rows: &[Vec<String>], width: Option<u16>) -> String {
    let mut t = Table::new();
    // No borders: the header, a dashed rule, columns two spaces apart (one space of padding
    // and a blank junction).
    t.load_style(
        TableStyle::new()
            .header_lines(ContentLineStyle::none().junction(' '))
            .header_separator(LineStyle::none().fill('-').junction(' '))
            .content_lines(ContentLineStyle::none().junction(' ')),
    );
    match width {
        Some(w) => {
            t.set_content_arrangement(ContentArrangement::Dynamic);
            t.set_width(w);
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    t.set_header(headers.iter().copied());
    for row in rows {
        t.add_row(row.iter().map(String::as_str));
    }
    let last = headers.len().saturating_sub(1);
    for (i, column) in t.column_iter_mut().enumerate() {
        column.set_cell_alignment(CellAlignment::Left);
        column.set_padding((0, u16::from(i < last)));
        // The first column names the row (an order, a technician, a phase): never broken.
        if i == 0 && width.is_some() {
            column.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    t.lines()
        .map(|l| l.trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Makes every instant in a JSON value RFC 3339 in UTC with whole seconds: strings that parse
/// as RFC 3339 date-times (`2027-03-01T08:00:00.123456789+01:00`) become
/// `2027-03-01T07:00:00Z`. Every `--json` output goes through it.
pub fn normalize_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) if s.len() >= 20 && s.as_bytes().get(10) == Some(&b'T') => {
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                *s = rfc3339(t.with_timezone(&Utc));
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(normalize_json),
        serde_json::Value::Object(map) => map.values_mut().for_each(normalize_json),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn instants_dates_and_quantities_read_for_people() {
        let berlin = chrono_tz::Europe::Berlin;
        let t = Utc.with_ymd_and_hms(2027, 3, 1, 7, 0, 0).unwrap();
        assert_eq!(instant(t, berlin), "Mon 2027-03-01 08:00 CET");
        assert_eq!(rfc3339(t), "2027-03-01T07:00:00Z");
        let d = |day| NaiveDate::from_ymd_opt(2027, 3, day).unwrap();
        assert_eq!(
            date_range(d(2), d(6), berlin),
            "Tue 2027-03-02 – Sat 2027-03-06 (5 days, Europe/Berlin)"
        );
        assert_eq!(
            date_range(d(2), d(2), berlin),
            "Tue 2027-03-02 (1 day, Europe/Berlin)"
        );
        assert_eq!(km(4261.4), "4,261 km");
        assert_eq!(km(17.24), "17.2 km");
        assert_eq!(minutes(95.2), "1 h 35 min");
        assert_eq!(minutes(35.0), "35 min");
        assert_eq!(minutes(120.0), "2 h");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert!(parse_date("2027-3-x").unwrap_err().contains("2027-03-01"));
    }

    #[test]
    fn due_times_are_absolute_and_say_when_overdue() {
        let berlin = chrono_tz::Europe::Berlin;
        // Midnight at the start of 12 March, Berlin.
        let d = Utc.with_ymd_and_hms(2027, 3, 11, 23, 0, 0).unwrap();
        let h = chrono::Duration::hours;
        assert_eq!(due(d, d - h(5), berlin, true), "12 Mar 00:00");
        assert_eq!(due(d, d, berlin, true), "12 Mar 00:00");
        assert_eq!(due(d, d + h(1), berlin, true), "12 Mar 00:00 (overdue)");
        assert_eq!(due(d, d + h(24), berlin, true), "12 Mar 00:00 (overdue)");
        assert_eq!(due(d, d + h(25), berlin, true), "12 Mar (overdue)");
        assert_eq!(due(d, d + h(25), berlin, false), "12 Mar 00:00");
        // Another year than now's names it; summer time is local too.
        let later = Utc.with_ymd_and_hms(2028, 7, 1, 15, 30, 0).unwrap();
        assert_eq!(due(later, d, berlin, true), "1 Jul 2028 17:30");
    }

    #[test]
    fn tables_align_and_do_not_wrap_without_a_terminal() {
        let rows = vec![
            vec!["1".into(), "Ann".into()],
            vec!["22".into(), "B".into()],
        ];
        let t = table_with_width(&["id", "name"], &rows, None);
        assert_eq!(t, "id  name\n--- ----\n1   Ann\n22  B");
        let long = vec![vec!["1".into(), "word ".repeat(30)]];
        let wrapped = table_with_width(&["id", "text"], &long, Some(40));
        assert!(
            wrapped.lines().all(|l| l.chars().count() <= 40),
            "{wrapped}"
        );
        assert!(wrapped.lines().count() > 3, "{wrapped}");
    }

    #[test]
    fn json_instants_have_whole_seconds_in_utc() {
        let mut v = serde_json::json!({"a": ["2027-03-01T08:00:00.123456789+01:00"], "b": "x"});
        normalize_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"a": ["2027-03-01T07:00:00Z"], "b": "x"})
        );
    }
}
