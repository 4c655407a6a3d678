//! The `sla_targets(order, customer, agreement)` rule hook: calling it (once per order) and
//! reading its answer into [`SlaTargets`].
//!
//! The answer is one of:
//!
//! * `()` (or no hook at all): the built-in table by priority × tier ([`default_targets`]);
//! * `false`: no SLA for this order (no metric is tracked);
//! * a map; every key is optional and a missing key keeps the built-in table's value:
//!
//! | key | value |
//! |---|---|
//! | `response_minutes`, `resolution_minutes` | business minutes (int ≥ 0), or `()` to not track the metric |
//! | `response`, `resolution` | `"next_business_day"` instead of minutes (by the close of the next business day) |
//! | `calendar` | `"business"` (the customer's calendar), `"24x7"`, or a dataset calendar id |
//! | `warning` | fraction of the target after which a metric is in warning, `0 < w ≤ 1` |
//! | `response_ends` | statuses whose first entry stops the response clock (default `["scheduled", "in_progress"]`) |
//! | `pause_statuses` | statuses during which clocks do not count (default `["on_hold"]`) |
//!
//! Unknown keys and wrong types are errors naming the hook's file, line and column and the key.

use super::targets::{CalendarChoice, Metric, SlaTargets, Target, TargetSource};
use crate::calendar::ALWAYS_OPEN_ID;
use crate::model::{CalendarId, Customer, Model, OrderStatus, ServiceOrder};
use crate::rules::{domain, HookValue, RuleError, RuleSet};

/// The hook's name.
pub const HOOK: &str = "sla_targets";

/// The calendar keyword for the customer's own calendar.
pub const BUSINESS_CALENDAR: &str = "business";

/// Largest target accepted from rules: ten years of minutes.
const MAX_MINUTES: i64 = 10 * 366 * 24 * 60;

const KEYS: &str = "response_minutes, resolution_minutes, response, resolution, calendar, \
                    warning, response_ends, pause_statuses";

/// Calls the hook for one order and merges its answer over `defaults`. Without the hook (or
/// when it returns `()`), `defaults` are returned unchanged.
pub(crate) fn targets_from_rules(
    rules: &RuleSet,
    model: &Model,
    order: &ServiceOrder,
    customer: &Customer,
    defaults: SlaTargets,
) -> Result<SlaTargets, RuleError> {
    if !rules.has_hook(HOOK) {
        return Ok(defaults);
    }
    let agreement = domain::optional(
        order.agreement.as_ref().and_then(|id| model.agreement(id)),
        domain::agreement,
    );
    let args = (
        domain::order(model, order),
        domain::customer(customer),
        agreement,
    );
    match rules.call_hook(HOOK, args)? {
        None => Ok(defaults),
        Some(value) => {
            let value = rules.value(HOOK, value);
            // A calendar id must exist: checked here, where the rule's location is known.
            if let Some(calendar) = value.field("calendar").ok().flatten() {
                if let Ok(id) = calendar.string() {
                    if id != BUSINESS_CALENDAR
                        && id != ALWAYS_OPEN_ID
                        && model.calendar(&CalendarId::new(id.as_str())).is_none()
                    {
                        return Err(calendar
                            .wrong("`business`, `24x7` or the id of a calendar of the dataset"));
                    }
                }
            }
            read_answer(value, defaults)
        }
    }
}

/// Reads a hook answer (see the module documentation) over `defaults`.
pub(crate) fn read_answer(value: HookValue, defaults: SlaTargets) -> Result<SlaTargets, RuleError> {
    if value.is_unit() {
        return Ok(defaults);
    }
    if value.value().is_bool() {
        return if value.bool()? {
            Err(value.wrong("`()`, `false` or a map"))
        } else {
            Ok(SlaTargets {
                response: None,
                resolution: None,
                source: TargetSource::Rule,
                ..defaults
            })
        };
    }
    let mut targets = SlaTargets {
        source: TargetSource::Rule,
        ..defaults
    };
    let entries = value
        .entries()
        .map_err(|_| value.wrong("`()`, `false` or a map"))?;
    for (key, v) in &entries {
        match key.as_str() {
            "response_minutes" => targets.response = minutes(v)?,
            "resolution_minutes" => targets.resolution = minutes(v)?,
            "response" => targets.response = named_target(v)?,
            "resolution" => targets.resolution = named_target(v)?,
            "calendar" => {
                let id = v.string()?;
                targets.calendar = if id == BUSINESS_CALENDAR {
                    CalendarChoice::Customer
                } else {
                    CalendarChoice::Id(id.into())
                };
            }
            "warning" => {
                let w = v.number_in(0.0, 1.0)?;
                if w <= 0.0 {
                    return Err(v.wrong("a fraction greater than 0 and at most 1"));
                }
                targets.warning = w;
            }
            "response_ends" => targets.response_ends = statuses(v)?,
            "pause_statuses" => targets.pause_statuses = statuses(v)?,
            _ => return Err(value.wrong(&format!("a map with keys {KEYS} (unknown key `{key}`)"))),
        }
    }
    for metric in Metric::ALL {
        let (minutes_key, named_key) = match metric {
            Metric::Response => ("response_minutes", "response"),
            Metric::Resolution => ("resolution_minutes", "resolution"),
        };
        let has = |k: &str| entries.iter().any(|(key, _)| key == k);
        if has(minutes_key) && has(named_key) {
            return Err(value.wrong(&format!(
                "a map with either `{minutes_key}` or `{named_key}`, not both"
            )));
        }
    }
    Ok(targets)
}

fn minutes(v: &HookValue) -> Result<Option<Target>, RuleError> {
    if v.is_unit() {
        return Ok(None);
    }
    let m = v.int()?;
    if !(0..=MAX_MINUTES).contains(&m) {
        return Err(v.wrong(&format!("minutes from 0 to {MAX_MINUTES}")));
    }
    Ok(u32::try_from(m).ok().map(Target::Minutes))
}

fn named_target(v: &HookValue) -> Result<Option<Target>, RuleError> {
    if v.is_unit() {
        return Ok(None);
    }
    match v.string()?.as_str() {
        "next_business_day" => Ok(Some(Target::NextBusinessDay)),
        _ => Err(v.wrong("\"next_business_day\"")),
    }
}

fn statuses(v: &HookValue) -> Result<Vec<OrderStatus>, RuleError> {
    v.array()?
        .iter()
        .map(|s| {
            OrderStatus::parse(&s.string()?).ok_or_else(|| {
                s.wrong("a status: created, scheduled, in_progress, on_hold, completed, cancelled")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Priority;
    use crate::sla::targets::default_targets;
    use rhai::Dynamic;

    fn eval(script: &str) -> Result<SlaTargets, RuleError> {
        let source = format!("fn sla_targets(order, customer, agreement) {{ {script} }}");
        let rules = RuleSet::from_sources(&[("sla.rhai", source.as_str())]).unwrap();
        let value = rules
            .call_hook(HOOK, ((), (), ()))?
            .unwrap_or(Dynamic::UNIT);
        read_answer(
            rules.value(HOOK, value),
            default_targets(Priority::Normal, "silver"),
        )
    }

    #[test]
    fn unit_keeps_the_default_table_and_false_means_no_sla() {
        let d = eval("()").unwrap();
        assert_eq!(d, default_targets(Priority::Normal, "silver"));
        let none = eval("false").unwrap();
        assert_eq!((none.response, none.resolution), (None, None));
        assert_eq!(none.source, TargetSource::Rule);
        assert!(eval("true").is_err());
    }

    #[test]
    fn map_overrides_only_the_keys_given() {
        let t = eval(
            r#"#{ response_minutes: 240, resolution: "next_business_day", calendar: "berlin",
                 warning: 0.8, pause_statuses: ["on_hold", "scheduled"] }"#,
        )
        .unwrap();
        assert_eq!(t.response, Some(Target::Minutes(240)));
        assert_eq!(t.resolution, Some(Target::NextBusinessDay));
        assert_eq!(t.calendar, CalendarChoice::Id("berlin".into()));
        assert_eq!(t.warning, 0.8);
        assert_eq!(
            t.pause_statuses,
            vec![OrderStatus::OnHold, OrderStatus::Scheduled]
        );
        assert_eq!(
            t.response_ends,
            default_targets(Priority::Normal, "silver").response_ends
        );
        let t = eval(r#"#{ calendar: "business", response_minutes: () }"#).unwrap();
        assert_eq!((t.calendar, t.response), (CalendarChoice::Customer, None));
    }

    #[test]
    fn wrong_shapes_name_the_key_and_the_file() {
        let cases = [
            (
                r#"#{ respons_minutes: 60 }"#,
                "unknown key `respons_minutes`",
            ),
            (r#"#{ response_minutes: -5 }"#, "at `response_minutes`"),
            (r#"#{ response_minutes: "4h" }"#, "at `response_minutes`"),
            (
                r#"#{ resolution: "tomorrow" }"#,
                "\"next_business_day\" at `resolution`",
            ),
            (r#"#{ warning: 0 }"#, "at `warning`"),
            (r#"#{ response_ends: ["done"] }"#, "at `response_ends[0]`"),
            (
                r#"#{ resolution: "next_business_day", resolution_minutes: 60 }"#,
                "not both",
            ),
            ("42", "`()`, `false` or a map"),
        ];
        for (script, expected) in cases {
            let err = eval(script).unwrap_err().to_string();
            assert!(err.starts_with("sla.rhai:1:"), "{err}");
            assert!(err.contains(expected), "{script}: {err}");
        }
    }
}
