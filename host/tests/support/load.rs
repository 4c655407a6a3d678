//! A bounded load on `fieldwork serve`: N concurrent clients for a fixed time, each looping
//! over a mix of reads (a page of orders, one order, one technician's plan), candidate
//! rankings and operations (a new priority on an open order: each one the server accepts is one
//! event in the order's history). It measures throughput and latency percentiles and checks
//! afterwards that every accepted operation is in the database exactly once — none lost, none
//! duplicated. Used by the short test in `tests/serve_load.rs` and by `benches/serve_load.rs`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::server::{agent, get, send, Server};

/// What a load run measured.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Requests answered.
    pub requests: usize,
    /// Requests per second over the run.
    pub throughput: f64,
    /// Latency percentiles over every request, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Per kind: (count, p50 ms, p99 ms).
    pub per_kind: BTreeMap<&'static str, (usize, f64, f64)>,
    /// Answers other than 2xx, by kind and status.
    pub errors: BTreeMap<String, usize>,
    /// Operations accepted (200) per order.
    pub accepted: BTreeMap<String, usize>,
    /// Orders whose recorded operations differ from the accepted ones (lost or duplicated).
    pub mismatches: Vec<String>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// A tiny deterministic generator (SplitMix64) so each client's mix is reproducible.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// Runs `clients` clients for `duration` against `server` with a dispatcher `token`:
/// 40% order pages, 20% one order, 15% a technician's plan, 10% candidates, 15% operations
/// (priority changes on `orders`, which must be open). Panics when an operation was lost or
/// duplicated.
pub fn run_load(
    server: &Server,
    token: &str,
    orders: &[String],
    technicians: &[String],
    clients: usize,
    duration: Duration,
) -> LoadReport {
    let samples: Arc<Mutex<Vec<(&'static str, f64)>>> = Arc::default();
    let errors: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let accepted: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let started = Instant::now();
    let levels = ["critical", "high", "normal", "low"];
    std::thread::scope(|scope| {
        for client in 0..clients {
            let (samples, errors, accepted) = (samples.clone(), errors.clone(), accepted.clone());
            let base = server.base.clone();
            scope.spawn(move || {
                let agent = agent();
                let mut mix = Mix(client as u64 + 1);
                let mut mine = Vec::new();
                while started.elapsed() < duration {
                    let roll = mix.next() % 100;
                    let t0 = Instant::now();
                    let (kind, answer, order) = if roll < 40 {
                        let offset = mix.next() % 50;
                        ("orders page", get(&agent, &format!("{base}/orders?limit=50&offset={offset}"), Some(token)), None)
                    } else if roll < 60 {
                        let order = mix.pick(orders);
                        ("one order", get(&agent, &format!("{base}/orders/{order}"), Some(token)), None)
                    } else if roll < 75 {
                        let tech = mix.pick(technicians);
                        ("technician plan", get(&agent, &format!("{base}/plan?technician={tech}"), Some(token)), None)
                    } else if roll < 85 {
                        let order = mix.pick(orders);
                        ("candidates", get(&agent, &format!("{base}/orders/{order}/candidates"), Some(token)), None)
                    } else {
                        let order = mix.pick(orders).clone();
                        let level = mix.pick(&levels);
                        let body = serde_json::json!({ "priority": level, "reason": format!("load client {client}") });
                        let answer = send(&agent, "POST", &format!("{base}/orders/{order}/priority"), Some(token), Some(&body));
                        ("operation", answer, Some(order))
                    };
                    let ms = t0.elapsed().as_secs_f64() * 1000.0;
                    mine.push((kind, ms));
                    if (200..300).contains(&answer.status) {
                        if let Some(order) = order {
                            *accepted.lock().unwrap().entry(order).or_default() += 1;
                        }
                    } else {
                        *errors
                            .lock()
                            .unwrap()
                            .entry(format!("{kind} {}: {}", answer.status, answer.text.chars().take(160).collect::<String>()))
                            .or_default() += 1;
                    }
                }
                samples.lock().unwrap().extend(mine);
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let samples = samples.lock().unwrap().clone();
    let mut all: Vec<f64> = samples.iter().map(|(_, ms)| *ms).collect();
    all.sort_by(f64::total_cmp);
    let mut per_kind = BTreeMap::new();
    for kind in [
        "orders page",
        "one order",
        "technician plan",
        "candidates",
        "operation",
    ] {
        let mut ms: Vec<f64> = samples
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, ms)| *ms)
            .collect();
        ms.sort_by(f64::total_cmp);
        per_kind.insert(
            kind,
            (ms.len(), percentile(&ms, 50.0), percentile(&ms, 99.0)),
        );
    }
    let report = LoadReport {
        requests: all.len(),
        throughput: all.len() as f64 / elapsed,
        p50_ms: percentile(&all, 50.0),
        p99_ms: percentile(&all, 99.0),
        per_kind,
        errors: errors.lock().unwrap().clone(),
        accepted: accepted.lock().unwrap().clone(),
        mismatches: Vec::new(),
    };
    LoadReport {
        mismatches: check_operations(server, token, &report.accepted, orders),
        ..report
    }
}

/// Every accepted operation is one `priority` event with a load client's reason in its
/// order's history: none lost, none duplicated. Returns the orders where that is not so.
fn check_operations(
    server: &Server,
    token: &str,
    accepted: &BTreeMap<String, usize>,
    orders: &[String],
) -> Vec<String> {
    let marker = "load client ";
    let mut mismatches = Vec::new();
    for order in orders {
        let count = accepted.get(order).copied().unwrap_or(0);
        let shown = server.get(&format!("/orders/{order}"), Some(token)).json();
        let recorded = shown["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| {
                h["action"] == "priority"
                    && h["reason"].as_str().is_some_and(|r| r.starts_with(marker))
            })
            .count();
        if recorded != count {
            mismatches.push(format!(
                "order {order}: {count} priority operations accepted, {recorded} recorded"
            ));
        }
    }
    mismatches
}

impl LoadReport {
    /// A few lines for people.
    pub fn render(&self, clients: usize, seconds: f64) -> String {
        let mut text = format!(
            "{clients} clients, {seconds:.0} s: {} requests, {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms\n",
            self.requests, self.throughput, self.p50_ms, self.p99_ms
        );
        for (kind, (n, p50, p99)) in &self.per_kind {
            text.push_str(&format!(
                "  {kind:<16} {n:>7}  p50 {p50:>8.1} ms  p99 {p99:>8.1} ms\n"
            ));
        }
        let ops: usize = self.accepted.values().sum();
        text.push_str(&format!(
            "  operations accepted {ops} on {} orders, each recorded exactly once\n",
            self.accepted.len()
        ));
        for m in &self.mismatches {
            text.push_str(&format!("  MISMATCH: {m}\n"));
        }
        for (e, n) in &self.errors {
            text.push_str(&format!("  not 2xx: {n} × {e}\n"));
        }
        text
    }
}

/// The scheduled orders of the current plan and the technicians with visits (the load's
/// targets).
pub fn open_orders_and_technicians(server: &Server, token: &str) -> (Vec<String>, Vec<String>) {
    let plan = server.get("/plan", Some(token)).json();
    let mut orders = Vec::new();
    let mut technicians = Vec::new();
    for route in plan["routes"].as_array().unwrap() {
        let tech = route["technician"].as_str().unwrap().to_owned();
        if !technicians.contains(&tech) {
            technicians.push(tech);
        }
        for visit in route["visits"].as_array().unwrap() {
            orders.push(visit["order"].as_str().unwrap().to_owned());
        }
    }
    // Only orders a priority change applies to (open ones).
    let open: Vec<String> = orders
        .into_iter()
        .filter(|o| {
            let shown = server.get(&format!("/orders/{o}"), Some(token)).json();
            matches!(shown["status"].as_str(), Some("scheduled" | "created"))
        })
        .take(60)
        .collect();
    (open, technicians)
}
