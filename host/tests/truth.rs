//! One truth in the store: every dataset section and everything stored besides the model (the
//! `history` section: generation keys, plans, billed periods, transactions, SLA snapshots)
//! survives import → export exactly, in both stores and across them; merge validates every
//! section and refuses ids used twice in the file; the command line refuses to replace posted
//! billing or plans without `--force`, and a restored backup bills nothing twice.

mod support;

use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

use fieldwork::billing::bill;
use fieldwork::demo::{generate, DemoOptions};
use fieldwork::job::{run_main_job, JobOptions, NoProgress};
use fieldwork::model::{BillingFrequency, Dataset, PeriodAlignment, Subscription, SubscriptionId};
use fieldwork::rules::RuleSet;
use fieldwork::store::{current_plan, ImportMode, Store, StoreError};
use fieldwork_host::sqlite::SqliteStore;
use support::{demo_db, fieldwork, ok, stderr, stdout};

/// The hand corpus: a road graph, BOM versions, repair codes (with repair lines and a stage on
/// an order), return reasons and an extension section.
fn corpus() -> Dataset {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/truth.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A dataset as JSON, defaults filled in: what "equal" means for a round trip.
fn normalised(dataset: &Dataset) -> Value {
    serde_json::to_value(dataset).unwrap()
}

fn stores() -> Vec<(&'static str, Box<dyn Store>)> {
    support::stores("round-trip suite")
}

fn small_demo(seed: u64) -> Dataset {
    let mut options = DemoOptions::new(seed, NaiveDate::from_ymd_opt(2027, 3, 1).unwrap());
    options.customers = 15;
    options.technicians = 4;
    options.open_orders = 4;
    let mut dataset = generate(&options);
    // Whether a small demo's customers hold a subscription is up to the seed; one monthly
    // subscription of the first customer makes March's billing post something for every seed.
    let customer = dataset.customers[0].id.clone();
    dataset.subscriptions.push(Subscription {
        id: SubscriptionId::new("SUB-TRUTH"),
        customer,
        agreement: None,
        fee: Decimal::new(9900, 2),
        currency: "EUR".into(),
        frequency: BillingFrequency::Monthly,
        alignment: PeriodAlignment::Calendar,
        start: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        end: None,
    });
    dataset
}

/// Runs the main job over the first week of March and posts March's billing: the store then
/// holds generation keys, a plan, SLA snapshots, billed periods and transactions.
fn run_a_week(store: &mut dyn Store) {
    let anchor = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
    let now = Utc.with_ymd_and_hms(2027, 3, 1, 6, 0, 0).unwrap();
    let options = JobOptions::new(anchor, anchor + chrono::Duration::days(7), now);
    let rules = RuleSet::empty();
    run_main_job(store, &rules, &options, &mut NoProgress).unwrap();
    let model = store.load_model().unwrap();
    let ledger = store.billed_periods().unwrap();
    let run = bill(&model, &rules, "2027-03".parse().unwrap(), &ledger).unwrap();
    store.save_billing(&run.transactions, &run.billed).unwrap();
}

#[test]
fn the_hand_corpus_round_trips_in_both_stores_by_replace_and_by_merge() {
    let input = corpus();
    assert!(input.road_graph.is_some() && !input.boms.is_empty());
    assert!(!input.repair_codes.is_empty() && !input.return_reasons.is_empty());
    for mode in [ImportMode::Replace, ImportMode::Merge] {
        for (name, mut store) in stores() {
            store.import(input.clone(), mode).unwrap();
            let exported = store.export().unwrap();
            assert_eq!(normalised(&exported), normalised(&input), "{name} {mode:?}");
            // The model the engines see holds the sections too.
            let model = store.load_model().unwrap();
            assert_eq!(model.boms().len(), 2, "{name}");
            assert!(model.road_graph().is_some(), "{name}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3, ..ProptestConfig::default() })]

    /// Demo datasets of any seed, with the corpus's extra sections merged in: import → export
    /// is the input, in both stores; after a week of work (keys, plan, SLA, billing) export →
    /// replacing import → export is the same file, in both stores and across them.
    #[test]
    fn every_section_and_the_history_survive_import_and_export(seed in 0u64..1_000_000) {
        let mut input = small_demo(seed);
        let extra = corpus();
        input.repair_codes = extra.repair_codes;
        input.return_reasons = extra.return_reasons;
        input.boms = extra.boms;
        input.road_graph = extra.road_graph;
        input.extensions = extra.extensions;
        input.return_orders.clear();
        let mut backups = Vec::new();
        for (name, mut store) in stores() {
            store.import(input.clone(), ImportMode::Replace).unwrap();
            prop_assert_eq!(normalised(&store.export().unwrap()), normalised(&input), "{}", name);
            run_a_week(store.as_mut());
            let backup = store.export().unwrap();
            let history = backup.history.as_ref().expect("a history section");
            for section in ["generation_keys", "plans", "billed_periods", "transactions", "sla_snapshots"] {
                prop_assert!(
                    history[section].as_array().is_some_and(|a| !a.is_empty()),
                    "{}: empty {}", name, section
                );
            }
            backups.push(normalised(&backup));
        }
        // Every store computed the same week.
        for backup in &backups[1..] {
            prop_assert_eq!(&backups[0], backup);
        }
        let backup: Dataset = serde_json::from_value(backups[0].clone()).unwrap();
        for (name, mut store) in stores() {
            store.import(backup.clone(), ImportMode::Replace).unwrap();
            prop_assert_eq!(normalised(&store.export().unwrap()), normalised(&backup), "{}", name);
            // The restored ledger: billing March again bills nothing.
            let model = store.load_model().unwrap();
            let ledger = store.billed_periods().unwrap();
            let run = bill(&model, &RuleSet::empty(), "2027-03".parse().unwrap(), &ledger).unwrap();
            prop_assert!(run.transactions.is_empty(), "{}: billed again", name);
            // Every scheduled order is held by the restored plan.
            let plans = store.plans().unwrap();
            let plan = current_plan(&model, &plans).unwrap();
            let held: BTreeSet<_> = plan.routes.iter().flat_map(|r| &r.visits).map(|v| v.order.clone()).collect();
            for order in model.orders().iter().filter(|o| o.status() == fieldwork::model::OrderStatus::Scheduled) {
                prop_assert!(held.contains(&order.id), "{}: {} stranded", name, order.id);
            }
        }
    }
}

#[test]
fn merge_validates_every_section_against_the_merged_model() {
    for (name, mut store) in stores() {
        store.import(corpus(), ImportMode::Replace).unwrap();
        let before = normalised(&store.export().unwrap());
        // An order whose repair line names an unknown symptom code.
        let mut bad_code = Dataset::default();
        let mut order = corpus().orders[0].clone();
        order.repair_lines[0].symptom_code = "NO-SUCH".into();
        bad_code.orders.push(order);
        // A return order with an unknown reason code.
        let mut bad_reason = Dataset::default();
        let mut rma = corpus().return_orders[0].clone();
        rma.reason_code = "WHIM".into();
        bad_reason.return_orders.push(rma);
        // A road edge to an unknown zone.
        let mut bad_graph = Dataset::default();
        let mut graph = corpus().road_graph.unwrap();
        graph.edges[0].to = "nowhere".into();
        bad_graph.road_graph = Some(graph);
        // A repair stage removed from under an order cannot happen by merge (merge never
        // removes), but a stage code defined twice in the file is refused.
        for (bad, needle) in [
            (bad_code, "NO-SUCH"),
            (bad_reason, "WHIM"),
            (bad_graph, "nowhere"),
        ] {
            let err = store.import(bad, ImportMode::Merge).unwrap_err();
            assert!(matches!(err, StoreError::Model(_)), "{name}: {err}");
            assert!(err.to_string().contains(needle), "{name}: {err}");
        }
        assert_eq!(
            normalised(&store.export().unwrap()),
            before,
            "{name}: nothing written"
        );
        // A new return reason and a new BOM version merge in (and are exported back).
        let mut more = Dataset::default();
        let mut reason = corpus().return_reasons[0].clone();
        reason.code = "LATE".into();
        more.return_reasons.push(reason);
        let summary = store.import(more, ImportMode::Merge).unwrap();
        assert_eq!(summary.added.get("return_reasons"), Some(&1), "{name}");
        let codes: Vec<String> = store
            .export()
            .unwrap()
            .return_reasons
            .iter()
            .map(|r| r.code.clone())
            .collect();
        assert_eq!(codes, ["DEFECT", "WRONG", "LATE"], "{name}");
    }
}

#[test]
fn an_id_used_twice_in_the_file_is_refused_naming_section_and_id() {
    for (name, mut store) in stores() {
        store.import(corpus(), ImportMode::Replace).unwrap();
        let before = normalised(&store.export().unwrap());
        let base = corpus();
        let twice_order = Dataset {
            orders: vec![base.orders[1].clone(); 2],
            ..Dataset::default()
        };
        let twice_bom = Dataset {
            boms: vec![base.boms[0].clone(); 2],
            ..Dataset::default()
        };
        let twice_reason = Dataset {
            return_reasons: vec![base.return_reasons[0].clone(); 2],
            ..Dataset::default()
        };
        for (bad, section, id) in [
            (twice_order, "order", "SO-2"),
            (twice_bom, "boms", "CH-1"),
            (twice_reason, "return_reasons", "DEFECT"),
        ] {
            for mode in [ImportMode::Merge, ImportMode::Replace] {
                let err = store.import(bad.clone(), mode).unwrap_err().to_string();
                assert!(err.contains(section) && err.contains(id), "{name}: {err}");
            }
        }
        assert_eq!(
            normalised(&store.export().unwrap()),
            before,
            "{name}: nothing written"
        );
    }
}

#[test]
fn a_history_cannot_be_merged_and_a_history_naming_unknown_records_is_refused() {
    for (name, mut store) in stores() {
        store.import(small_demo(3), ImportMode::Replace).unwrap();
        run_a_week(store.as_mut());
        let backup = store.export().unwrap();
        let err = store.import(backup.clone(), ImportMode::Merge).unwrap_err();
        assert!(err.to_string().contains("history"), "{name}: {err}");
        // The history's plan refers to orders the dataset no longer holds.
        let mut orphan = backup.clone();
        orphan.orders.clear();
        let before = normalised(&store.export().unwrap());
        let err = store.import(orphan, ImportMode::Replace).unwrap_err();
        assert!(err.to_string().contains("unknown order"), "{name}: {err}");
        assert_eq!(normalised(&store.export().unwrap()), before, "{name}");
    }
}

/// The reproduction on the command line: `export` → `import --mode replace` →
/// `bill --period 2027-03` billed March's transactions a second time and stranded the
/// scheduled orders. Now the replace needs `--force` (saying what it drops), restores the
/// ledger and the plan, and March bills nothing.
#[test]
fn a_backup_restored_on_the_command_line_bills_nothing_twice_and_keeps_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    demo_db(d);
    let first = support::fieldwork_json(
        d,
        &["bill", "--db", "d.db", "--period", "2027-03", "--json"],
    );
    let billed = first["transactions"].as_array().unwrap().len();
    assert!(billed > 0);
    ok(fieldwork(
        d,
        &["export", "--db", "d.db", "--out", "backup.json"],
    ));
    // A merge of a file with an id used twice: exit 1, one error naming section and id.
    let twice = Dataset {
        return_reasons: vec![corpus().return_reasons[0].clone(); 2],
        ..Dataset::default()
    };
    std::fs::write(d.join("twice.json"), serde_json::to_string(&twice).unwrap()).unwrap();
    let refused = fieldwork(d, &["import", "twice.json", "--db", "d.db"]);
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert!(
        message.contains("return_reasons") && message.contains("DEFECT"),
        "{message}"
    );
    let before = std::fs::read_to_string(d.join("backup.json")).unwrap();

    let refused = fieldwork(
        d,
        &["import", "backup.json", "--mode", "replace", "--db", "d.db"],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    let message = stderr(&refused);
    assert!(message.contains("--force"), "{message}");
    assert!(
        message.contains(&format!("{billed} transactions")),
        "{message}"
    );
    assert!(message.contains("1 plans"), "{message}");

    ok(fieldwork(
        d,
        &[
            "import",
            "backup.json",
            "--mode",
            "replace",
            "--db",
            "d.db",
            "--force",
        ],
    ));
    let again = support::fieldwork_json(
        d,
        &["bill", "--db", "d.db", "--period", "2027-03", "--json"],
    );
    assert_eq!(
        again["transactions"].as_array().unwrap().len(),
        0,
        "{again}"
    );
    let periods = first["billed"].as_array().unwrap().len();
    assert_eq!(again["already_billed"].as_array().unwrap().len(), periods);
    ok(fieldwork(
        d,
        &["export", "--db", "d.db", "--out", "after.json"],
    ));
    let after = std::fs::read_to_string(d.join("after.json")).unwrap();
    assert_eq!(before, after, "export → import → export is the same file");

    // The board's source, the current plan, still holds every scheduled order.
    let store = SqliteStore::open(d.join("d.db")).unwrap();
    let model = store.load_model().unwrap();
    let plans = store.plans().unwrap();
    let plan = current_plan(&model, &plans).unwrap();
    // (Orders, not visits: a multi-day job's parts and a crew's members are one order.)
    let held = plan.kpis.orders_assigned;
    let scheduled = model
        .orders()
        .iter()
        .filter(|o| o.status() == fieldwork::model::OrderStatus::Scheduled)
        .count();
    assert!(scheduled > 0);
    assert_eq!(held, scheduled);
}
