//! One TRSP instance (Pillac et al. 2013) solved briefly and checked. The data is GPL and not
//! in this repository: it is read from `$TRSP_DIR`, else `../shared/bench/trsp` beside the
//! repository; the test skips with a message when neither exists.

use std::path::PathBuf;

use fieldwork::schedule::solver::{solve, validate, SolverConfig};
use fieldwork::schedule::trsp::{read_best_known, TrspInstance};

fn data_dir() -> Option<PathBuf> {
    let candidates = std::env::var_os("TRSP_DIR")
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/trsp")]);
    candidates
        .into_iter()
        .find(|d| d.join("RC201.100_25-5-5-5.txt").is_file())
}

#[test]
fn solves_rc201_feasibly() {
    let Some(dir) = data_dir() else {
        eprintln!("skipped: no TRSP data (set TRSP_DIR or put it in ../shared/bench/trsp)");
        return;
    };
    let inst = TrspInstance::read(dir.join("RC201.100_25-5-5-5.txt")).unwrap();
    assert_eq!((inst.technicians.len(), inst.requests.len()), (25, 100));
    let problem = inst.to_problem().unwrap();
    let config = SolverConfig::default()
        .with_threads(1)
        .with_iterations(Some(3_000));
    let sol = solve(&problem, &config).unwrap();
    assert!(sol.unassigned.is_empty(), "{:?}", sol.unassigned);
    assert!(
        validate(&problem, &sol).is_empty(),
        "{:?}",
        validate(&problem, &sol)
    );
    // Parts and tools, rechecked here from the file's rows: before the depot visit the
    // technician has every tool and enough of every part.
    for r in &sol.routes {
        let tech = &inst.technicians[r.vehicle];
        let until = r.restock.map_or(r.visits.len(), |x| x.position);
        let mut left: Vec<i64> = tech.parts.iter().map(|&u| u as i64).collect();
        for v in &r.visits[..until] {
            let req = &inst.requests[v.job];
            assert!(req.tools.iter().all(|t| tech.tools.contains(t)));
            assert!(req.skills.iter().all(|s| tech.skills.contains(s)));
            for (k, &u) in req.parts.iter().enumerate() {
                left[k] -= u as i64;
                assert!(left[k] >= 0, "technician {} out of part {k}", tech.id);
            }
        }
    }
    let bks = read_best_known(dir.join("bks_vrprep_2013.json")).unwrap();
    let best = bks[&inst.name].duration;
    // A short run: within 10 % of the best known duration.
    assert!(
        sol.objective.duration <= best * 1.10,
        "{} against {best}",
        sol.objective.duration
    );
}
