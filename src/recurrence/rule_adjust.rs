//! The rule-driven adjuster: calls `adjust_occurrence(occurrence, line, calendar)` and caches
//! what it can, so that a rule file does not cost a Rhai call per occurrence.
//!
//! # Cost model
//!
//! A Rhai call costs ~1–2 µs, several times the expansion of an occurrence. Two things keep
//! the hook off the hot path:
//!
//! * **No hook, no call.** When the rules define no `adjust_occurrence`, the native
//!   [`NonBusinessDay`] policy applies (default: next business day, what the shipped rule
//!   does).
//! * **Line-independent results are shared.** The line passed to the hook records whether the
//!   rule read any of its fields. A call that did not is a function of the occurrence and
//!   the calendar only (hooks run in a fresh scope with no state), so its decision is cached
//!   per (calendar, local occurrence time) and reused for every other line: the shipped rule
//!   runs once per distinct occurrence time and calendar, not once per occurrence. A rule
//!   that reads the line on some path is called for every occurrence that takes that path.
//!
//! # Arguments and results
//!
//! The hook's arguments are the rule runtime's values: the occurrence a
//! [`RuleDateTime`] (Rhai `DateTime`), the line a [`RuleLine`] noting reads, the calendar the
//! runtime's `BusinessCalendar` (or `()`). [`decide`] reads what the hook returned:
//!
//! | returned | meaning |
//! |---|---|
//! | the occurrence (or an equal `DateTime`) | keep it |
//! | another `DateTime`; a text `"YYYY-MM-DDTHH:MM[:SS]"` (local) or RFC 3339 | move it there |
//! | a text `"YYYY-MM-DD"` | move it to that date, same time of day |
//! | `()` (or `false`) | skip it |

use chrono::{DateTime, NaiveDateTime};
use chrono_tz::Tz;
use rhai::Dynamic;
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use super::adjust::{Adjusted, NonBusinessDay, OccurrenceAdjuster};
use super::error::RecurrenceError;
use super::line::LineContext;
use crate::calendar::parse_local;
use crate::model::{BusinessCalendar, CalendarId};
use crate::rules::datetime::RuleDateTime;
use crate::rules::domain::RuleLine;
use crate::rules::{domain, RuleSet};

/// The hook `adjust_occurrence` as the rule runtime exposes it.
pub trait AdjustHook {
    /// Whether the rules define `adjust_occurrence`.
    fn has_adjust_occurrence(&self) -> bool;

    /// Calls `adjust_occurrence(occurrence, line, calendar)`; `Ok(None)` when undefined.
    ///
    /// # Errors
    /// The rule's error as text, located `file:line:col` when known.
    fn call_adjust_occurrence(
        &self,
        occurrence: Dynamic,
        line: Dynamic,
        calendar: Dynamic,
    ) -> Result<Option<Dynamic>, String>;

    /// Where `adjust_occurrence` is defined (`file:line:col`), to locate errors in the value it
    /// returned. Default: unknown.
    fn adjust_occurrence_location(&self) -> Option<String> {
        None
    }
}

impl AdjustHook for RuleSet {
    fn has_adjust_occurrence(&self) -> bool {
        self.has_hook("adjust_occurrence")
    }

    fn call_adjust_occurrence(
        &self,
        occurrence: Dynamic,
        line: Dynamic,
        calendar: Dynamic,
    ) -> Result<Option<Dynamic>, String> {
        self.call_hook("adjust_occurrence", vec![occurrence, line, calendar])
            .map_err(|e| e.to_string())
    }

    fn adjust_occurrence_location(&self) -> Option<String> {
        self.hook_location("adjust_occurrence")
            .map(ToString::to_string)
    }
}

/// Counters of a [`RuleAdjuster`]'s work (for benchmarks and diagnostics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HookStats {
    /// Occurrences decided.
    pub occurrences: u64,
    /// Rhai calls made.
    pub calls: u64,
    /// Decisions taken from the cache.
    pub cache_hits: u64,
}

/// Adjusts occurrences through the `adjust_occurrence` hook, falling back to a native policy
/// when the rules do not define it.
pub struct RuleAdjuster<'h> {
    hook: &'h dyn AdjustHook,
    has_hook: bool,
    fallback: NonBusinessDay,
    read: Rc<Cell<bool>>,
    line: Option<Dynamic>,
    calendar: Dynamic,
    views: HashMap<CalendarId, Dynamic>,
    /// Cache slot per (calendar, zone): the zone matters only to read a returned RFC 3339
    /// text, but costs nothing to key on.
    slots: HashMap<(Option<CalendarId>, Tz), usize>,
    slot: usize,
    cache: Vec<HashMap<NaiveDateTime, Adjusted>>,
    stats: HookStats,
}

impl<'h> RuleAdjuster<'h> {
    /// An adjuster over `hook`; `fallback` applies when the hook is not defined.
    pub fn new(hook: &'h dyn AdjustHook, fallback: NonBusinessDay) -> Self {
        Self {
            has_hook: hook.has_adjust_occurrence(),
            hook,
            fallback,
            read: Rc::new(Cell::new(false)),
            line: None,
            calendar: Dynamic::UNIT,
            views: HashMap::new(),
            slots: HashMap::new(),
            slot: 0,
            cache: Vec::new(),
            stats: HookStats::default(),
        }
    }

    /// What the adjuster has done so far.
    pub fn stats(&self) -> HookStats {
        self.stats
    }

    fn calendar_view(&mut self, calendar: &BusinessCalendar) -> Dynamic {
        self.views
            .entry(calendar.id.clone())
            .or_insert_with(|| domain::calendar(calendar))
            .clone()
    }
}

impl std::fmt::Debug for RuleAdjuster<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleAdjuster")
            .field("has_hook", &self.has_hook)
            .field("fallback", &self.fallback)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl OccurrenceAdjuster for RuleAdjuster<'_> {
    fn begin_line(&mut self, line: &LineContext<'_>) {
        if !self.has_hook {
            return;
        }
        // The view is built lazily (only on a cache miss); the calendar view once per
        // calendar.
        self.line = None;
        let key = (line.calendar.map(|c| c.id.clone()), line.tz);
        let next = self.cache.len();
        self.slot = *self.slots.entry(key).or_insert(next);
        if self.slot == next {
            self.cache.push(HashMap::new());
        }
        self.calendar = match line.calendar {
            Some(calendar) => self.calendar_view(calendar),
            None => Dynamic::UNIT,
        };
    }

    fn adjust(
        &mut self,
        occurrence: NaiveDateTime,
        line: &LineContext<'_>,
    ) -> Result<Adjusted, RecurrenceError> {
        if !self.has_hook {
            return self.fallback.adjust(occurrence, line);
        }
        self.stats.occurrences += 1;
        if let Some(hit) = self.cache.get(self.slot).and_then(|c| c.get(&occurrence)) {
            self.stats.cache_hits += 1;
            return Ok(*hit);
        }
        let view = match &self.line {
            Some(view) => view.clone(),
            None => {
                let view = Dynamic::from(
                    RuleLine::new(line.agreement, line.line, Some(line.customer))
                        .noting_reads(Rc::clone(&self.read)),
                );
                self.line = Some(view.clone());
                view
            }
        };
        self.read.set(false);
        self.stats.calls += 1;
        let error = |message: String| RecurrenceError::Adjustment {
            line: line.line.id.clone(),
            occurrence,
            message,
        };
        let value = self
            .hook
            .call_adjust_occurrence(
                Dynamic::from(RuleDateTime(occurrence)),
                view,
                self.calendar.clone(),
            )
            .map_err(error)?;
        let decision = match value {
            Some(value) => decide(value, occurrence, line.tz).map_err(|message| {
                error(match self.hook.adjust_occurrence_location() {
                    Some(at) => format!("{at}: hook `adjust_occurrence` {message}"),
                    None => message,
                })
            })?,
            None => return self.fallback.adjust(occurrence, line),
        };
        if !self.read.get() {
            if let Some(cache) = self.cache.get_mut(self.slot) {
                cache.insert(occurrence, decision);
            }
        }
        Ok(decision)
    }
}

/// Reads the value `adjust_occurrence` returned for `original` (see the module table). A text
/// with a UTC offset is converted to the customer's zone `tz`.
///
/// # Errors
/// A message naming what was returned instead.
pub fn decide(value: Dynamic, original: NaiveDateTime, tz: Tz) -> Result<Adjusted, String> {
    if value.is_unit() || value.as_bool() == Ok(false) {
        return Ok(Adjusted::Skip);
    }
    let type_name = value.type_name();
    let target = if let Some(dt) = value.clone().try_cast::<RuleDateTime>() {
        dt.0
    } else if let Ok(text) = value.into_immutable_string() {
        let trimmed = text.trim();
        let local = parse_local(trimmed).map(|t| {
            if trimmed.len() == 10 {
                t.date().and_time(original.time())
            } else {
                t
            }
        });
        local
            .or_else(|| {
                DateTime::parse_from_rfc3339(trimmed)
                    .ok()
                    .map(|dt| dt.with_timezone(&tz).naive_local())
            })
            .ok_or_else(|| format!("returned `{text}`, not a date/time"))?
    } else {
        return Err(format!(
            "returned a value of type {type_name}; expected the occurrence (keep), another \
             DateTime (move) or () (skip)"
        ));
    };
    Ok(if target == original {
        Adjusted::Keep
    } else {
        Adjusted::Move(target)
    })
}

#[cfg(test)]
mod tests;
