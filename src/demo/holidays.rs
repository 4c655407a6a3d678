//! Public holidays of Berlin, Germany (the demo region), computed for any year: fixed-date
//! holidays plus those that move with Easter (Gregorian computus).

use chrono::{Duration, NaiveDate};

/// Easter Sunday of a Gregorian year (anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

/// The public holidays of Berlin in a year, sorted.
///
/// ```
/// use fieldwork::demo::berlin_holidays;
/// let h = berlin_holidays(2027);
/// assert!(h.contains(&"2027-03-26".parse().unwrap())); // Good Friday
/// assert!(h.contains(&"2027-10-03".parse().unwrap())); // German Unity Day
/// ```
pub fn berlin_holidays(year: i32) -> Vec<NaiveDate> {
    let fixed = [(1, 1), (3, 8), (5, 1), (10, 3), (12, 25), (12, 26)];
    let mut days: Vec<NaiveDate> = fixed
        .iter()
        .filter_map(|&(m, d)| NaiveDate::from_ymd_opt(year, m, d))
        .collect();
    if let Some(easter) = easter_sunday(year) {
        // Good Friday, Easter Monday, Ascension Day, Whit Monday.
        for offset in [-2, 1, 39, 50] {
            days.push(easter + Duration::days(offset));
        }
    }
    days.sort();
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_dates_match_the_published_ones() {
        for (year, date) in [
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
        ] {
            assert_eq!(easter_sunday(year), date.parse().ok(), "{year}");
        }
    }

    #[test]
    fn berlin_has_ten_holidays() {
        assert_eq!(berlin_holidays(2027).len(), 10);
    }
}
