//! The generic routing problem: travel matrix, vehicles (routes), jobs, and the errors raised while
//! building them.

use std::collections::HashMap;
use thiserror::Error;

/// The node marker of a route's restock visit in node sequences.
pub(crate) const DEPOT: usize = usize::MAX;

/// Tolerance used by the optimiser for time and capacity comparisons (absolute, in problem units).
pub(crate) const EPS: f64 = 1e-9;

/// Errors raised when a problem, configuration or initial plan is not usable.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SolverError {
    /// The travel matrix vectors do not have `size * size` entries.
    #[error("travel matrix: expected {expected} entries for {size} locations, got {got}")]
    MatrixSize {
        /// Number of locations.
        size: usize,
        /// Expected number of entries (`size * size`).
        expected: usize,
        /// Number of entries given.
        got: usize,
    },
    /// A travel time or distance is negative, NaN or infinite.
    #[error("travel matrix: entry from {from} to {to} is not a finite non-negative number")]
    MatrixValue {
        /// Origin location.
        from: usize,
        /// Destination location.
        to: usize,
    },
    /// A blocked matrix's blocks do not partition its locations.
    #[error("travel matrix: location {location} is in no block or in two")]
    MatrixBlocks {
        /// The location.
        location: usize,
    },
    /// A vehicle or job refers to a location outside the matrix.
    #[error("{what} {index}: location {location} is outside the travel matrix ({size} locations)")]
    LocationOutOfRange {
        /// `"vehicle"` or `"job"`.
        what: &'static str,
        /// Index of the vehicle or job.
        index: usize,
        /// The offending location.
        location: usize,
        /// Number of locations in the matrix.
        size: usize,
    },
    /// A vehicle has an invalid field.
    #[error("vehicle {vehicle}: {message}")]
    InvalidVehicle {
        /// Index of the vehicle.
        vehicle: usize,
        /// What is wrong.
        message: String,
    },
    /// A job has an invalid field.
    #[error("job {job}: {message}")]
    InvalidJob {
        /// Index of the job.
        job: usize,
        /// What is wrong.
        message: String,
    },
    /// The initial plan given for incremental re-planning is inconsistent or infeasible.
    #[error("initial plan: {message}")]
    InvalidPlan {
        /// What is wrong.
        message: String,
        /// The vehicle whose fixed jobs cannot be scheduled together, when that is the
        /// problem: a caller may free that route's jobs and try again.
        vehicle: Option<usize>,
    },
    /// The solver configuration is out of range.
    #[error("solver configuration: {message}")]
    InvalidConfig {
        /// What is wrong.
        message: String,
    },
}

/// Travel times and distances between `size` locations.
///
/// Time and distance are plain `f64` in whatever unit the caller uses (seconds and metres for
/// field service; Solomon uses the Euclidean distance for both). The matrix need not be symmetric.
///
/// Two layouts: **dense** ([`new`](Self::new), [`from_fn`](Self::from_fn)), `size²` entries;
/// and **blocked** ([`blocked`](Self::blocked)): the locations are partitioned into blocks that
/// never share a route (e.g. the caller knows no vehicle may visit two of them), each block
/// dense, pairs in different blocks infinitely far apart — `Σ block²` entries, which grows
/// with the number of blocks rather than with its square.
#[derive(Debug, Clone, PartialEq)]
pub struct TravelMatrix {
    size: usize,
    /// Dense: `size²` entries; blocked: the blocks' entries one after the other.
    time: Vec<f64>,
    distance: Vec<f64>,
    /// Blocked layout: per location, its block's first entry, its block's size and its index
    /// within the block; empty when dense.
    cells: Vec<Cell>,
}

/// Where a location's row lives in a blocked matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cell {
    block: u32,
    start: usize,
    len: u32,
    local: u32,
}

impl TravelMatrix {
    /// Builds a matrix from row-major time and distance vectors of `size * size` entries each.
    ///
    /// # Errors
    /// [`SolverError::MatrixSize`] on a length mismatch, [`SolverError::MatrixValue`] on a
    /// negative or non-finite entry.
    pub fn new(size: usize, time: Vec<f64>, distance: Vec<f64>) -> Result<Self, SolverError> {
        let expected = size.checked_mul(size).ok_or(SolverError::MatrixSize {
            size,
            expected: usize::MAX,
            got: time.len(),
        })?;
        for got in [time.len(), distance.len()] {
            if got != expected {
                return Err(SolverError::MatrixSize {
                    size,
                    expected,
                    got,
                });
            }
        }
        for (k, (t, d)) in time.iter().zip(&distance).enumerate() {
            if !(t.is_finite() && *t >= 0.0 && d.is_finite() && *d >= 0.0) {
                return Err(SolverError::MatrixValue {
                    from: k / size,
                    to: k % size,
                });
            }
        }
        Ok(TravelMatrix {
            size,
            time,
            distance,
            cells: Vec::new(),
        })
    }

    /// A blocked matrix over `size` locations: `blocks` partition `0..size` (every location in
    /// exactly one block); `f(from, to) -> (time, distance)` is called for the pairs within
    /// each block only; pairs in different blocks are infinitely far apart (no route can join
    /// them: a solver vehicle whose jobs lie in another block than its depot finds no feasible
    /// insertion).
    ///
    /// ```
    /// use fieldwork::schedule::solver::TravelMatrix;
    /// // Two islands: {0, 2} and {1}.
    /// let m = TravelMatrix::blocked(3, &[vec![0, 2], vec![1]], |a, b| {
    ///     let d = (a as f64 - b as f64).abs();
    ///     (d, d)
    /// })?;
    /// assert_eq!(m.time(0, 2), 2.0);
    /// assert_eq!(m.distance(1, 1), 0.0);
    /// assert!(m.time(0, 1).is_infinite());
    /// # Ok::<(), fieldwork::schedule::solver::SolverError>(())
    /// ```
    ///
    /// # Errors
    /// [`SolverError::MatrixBlocks`] if the blocks do not partition the locations,
    /// [`SolverError::MatrixValue`] on a negative or non-finite entry.
    pub fn blocked(
        size: usize,
        blocks: &[Vec<usize>],
        mut f: impl FnMut(usize, usize) -> (f64, f64),
    ) -> Result<Self, SolverError> {
        let unset = Cell {
            block: u32::MAX,
            start: 0,
            len: 0,
            local: 0,
        };
        let mut cells = vec![unset; size];
        let mut start = 0usize;
        for (b, block) in blocks.iter().enumerate() {
            for (i, &loc) in block.iter().enumerate() {
                match cells.get_mut(loc) {
                    Some(c) if c.block == u32::MAX => {
                        *c = Cell {
                            block: b as u32,
                            start,
                            len: block.len() as u32,
                            local: i as u32,
                        }
                    }
                    _ => return Err(SolverError::MatrixBlocks { location: loc }),
                }
            }
            start += block.len() * block.len();
        }
        if let Some(loc) = cells.iter().position(|c| c.block == u32::MAX) {
            return Err(SolverError::MatrixBlocks { location: loc });
        }
        let mut time = Vec::with_capacity(start);
        let mut distance = Vec::with_capacity(start);
        for block in blocks {
            for &a in block {
                for &b in block {
                    let (t, d) = f(a, b);
                    if !(t.is_finite() && t >= 0.0 && d.is_finite() && d >= 0.0) {
                        return Err(SolverError::MatrixValue { from: a, to: b });
                    }
                    time.push(t);
                    distance.push(d);
                }
            }
        }
        Ok(TravelMatrix {
            size,
            time,
            distance,
            cells,
        })
    }

    /// The entry of `from → to` in the value vectors, `None` across blocks.
    #[inline]
    fn entry(&self, from: usize, to: usize) -> Option<usize> {
        if self.cells.is_empty() {
            return Some(from * self.size + to);
        }
        let (a, b) = (&self.cells[from], &self.cells[to]);
        (a.block == b.block).then(|| a.start + a.local as usize * a.len as usize + b.local as usize)
    }

    /// The block of a location (0 for every location of a dense matrix).
    #[inline]
    pub(crate) fn block_of(&self, location: usize) -> u32 {
        self.cells.get(location).map_or(0, |c| c.block)
    }

    /// Number of stored entries (`size²` when dense, `Σ block²` when blocked).
    pub fn stored_entries(&self) -> usize {
        self.time.len()
    }

    /// Builds a matrix by calling `f(from, to) -> (time, distance)` for every pair.
    ///
    /// # Errors
    /// As [`TravelMatrix::new`].
    pub fn from_fn(
        size: usize,
        mut f: impl FnMut(usize, usize) -> (f64, f64),
    ) -> Result<Self, SolverError> {
        let mut time = Vec::with_capacity(size * size);
        let mut distance = Vec::with_capacity(size * size);
        for i in 0..size {
            for j in 0..size {
                let (t, d) = f(i, j);
                time.push(t);
                distance.push(d);
            }
        }
        Self::new(size, time, distance)
    }

    /// Euclidean distances between points, used as both time and distance (the Solomon convention).
    ///
    /// # Errors
    /// [`SolverError::MatrixValue`] if a coordinate is not finite.
    pub fn euclidean(points: &[(f64, f64)]) -> Result<Self, SolverError> {
        Self::from_fn(points.len(), |i, j| {
            let (dx, dy) = (points[i].0 - points[j].0, points[i].1 - points[j].1);
            let d = (dx * dx + dy * dy).sqrt();
            (d, d)
        })
    }

    /// Number of locations.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Travel time from `from` to `to`.
    ///
    /// # Panics
    /// If either index is `>= size()`, like slice indexing (the optimiser only uses indices
    /// checked by [`Problem::new`]).
    #[inline]
    pub fn time(&self, from: usize, to: usize) -> f64 {
        self.entry(from, to).map_or(f64::INFINITY, |k| self.time[k])
    }

    /// Travel distance from `from` to `to`.
    ///
    /// # Panics
    /// If either index is `>= size()`, like slice indexing.
    #[inline]
    pub fn distance(&self, from: usize, to: usize) -> f64 {
        self.entry(from, to)
            .map_or(f64::INFINITY, |k| self.distance[k])
    }
}

/// A vehicle is one route: one technician on one day (several routes may share a `resource`).
///
/// The route leaves `start_location` no earlier than `shift_start` and must be back at
/// `end_location` by `shift_end`; travel counts as working time. A return after
/// `overtime_start` (when set below `shift_end`) is overtime, paid `cost_per_overtime` per
/// unit of time on the objective's one scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Vehicle {
    /// Where the route starts (index into the travel matrix).
    pub start_location: usize,
    /// Where the route ends.
    pub end_location: usize,
    /// Earliest departure.
    pub shift_start: f64,
    /// Latest return.
    pub shift_end: f64,
    /// Maximum total demand on the route; `None` = unlimited.
    pub capacity: Option<f64>,
    /// Maximum number of jobs on the route; `None` = unlimited.
    pub max_jobs: Option<usize>,
    /// The technician (or other resource) this route belongs to; reported back, not constrained.
    pub resource: usize,
    /// Cost per unit of distance driven (default 1).
    pub cost_per_distance: f64,
    /// Cost per unit of route duration, departure to return including waiting (default 0).
    pub cost_per_time: f64,
    /// Cost paid once if the route serves at least one job (default 0).
    pub fixed_cost: f64,
    /// Where overtime begins: the part of the route after this time, up to the return (at the
    /// latest `shift_end`), is overtime (default `f64::INFINITY`: none).
    pub overtime_start: f64,
    /// Cost per unit of overtime (default 0).
    pub cost_per_overtime: f64,
    /// Units carried per part type (index = part type; types beyond the vector's end: 0).
    /// Before the route's restock visit, the parts its jobs consume, summed per type, must not
    /// exceed these.
    pub stock: Vec<u32>,
    /// Tool types the vehicle carries: before the route's restock visit, every job's tools
    /// must be among them.
    pub tools: Vec<usize>,
    /// The one optional restock (depot) visit of the route: after it, parts are unlimited and
    /// every tool is available. `None`: the route never restocks.
    pub restock: Option<Restock>,
}

/// The restock (depot) visit a vehicle may make once on its route (see [`Vehicle::restock`]).
///
/// The visit starts within `[earliest, latest]` (waiting if early) and lasts `service`. The
/// optimiser inserts it only when the route's jobs need it, at the cheapest feasible place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Restock {
    /// Where the depot is (index into the travel matrix).
    pub location: usize,
    /// Earliest start of the visit.
    pub earliest: f64,
    /// Latest start of the visit (may be `f64::INFINITY`).
    pub latest: f64,
    /// Time spent at the depot.
    pub service: f64,
}

impl Restock {
    /// A restock visit at `location` open at any time, with no service time.
    pub fn new(location: usize) -> Self {
        Restock {
            location,
            earliest: f64::NEG_INFINITY,
            latest: f64::INFINITY,
            service: 0.0,
        }
    }
}

impl Vehicle {
    /// A vehicle starting and ending at `depot`, shift `[shift_start, shift_end]`, unlimited
    /// capacity, resource 0, cost = distance.
    pub fn new(depot: usize, shift_start: f64, shift_end: f64) -> Self {
        Vehicle {
            start_location: depot,
            end_location: depot,
            shift_start,
            shift_end,
            capacity: None,
            max_jobs: None,
            resource: 0,
            cost_per_distance: 1.0,
            cost_per_time: 0.0,
            fixed_cost: 0.0,
            overtime_start: f64::INFINITY,
            cost_per_overtime: 0.0,
            stock: Vec::new(),
            tools: Vec::new(),
            restock: None,
        }
    }

    /// Sets the units carried per part type (index = part type; missing types carry 0).
    ///
    /// ```
    /// use fieldwork::schedule::solver::{solve, Job, Problem, SolverConfig, TravelMatrix, Vehicle};
    /// let matrix = TravelMatrix::euclidean(&[(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)])?;
    /// // One unit of part type 0 in the van: only one of the two jobs can be done.
    /// let vehicles = vec![Vehicle::new(0, 0.0, 100.0).with_stock(vec![1])];
    /// let jobs = vec![Job::new(1).with_parts(vec![(0, 1)]), Job::new(2).with_parts(vec![(0, 1)])];
    /// let problem = Problem::new(matrix, vehicles, jobs)?;
    /// let solution = solve(&problem, &SolverConfig::default().with_iterations(Some(50)))?;
    /// assert_eq!(solution.unassigned.len(), 1);
    /// # Ok::<(), fieldwork::schedule::solver::SolverError>(())
    /// ```
    pub fn with_stock(mut self, stock: Vec<u32>) -> Self {
        self.stock = stock;
        self
    }

    /// Sets the tool types the vehicle carries.
    pub fn with_tools(mut self, tools: Vec<usize>) -> Self {
        self.tools = tools;
        self
    }

    /// Gives the route its one optional restock (depot) visit (see [`Restock`]).
    ///
    /// ```
    /// use fieldwork::schedule::solver::{solve, Job, Problem, Restock, SolverConfig, TravelMatrix, Vehicle};
    /// let matrix = TravelMatrix::euclidean(&[(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (5.0, 0.0)])?;
    /// // No tool 3 in the van: the route calls at the depot (location 3) first.
    /// let vehicles = vec![Vehicle::new(0, 0.0, 100.0).with_restock(Restock::new(3))];
    /// let jobs = vec![Job::new(1).with_tools(vec![3]), Job::new(2)];
    /// let problem = Problem::new(matrix, vehicles, jobs)?;
    /// let solution = solve(&problem, &SolverConfig::default().with_iterations(Some(50)))?;
    /// assert!(solution.unassigned.is_empty());
    /// assert!(solution.routes[0].restock.is_some());
    /// # Ok::<(), fieldwork::schedule::solver::SolverError>(())
    /// ```
    pub fn with_restock(mut self, restock: Restock) -> Self {
        self.restock = Some(restock);
        self
    }

    /// Sets a different end location.
    pub fn with_end(mut self, end_location: usize) -> Self {
        self.end_location = end_location;
        self
    }

    /// Sets the capacity.
    pub fn with_capacity(mut self, capacity: f64) -> Self {
        self.capacity = Some(capacity);
        self
    }

    /// Limits the number of jobs on the route (independent of the capacity).
    pub fn with_max_jobs(mut self, max_jobs: usize) -> Self {
        self.max_jobs = Some(max_jobs);
        self
    }

    /// Sets the resource (technician) index.
    pub fn with_resource(mut self, resource: usize) -> Self {
        self.resource = resource;
        self
    }

    /// Sets the cost per distance, per time and the fixed cost of using the route.
    pub fn with_costs(mut self, per_distance: f64, per_time: f64, fixed: f64) -> Self {
        self.cost_per_distance = per_distance;
        self.cost_per_time = per_time;
        self.fixed_cost = fixed;
        self
    }

    /// Makes the time from `start` to the shift end overtime, paid `cost_per_unit` per unit of
    /// time the route returns after `start` (the regular shift ends at `start`; `shift_end`
    /// stays the hard limit).
    ///
    /// ```
    /// use fieldwork::schedule::solver::{solve, Job, Problem, SolverConfig, TravelMatrix, Vehicle};
    /// let matrix = TravelMatrix::euclidean(&[(0.0, 0.0), (10.0, 0.0)])?;
    /// // Regular hours end at 100, overtime until 150 at 2 per unit; the job takes 90 on site,
    /// // so the route returns at 110: 10 units of overtime, cheaper than the job's value 500.
    /// let vehicles = vec![Vehicle::new(0, 0.0, 150.0).with_overtime(100.0, 2.0)];
    /// let jobs = vec![Job::new(1).with_service(90.0).with_value(500.0)];
    /// let problem = Problem::new(matrix, vehicles, jobs)?;
    /// let solution = solve(&problem, &SolverConfig::default().with_iterations(Some(10)))?;
    /// let route = &solution.routes[0];
    /// assert_eq!((route.return_time, route.overtime), (110.0, 10.0));
    /// assert_eq!(route.cost, 20.0 + 2.0 * 10.0);
    /// # Ok::<(), fieldwork::schedule::solver::SolverError>(())
    /// ```
    pub fn with_overtime(mut self, start: f64, cost_per_unit: f64) -> Self {
        self.overtime_start = start;
        self.cost_per_overtime = cost_per_unit;
        self
    }

    /// The overtime of a route that returns at `return_time`.
    #[inline]
    pub(crate) fn overtime(&self, return_time: f64) -> f64 {
        (return_time - self.overtime_start).max(0.0)
    }
}

/// What happens when a job starts after its due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LatePolicy {
    /// Starting after the due time is infeasible (hard window, the Solomon rule).
    #[default]
    Forbidden,
    /// Starting after the due time is allowed; `start - due` is counted as lateness.
    Penalised,
}

/// A job (visit) to schedule.
///
/// The time window bounds the *start* of service: `earliest <= start`, and `start <= latest`
/// when lateness is [`LatePolicy::Forbidden`]. A vehicle arriving early waits.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Where the job is (index into the travel matrix).
    pub location: usize,
    /// Service duration spent on site.
    pub service: f64,
    /// Earliest service start.
    pub earliest: f64,
    /// Latest service start (the due time); may be `f64::INFINITY`.
    pub latest: f64,
    /// Demand counted against vehicle capacity.
    pub demand: f64,
    /// The cost of leaving the job unassigned (e.g. its outsourcing cost), on the one scale of
    /// the objective (same units as route costs); default [`Job::DEFAULT_VALUE`], which
    /// outweighs any route so that the job is left out only when it fits nowhere.
    pub value: f64,
    /// Whether starting after `latest` is forbidden or penalised.
    pub late_policy: LatePolicy,
    /// Vehicles allowed to serve the job; `None` = all.
    pub allowed_vehicles: Option<Vec<usize>>,
    /// Preference scores `(vehicle, score)`, higher is better; vehicles not listed score 0.
    pub preferences: Vec<(usize, f64)>,
    /// The job must be served by this vehicle.
    pub pinned_vehicle: Option<usize>,
    /// The job must start exactly at this time (overrides the window).
    pub pinned_start: Option<f64>,
    /// The job's place in the plan being revised (incremental re-planning), with the penalty
    /// of moving it.
    pub incumbent: Option<Incumbent>,
    /// Hard start windows `(vehicle, earliest, latest)` that hold on one vehicle only, on top
    /// of `[earliest, latest]` (e.g. a site's opening hours on the day a shift covers); at
    /// most one per vehicle. They apply whatever the late policy and to a pinned start.
    pub vehicle_windows: Vec<(usize, f64, f64)>,
    /// Parts consumed `(part type, units)`: counted against the vehicle's stock when the job
    /// comes before the route's restock visit (see [`Vehicle::stock`]).
    pub parts: Vec<(usize, u32)>,
    /// Tool types needed: the vehicle must carry them unless the job comes after the route's
    /// restock visit (see [`Vehicle::tools`]).
    pub tools: Vec<usize>,
}

/// Where a job is in the plan being revised, and what moving it costs.
///
/// The job counts as **moved** when it is served by another vehicle, or by this vehicle at an
/// earliest-timing start later than `start` (an earlier start can still be delayed to
/// `start` by waiting). A moved job adds `penalty` to the objective (same units as route
/// costs), so the optimiser moves it only when that saves more than `penalty` elsewhere.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Incumbent {
    /// The vehicle serving the job in the plan being revised.
    pub vehicle: usize,
    /// Its start there.
    pub start: f64,
    /// Disruption penalty of moving it (cost units, ≥ 0).
    pub penalty: f64,
}

impl Job {
    /// The default [`Job::value`]: large enough to dominate any route cost of ordinary units.
    pub const DEFAULT_VALUE: f64 = 1e9;

    /// A job at `location` with no service time, window `[0, ∞)`, demand 0 and value
    /// [`Job::DEFAULT_VALUE`].
    pub fn new(location: usize) -> Self {
        Job {
            location,
            service: 0.0,
            earliest: 0.0,
            latest: f64::INFINITY,
            demand: 0.0,
            value: Self::DEFAULT_VALUE,
            late_policy: LatePolicy::Forbidden,
            allowed_vehicles: None,
            preferences: Vec::new(),
            pinned_vehicle: None,
            pinned_start: None,
            incumbent: None,
            vehicle_windows: Vec::new(),
            parts: Vec::new(),
            tools: Vec::new(),
        }
    }

    /// Sets the parts the job consumes, `(part type, units)` (see [`Job::parts`]).
    pub fn with_parts(mut self, parts: Vec<(usize, u32)>) -> Self {
        self.parts = parts;
        self
    }

    /// Sets the tool types the job needs (see [`Job::tools`]).
    pub fn with_tools(mut self, tools: Vec<usize>) -> Self {
        self.tools = tools;
        self
    }

    /// Adds a hard start window `[earliest, latest]` that holds on `vehicle` only (see
    /// [`Job::vehicle_windows`]).
    ///
    /// ```
    /// use fieldwork::schedule::solver::{solve, Job, Problem, SolverConfig, TravelMatrix, Vehicle};
    /// let matrix = TravelMatrix::euclidean(&[(0.0, 0.0), (1.0, 0.0)]).unwrap();
    /// // Two shifts; on the first the site opens at 50, on the second at 300.
    /// let vehicles = vec![Vehicle::new(0, 0.0, 200.0), Vehicle::new(0, 200.0, 400.0)];
    /// let job = Job::new(1)
    ///     .with_service(10.0)
    ///     .with_vehicle_window(0, 50.0, 60.0)
    ///     .with_vehicle_window(1, 300.0, 350.0);
    /// let problem = Problem::new(matrix, vehicles, vec![job]).unwrap();
    /// let solution = solve(&problem, &SolverConfig::default()).unwrap();
    /// let visit = &solution.routes[0].visits[0];
    /// assert!(visit.start >= 50.0 && visit.start <= 60.0 || visit.start >= 300.0);
    /// ```
    pub fn with_vehicle_window(mut self, vehicle: usize, earliest: f64, latest: f64) -> Self {
        self.vehicle_windows.push((vehicle, earliest, latest));
        self
    }

    /// Sets the service duration.
    pub fn with_service(mut self, service: f64) -> Self {
        self.service = service;
        self
    }

    /// Sets the start window `[earliest, latest]`.
    pub fn with_window(mut self, earliest: f64, latest: f64) -> Self {
        self.earliest = earliest;
        self.latest = latest;
        self
    }

    /// Sets the demand.
    pub fn with_demand(mut self, demand: f64) -> Self {
        self.demand = demand;
        self
    }

    /// Sets the value: the cost of leaving the job unassigned (see [`Job::value`]).
    pub fn with_value(mut self, value: f64) -> Self {
        self.value = value;
        self
    }

    /// Allows starting after `latest`, counting lateness.
    pub fn with_soft_due(mut self) -> Self {
        self.late_policy = LatePolicy::Penalised;
        self
    }

    /// Restricts the job to these vehicles.
    pub fn with_allowed_vehicles(mut self, vehicles: Vec<usize>) -> Self {
        self.allowed_vehicles = Some(vehicles);
        self
    }

    /// Adds a preference score for a vehicle (higher is better).
    pub fn with_preference(mut self, vehicle: usize, score: f64) -> Self {
        self.preferences.push((vehicle, score));
        self
    }

    /// Pins the job to a vehicle.
    pub fn with_pinned_vehicle(mut self, vehicle: usize) -> Self {
        self.pinned_vehicle = Some(vehicle);
        self
    }

    /// Pins the start time.
    pub fn with_pinned_start(mut self, start: f64) -> Self {
        self.pinned_start = Some(start);
        self
    }

    /// Records the job's place in the plan being revised: moving it costs `penalty` (see
    /// [`Incumbent`]).
    pub fn with_incumbent(mut self, vehicle: usize, start: f64, penalty: f64) -> Self {
        self.incumbent = Some(Incumbent {
            vehicle,
            start,
            penalty,
        });
        self
    }
}

/// Per-job data laid out for the hot loops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct JobData {
    pub loc: usize,
    pub service: f64,
    /// Effective earliest start (pinned start if pinned).
    pub e: f64,
    /// Effective hard latest start (pinned start, due if forbidden lateness, else infinity).
    pub l: f64,
    /// Due time used for lateness (infinity when lateness is forbidden).
    pub due: f64,
    pub demand: f64,
    /// Lateness is penalised and the due time is finite.
    pub soft: bool,
}

/// A validated routing problem, ready for [`solve`](super::solve).
///
/// Built with [`Problem::new`], which checks every index and number and precomputes the
/// eligibility bitsets (O(1) job × vehicle test, jobs × vehicles / 64 words) with each job's
/// list of eligible vehicles, the sparse preference scores and the neighbour lists.
#[derive(Debug, Clone)]
pub struct Problem {
    matrix: TravelMatrix,
    vehicles: Vec<Vehicle>,
    jobs: Vec<Job>,
    score_weight: f64,
    lateness_weight: f64,
    pub(crate) jd: Vec<JobData>,
    words: usize,
    eligible: Vec<u64>,
    /// Per job: the vehicles that may serve it, ascending (the bitset as a list, so that
    /// insertion scans cost what a job's eligibility allows, not the whole fleet).
    pub(crate) eligible_vehicles: Vec<Vec<u32>>,
    /// Per job: its preference scores, by ascending vehicle (sparse: a job has scores for the
    /// vehicles it may use, not for the fleet).
    preference: Vec<Vec<(u32, f64)>>,
    /// Per job: other jobs sorted by travel distance (capped length).
    pub(crate) neighbours: Vec<Vec<u32>>,
    has_incumbents: bool,
    /// Per job: its per-vehicle windows `(vehicle, earliest, latest)` by ascending vehicle
    /// (empty for most jobs).
    vehicle_windows: Vec<Vec<(u32, f64, f64)>>,
    /// Per job: parts consumed `(type, units)`, by ascending type, units of one type summed.
    pub(crate) parts: Vec<Vec<(u32, u32)>>,
    /// Per job: tool types needed, ascending, without repeats.
    pub(crate) tools: Vec<Vec<u32>>,
    /// Per vehicle: tool types carried, ascending, without repeats.
    vehicle_tools: Vec<Vec<u32>>,
    /// Whether any job needs parts or tools (else the stock checks are skipped).
    pub(crate) resourced: bool,
    /// Per vehicle: the lowest-numbered vehicle interchangeable with it (itself if none), see
    /// [`Problem::twin`].
    twin: Vec<u32>,
}

/// At most this many neighbours are kept per job.
const NEIGHBOUR_CAP: usize = 256;

fn check_finite(x: f64) -> bool {
    x.is_finite()
}

/// Checks vehicle `i`: its locations lie in a matrix of `size`, its shift and costs are sane.
fn check_vehicle(i: usize, v: &Vehicle, size: usize) -> Result<(), SolverError> {
    for location in [v.start_location, v.end_location] {
        if location >= size {
            return Err(SolverError::LocationOutOfRange {
                what: "vehicle",
                index: i,
                location,
                size,
            });
        }
    }
    let bad = |message: &str| SolverError::InvalidVehicle {
        vehicle: i,
        message: message.to_string(),
    };
    if !check_finite(v.shift_start) || !check_finite(v.shift_end) {
        return Err(bad("shift bounds must be finite"));
    }
    if v.shift_end < v.shift_start {
        return Err(bad("shift ends before it starts"));
    }
    if let Some(c) = v.capacity {
        if !(c.is_finite() && c >= 0.0) {
            return Err(bad("capacity must be finite and non-negative"));
        }
    }
    for c in [
        v.cost_per_distance,
        v.cost_per_time,
        v.fixed_cost,
        v.cost_per_overtime,
    ] {
        if !(c.is_finite() && c >= 0.0) {
            return Err(bad("costs must be finite and non-negative"));
        }
    }
    if v.overtime_start.is_nan() || v.overtime_start == f64::NEG_INFINITY {
        return Err(bad("overtime_start must be a time or +infinity"));
    }
    if v.stock.len() > MAX_KINDS {
        return Err(bad("more part types in the stock than MAX_KINDS"));
    }
    if v.tools.iter().any(|&t| t >= MAX_KINDS) {
        return Err(bad("tool type out of range (0..MAX_KINDS)"));
    }
    if let Some(r) = &v.restock {
        if r.location >= size {
            return Err(SolverError::LocationOutOfRange {
                what: "vehicle restock",
                index: i,
                location: r.location,
                size,
            });
        }
        if r.earliest.is_nan() || r.latest.is_nan() || r.latest < r.earliest {
            return Err(bad("restock window must be a non-empty interval"));
        }
        if !(r.service.is_finite() && r.service >= 0.0) {
            return Err(bad("restock service must be finite and non-negative"));
        }
    }
    Ok(())
}

/// Part and tool types are indices below this bound (so that per-type tables stay small).
pub const MAX_KINDS: usize = 4096;

/// Checks job `k`'s own fields: location in a matrix of `size`, service, window, demand,
/// value and pinned start.
fn check_job(k: usize, job: &Job, size: usize) -> Result<(), SolverError> {
    if job.location >= size {
        return Err(SolverError::LocationOutOfRange {
            what: "job",
            index: k,
            location: job.location,
            size,
        });
    }
    let bad = |message: &str| SolverError::InvalidJob {
        job: k,
        message: message.into(),
    };
    if !(job.service.is_finite() && job.service >= 0.0) {
        return Err(bad("service must be finite and non-negative"));
    }
    if !job.earliest.is_finite() || job.latest.is_nan() {
        return Err(bad("earliest must be finite and latest a number"));
    }
    if job.latest < job.earliest {
        return Err(bad("window ends before it starts"));
    }
    if !(job.demand.is_finite() && job.demand >= 0.0) {
        return Err(bad("demand must be finite and non-negative"));
    }
    if !(job.value.is_finite() && job.value >= 0.0) {
        return Err(bad("value must be finite and non-negative"));
    }
    if let Some(t) = job.pinned_start {
        if !t.is_finite() {
            return Err(bad("pinned start must be finite"));
        }
    }
    if job.parts.iter().any(|&(t, _)| t >= MAX_KINDS) {
        return Err(bad("part type out of range (0..MAX_KINDS)"));
    }
    if job.tools.iter().any(|&t| t >= MAX_KINDS) {
        return Err(bad("tool type out of range (0..MAX_KINDS)"));
    }
    Ok(())
}

/// Job `k`'s per-vehicle windows by ascending vehicle, checking each vehicle exists, appears
/// once, and its window is a finite-start, non-empty interval.
fn vehicle_windows_of(k: usize, job: &Job, nv: usize) -> Result<Vec<(u32, f64, f64)>, SolverError> {
    let bad = |message: String| SolverError::InvalidJob { job: k, message };
    let mut row = Vec::with_capacity(job.vehicle_windows.len());
    for &(v, e, l) in &job.vehicle_windows {
        if v >= nv {
            return Err(bad(format!("window for vehicle {v} which does not exist")));
        }
        if !e.is_finite() || l.is_nan() || l < e {
            return Err(bad(format!(
                "window on vehicle {v} must start at a finite time and not end before it starts"
            )));
        }
        row.push((v as u32, e, l));
    }
    row.sort_by_key(|&(v, _, _)| v);
    if row.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(bad("two windows for one vehicle".into()));
    }
    Ok(row)
}

/// Sets job `k`'s eligibility bits in `row` (allowed vehicles, else all `nv`, narrowed to the
/// pinned vehicle), checking that every vehicle named exists.
fn fill_eligibility(row: &mut [u64], k: usize, job: &Job, nv: usize) -> Result<(), SolverError> {
    let bad = |message: String| SolverError::InvalidJob { job: k, message };
    match &job.allowed_vehicles {
        None => {
            for v in 0..nv {
                row[v / 64] |= 1 << (v % 64);
            }
        }
        Some(list) => {
            for &v in list {
                if v >= nv {
                    return Err(bad(format!("allowed vehicle {v} does not exist")));
                }
                row[v / 64] |= 1 << (v % 64);
            }
        }
    }
    if let Some(p) = job.pinned_vehicle {
        if p >= nv {
            return Err(bad(format!("pinned vehicle {p} does not exist")));
        }
        let keep = row[p / 64] & (1 << (p % 64));
        row.iter_mut().for_each(|w| *w = 0);
        row[p / 64] = keep;
    }
    Ok(())
}

/// Job `k`'s preference scores by ascending vehicle, scores for the same vehicle summed,
/// checking each vehicle exists and each score is finite.
fn preferences_of(k: usize, job: &Job, nv: usize) -> Result<Vec<(u32, f64)>, SolverError> {
    let bad = |message: String| SolverError::InvalidJob { job: k, message };
    let mut row: Vec<(u32, f64)> = Vec::with_capacity(job.preferences.len());
    for &(v, s) in &job.preferences {
        if v >= nv {
            return Err(bad(format!(
                "preference for vehicle {v} which does not exist"
            )));
        }
        if !s.is_finite() {
            return Err(bad("preference score must be finite".into()));
        }
        row.push((v as u32, s));
    }
    // Stable: scores of one vehicle are summed in the order given.
    row.sort_by_key(|&(v, _)| v);
    let mut merged: Vec<(u32, f64)> = Vec::with_capacity(row.len());
    for (v, s) in row {
        match merged.last_mut() {
            Some(last) if last.0 == v => last.1 += s,
            _ => merged.push((v, 0.0 + s)),
        }
    }
    Ok(merged)
}

/// The vehicles set in a job's eligibility bitset row, ascending.
fn vehicles_of_row(row: &[u64]) -> Vec<u32> {
    let mut out = Vec::new();
    for (w, &bits) in row.iter().enumerate() {
        let mut b = bits;
        while b != 0 {
            out.push((w * 64) as u32 + b.trailing_zeros());
            b &= b - 1;
        }
    }
    out
}

/// The solver's view of a checked job: its time window as searched (pinned start, hard or
/// open-ended) and its soft due time.
fn job_data(job: &Job) -> JobData {
    let soft = job.late_policy == LatePolicy::Penalised
        && job.latest.is_finite()
        && job.pinned_start.is_none();
    let (e, l) = match job.pinned_start {
        Some(t) => (t, t),
        None if job.late_policy == LatePolicy::Forbidden => (job.earliest, job.latest),
        None => (job.earliest, f64::INFINITY),
    };
    JobData {
        loc: job.location,
        service: job.service,
        e,
        l,
        due: if soft { job.latest } else { f64::INFINITY },
        demand: job.demand,
        soft,
    }
}

/// Per job, the other jobs sorted by round-trip distance (ties by index), at most
/// [`NEIGHBOUR_CAP`] of them. Jobs in another block of a blocked matrix are no neighbours, so
/// each job scans only its block: O(Σ block jobs²) distance look-ups (O(n²) when dense), and
/// the cap nearest are selected before they are sorted.
fn neighbour_lists(matrix: &TravelMatrix, jobs: &[Job]) -> Vec<Vec<u32>> {
    let order = |x: &(f64, u32), y: &(f64, u32)| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1));
    let mut by_block: HashMap<u32, Vec<u32>> = HashMap::new();
    for (b, job) in jobs.iter().enumerate() {
        by_block
            .entry(matrix.block_of(job.location))
            .or_default()
            .push(b as u32);
    }
    let mut others: Vec<(f64, u32)> = Vec::with_capacity(jobs.len());
    (0..jobs.len())
        .map(|a| {
            others.clear();
            let la = jobs[a].location;
            let same = by_block
                .get(&matrix.block_of(la))
                .map_or(&[][..], Vec::as_slice);
            others.extend(
                same.iter()
                    .filter(|&&b| b as usize != a)
                    .map(|&b| {
                        let lb = jobs[b as usize].location;
                        (matrix.distance(la, lb) + matrix.distance(lb, la), b)
                    })
                    .filter(|(d, _)| d.is_finite()),
            );
            if others.len() > NEIGHBOUR_CAP {
                others.select_nth_unstable_by(NEIGHBOUR_CAP, order);
                others.truncate(NEIGHBOUR_CAP);
            }
            others.sort_by(order);
            others.iter().map(|&(_, b)| b).collect()
        })
        .collect()
}

/// Parts `(type, units)` by ascending type, units of one type summed (saturating).
fn merged_parts(parts: &[(usize, u32)]) -> Vec<(u32, u32)> {
    let mut row: Vec<(u32, u32)> = parts.iter().map(|&(t, u)| (t as u32, u)).collect();
    row.sort_by_key(|&(t, _)| t);
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(row.len());
    for (t, u) in row {
        match merged.last_mut() {
            Some(last) if last.0 == t => last.1 = last.1.saturating_add(u),
            _ => merged.push((t, u)),
        }
    }
    merged.retain(|&(_, u)| u > 0);
    merged
}

/// Indices ascending, without repeats.
fn sorted_set(xs: &[usize]) -> Vec<u32> {
    let mut v: Vec<u32> = xs.iter().map(|&x| x as u32).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Whether a vehicle with `stock` and (sorted) `carried` tools can serve, before any restock,
/// a job needing `parts` and (sorted) `tools`.
fn carries_alone(parts: &[(u32, u32)], tools: &[u32], stock: &[u32], carried: &[u32]) -> bool {
    parts
        .iter()
        .all(|&(t, u)| stock.get(t as usize).copied().unwrap_or(0) >= u)
        && tools.iter().all(|t| carried.binary_search(t).is_ok())
}

/// Whether two vehicles are the same in everything but the reported `resource` (every field
/// is named, so that a new one cannot be forgotten here).
fn same_vehicle(a: &Vehicle, b: &Vehicle) -> bool {
    let Vehicle {
        start_location,
        end_location,
        shift_start,
        shift_end,
        capacity,
        max_jobs,
        resource: _,
        cost_per_distance,
        cost_per_time,
        fixed_cost,
        overtime_start,
        cost_per_overtime,
        stock,
        tools,
        restock,
    } = a;
    *start_location == b.start_location
        && *end_location == b.end_location
        && *shift_start == b.shift_start
        && *shift_end == b.shift_end
        && *capacity == b.capacity
        && *max_jobs == b.max_jobs
        && *cost_per_distance == b.cost_per_distance
        && *cost_per_time == b.cost_per_time
        && *fixed_cost == b.fixed_cost
        && *overtime_start == b.overtime_start
        && *cost_per_overtime == b.cost_per_overtime
        && *stock == b.stock
        && *tools == b.tools
        && *restock == b.restock
}

/// [`Problem::twin`] for every vehicle. Vehicles are grouped by a hash of their eligible jobs
/// and preference scores, then checked exactly against the group's representatives:
/// O(Σ eligibility) for the hashes plus O(jobs · log p) per exact check, one check per vehicle
/// in the usual case (a vehicle is compared with the representatives of its hash only).
fn twins(p: &Problem) -> Vec<u32> {
    let nv = p.vehicles.len();
    let mut alone = vec![false; nv];
    for row in &p.vehicle_windows {
        for &(v, _, _) in row {
            alone[v as usize] = true;
        }
    }
    for job in &p.jobs {
        if let Some(inc) = &job.incumbent {
            alone[inc.vehicle] = true;
        }
    }
    // FNV-1a over (job, preference bits) of each vehicle's eligible jobs, in job order.
    let mut hash = vec![0xcbf2_9ce4_8422_2325u64; nv];
    for (k, vs) in p.eligible_vehicles.iter().enumerate() {
        for &v in vs {
            let v = v as usize;
            let bits = p.preference(k, v).to_bits();
            for x in [k as u64, bits] {
                hash[v] = (hash[v] ^ x).wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
    }
    let same_jobs = |a: usize, b: usize| {
        (0..p.jobs.len()).all(|k| {
            p.is_eligible(k, a) == p.is_eligible(k, b)
                && p.preference(k, a).to_bits() == p.preference(k, b).to_bits()
        })
    };
    let mut groups: std::collections::HashMap<u64, Vec<usize>> = Default::default();
    let mut twin: Vec<u32> = (0..nv as u32).collect();
    for v in 0..nv {
        if alone[v] {
            continue;
        }
        let reps = groups.entry(hash[v]).or_default();
        match reps
            .iter()
            .find(|&&r| same_vehicle(&p.vehicles[r], &p.vehicles[v]) && same_jobs(r, v))
        {
            Some(&r) => twin[v] = r as u32,
            None => reps.push(v),
        }
    }
    twin
}

impl Problem {
    /// Validates and prepares a problem.
    ///
    /// # Errors
    /// [`SolverError::LocationOutOfRange`], [`SolverError::InvalidVehicle`] or
    /// [`SolverError::InvalidJob`] describing the first problem found.
    pub fn new(
        matrix: TravelMatrix,
        vehicles: Vec<Vehicle>,
        jobs: Vec<Job>,
    ) -> Result<Self, SolverError> {
        let size = matrix.size();
        let nv = vehicles.len();
        for (i, v) in vehicles.iter().enumerate() {
            check_vehicle(i, v, size)?;
        }
        let words = nv.div_ceil(64).max(1);
        let mut eligible = vec![0u64; jobs.len() * words];
        let mut jd = Vec::with_capacity(jobs.len());
        let mut preference = Vec::with_capacity(jobs.len());
        let mut eligible_vehicles = Vec::with_capacity(jobs.len());
        let mut vehicle_windows = Vec::with_capacity(jobs.len());
        for (k, job) in jobs.iter().enumerate() {
            check_job(k, job, size)?;
            vehicle_windows.push(vehicle_windows_of(k, job, nv)?);
            if let Some(inc) = &job.incumbent {
                let ok = inc.vehicle < nv
                    && inc.start.is_finite()
                    && inc.penalty.is_finite()
                    && inc.penalty >= 0.0;
                if !ok {
                    return Err(SolverError::InvalidJob {
                        job: k,
                        message: "incumbent: vehicle out of range or start/penalty not a \
                                  finite number (penalty >= 0)"
                            .into(),
                    });
                }
            }
            let row = &mut eligible[k * words..(k + 1) * words];
            fill_eligibility(row, k, job, nv)?;
            eligible_vehicles.push(vehicles_of_row(row));
            preference.push(preferences_of(k, job, nv)?);
            jd.push(job_data(job));
        }
        let neighbours = neighbour_lists(&matrix, &jobs);
        let has_incumbents = jobs.iter().any(|j| j.incumbent.is_some());
        let parts: Vec<Vec<(u32, u32)>> = jobs.iter().map(|j| merged_parts(&j.parts)).collect();
        let tools: Vec<Vec<u32>> = jobs.iter().map(|j| sorted_set(&j.tools)).collect();
        let vehicle_tools: Vec<Vec<u32>> = vehicles.iter().map(|v| sorted_set(&v.tools)).collect();
        let resourced = parts.iter().any(|p| !p.is_empty()) || tools.iter().any(|t| !t.is_empty());
        // A vehicle without a restock visit can never serve a job it cannot carry alone.
        if resourced {
            for k in 0..jobs.len() {
                for (v, veh) in vehicles.iter().enumerate() {
                    if veh.restock.is_none()
                        && !carries_alone(&parts[k], &tools[k], &veh.stock, &vehicle_tools[v])
                    {
                        eligible[k * words + v / 64] &= !(1u64 << (v % 64));
                    }
                }
                eligible_vehicles[k] = vehicles_of_row(&eligible[k * words..(k + 1) * words]);
            }
        }
        let mut problem = Problem {
            parts,
            tools,
            vehicle_tools,
            resourced,
            has_incumbents,
            matrix,
            vehicles,
            jobs,
            score_weight: 1.0,
            lateness_weight: 1.0,
            jd,
            words,
            eligible,
            eligible_vehicles,
            preference,
            neighbours,
            vehicle_windows,
            twin: Vec::new(),
        };
        problem.twin = twins(&problem);
        Ok(problem)
    }

    /// The lowest-numbered vehicle interchangeable with vehicle `v` (`v` itself if none): same
    /// locations, shift, capacity, job limit, costs, stock, tools and restock visit, the same
    /// jobs eligible with the same preference scores, and neither one named by a job's
    /// per-vehicle window or incumbent place. Only the reported `resource` may differ. An empty
    /// route of a vehicle costs, for any job, exactly what an empty route of its twin does, so
    /// insertion tries one empty route per twin group (a homogeneous fleet of 25 idle vehicles
    /// is one candidate, not 25). Out-of-range `v` gives `v`.
    #[inline]
    pub(crate) fn twin(&self, v: usize) -> usize {
        self.twin.get(v).map_or(v, |&t| t as usize)
    }

    /// Job `j`'s data as vehicle `v` sees it: its window narrowed by its window on `v`, if any
    /// (O(1) for a job without per-vehicle windows, O(log w) otherwise).
    #[inline]
    pub(crate) fn jd_on(&self, j: usize, v: usize) -> JobData {
        let d = self.jd[j];
        let row = &self.vehicle_windows[j];
        if row.is_empty() {
            return d;
        }
        match row.binary_search_by_key(&(v as u32), |&(w, _, _)| w) {
            Ok(i) => {
                let (_, e, l) = row[i];
                JobData {
                    e: d.e.max(e),
                    l: d.l.min(l),
                    ..d
                }
            }
            Err(_) => d,
        }
    }

    /// The data of a route node on vehicle `v`: job `x`, or the vehicle's restock visit when
    /// `x == DEPOT` (open window and no service if the vehicle has none, which never happens
    /// in a route).
    #[inline]
    pub(crate) fn node_on(&self, x: usize, v: usize) -> JobData {
        if x != DEPOT {
            return self.jd_on(x, v);
        }
        let veh = &self.vehicles[v];
        let r = veh.restock.unwrap_or(Restock::new(veh.start_location));
        JobData {
            loc: r.location,
            service: r.service,
            e: r.earliest.max(f64::MIN),
            l: r.latest,
            due: f64::INFINITY,
            demand: 0.0,
            soft: false,
        }
    }

    /// Weight of one unit of lateness (time after a penalised due) in the cost (default 1).
    pub fn lateness_weight(&self) -> f64 {
        self.lateness_weight
    }

    /// Sets the weight of lateness in the cost (see [`Problem::lateness_weight`]).
    ///
    /// # Errors
    /// [`SolverError::InvalidConfig`] if the weight is negative or not finite.
    pub fn with_lateness_weight(mut self, weight: f64) -> Result<Self, SolverError> {
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(SolverError::InvalidConfig {
                message: "lateness weight must be finite and non-negative".into(),
            });
        }
        self.lateness_weight = weight;
        Ok(self)
    }

    /// Job `j`'s own window on vehicle `v` (see [`Job::vehicle_windows`]), if it has one.
    pub fn vehicle_window(&self, j: usize, v: usize) -> Option<(f64, f64)> {
        let row = &self.vehicle_windows[j];
        row.binary_search_by_key(&(v as u32), |&(w, _, _)| w)
            .ok()
            .map(|i| (row[i].1, row[i].2))
    }

    /// Sets the weight of preference scores in the cost (default 1):
    /// cost = Σ route cost − `score_weight` · Σ preference scores.
    ///
    /// # Errors
    /// [`SolverError::InvalidConfig`] if the weight is negative or not finite.
    pub fn with_score_weight(mut self, weight: f64) -> Result<Self, SolverError> {
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(SolverError::InvalidConfig {
                message: "score weight must be finite and non-negative".into(),
            });
        }
        self.score_weight = weight;
        Ok(self)
    }

    /// The travel matrix.
    pub fn matrix(&self) -> &TravelMatrix {
        &self.matrix
    }

    /// The vehicles (routes), indexed as in the solution.
    pub fn vehicles(&self) -> &[Vehicle] {
        &self.vehicles
    }

    /// The jobs, indexed as in the solution.
    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    /// Weight of preference scores in the cost.
    pub fn score_weight(&self) -> f64 {
        self.score_weight
    }

    /// Whether `vehicle` may serve `job` (allowed list and pinned vehicle combined). O(1).
    /// Out-of-range indices give `false`.
    #[inline]
    pub fn is_eligible(&self, job: usize, vehicle: usize) -> bool {
        if job >= self.jobs.len() || vehicle >= self.vehicles.len() {
            return false;
        }
        self.eligible[job * self.words + vehicle / 64] & (1 << (vehicle % 64)) != 0
    }

    /// Whether `vehicle` carries every tool `job` needs (O(t log T)).
    #[inline]
    pub(crate) fn has_tools(&self, job: usize, vehicle: usize) -> bool {
        let carried = &self.vehicle_tools[vehicle];
        self.tools[job]
            .iter()
            .all(|t| carried.binary_search(t).is_ok())
    }

    /// Units of part type `t` vehicle `v` carries.
    #[inline]
    pub(crate) fn stock(&self, v: usize, t: u32) -> u32 {
        self.vehicles[v].stock.get(t as usize).copied().unwrap_or(0)
    }

    /// Whether any job has an [`Incumbent`] place (re-planning with disruption penalties).
    pub fn has_incumbents(&self) -> bool {
        self.has_incumbents
    }

    /// Preference score of serving `job` with `vehicle` (0 unless given). O(log p) for a job
    /// with scores for p vehicles.
    #[inline]
    pub fn preference(&self, job: usize, vehicle: usize) -> f64 {
        let Some(row) = self.preference.get(job) else {
            return 0.0;
        };
        match row.binary_search_by_key(&vehicle, |&(v, _)| v as usize) {
            Ok(i) => row[i].1,
            Err(_) => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize) -> TravelMatrix {
        let pts: Vec<(f64, f64)> = (0..n).map(|i| (i as f64, 0.0)).collect();
        TravelMatrix::euclidean(&pts).unwrap()
    }

    #[test]
    fn twins_are_the_vehicles_alike_in_everything_but_their_resource() {
        let base = Vehicle::new(0, 0.0, 100.0);
        let vehicles = vec![
            base.clone(),
            base.clone().with_resource(7),    // 1: twin of 0
            Vehicle::new(0, 10.0, 100.0),     // 2: another shift
            base.clone(),                     // 3: not allowed job 0
            base.clone(),                     // 4: preferred by job 1
            base.clone(),                     // 5: a window of job 2
            base.clone(),                     // 6: job 1's incumbent
            base.clone().with_max_jobs(3),    // 7: a job limit
            base.clone().with_tools(vec![1]), // 8: a tool
            base.clone().with_resource(9),    // 9: twin of 0
            Vehicle::new(0, 10.0, 100.0),     // 10: twin of 2
        ];
        let jobs = vec![
            Job::new(1).with_allowed_vehicles(vec![0, 1, 2, 4, 5, 6, 7, 8, 9, 10]),
            Job::new(2)
                .with_preference(4, 1.0)
                .with_incumbent(6, 0.0, 1.0),
            Job::new(1).with_vehicle_window(5, 0.0, 50.0),
        ];
        let p = Problem::new(line(3), vehicles, jobs).unwrap();
        let twins: Vec<usize> = (0..11).map(|v| p.twin(v)).collect();
        assert_eq!(twins, [0, 0, 2, 3, 4, 5, 6, 7, 8, 0, 2]);
        assert_eq!(p.twin(99), 99);
    }

    #[test]
    fn matrix_checks_sizes_and_values() {
        assert!(matches!(
            TravelMatrix::new(2, vec![0.0; 3], vec![0.0; 4]),
            Err(SolverError::MatrixSize { got: 3, .. })
        ));
        assert!(matches!(
            TravelMatrix::new(2, vec![0.0, 1.0, f64::NAN, 0.0], vec![0.0; 4]),
            Err(SolverError::MatrixValue { from: 1, to: 0 })
        ));
        let m = line(3);
        assert_eq!(m.distance(0, 2), 2.0);
        assert_eq!(m.time(2, 1), 1.0);
    }

    #[test]
    fn blocked_matrix_stores_blocks_only_and_rejects_a_bad_partition() {
        let f = |a: usize, b: usize| {
            (
                (a as f64 - b as f64).abs(),
                2.0 * (a as f64 - b as f64).abs(),
            )
        };
        let m = TravelMatrix::blocked(5, &[vec![0, 3], vec![1, 2, 4]], f).unwrap();
        assert_eq!(m.stored_entries(), 4 + 9);
        assert_eq!((m.time(3, 0), m.distance(3, 0)), (3.0, 6.0));
        assert_eq!((m.time(1, 4), m.distance(4, 2)), (3.0, 4.0));
        assert!(m.time(0, 1).is_infinite() && m.distance(4, 3).is_infinite());
        for bad in [vec![vec![0, 1], vec![1, 2, 3, 4]], vec![vec![0, 1, 2, 3]]] {
            assert!(matches!(
                TravelMatrix::blocked(5, &bad, f),
                Err(SolverError::MatrixBlocks { .. })
            ));
        }
        // Jobs of different blocks are never neighbours; a vehicle of one block cannot take
        // the other block's job.
        let jobs = vec![Job::new(3), Job::new(2), Job::new(4)];
        let p = Problem::new(m, vec![Vehicle::new(0, 0.0, 100.0)], jobs).unwrap();
        assert!(p.neighbours[0].is_empty());
        assert_eq!(p.neighbours[1], vec![2]);
        let solution = crate::schedule::solver::solve(
            &p,
            &crate::schedule::solver::SolverConfig::default().with_iterations(Some(50)),
        )
        .unwrap();
        assert_eq!(solution.unassigned.len(), 2);
    }

    #[test]
    fn eligibility_combines_allowed_and_pinned() {
        let jobs = vec![
            Job::new(1).with_allowed_vehicles(vec![0, 2]),
            Job::new(1)
                .with_allowed_vehicles(vec![0, 2])
                .with_pinned_vehicle(1),
            Job::new(2).with_pinned_vehicle(2).with_preference(2, 5.0),
        ];
        let vehicles = vec![Vehicle::new(0, 0.0, 10.0); 3];
        let p = Problem::new(line(3), vehicles, jobs).unwrap();
        assert!(p.is_eligible(0, 0) && !p.is_eligible(0, 1) && p.is_eligible(0, 2));
        assert!(!p.is_eligible(1, 0) && !p.is_eligible(1, 1) && !p.is_eligible(1, 2));
        assert!(!p.is_eligible(2, 0) && p.is_eligible(2, 2));
        assert_eq!(p.preference(2, 2), 5.0);
        assert_eq!(p.preference(0, 2), 0.0);
        assert!(!p.is_eligible(9, 0));
    }

    #[test]
    fn eligibility_beyond_64_vehicles() {
        let vehicles = vec![Vehicle::new(0, 0.0, 10.0); 130];
        let jobs = vec![
            Job::new(1).with_allowed_vehicles(vec![3, 64, 129]),
            Job::new(1),
        ];
        let p = Problem::new(line(2), vehicles, jobs).unwrap();
        let allowed: Vec<usize> = (0..130).filter(|&v| p.is_eligible(0, v)).collect();
        assert_eq!(allowed, vec![3, 64, 129]);
        assert!((0..130).all(|v| p.is_eligible(1, v)));
        assert!(!p.is_eligible(1, 130));
    }

    #[test]
    fn rejects_bad_input() {
        let v = vec![Vehicle::new(0, 0.0, 10.0)];
        assert!(matches!(
            Problem::new(line(2), v.clone(), vec![Job::new(5)]),
            Err(SolverError::LocationOutOfRange { location: 5, .. })
        ));
        assert!(matches!(
            Problem::new(line(2), v.clone(), vec![Job::new(1).with_window(5.0, 1.0)]),
            Err(SolverError::InvalidJob { job: 0, .. })
        ));
        assert!(matches!(
            Problem::new(line(2), v.clone(), vec![Job::new(1).with_pinned_vehicle(3)]),
            Err(SolverError::InvalidJob { .. })
        ));
        assert!(matches!(
            Problem::new(line(2), vec![Vehicle::new(0, 5.0, 1.0)], vec![]),
            Err(SolverError::InvalidVehicle { vehicle: 0, .. })
        ));
        let p = Problem::new(line(2), v, vec![]).unwrap();
        assert!(p.with_score_weight(-1.0).is_err());
    }
}
