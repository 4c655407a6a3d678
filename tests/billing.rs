//! Integration tests of subscription billing: the March example, proration sums, rounding
//! cases, idempotency, indexation, quarterly/yearly periods and revenue recognition.

use std::collections::{BTreeSet, HashSet};

use fieldwork::billing::*;
use fieldwork::model::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn month(s: &str) -> Month {
    s.parse().unwrap()
}

fn model(subscriptions: Value) -> Model {
    Model::from_json(
        &json!({
            "customers": [{"id": "C-1", "name": "Acme", "tier": "gold", "time_zone": "UTC",
                           "location": {"lat": 0, "lon": 0}}],
            "subscriptions": subscriptions
        })
        .to_string(),
    )
    .unwrap()
}

fn sub(fee: &str, frequency: &str, start: &str, end: Option<&str>) -> Value {
    let mut s = json!({"id": "S-1", "customer": "C-1", "fee": fee, "currency": "EUR",
                       "frequency": frequency, "start": start});
    if let Some(end) = end {
        s["end"] = json!(end);
    }
    s
}

fn amounts(run: &BillingRun) -> Vec<String> {
    run.transactions
        .iter()
        .map(|t| format!("{} {}", t.kind, t.amount))
        .collect()
}

fn bill_once(m: &Model, period: &str) -> BillingRun {
    bill_with(m, month(period), &BTreeSet::new(), &ListPrice).unwrap()
}

#[test]
fn a_200_eur_monthly_fee_reduced_for_2_of_31_days_in_march_yields_minus_12_90() {
    // The subscription ends on 29 March: 30 and 31 March are not covered.
    let run = bill_once(
        &model(json!([sub(
            "200.00",
            "monthly",
            "2027-01-01",
            Some("2027-03-29")
        )])),
        "2027-03",
    );
    assert_eq!(amounts(&run), ["fee 200.00", "proration -12.90"]);
    let proration = &run.transactions[1];
    assert_eq!(proration.id, "S-1/2027-03-01/proration-after");
    assert_eq!(
        proration.service.unwrap().to_string(),
        "2027-03-30..2027-03-31"
    );
    assert!(proration.description.contains("2 of 31 days"));
    assert_eq!(run.totals()["EUR"], dec("187.10"));

    // The same reduction at the start of the month.
    let run = bill_once(
        &model(json!([sub("200.00", "monthly", "2027-03-03", None)])),
        "2027-03",
    );
    assert_eq!(amounts(&run), ["fee 200.00", "proration -12.90"]);
    assert_eq!(run.transactions[1].id, "S-1/2027-03-01/proration-before");
}

#[test]
fn rounding_cases() {
    // (fee, start, end, expected transactions)
    let cases: [(&str, &str, Option<&str>, &[&str]); 6] = [
        // Half of February.
        (
            "100.00",
            "2027-02-15",
            None,
            &["fee 100.00", "proration -50.00"],
        ),
        // 10 of 30 April days: 33.33 exactly representable, 99.99 - 33.33 = 66.66.
        (
            "99.99",
            "2027-04-11",
            None,
            &["fee 99.99", "proration -33.33"],
        ),
        // 1 + 1 uncovered days of 31: 0.3226 → 0.32 each, covered 9.3548 → 9.35; the parts
        // miss 10.00 by a cent, which goes to the part rounded down the most (the covered
        // days): net 9.36.
        (
            "10.00",
            "2027-03-02",
            Some("2027-03-30"),
            &["fee 10.00", "proration -0.32", "proration -0.32"],
        ),
        // Half-cent ties: 1.25 over 3 + 27 April days = 0.125 and 1.125, both rounded up to
        // 0.13 + 1.13 = 1.26; the earlier part (the uncovered days before the start) gives the
        // cent back.
        ("1.25", "2027-04-04", None, &["fee 1.25", "proration -0.12"]),
        // The same days after the end: now the covered days are the earlier part.
        (
            "1.25",
            "2027-01-01",
            Some("2027-04-27"),
            &["fee 1.25", "proration -0.13"],
        ),
        // The fee itself is rounded half-up to cents first.
        ("100.005", "2027-03-01", None, &["fee 100.01"]),
    ];
    for (fee, start, end, expected) in cases {
        let run = bill_once(&model(json!([sub(fee, "monthly", start, end)])), {
            // Bill the month of the case's partial period.
            if start.starts_with("2027-01") {
                "2027-04"
            } else {
                &start[..7]
            }
        });
        assert_eq!(amounts(&run), expected, "fee {fee} from {start} to {end:?}");
        let net: Decimal = run.transactions.iter().map(|t| t.amount).sum();
        assert_eq!(
            run.recognition.iter().map(|r| r.amount).sum::<Decimal>(),
            net
        );
    }
}

#[test]
fn billing_the_same_period_twice_creates_nothing_new() {
    let m = model(json!([
        sub("200.00", "monthly", "2027-01-10", None),
        {"id": "S-2", "customer": "C-1", "fee": "900.00", "currency": "EUR",
         "frequency": "quarterly", "start": "2027-01-01"}
    ]));
    let mut ledger: HashSet<BillingKey> = HashSet::new();
    let mut all_ids = HashSet::new();
    for period in ["2027-01", "2027-02", "2027-03", "2027-04"] {
        let first = bill_with(&m, month(period), &ledger, &ListPrice).unwrap();
        assert!(!first.transactions.is_empty(), "{period}");
        for t in &first.transactions {
            assert!(all_ids.insert(t.id.clone()), "transaction {} twice", t.id);
        }
        ledger.extend(first.billed.iter().cloned());
        let again = bill_with(&m, month(period), &ledger, &ListPrice).unwrap();
        assert!(again.transactions.is_empty() && again.billed.is_empty());
        assert!(again.recognition.is_empty());
        assert_eq!(again.already_billed, first.billed);
    }
    assert_eq!(
        ledger
            .iter()
            .map(ToString::to_string)
            .collect::<BTreeSet<_>>(),
        [
            "S-1@2027-01-01",
            "S-1@2027-02-01",
            "S-1@2027-03-01",
            "S-1@2027-04-01",
            "S-2@2027-01-01",
            "S-2@2027-04-01"
        ]
        .map(String::from)
        .into()
    );
    // A key held for one subscription does not hide another's period.
    let only_s2: BTreeSet<BillingKey> = ledger
        .iter()
        .filter(|k| k.subscription.as_str() == "S-2")
        .cloned()
        .collect();
    let run = bill_with(&m, month("2027-04"), &only_s2, &ListPrice).unwrap();
    assert_eq!(run.billed.len(), 1);
    assert_eq!(run.billed[0].subscription.as_str(), "S-1");
}

#[test]
fn quarterly_and_yearly_fees_are_billed_once_per_period_and_recognised_monthly() {
    let m = model(json!([
        {"id": "Q", "customer": "C-1", "fee": "300.00", "currency": "EUR",
         "frequency": "quarterly", "start": "2027-02-16"},
        {"id": "Y", "customer": "C-1", "fee": "1200.00", "currency": "EUR",
         "frequency": "yearly", "alignment": "start", "start": "2027-03-01"}
    ]));
    // February: the partial first quarter (16 Feb – 31 Mar: 44 of 90 days).
    let feb = bill_once(&m, "2027-02");
    assert_eq!(amounts(&feb), ["fee 300.00", "proration -153.33"]);
    let spread: Vec<String> = feb
        .recognition
        .iter()
        .map(|r| format!("{} {} {}", r.month, r.days, r.amount))
        .collect();
    // 146.67 over 13/28 of February and all of March: 146.67 × (13/28) / (1 + 13/28) = 46.505…
    assert_eq!(spread, ["2027-02 13 46.51", "2027-03 31 100.16"]);

    // March: the yearly fee, recognised in twelve equal parts.
    let mar = bill_once(&m, "2027-03");
    assert_eq!(amounts(&mar), ["fee 1200.00"]);
    assert_eq!(mar.recognition.len(), 12);
    assert!(mar.recognition.iter().all(|r| r.amount == dec("100.00")));
    assert_eq!(mar.recognition[11].month, month("2028-02"));

    // April: the second quarter, three equal months; May and June bill nothing.
    let apr = bill_once(&m, "2027-04");
    assert_eq!(amounts(&apr), ["fee 300.00"]);
    assert_eq!(
        apr.recognition.iter().map(|r| r.amount).collect::<Vec<_>>(),
        [dec("100.00"); 3]
    );
    assert!(bill_once(&m, "2027-05").transactions.is_empty());
    assert!(bill_once(&m, "2027-06").transactions.is_empty());
}

/// Yearly 2% indexation as a price source: the list fee compounded once per full year.
struct Indexed;

impl PriceSource for Indexed {
    fn price(&self, s: &Subscription, p: &InvoicePeriod) -> Result<Decimal, BillingError> {
        let mut price = s.fee;
        for _ in 0..p.years_since_start(s.start) {
            price *= dec("1.02");
        }
        Ok(price)
    }
}

#[test]
fn prices_can_change_over_time() {
    let m = model(json!([sub("200.00", "monthly", "2025-03-15", None)]));
    let at = |period: &str| {
        bill_with(&m, month(period), &BTreeSet::new(), &Indexed)
            .unwrap()
            .transactions[0]
            .amount
    };
    assert_eq!(at("2026-02"), dec("200.00"));
    // The period starting 1 March 2026 begins before the first anniversary (15 March).
    assert_eq!(at("2026-03"), dec("200.00"));
    assert_eq!(at("2026-04"), dec("204.00"));
    assert_eq!(at("2027-04"), dec("208.08"));
}

#[test]
fn a_negative_price_is_an_error_naming_the_subscription() {
    struct Negative;
    impl PriceSource for Negative {
        fn price(&self, _: &Subscription, _: &InvoicePeriod) -> Result<Decimal, BillingError> {
            Ok(dec("-1"))
        }
    }
    let m = model(json!([sub("200.00", "monthly", "2027-01-01", None)]));
    let err = bill_with(&m, month("2027-03"), &BTreeSet::new(), &Negative).unwrap_err();
    assert_eq!(
        err.to_string(),
        "subscription S-1, period 2027-03-01..2027-03-31: negative price -1.00"
    );
}

fn frequency() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("monthly"), Just("quarterly"), Just("yearly")]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// For random subscriptions billed month by month: each period's prorations and fee add up
    /// to its net, the net is within a cent of the exact day share (the reference: fee ×
    /// covered days / period days), the recognition adds up to the net, and every covered day
    /// is billed once.
    #[test]
    fn proration_sums(
        cents in 0i64..10_000_000,
        freq in frequency(),
        calendar in any::<bool>(),
        start in 0i64..500,
        length in proptest::option::of(0i64..800),
    ) {
        let base = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let start_date = base + chrono::Duration::days(start);
        let end_date = length.map(|l| start_date + chrono::Duration::days(l));
        let fee = Decimal::new(cents, 2);
        let mut s = sub(&fee.to_string(), freq, &start_date.to_string(),
                        end_date.map(|d| d.to_string()).as_deref());
        s["alignment"] = json!(if calendar { "calendar" } else { "start" });
        let m = model(json!([s]));
        let mut covered_days = 0u32;
        let mut m_iter = Month::of(start_date);
        for _ in 0..30 {
            let run = bill_with(&m, m_iter, &BTreeSet::new(), &ListPrice).unwrap();
            if let Some(key) = run.billed.first() {
                let fee_tx = &run.transactions[0];
                prop_assert_eq!(fee_tx.kind, TransactionKind::Fee);
                prop_assert_eq!(fee_tx.amount, fee);
                let period = fee_tx.service.unwrap();
                prop_assert_eq!(period.start, key.period_start);
                let net: Decimal = run.transactions.iter().map(|t| t.amount).sum();
                let uncovered: u32 = run.transactions[1..]
                    .iter()
                    .map(|t| {
                        assert!(t.amount <= Decimal::ZERO);
                        t.service.unwrap().days()
                    })
                    .sum();
                let covered = period.days() - uncovered;
                covered_days += covered;
                let exact = fee * Decimal::from(covered) / Decimal::from(period.days());
                prop_assert!((net - exact).abs() < dec("0.01"), "net {} exact {}", net, exact);
                let recognised: Decimal = run.recognition.iter().map(|r| r.amount).sum();
                prop_assert_eq!(recognised, net);
                prop_assert_eq!(run.recognition.iter().map(|r| r.days).sum::<u32>(), covered);
            }
            m_iter = m_iter.next().unwrap();
        }
        if let Some(l) = length {
            if l < 600 {
                prop_assert_eq!(i64::from(covered_days), l + 1);
            }
        }
    }
}

#[test]
fn indexation_via_the_shipped_subscription_price_hook() {
    let rules = fieldwork::rules::RuleSet::load_dir("rules").unwrap();
    let m = model(json!([sub("200.00", "monthly", "2025-03-15", None)]));
    let at = |period: &str| {
        let run = bill(&m, &rules, month(period), &BTreeSet::new()).unwrap();
        amounts(&run)
    };
    assert_eq!(
        at("2026-03"),
        ["fee 200.00"],
        "before the first anniversary"
    );
    assert_eq!(at("2026-04"), ["fee 204.00"]);
    // 200 × 1.02² = 208.08; × 1.02³ = 212.2416 → 212.24.
    assert_eq!(at("2027-04"), ["fee 208.08"]);
    assert_eq!(at("2028-04"), ["fee 212.24"]);
    // The first, partial period: the full-period price of the hook, then prorated.
    assert_eq!(at("2025-03"), ["fee 200.00", "proration -90.32"]);

    // Indexation and idempotency together: the ledger still decides what is new.
    let mut ledger = BTreeSet::new();
    let first = bill(&m, &rules, month("2027-04"), &ledger).unwrap();
    ledger.extend(first.billed);
    assert!(bill(&m, &rules, month("2027-04"), &ledger)
        .unwrap()
        .transactions
        .is_empty());
}

#[test]
fn price_hook_errors_name_the_subscription_and_the_rule_position() {
    let m = model(json!([sub("200.00", "monthly", "2027-01-01", None)]));
    let price = |source: &str| {
        let rules = fieldwork::rules::RuleSet::from_sources(&[("billing.rhai", source)]).unwrap();
        bill(&m, &rules, month("2027-03"), &BTreeSet::new())
    };
    let err = price("fn subscription_price(s, p) {\n    \"free\"\n}").unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("subscription S-1, period 2027-03-01..2027-03-31: billing.rhai:1"),
        "{text}"
    );
    assert!(text.contains("decimal"), "{text}");
    let err = price("fn subscription_price(s, p) {\n    s.fee / 0\n}").unwrap_err();
    assert!(err.to_string().contains("billing.rhai:2"), "{err}");
    // () keeps the list fee; an int is a price.
    let run = price("fn subscription_price(s, p) { () }").unwrap();
    assert_eq!(amounts(&run), ["fee 200.00"]);
    let run = price("fn subscription_price(s, p) { p.days * 10 }").unwrap();
    assert_eq!(amounts(&run), ["fee 310.00"]);
    // A price out of range is the rule's mistake: located at the hook (#14 item 8).
    let err = price("fn subscription_price(s, p) { -1 }").unwrap_err();
    assert!(matches!(err, BillingError::Rule { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "subscription S-1, period 2027-03-01..2027-03-31: billing.rhai:1:4: hook \
         `subscription_price` returned int -1, expected a price of at least 0"
    );
    assert_eq!(MAX_PRICE.to_string(), "1000000000000000");
    let err = price("fn subscription_price(s, p) { s.fee * 10000000000000 }").unwrap_err();
    assert!(matches!(err, BillingError::Rule { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("subscription S-1, period 2027-03-01..2027-03-31: billing.rhai:1:4: "),
        "{text}"
    );
    assert!(
        text.ends_with("expected a price of at most 1000000000000000"),
        "{text}"
    );
}
