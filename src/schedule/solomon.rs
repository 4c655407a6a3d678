//! Reader for Solomon VRPTW benchmark instances (and their best-known values), and their
//! mapping onto a [`Problem`].
//!
//! Format (whitespace-separated, CRLF or LF):
//! ```text
//! C101
//!
//! VEHICLE
//! NUMBER     CAPACITY
//!   25         200
//!
//! CUSTOMER
//! CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME
//!     0      40         50          0          0       1236          0
//!     1      45         68         10        912        967         90
//! ```
//! Customer 0 is the depot; its window is the planning horizon. Travel time equals the
//! Euclidean distance (double precision, no rounding); service must start by the due date;
//! waiting is allowed.

use std::collections::BTreeMap;
use std::path::Path;

use thiserror::Error;

use super::solver::{Job, Problem, SolverError, TravelMatrix, Vehicle};

/// Errors of the Solomon reader.
#[derive(Debug, Error)]
pub enum SolomonError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is malformed.
    #[error("{file}:{line}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// 1-based line number (0 when the error concerns the whole file, e.g. a missing section).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// One customer row (customer 0 is the depot).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolomonCustomer {
    /// Customer number as in the file.
    pub number: u32,
    /// X coordinate.
    pub x: f64,
    /// Y coordinate.
    pub y: f64,
    /// Demand.
    pub demand: f64,
    /// Earliest service start.
    pub ready: f64,
    /// Latest service start.
    pub due: f64,
    /// Service duration.
    pub service: f64,
}

/// A parsed Solomon instance.
#[derive(Debug, Clone, PartialEq)]
pub struct SolomonInstance {
    /// Instance name (first line, e.g. `C101`).
    pub name: String,
    /// Fleet size.
    pub vehicles: usize,
    /// Capacity of every vehicle.
    pub capacity: f64,
    /// The depot (customer 0).
    pub depot: SolomonCustomer,
    /// The customers in file order; job `i` of [`SolomonInstance::to_problem`] is
    /// `customers[i]`.
    pub customers: Vec<SolomonCustomer>,
}

impl SolomonInstance {
    /// Reads and parses a file.
    ///
    /// # Errors
    /// [`SolomonError::Io`] if the file cannot be read, [`SolomonError::Parse`] if it is
    /// malformed.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, SolomonError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SolomonError::Io {
            file: file.clone(),
            source,
        })?;
        Self::parse(&text, &file)
    }

    /// Parses the text of an instance; `file` is only used in error messages.
    ///
    /// # Errors
    /// [`SolomonError::Parse`] with the 1-based line number of the first problem.
    pub fn parse(text: &str, file: &str) -> Result<Self, SolomonError> {
        let err = |(line, message): LineError| SolomonError::Parse {
            file: file.to_string(),
            line,
            message,
        };
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty());
        let (_, name) = lines.next().ok_or_else(|| err((0, "empty file".into())))?;
        let name = name.to_string();
        expect_keyword(lines.next(), "VEHICLE").map_err(err)?;
        expect_header(lines.next(), "NUMBER", "vehicle").map_err(err)?;
        let (count, capacity) = fleet(lines.next()).map_err(err)?;
        expect_keyword(lines.next(), "CUSTOMER").map_err(err)?;
        expect_header(lines.next(), "CUST", "customer").map_err(err)?;
        let mut rows = customers(lines).map_err(err)?;
        if rows.is_empty() {
            return Err(err((0, "no depot row".into())));
        }
        let depot = rows.remove(0);
        Ok(SolomonInstance {
            name,
            vehicles: count as usize,
            capacity,
            depot,
            customers: rows,
        })
    }

    /// The routing problem: location 0 is the depot, location `i + 1` customer `i`; one vehicle
    /// per fleet member with shift = depot window; job `i` = `customers[i]` with hard window,
    /// value 1; travel time = distance = Euclidean.
    ///
    /// # Errors
    /// [`SolverError`] if the numbers do not form a valid problem (e.g. a NaN coordinate).
    pub fn to_problem(&self) -> Result<Problem, SolverError> {
        let points: Vec<(f64, f64)> = std::iter::once(&self.depot)
            .chain(&self.customers)
            .map(|c| (c.x, c.y))
            .collect();
        let matrix = TravelMatrix::euclidean(&points)?;
        let vehicle =
            Vehicle::new(0, self.depot.ready, self.depot.due).with_capacity(self.capacity);
        let vehicles = vec![vehicle; self.vehicles];
        let jobs = self
            .customers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                Job::new(i + 1)
                    .with_service(c.service)
                    .with_window(c.ready, c.due)
                    .with_demand(c.demand)
            })
            .collect();
        Problem::new(matrix, vehicles, jobs)
    }
}

/// A parse problem: 1-based line number (0 for the whole file) and message.
type LineError = (usize, String);

/// Checks that the next non-empty line is the section keyword `word`.
fn expect_keyword(item: Option<(usize, &str)>, word: &str) -> Result<(), LineError> {
    match item {
        Some((_, l)) if l.eq_ignore_ascii_case(word) => Ok(()),
        Some((n, l)) => Err((n, format!("expected `{word}`, found `{l}`"))),
        None => Err((0, format!("missing `{word}` section"))),
    }
}

/// Checks the column-title line under a section keyword, recognised by its first word.
fn expect_header(item: Option<(usize, &str)>, prefix: &str, what: &str) -> Result<(), LineError> {
    match item {
        Some((_, l)) if l.to_ascii_uppercase().starts_with(prefix) => Ok(()),
        Some((n, l)) => Err((n, format!("expected the {what} header, found `{l}`"))),
        None => Err((0, format!("missing {what} header"))),
    }
}

/// The fleet line: vehicle count (a non-negative integer) and capacity (non-negative).
fn fleet(item: Option<(usize, &str)>) -> Result<(f64, f64), LineError> {
    let (n, l) = item.ok_or_else(|| (0, "missing vehicle number and capacity".to_string()))?;
    let nums = numbers(l).map_err(|m| (n, m))?;
    let [count, capacity] = nums[..] else {
        return Err((
            n,
            format!(
                "expected 2 numbers (vehicles, capacity), found {}",
                nums.len()
            ),
        ));
    };
    if count < 0.0 || count.fract() != 0.0 || count > 1e6 {
        return Err((
            n,
            format!("vehicle number must be a non-negative integer, found {count}"),
        ));
    }
    if capacity < 0.0 {
        return Err((
            n,
            format!("capacity must be non-negative, found {capacity}"),
        ));
    }
    Ok((count, capacity))
}

/// The customer rows in file order, depot first; numbers are unique.
fn customers<'a>(
    lines: impl Iterator<Item = (usize, &'a str)>,
) -> Result<Vec<SolomonCustomer>, LineError> {
    let mut rows = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (n, l) in lines {
        let row = customer(l).map_err(|m| (n, m))?;
        let number = row.number;
        if !seen.insert(number) {
            return Err((n, format!("customer {number} appears twice")));
        }
        if rows.is_empty() && number != 0 {
            return Err((
                n,
                format!("the first customer must be the depot 0, found {number}"),
            ));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// One customer row on its own: seven numbers, an integer customer number, non-negative
/// demand and service, ready time not after due date.
fn customer(l: &str) -> Result<SolomonCustomer, String> {
    let v = numbers(l)?;
    let [no, x, y, demand, ready, due, service] = v[..] else {
        return Err(format!(
            "expected 7 numbers per customer, found {}",
            v.len()
        ));
    };
    if no < 0.0 || no.fract() != 0.0 || no > f64::from(u32::MAX) {
        return Err(format!(
            "customer number must be a non-negative integer, found {no}"
        ));
    }
    if demand < 0.0 || service < 0.0 {
        return Err("demand and service time must be non-negative".into());
    }
    if due < ready {
        return Err(format!("due date {due} is before ready time {ready}"));
    }
    Ok(SolomonCustomer {
        number: no as u32,
        x,
        y,
        demand,
        ready,
        due,
        service,
    })
}

fn numbers(line: &str) -> Result<Vec<f64>, String> {
    line.split_whitespace()
        .map(|t| {
            t.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("`{t}` is not a number"))
        })
        .collect()
}

/// Best-known values of one instance (see `benches/data/solomon/README.md`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
pub struct BestKnown {
    /// Fewest vehicles first, then distance.
    pub vehicles_first: BestKnownEntry,
    /// Smallest distance within the fleet.
    pub distance_only: BestKnownEntry,
    /// Fleet size.
    pub fleet: usize,
    /// Vehicle capacity.
    pub capacity: f64,
}

/// A best-known distance and vehicle count.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
pub struct BestKnownEntry {
    /// Total distance.
    pub distance: f64,
    /// Vehicles used.
    pub vehicles: usize,
}

/// Reads a `bks.json` file: instance name → best-known values.
///
/// # Errors
/// [`SolomonError::Io`] if unreadable, [`SolomonError::Parse`] if not the expected JSON.
pub fn read_best_known(
    path: impl AsRef<Path>,
) -> Result<BTreeMap<String, BestKnown>, SolomonError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SolomonError::Io {
        file: file.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| SolomonError::Parse {
        file,
        line: e.line(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "T1\r\n\r\nVEHICLE\r\nNUMBER     CAPACITY\r\n  2         10\r\n\r\nCUSTOMER\r\nCUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME\r\n \r\n    0      0         0          0          0       100          0   \r\n    1      3         4          5          0        50         10   \r\n    2      6         8          5         10        60         10   \r\n";

    #[test]
    fn parses_small_instance() {
        let inst = SolomonInstance::parse(SMALL, "t1.txt").unwrap();
        assert_eq!(inst.name, "T1");
        assert_eq!(inst.vehicles, 2);
        assert_eq!(inst.capacity, 10.0);
        assert_eq!(inst.customers.len(), 2);
        assert_eq!(inst.customers[1].number, 2);
        let p = inst.to_problem().unwrap();
        assert_eq!(p.matrix().distance(0, 1), 5.0);
        assert_eq!(p.vehicles().len(), 2);
        assert_eq!(p.jobs()[1].earliest, 10.0);
    }

    #[test]
    fn reports_line_numbers() {
        let bad = SMALL.replace("    2      6         8 ", "    2      6         x ");
        match SolomonInstance::parse(&bad, "bad.txt") {
            Err(SolomonError::Parse { line, file, .. }) => {
                assert_eq!(line, 12);
                assert_eq!(file, "bad.txt");
            }
            other => panic!("{other:?}"),
        }
        let short = SMALL.replace("  2         10", "  2");
        assert!(matches!(
            SolomonInstance::parse(&short, "s"),
            Err(SolomonError::Parse { line: 5, .. })
        ));
        assert!(matches!(
            SolomonInstance::parse("", "e"),
            Err(SolomonError::Parse { line: 0, .. })
        ));
        let dup = SMALL.replace("    2      6", "    1      6");
        assert!(matches!(
            SolomonInstance::parse(&dup, "d"),
            Err(SolomonError::Parse { line: 12, .. })
        ));
    }
}
