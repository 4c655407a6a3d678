//! A generic vehicle-routing optimiser with time windows, shifts, capacities, eligibility,
//! preferences, pins and incremental re-planning.
//!
//! # Model
//! - A [`TravelMatrix`] gives travel time and distance between locations (any units, `f64`).
//! - Each [`Vehicle`] is one route (e.g. one technician-day): start and end location, shift
//!   window (travel counts as working time), optional capacity and job limit, a resource index, and costs per
//!   distance, per time and per use. The number of vehicles is the fleet: never exceeded.
//! - Each [`Job`] has a location, service duration, start window, demand, value, optional
//!   eligible vehicles, preference scores, pinned vehicle or start, and a [`LatePolicy`].
//!
//! - Vehicles may carry part stocks and tools and make one restock (depot) visit; jobs may
//!   consume parts and need tools (see [`Vehicle::with_restock`]).
//!
//! # Objective (one scale)
//! Minimise Σ routes (distance · cost_per_distance + duration · cost_per_time + fixed cost −
//! `score_weight` · preference scores) + `lateness_weight` · total lateness (start − due, for
//! jobs whose lateness is penalised) + the disruption penalties of the jobs moved from their
//! [`Incumbent`] place + the `value` of each unassigned job (what leaving it out costs, e.g.
//! outsourcing; by default [`Job::DEFAULT_VALUE`], which outweighs any route).
//!
//! For Solomon instances every value is the default, lateness is forbidden and cost is
//! distance.
//!
//! # Method
//! Regret-k insertion builds a first plan; every insertion position is checked in O(1) with
//! time-window segments (prefix/suffix earliest/latest start, duration and time warp, as in the
//! VRPTW literature). Ruin-and-recreate then improves it: SISR string removal (Christiaens &
//! Vanden Berghe 2020), random, worst, related and route removal, followed by greedy
//! re-insertion in a random order with blinks, under simulated-annealing acceptance on the one
//! objective, with a temperature relative to the route cost per job and a cooling schedule in
//! iterations that does not depend on the budget. The first plan and every new best plan are
//! polished within their routes (2-opt and or-opt moves, each checked exactly). A problem whose jobs fall
//! into independent [`parts`] (no vehicle and no resource shared between them) is solved part
//! by part, on [`SolverConfig::threads`] threads, each part with its share of the budget. The result is deterministic
//! for a seed and an iteration budget; with a time budget it is anytime. [`validate`] checks a
//! solution independently.
//!
//! # Example
//! ```
//! use fieldwork::schedule::solver::{solve, validate, Job, Problem, SolverConfig, TravelMatrix, Vehicle};
//!
//! // Depot at 0, three customers on a line.
//! let matrix = TravelMatrix::euclidean(&[(0.0, 0.0), (10.0, 0.0), (20.0, 0.0), (30.0, 0.0)])?;
//! let vehicles = vec![Vehicle::new(0, 0.0, 480.0).with_capacity(10.0); 2];
//! let jobs = vec![
//!     Job::new(1).with_service(30.0).with_window(0.0, 100.0).with_demand(4.0),
//!     Job::new(2).with_service(30.0).with_window(60.0, 200.0).with_demand(4.0),
//!     Job::new(3).with_service(30.0).with_demand(4.0),
//! ];
//! let problem = Problem::new(matrix, vehicles, jobs)?;
//! let solution = solve(&problem, &SolverConfig::default().with_iterations(Some(200)))?;
//!
//! assert!(solution.unassigned.is_empty());
//! assert!(validate(&problem, &solution).is_empty());
//! assert_eq!(solution.vehicles_used(), 2); // 12 units of demand, capacity 10
//! # Ok::<(), fieldwork::schedule::solver::SolverError>(())
//! ```

mod construct;
mod parts;
mod polish;
mod problem;
mod rng;
mod route;
mod ruin;
mod search;
mod solution;
mod state;
mod validate;

pub use parts::{merge, parts, solve_part, solve_parts, Part};
pub use problem::{
    Incumbent, Job, LatePolicy, Problem, Restock, SolverError, TravelMatrix, Vehicle, MAX_KINDS,
};
pub use search::{check_plan, solve, solve_from, RuinWeights, SolverConfig, COOLING_PER_JOB};
pub use solution::{
    Objective, RestockVisit, Route, Solution, SolveStats, Unassigned, UnassignedReason, Visit,
};
pub use state::{InitialPlan, Lock, PlannedJob};
pub use validate::{validate, Violation};
