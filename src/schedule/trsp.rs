//! Reader for the technician routing and scheduling (TRSP) instances of Pillac, Guéret and
//! Medaglia (2013), their best-known values, and their mapping onto a [`Problem`].
//!
//! Format (fields separated by runs of spaces or tabs; see the benchmark's README):
//! ```text
//! C101.100_25-5-5-5
//!
//! INFO
//! CREW COUNT  SKILLS  TOOLS   SPARE PARTS
//! 25      5       5       5
//!
//! DEPOT TECHNICIANS AND REQUESTS
//! ID   X     Y     TWS    TWE    Serv   SKILLS   TOOLS    SPARE PARTS
//! 0    40    50    0      1236   0      []  []  []
//! 1    9     6     0      1236   0      [1,3,4]  [1,2,3]  [3,0,4,4,0]
//! 26   45    68    912    967    90     [4]  []  [1,0,1,0,0]
//! ```
//! Row 0 is the main depot (its window is the horizon), rows 1..=K the technicians (home,
//! availability window, skills, tools, initial part stock), the other rows the requests (window
//! on the arrival, service time, skills, tools and parts needed).
//!
//! Semantics ([`TrspInstance::to_problem`]): each technician has one route from home back home
//! within its window; a request may go to a technician with all its skills; before the
//! route's one optional visit to the main depot the technician must carry the request's tools
//! and the route's parts within its stock, after it everything is available; travel time =
//! distance = Euclidean (no rounding); the cost is the route duration from the latest
//! feasible departure (travel + service + unavoidable waiting).

use std::collections::BTreeMap;
use std::path::Path;

use thiserror::Error;

use super::solver::{Job, Problem, Restock, SolverError, TravelMatrix, Vehicle};

/// Errors of the TRSP reader.
#[derive(Debug, Error)]
pub enum TrspError {
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
        /// 1-based line number (0 when the error concerns the whole file).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// One row of the file: the depot, a technician or a request.
#[derive(Debug, Clone, PartialEq)]
pub struct TrspRow {
    /// Row id as in the file.
    pub id: u32,
    /// X coordinate.
    pub x: f64,
    /// Y coordinate.
    pub y: f64,
    /// Window start (horizon, availability, or earliest arrival).
    pub tws: f64,
    /// Window end (horizon, latest return home, or latest arrival).
    pub twe: f64,
    /// Service time (requests only).
    pub service: f64,
    /// Skills had (technician) or needed (request).
    pub skills: Vec<usize>,
    /// Tools had or needed.
    pub tools: Vec<usize>,
    /// Units per part type: initial stock or consumption.
    pub parts: Vec<u32>,
}

/// A parsed TRSP instance.
#[derive(Debug, Clone, PartialEq)]
pub struct TrspInstance {
    /// Instance name (first line).
    pub name: String,
    /// The main depot (row 0).
    pub depot: TrspRow,
    /// Technicians in file order (row ids 1..=K); vehicle `t` is `technicians[t]`.
    pub technicians: Vec<TrspRow>,
    /// Requests in file order; job `i` is `requests[i]`.
    pub requests: Vec<TrspRow>,
}

/// At most this many rows are read (the published files have 126).
pub const MAX_ROWS: usize = 100_000;

impl TrspInstance {
    /// Reads and parses a file.
    ///
    /// # Errors
    /// [`TrspError::Io`] if the file cannot be read, [`TrspError::Parse`] if it is malformed.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, TrspError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| TrspError::Io {
            file: file.clone(),
            source,
        })?;
        Self::parse(&text, &file)
    }

    /// Parses the text of an instance; `file` is only used in error messages.
    ///
    /// # Errors
    /// [`TrspError::Parse`] with the 1-based line number of the first problem.
    pub fn parse(text: &str, file: &str) -> Result<Self, TrspError> {
        let err = |line: usize, message: String| TrspError::Parse {
            file: file.to_string(),
            line,
            message,
        };
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty());
        let (_, name) = lines.next().ok_or_else(|| err(0, "empty file".into()))?;
        let name = name.to_string();
        let mut expect = |word: &str| match lines.next() {
            Some((_, l)) if l.to_ascii_uppercase().starts_with(word) => Ok(()),
            Some((n, l)) => Err(err(n, format!("expected `{word}…`, found `{l}`"))),
            None => Err(err(0, format!("missing `{word}` line"))),
        };
        expect("INFO")?;
        expect("CREW")?;
        let (n, counts) = lines
            .next()
            .ok_or_else(|| err(0, "missing the counts line".into()))?;
        let counts: Vec<&str> = counts.split_whitespace().collect();
        let crew: usize = match counts.first().map(|c| c.parse()) {
            Some(Ok(k)) if counts.len() == 4 => k,
            _ => {
                return Err(err(
                    n,
                    "expected 4 counts: crew, skills, tools, parts".into(),
                ))
            }
        };
        let mut expect = |word: &str| match lines.next() {
            Some((_, l)) if l.to_ascii_uppercase().starts_with(word) => Ok(()),
            Some((n, l)) => Err(err(n, format!("expected `{word}…`, found `{l}`"))),
            None => Err(err(0, format!("missing `{word}` line"))),
        };
        expect("DEPOT")?;
        expect("ID")?;
        let mut rows = Vec::new();
        for (n, l) in lines {
            if rows.len() >= MAX_ROWS {
                return Err(err(n, format!("more than {MAX_ROWS} rows")));
            }
            let row = parse_row(l).map_err(|m| err(n, m))?;
            if row.id as usize != rows.len() {
                return Err(err(n, format!("row id {} out of order", row.id)));
            }
            rows.push(row);
        }
        if rows.len() < crew + 1 {
            return Err(err(
                0,
                format!("{} rows for a depot and {crew} technicians", rows.len()),
            ));
        }
        let requests = rows.split_off(crew + 1);
        let technicians = rows.split_off(1);
        let depot = rows.remove(0);
        Ok(TrspInstance {
            name,
            depot,
            technicians,
            requests,
        })
    }

    /// The routing problem: location 0 is the main depot, `1..=K` the technicians' homes,
    /// then the requests; vehicle `t` = technician `t` (home to home within its window, its
    /// stock and tools, the depot as restock visit with the depot row's window and no
    /// service); job `i` = request `i` with its arrival window (a start window: the same
    /// thing when waiting is allowed), the technicians with all its skills as allowed
    /// vehicles, its tools and parts; cost = route duration (per time 1, per distance 0).
    ///
    /// # Errors
    /// [`SolverError`] if the numbers do not form a valid problem.
    pub fn to_problem(&self) -> Result<Problem, SolverError> {
        let points: Vec<(f64, f64)> = std::iter::once(&self.depot)
            .chain(&self.technicians)
            .chain(&self.requests)
            .map(|r| (r.x, r.y))
            .collect();
        let matrix = TravelMatrix::euclidean(&points)?;
        let restock = Restock {
            location: 0,
            earliest: self.depot.tws,
            latest: self.depot.twe,
            service: 0.0,
        };
        let vehicles = self
            .technicians
            .iter()
            .enumerate()
            .map(|(t, r)| {
                Vehicle::new(t + 1, r.tws, r.twe)
                    .with_resource(t)
                    .with_costs(0.0, 1.0, 0.0)
                    .with_stock(r.parts.clone())
                    .with_tools(r.tools.clone())
                    .with_restock(restock)
            })
            .collect();
        let base = 1 + self.technicians.len();
        let jobs = self
            .requests
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let allowed = self
                    .technicians
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| r.skills.iter().all(|s| t.skills.contains(s)))
                    .map(|(t, _)| t)
                    .collect();
                Job::new(base + i)
                    .with_service(r.service)
                    .with_window(r.tws, r.twe)
                    .with_allowed_vehicles(allowed)
                    .with_tools(r.tools.clone())
                    .with_parts(
                        r.parts
                            .iter()
                            .enumerate()
                            .filter(|(_, &u)| u > 0)
                            .map(|(t, &u)| (t, u))
                            .collect(),
                    )
            })
            .collect();
        Problem::new(matrix, vehicles, jobs)
    }
}

/// One row: `ID X Y TWS TWE Serv [skills] [tools] [parts]`.
fn parse_row(l: &str) -> Result<TrspRow, String> {
    let fields: Vec<&str> = l.split_whitespace().collect();
    let [id, x, y, tws, twe, serv, skills, tools, parts] = fields[..] else {
        return Err(format!("expected 9 fields, found {}", fields.len()));
    };
    let num = |s: &str, what: &str| -> Result<f64, String> {
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{what}: `{s}` is not a finite number"))
    };
    let id = id
        .parse::<u32>()
        .map_err(|_| format!("row id `{id}` is not a non-negative integer"))?;
    Ok(TrspRow {
        id,
        x: num(x, "X")?,
        y: num(y, "Y")?,
        tws: num(tws, "TWS")?,
        twe: num(twe, "TWE")?,
        service: num(serv, "Serv")?.max(0.0),
        skills: list(skills, "SKILLS")?,
        tools: list(tools, "TOOLS")?,
        parts: list(parts, "SPARE_PARTS")?,
    })
}

/// A bracketed list of non-negative integers, e.g. `[1,3,4]` or `[]`.
fn list<T: std::str::FromStr>(s: &str, what: &str) -> Result<Vec<T>, String> {
    let inner = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .ok_or_else(|| format!("{what}: `{s}` is not a [..] list"))?;
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    inner
        .split(',')
        .map(|x| {
            x.trim()
                .parse::<T>()
                .map_err(|_| format!("{what}: `{x}` is not a non-negative integer"))
        })
        .collect()
}

/// Best-known values of one instance.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
pub struct TrspBestKnown {
    /// Total duration (the objective).
    pub duration: f64,
    /// Total distance (reported only).
    pub distance: f64,
}

/// Reads a `bks_vrprep_2013.json` (or `bks.json`) file: instance name → best-known values.
///
/// # Errors
/// [`TrspError::Io`] if unreadable, [`TrspError::Parse`] if not the expected JSON.
pub fn read_best_known(
    path: impl AsRef<Path>,
) -> Result<BTreeMap<String, TrspBestKnown>, TrspError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| TrspError::Io {
        file: file.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| TrspError::Parse {
        file,
        line: e.line(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "T1\n\nINFO\nCREW COUNT  SKILLS  TOOLS   SPARE PARTS\n2 2 2 2\n\n\
DEPOT TECHNICIANS AND REQUESTS\nID X Y TWS TWE Serv SKILLS TOOLS SPARE PARTS\n\
0 0 0 0 100 0 [] [] []\n1 1 0 0 100 0 [0] [0] [1,0]\n2 0 1 0 100 0 [0,1] [] [0,0]\n\
3 5 0 0 50 10 [1] [] [0,0]\n4 6 0 0 50 10\t[0] \t[0] \t[1,1]\n";

    #[test]
    fn parses_and_maps() {
        let inst = TrspInstance::parse(SMALL, "t").unwrap();
        assert_eq!(inst.technicians.len(), 2);
        assert_eq!(inst.requests.len(), 2);
        assert_eq!(inst.requests[1].parts, vec![1, 1]);
        let p = inst.to_problem().unwrap();
        assert_eq!(p.vehicles().len(), 2);
        // Request 3 needs skill 1: technician 2 only (vehicle 1).
        assert!(!p.is_eligible(0, 0) && p.is_eligible(0, 1));
        assert_eq!(p.jobs()[1].parts, vec![(0, 1), (1, 1)]);
    }

    #[test]
    fn errors_name_the_line() {
        let bad = SMALL.replace("3 5 0 0 50 10", "3 5 x 0 50 10");
        let e = TrspInstance::parse(&bad, "f.txt").unwrap_err().to_string();
        assert!(e.starts_with("f.txt:12:"), "{e}");
        let bad = SMALL.replace("[1,1]", "[1;1]");
        assert!(TrspInstance::parse(&bad, "f").is_err());
        assert!(TrspInstance::parse("", "f").is_err());
    }
}
