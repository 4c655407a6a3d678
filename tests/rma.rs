//! Integration tests of return orders: every lifecycle transition legal and illegal, the
//! built-in disposition rule, every disposition's action, and the steps end to end.

use chrono::{DateTime, TimeZone, Utc};
use fieldwork::billing::{TransactionKind, TransactionSource};
use fieldwork::model::ReturnStatus::*;
use fieldwork::model::*;
use fieldwork::rma::*;
use rust_decimal::Decimal;
use serde_json::json;

const ALL: [ReturnStatus; 5] = [Created, Received, Inspected, DispositionExecuted, Closed];

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 10, 8, 0, 0).unwrap()
}

/// Objects: under warranty until the RMA's day, out of warranty, not repairable.
fn model() -> Model {
    Model::from_json(
        &json!({
            "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
                           "location": {"lat": 0, "lon": 0}}],
            "service_objects": [
                {"id": "WARRANTY", "customer": "C-1", "serial": "1", "model": "PUMP",
                 "warranty_end": "2027-03-01"},
                {"id": "EXPIRED", "customer": "C-1", "serial": "2", "model": "PUMP",
                 "warranty_end": "2027-02-28"},
                {"id": "JUNK", "customer": "C-1", "serial": "3", "model": "PUMP",
                 "repairable": false}],
            "return_reasons": [{"code": "DEFECT", "description": "Defective on arrival"}],
            "return_orders": [{"id": "RMA-1", "customer": "C-1", "reason_code": "DEFECT",
                "status": "created", "created_at": "2027-03-01T09:00:00Z", "currency": "EUR",
                "lines": [
                    {"line": 1, "service_object": "WARRANTY", "item": "PUMP", "quantity": "1"},
                    {"line": 2, "service_object": "EXPIRED", "item": "PUMP", "quantity": "1"},
                    {"line": 3, "service_object": "JUNK", "item": "PUMP", "quantity": "1"},
                    {"line": 4, "item": "GASKET", "quantity": "10"},
                    {"line": 5, "item": "FILTER", "quantity": "3", "value": "12.345",
                     "disposition": "credit"}]}]
        })
        .to_string(),
    )
    .unwrap()
}

fn rma(m: &Model) -> ReturnOrder {
    m.return_order(&ReturnOrderId::new("RMA-1"))
        .unwrap()
        .clone()
}

#[test]
fn every_transition_is_legal_or_illegal_as_documented() {
    let legal = [
        (Created, Received),
        (Received, Inspected),
        (Inspected, DispositionExecuted),
        (DispositionExecuted, Closed),
    ];
    let m = model();
    for from in ALL {
        for to in ALL {
            assert_eq!(
                can_transition(from, to),
                legal.contains(&(from, to)),
                "{from} -> {to}"
            );
            let mut r = rma(&m);
            r.status = from;
            for line in &mut r.lines {
                line.disposition = Some(DispositionCode::Scrap);
            }
            let result = transition(&mut r, to);
            if legal.contains(&(from, to)) {
                assert!(result.is_ok(), "{from} -> {to}");
                assert_eq!(r.status, to);
            } else {
                assert_eq!(
                    result,
                    Err(RmaError::IllegalTransition {
                        rma: ReturnOrderId::new("RMA-1"),
                        from,
                        to
                    })
                );
                assert_eq!(r.status, from, "unchanged after {from} -> {to}");
            }
        }
    }
    assert_eq!(
        transition(&mut rma(&m), Closed).unwrap_err().to_string(),
        "return order RMA-1: illegal transition created -> closed"
    );
}

#[test]
fn inspection_and_execution_need_a_disposition_on_every_line() {
    let m = model();
    let mut r = rma(&m);
    r.status = Received;
    assert_eq!(
        transition(&mut r, Inspected),
        Err(RmaError::MissingDisposition {
            rma: r.id.clone(),
            line: 1
        })
    );
    r.status = Inspected;
    assert!(matches!(
        transition(&mut r, DispositionExecuted),
        Err(RmaError::MissingDisposition { line: 1, .. })
    ));
    assert_eq!(r.status, Inspected);
}

#[test]
fn the_built_in_rule_replaces_under_warranty_else_repairs_or_scraps() {
    let m = model();
    let decisions = decide_dispositions(&m, &rma(&m), &BuiltInDisposition).unwrap();
    let got: Vec<(u32, DispositionCode, DecidedBy)> = decisions
        .iter()
        .map(|d| (d.line, d.disposition, d.decided_by))
        .collect();
    use DispositionCode::*;
    assert_eq!(
        got,
        [
            // Warranty ends on the day the RMA was authorised: still covered.
            (1, Replace, DecidedBy::BuiltIn),
            (2, Repair, DecidedBy::BuiltIn),
            (3, Scrap, DecidedBy::BuiltIn),
            // No registered object, not a wrong delivery.
            (4, Scrap, DecidedBy::BuiltIn),
            // Recorded by a person: kept.
            (5, Credit, DecidedBy::Recorded),
        ]
    );
    assert_eq!(decisions[0].reason, "under warranty until 2027-03-01");
}

#[test]
fn every_disposition_implies_its_action() {
    let m = model();
    let r = rma(&m);
    let line = |n: usize| &r.lines[n];

    // Credit: −(value × quantity) rounded half-up: 12.345 × 3 = 37.035 → −37.04.
    let Action::Credit { transaction, .. } =
        action_for(&r, line(4), DispositionCode::Credit, at()).unwrap()
    else {
        panic!("not a credit")
    };
    assert_eq!(transaction.amount, "-37.04".parse::<Decimal>().unwrap());
    assert_eq!(transaction.kind, TransactionKind::Credit);
    assert_eq!(transaction.currency, "EUR");
    assert_eq!(transaction.id, "RMA-1/5/credit");
    assert_eq!(transaction.date.to_string(), "2027-03-10");
    assert_eq!(
        transaction.source,
        TransactionSource::ReturnOrder {
            rma: r.id.clone(),
            line: 5
        }
    );
    let mut no_currency = r.clone();
    no_currency.currency = None;
    assert_eq!(
        action_for(&no_currency, line(4), DispositionCode::Credit, at()),
        Err(RmaError::MissingCurrency {
            rma: r.id.clone(),
            line: 5
        })
    );

    // Replace: a replacement order for the customer, one item line, not charged.
    let Action::Replace { order, .. } =
        action_for(&r, line(0), DispositionCode::Replace, at()).unwrap()
    else {
        panic!("not a replacement")
    };
    assert_eq!(order.id.as_str(), "RMA-1-1-REPLACE");
    assert_eq!(order.customer.as_str(), "C-1");
    assert_eq!(
        order.origin,
        OrderOrigin::ReturnOrder {
            rma: r.id.clone(),
            line: 1
        }
    );
    assert_eq!(order.created_at, at());
    assert_eq!(order.lines.len(), 1);
    assert_eq!(order.lines[0].kind, LineKind::Item);
    assert_eq!(order.lines[0].quantity, Decimal::ONE);
    assert_eq!(order.total_amount(), Decimal::ZERO);

    // Repair: a service order on the returned object.
    let Action::Repair { order, .. } =
        action_for(&r, line(1), DispositionCode::Repair, at()).unwrap()
    else {
        panic!("not a repair")
    };
    assert_eq!(order.id.as_str(), "RMA-1-2-REPAIR");
    assert_eq!(order.service_object, Some(ServiceObjectId::new("EXPIRED")));
    assert_eq!(order.status(), OrderStatus::Created);
    assert!(order.description.contains("reason DEFECT"));

    // Scrap and return to customer: records of what leaves where.
    assert_eq!(
        action_for(&r, line(2), DispositionCode::Scrap, at()).unwrap(),
        Action::Scrap {
            line: 3,
            item: "PUMP".into(),
            quantity: Decimal::ONE,
            service_object: Some(ServiceObjectId::new("JUNK"))
        }
    );
    let back = action_for(&r, line(3), DispositionCode::ReturnToCustomer, at()).unwrap();
    assert_eq!(
        back,
        Action::ReturnToCustomer {
            line: 4,
            item: "GASKET".into(),
            quantity: Decimal::from(10),
            service_object: None
        }
    );
    assert_eq!(back.summary(), "ship 10 x GASKET back to the customer");
    assert_eq!(back.disposition(), DispositionCode::ReturnToCustomer);
}

#[test]
fn the_steps_end_to_end_and_the_orders_fit_the_model() {
    let mut m = model();
    let mut r = rma(&m);
    assert!(
        inspect(&m, &mut r, &BuiltInDisposition).is_err(),
        "not received yet"
    );
    assert!(execute_dispositions(&m, &mut r, at()).is_err());
    receive(&mut r).unwrap();
    let decisions = inspect(&m, &mut r, &BuiltInDisposition).unwrap();
    assert_eq!(decisions.len(), 5);
    assert_eq!(r.status, Inspected);
    assert!(r.lines.iter().all(|l| l.disposition.is_some()));

    let before = r.clone();
    let actions = execute_dispositions(&m, &mut r, at()).unwrap();
    assert_eq!(r.status, DispositionExecuted);
    let kinds: Vec<&str> = actions.iter().map(|a| a.disposition().as_str()).collect();
    assert_eq!(kinds, ["replace", "repair", "scrap", "scrap", "credit"]);
    // The orders are valid orders of the model.
    for order in actions.iter().filter_map(Action::order) {
        m.add_order(order.clone()).unwrap();
    }
    assert_eq!(m.orders().len(), 2);

    // Executing again from the inspected state would create existing orders.
    let mut again = before;
    assert!(matches!(
        execute_dispositions(&m, &mut again, at()),
        Err(RmaError::OrderIdTaken { line: 1, .. })
    ));
    assert_eq!(again.status, Inspected);

    close(&mut r).unwrap();
    assert_eq!(r.status, Closed);
    assert!(close(&mut r).is_err());
}

#[test]
fn review_shows_dispositions_and_actions_without_changing_anything() {
    let m = model();
    let review = review(&m, &ReturnOrderId::new("RMA-1"), &BuiltInDisposition, at()).unwrap();
    assert_eq!(review.rma.status, Created);
    assert_eq!(review.next_status, Some(Received));
    assert_eq!(
        review.reason.as_ref().map(|r| r.description.as_str()),
        Some("Defective on arrival")
    );
    assert_eq!(review.actions.len(), 5);
    assert_eq!(
        review.actions[1].summary(),
        "repair order RMA-1-2-REPAIR for object EXPIRED"
    );
    assert_eq!(
        fieldwork::rma::review(&m, &ReturnOrderId::new("NOPE"), &BuiltInDisposition, at())
            .unwrap_err()
            .to_string(),
        "unknown return order `NOPE`"
    );
    let json = serde_json::to_value(&review).unwrap();
    assert_eq!(json["actions"][4]["action"], "credit");
    assert_eq!(json["actions"][4]["transaction"]["amount"], "-37.04");
}

#[test]
fn the_shipped_disposition_rule_agrees_with_the_built_in_one() {
    let rules = fieldwork::rules::RuleSet::load_dir("rules").unwrap();
    let m = model();
    for reason in ["DEFECT", WRONG_ITEM] {
        let mut r = rma(&m);
        r.reason_code = reason.into();
        let by_rule = decide_dispositions(&m, &r, &RuleDisposition(&rules)).unwrap();
        let built_in = decide_dispositions(&m, &r, &BuiltInDisposition).unwrap();
        for (a, b) in by_rule.iter().zip(&built_in) {
            assert_eq!(
                (a.line, a.disposition, &a.reason),
                (b.line, b.disposition, &b.reason)
            );
            let expected = if b.decided_by == DecidedBy::Recorded {
                DecidedBy::Recorded
            } else {
                DecidedBy::Rule
            };
            assert_eq!(a.decided_by, expected);
        }
    }
}

#[test]
fn disposition_hook_answers_and_errors() {
    let m = model();
    let decide = |source: &str| {
        let rules = fieldwork::rules::RuleSet::from_sources(&[("rma.rhai", source)]).unwrap();
        decide_dispositions(&m, &rma(&m), &RuleDisposition(&rules))
    };
    // A plain string; the reason then names the rule.
    let d = decide("fn disposition(rma, line, object) { \"return_to_customer\" }").unwrap();
    assert!(d[..4]
        .iter()
        .all(|d| d.disposition == DispositionCode::ReturnToCustomer
            && d.reason == "rule: return_to_customer"));
    assert_eq!(
        d[4].disposition,
        DispositionCode::Credit,
        "recorded lines are not asked"
    );
    // () falls back to the built-in rule for that line.
    let d = decide(
        "fn disposition(rma, line, object) { if line.line == 2 { \"credit\" } else { () } }",
    )
    .unwrap();
    assert_eq!(
        d.iter().map(|d| d.decided_by).collect::<Vec<_>>(),
        [
            DecidedBy::BuiltIn,
            DecidedBy::Rule,
            DecidedBy::BuiltIn,
            DecidedBy::BuiltIn,
            DecidedBy::Recorded
        ]
    );
    // Unknown names and maps without an action are errors naming the line and the rule file.
    let err = decide("fn disposition(rma, line, object) {\n  \"recycle\"\n}").unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("return order RMA-1: line 1: rma.rhai:1"),
        "{text}"
    );
    assert!(text.contains("return_to_customer"), "{text}");
    let err = decide("fn disposition(rma, line, object) { #{ reason: \"x\" } }").unwrap_err();
    assert!(err.to_string().contains("action"), "{err}");
    let err = decide("fn disposition(rma, line, object) {\n  object.nope\n}").unwrap_err();
    assert!(matches!(err, RmaError::Rule { line: 1, .. }), "{err}");
}
