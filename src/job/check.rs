//! Running the rules' hooks on a sample model, for `fieldwork check`: what a static check cannot
//! see (a misspelt weight, a calendar that does not exist, a value of the wrong shape, a hook
//! that runs into a limit) shows on the first call, so `check` makes that call before any run
//! does.
//!
//! [`probe_rules`] calls, on [`sample_model`] (the demo dataset, seed 42, anchored on
//! 2027-03-01):
//!
//! * the **once-per-run** hook `dispatch_policy` exactly as a run does (the dispatcher is built
//!   from it: weights, work rules, scales, travel, and a weight for every `score_<name>`);
//! * each **per-item** hook once on a sample item, through the engine that calls it in a run, so
//!   the answer is validated by the same code: `sla_targets` on the first order and on the first
//!   order under an agreement; `adjust_occurrence` on the first agreement line's first
//!   occurrence; `disposition` on the first line of the first return order;
//!   `subscription_price` on the first period of the first subscription;
//! * the **per-technician and per-pair** hooks (`technician_profile`, `order_profile`,
//!   `eligible`, `score_<name>`) by ranking every technician for the first open order.
//!
//! A hook that passes here can still fail on other data (a branch the sample does not reach);
//! the engines then report it, located, when they call it.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::billing::invoice_period;
use crate::billing::PriceSource;
use crate::billing::RulePrice;
use crate::demo::generate;
use crate::demo::DemoOptions;
use crate::dispatch::rank_candidates;
use crate::dispatch::Dispatcher;
use crate::model::Model;
use crate::recurrence::LineContext;
use crate::recurrence::NonBusinessDay;
use crate::recurrence::OccurrenceAdjuster;
use crate::recurrence::RuleAdjuster;
use crate::rma::DispositionSource;
use crate::rma::RuleDisposition;
use crate::rules::check_dir;
use crate::rules::Diagnostic;
use crate::rules::Location;
use crate::rules::RuleSet;
use crate::rules::Severity;
use crate::rules::SCORE_PREFIX;
use crate::sla::targets_for;

/// The seed of [`sample_model`].
pub const SAMPLE_SEED: u64 = 42;

/// The demo's "today" in [`sample_model`] and the instant hooks are probed at (08:00 UTC).
pub fn sample_anchor() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 3, 1).unwrap_or_default()
}

/// The sample model [`probe_rules`] runs the hooks on: the demo dataset (300 customers, 40
/// technicians, agreements, subscriptions and return orders). `None` only if the demo
/// generator produced an invalid dataset (a bug, covered by its tests).
pub fn sample_model() -> Option<Model> {
    Model::from_dataset(generate(&DemoOptions::new(SAMPLE_SEED, sample_anchor()))).ok()
}

/// Calls the hooks the rules define on [`sample_model`] (see the module documentation) and
/// returns one error [`Diagnostic`] per hook that failed, located where the error is (the
/// hook's definition when the error has no position of its own). Empty when every call
/// succeeded.
///
/// ```
/// use fieldwork::job::probe_rules;
/// use fieldwork::rules::RuleSet;
/// let rules = RuleSet::from_sources(&[("dispatch.rhai",
///     "fn dispatch_policy() { #{ weights: #{ travle: 2 } } }")])?;
/// let problems = probe_rules(&rules);
/// assert_eq!(problems.len(), 1);
/// assert!(problems[0].to_string().starts_with("dispatch.rhai:1:4: "));
/// assert!(problems[0].message.contains("travle"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn probe_rules(rules: &RuleSet) -> Vec<Diagnostic> {
    match sample_model() {
        Some(model) => probe_rules_on(rules, &model, sample_instant()),
        None => Vec::new(),
    }
}

fn sample_instant() -> DateTime<Utc> {
    let day = sample_anchor();
    Utc.from_utc_datetime(&day.and_hms_opt(8, 0, 0).unwrap_or_default())
}

/// What `fieldwork check DIR` reports: the static check ([`check_dir`]: every load error,
/// every recoverable syntax error, warnings) and, when the rules load, the problems of
/// [`probe_rules`]; sorted by file and position.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("fieldwork-check-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// std::fs::write(dir.join("dispatch.rhai"),
///     "fn dispatch_policy() {\n    #{ weights: #{ travle: 2 } }\n}\n")?;
/// let problems = fieldwork::job::check_rules_dir(&dir);
/// assert_eq!(problems.len(), 1);
/// assert!(problems[0].is_error());
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn check_rules_dir(dir: impl AsRef<std::path::Path>) -> Vec<Diagnostic> {
    let dir = dir.as_ref();
    let mut out = check_dir(dir);
    if !out.iter().any(Diagnostic::is_error) {
        if let Ok(rules) = RuleSet::load_dir(dir) {
            out.extend(probe_rules(&rules));
        }
    }
    out.sort_by(|a, b| {
        a.location
            .cmp(&b.location)
            .then(a.severity.cmp(&b.severity))
    });
    out
}

/// Like [`probe_rules`], on the given model at `at`.
pub fn probe_rules_on(rules: &RuleSet, model: &Model, at: DateTime<Utc>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut fail = |hook: &str, what: &str, text: String| {
        out.push(diagnostic(rules, hook, what, &text));
    };

    // Once per run: the dispatcher is built from dispatch_policy() (and checks every score_
    // hook has a weight).
    let dispatcher = match Dispatcher::from_rules(rules) {
        Ok(d) => Some(d),
        Err(e) => {
            fail("dispatch_policy", "", e.to_string());
            None
        }
    };

    // Per technician and per pair: rank every technician for the first open order.
    let pair_hooks = ["order_profile", "technician_profile", "eligible"];
    let any_pair_hook =
        pair_hooks.iter().any(|h| rules.has_hook(h)) || !rules.score_objectives().is_empty();
    if let (Some(d), true) = (&dispatcher, any_pair_hook) {
        if let Some(order) = model.orders().iter().find(|o| !o.status().is_final()) {
            if let Err(e) = rank_candidates(model, d, &order.id, at) {
                let hook = pair_hooks
                    .iter()
                    .copied()
                    .find(|h| e.to_string().contains(&format!("`{h}`")))
                    .map(str::to_string)
                    .or_else(|| {
                        rules
                            .score_objectives()
                            .first()
                            .map(|n| format!("{SCORE_PREFIX}{n}"))
                    })
                    .unwrap_or_else(|| "order_profile".into());
                fail(&hook, &format!(" (order {})", order.id), e.to_string());
            }
        }
    }

    // Per order: the first order, and the first under an agreement (`agreement` is not ()).
    if rules.has_hook("sla_targets") {
        let first = model.orders().first();
        let with_agreement = model.orders().iter().find(|o| o.agreement.is_some());
        let mut samples: Vec<_> = first.into_iter().chain(with_agreement).collect();
        samples.dedup_by(|a, b| a.id == b.id);
        for order in samples {
            if let Err(e) = targets_for(model, Some(rules), order) {
                fail(
                    "sla_targets",
                    &format!(" (order {})", order.id),
                    e.to_string(),
                );
                break;
            }
        }
    }

    // Per occurrence: the first occurrence instant of the first agreement line.
    if rules.has_hook("adjust_occurrence") {
        let line = model.agreements().iter().flat_map(|a| &a.lines).next();
        if let Some(line) = line {
            match LineContext::by_id(model, &line.id) {
                Ok(ctx) => {
                    let mut adjuster = RuleAdjuster::new(rules, NonBusinessDay::Keep);
                    adjuster.begin_line(&ctx);
                    let occurrence = at.with_timezone(&ctx.tz).naive_local();
                    if let Err(e) = adjuster.adjust(occurrence, &ctx) {
                        fail("adjust_occurrence", "", e.to_string());
                    }
                }
                Err(e) => fail("adjust_occurrence", "", e.to_string()),
            }
        }
    }

    // Per return line.
    if rules.has_hook("disposition") {
        let sample = model
            .return_orders()
            .iter()
            .find_map(|r| r.lines.first().map(|l| (r, l)));
        if let Some((rma, line)) = sample {
            if let Err(e) = RuleDisposition(rules).decide(rma, line, None) {
                fail("disposition", "", e.to_string());
            }
        }
    }

    // Per subscription period.
    if rules.has_hook("subscription_price") {
        if let Some(sub) = model.subscriptions().first() {
            match invoice_period(sub, 0) {
                Ok(Some(period)) => {
                    if let Err(e) = RulePrice(rules).price(sub, &period) {
                        fail("subscription_price", "", e.to_string());
                    }
                }
                Ok(None) => {}
                Err(e) => fail("subscription_price", "", e.to_string()),
            }
        }
    }
    out
}

/// The diagnostic for hook `hook`'s failure `text`: located at the first `file:line:col` of a
/// rule file in the text, else at the hook's definition.
fn diagnostic(rules: &RuleSet, hook: &str, what: &str, text: &str) -> Diagnostic {
    let found = rules.files().into_iter().find_map(|path| {
        let prefix = format!("{}:", path.display());
        let start = text.find(&prefix)?;
        let rest = &text[start + prefix.len()..];
        let mut parts = rest.splitn(3, ':');
        let line: usize = parts.next()?.parse().ok()?;
        let column: usize = parts.next()?.parse().ok()?;
        let tail = parts.next()?.trim_start();
        let before = text[..start].trim_end_matches([' ', ':']);
        let message = if before.is_empty() {
            tail.to_string()
        } else {
            format!("{before}: {tail}")
        };
        Some((Location::new(path, line, column), message))
    });
    let (location, message) = found.unwrap_or_else(|| {
        (
            rules
                .hook_location(hook)
                .cloned()
                .unwrap_or_else(|| Location::file("<rules>")),
            text.to_string(),
        )
    });
    // The engines' messages usually name the item already.
    let item = what.trim_matches([' ', '(', ')']);
    let what = if !item.is_empty() && message.contains(item) {
        ""
    } else {
        what
    };
    Diagnostic {
        location,
        severity: Severity::Error,
        message: format!("on the sample data{what}: {message}"),
    }
}
