//! Test fixtures of the recurrence module: a small model with two customers in different
//! zones (one with a holiday calendar, one without a calendar) and a Rhai hook over a plain
//! engine standing in for the rule runtime.

use rhai::{CallFnOptions, Dynamic, Engine, Scope, AST};

use super::rhai_api;
use super::AdjustHook;
use crate::model::Model;

/// Customer C-BER (Europe/Berlin, calendar `berlin`: Mon–Fri, Good Friday and Easter Monday
/// 2027 closed) and C-NYC (America/New_York, no calendar); tasks INSP and CLEAN; objects;
/// `agreements` is spliced in as the JSON array of agreements.
pub(crate) fn model(agreements: &str) -> Model {
    let json = format!(
        r#"{{
        "calendars": [{{"id": "berlin", "time_zone": "Europe/Berlin",
            "weekly": {{"mon": [["08:00","17:00"]], "tue": [["08:00","17:00"]],
                        "wed": [["08:00","17:00"]], "thu": [["08:00","17:00"]],
                        "fri": [["08:00","17:00"]]}},
            "holidays": ["2027-03-26", "2027-03-29", "2027-12-24"]}}],
        "customers": [
            {{"id": "C-BER", "name": "Berlin Site", "tier": "gold", "time_zone": "Europe/Berlin",
              "location": {{"lat": 52.5, "lon": 13.4}}, "calendar": "berlin"}},
            {{"id": "C-NYC", "name": "NYC Site", "tier": "silver",
              "time_zone": "America/New_York", "location": {{"lat": 40.7, "lon": -74.0}}}}],
        "service_objects": [
            {{"id": "BOILER-1", "customer": "C-BER", "serial": "B1", "model": "X"}},
            {{"id": "CHILLER-1", "customer": "C-BER", "serial": "C1", "model": "Y"}}],
        "tasks": [{{"code": "INSP", "description": "Inspection", "duration_minutes": 60}},
                  {{"code": "CLEAN", "description": "Cleaning", "duration_minutes": 30}}],
        "technicians": [{{"id": "T-1", "name": "Tess", "home": {{"lat": 52.5, "lon": 13.4}},
            "calendar": "berlin", "hourly_cost": "50", "max_hours_per_day": 8}}],
        "agreements": {agreements}
    }}"#
    );
    Model::from_json(&json).unwrap()
}

/// One agreement line as JSON.
pub(crate) fn line(id: &str, rrule: &str, dtstart: &str) -> String {
    format!(
        r#"{{"id": "{id}", "task": "INSP", "price": "80",
            "recurrence": {{"rrule": "{rrule}", "dtstart": "{dtstart}"}}}}"#
    )
}

/// One active agreement as JSON.
pub(crate) fn agreement(id: &str, customer: &str, lines: &[String]) -> String {
    format!(
        r#"{{"id": "{id}", "customer": "{customer}", "valid_from": "2020-01-01",
            "status": "active", "lines": [{}]}}"#,
        lines.join(",")
    )
}

/// A compiled rule file on a plain engine with the recurrence API registered.
pub(crate) struct ScriptHook {
    engine: Engine,
    ast: AST,
}

impl ScriptHook {
    pub(crate) fn new(source: &str) -> Self {
        let mut engine = Engine::new_raw();
        engine.register_global_module(rhai::packages::Package::as_shared_module(
            &rhai::packages::StandardPackage::new(),
        ));
        rhai_api::register(&mut engine);
        let ast = engine.compile(source).unwrap();
        Self { engine, ast }
    }

    pub(crate) fn shipped() -> Self {
        Self::new(include_str!("../../rules/recurrence.rhai"))
    }
}

impl AdjustHook for ScriptHook {
    fn has_adjust_occurrence(&self) -> bool {
        self.ast
            .iter_functions()
            .any(|f| f.name == "adjust_occurrence" && f.params.len() == 3)
    }

    fn call_adjust_occurrence(
        &self,
        occurrence: Dynamic,
        line: Dynamic,
        calendar: Dynamic,
    ) -> Result<Option<Dynamic>, String> {
        if !self.has_adjust_occurrence() {
            return Ok(None);
        }
        self.engine
            .call_fn_with_options::<Dynamic>(
                CallFnOptions::new().eval_ast(false),
                &mut Scope::new(),
                &self.ast,
                "adjust_occurrence",
                (occurrence, line, calendar),
            )
            .map(Some)
            .map_err(|e| e.to_string())
    }
}
