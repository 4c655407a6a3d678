//! Cross-entity validation of a [`Model`]: references resolve, periods are ordered, values are in
//! range, recurrence rules parse. Every problem is collected; nothing stops at the first.

use chrono::Datelike;
use chrono::NaiveDate;
use chrono_tz::Tz;
use rrule::RRuleSet;
use rust_decimal::Decimal;

use super::error::{EntityKind, ValidationError, ValidationIssue};
use super::*;

/// Largest INTERVAL accepted in a recurrence rule.
pub const MAX_RRULE_INTERVAL: u16 = 1000;

/// Parses a line's recurrence (RRULE + local DTSTART) in a zone into an rrule-crate set.
///
/// ```
/// use fieldwork::model::{rrule_set, Recurrence};
/// let rec = Recurrence {
///     rrule: "FREQ=MONTHLY;BYDAY=1MO".into(),
///     dtstart: "2027-01-04T09:00:00".parse().unwrap(),
///     exdates: vec![], rdates: vec![],
/// };
/// assert!(rrule_set(&rec, chrono_tz::Europe::Berlin).is_ok());
/// ```
pub fn rrule_set(recurrence: &Recurrence, tz: Tz) -> Result<RRuleSet, ValidationError> {
    let rule = recurrence.rrule.trim();
    let rule = rule.strip_prefix("RRULE:").unwrap_or(rule);
    if rule.is_empty() || rule.contains('\n') || rule.contains('\r') {
        return Err(ValidationError::InvalidRrule(
            "expected a single RRULE value such as FREQ=WEEKLY;BYDAY=MO".into(),
        ));
    }
    super::limits::check_rule_text(rule).map_err(ValidationError::InvalidRrule)?;
    let start = recurrence.dtstart.format("%Y%m%dT%H%M%S");
    let text = if tz == Tz::UTC {
        format!("DTSTART:{start}Z\nRRULE:{rule}")
    } else {
        format!("DTSTART;TZID={}:{start}\nRRULE:{rule}", tz.name())
    };
    let set: RRuleSet = text
        .parse()
        .map_err(|e: rrule::RRuleError| ValidationError::InvalidRrule(e.to_string()))?;
    for r in set.get_rrule() {
        if r.get_interval() > MAX_RRULE_INTERVAL {
            return Err(ValidationError::InvalidRrule(format!(
                "INTERVAL {} exceeds {MAX_RRULE_INTERVAL}",
                r.get_interval()
            )));
        }
    }
    Ok(set)
}

struct Checker<'a> {
    model: &'a Model,
    issues: &'a mut Vec<ValidationIssue>,
}

impl Checker<'_> {
    fn push(
        &mut self,
        entity: EntityKind,
        id: &dyn std::fmt::Display,
        field: &str,
        e: ValidationError,
    ) {
        self.issues
            .push(ValidationIssue::new(entity, id, field.to_owned(), e));
    }

    fn reference(
        &mut self,
        entity: EntityKind,
        id: &dyn std::fmt::Display,
        field: &str,
        target: EntityKind,
        target_id: &dyn std::fmt::Display,
        exists: bool,
    ) {
        if !exists {
            let e = ValidationError::DanglingReference {
                target,
                id: target_id.to_string(),
            };
            self.push(entity, id, field, e);
        }
    }

    fn period(
        &mut self,
        entity: EntityKind,
        id: &dyn std::fmt::Display,
        field: &str,
        start: NaiveDate,
        end: Option<NaiveDate>,
    ) {
        if let Some(end) = end.filter(|end| *end < start) {
            let e = ValidationError::InvertedPeriod {
                start: start.to_string(),
                end: end.to_string(),
            };
            self.push(entity, id, field, e);
        }
    }

    fn non_negative(
        &mut self,
        entity: EntityKind,
        id: &dyn std::fmt::Display,
        field: &str,
        v: Decimal,
    ) {
        if v.is_sign_negative() && !v.is_zero() {
            let e = ValidationError::InvalidValue(format!("{v} is negative"));
            self.push(entity, id, field, e);
        }
    }

    fn currency(&mut self, entity: EntityKind, id: &dyn std::fmt::Display, code: &str) {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            let e = ValidationError::InvalidValue(format!("`{code}` is not an ISO 4217 code"));
            self.push(entity, id, "currency", e);
        }
    }

    /// Each part id resolves and each count is within 1..=MAX_PART_UNITS.
    fn part_units(
        &mut self,
        entity: EntityKind,
        id: &dyn std::fmt::Display,
        field: &str,
        units: &std::collections::BTreeMap<PartId, u32>,
    ) {
        let model = self.model;
        for (part, n) in units {
            let ok = model.part_type(part).is_some();
            self.reference(entity, id, field, EntityKind::Part, part, ok);
            if *n == 0 || *n > MAX_PART_UNITS {
                let e = ValidationError::InvalidValue(format!(
                    "{n} units of {part} outside 1..={MAX_PART_UNITS}"
                ));
                self.push(entity, id, &format!("{field}.{part}"), e);
            }
        }
    }

    /// Each part id resolves.
    fn part_ids(
        &mut self,
        entity: EntityKind,
        id: &dyn std::fmt::Display,
        field: &str,
        parts: &[PartId],
    ) {
        let model = self.model;
        for part in parts {
            let ok = model.part_type(part).is_some();
            self.reference(entity, id, field, EntityKind::Part, part, ok);
        }
    }

    /// Each tool id resolves.
    fn tool_ids(
        &mut self,
        entity: EntityKind,
        id: &dyn std::fmt::Display,
        field: &str,
        tools: &[ToolId],
    ) {
        let model = self.model;
        for tool in tools {
            let ok = model.tool_type(tool).is_some();
            self.reference(entity, id, field, EntityKind::Tool, tool, ok);
        }
    }

    fn skill_level(
        &mut self,
        entity: EntityKind,
        id: &dyn std::fmt::Display,
        field: &str,
        level: u8,
    ) {
        if !(1..=5).contains(&level) {
            let e = ValidationError::InvalidValue(format!("skill level {level} outside 1..=5"));
            self.push(entity, id, field, e);
        }
    }
}

/// Checks the whole model, one entity kind after another, collecting every issue.
pub(super) fn check_model(model: &Model, issues: &mut Vec<ValidationIssue>) {
    for calendar in model.calendars() {
        issues.extend(calendar.validate());
        check_calendar_open_hours(calendar, issues);
    }
    if let Some(graph) = model.road_graph() {
        issues.extend(graph.validate());
    }
    let mut c = Checker { model, issues };
    for cu in model.customers() {
        check_customer(&mut c, cu);
    }
    for o in model.service_objects() {
        check_service_object(&mut c, o);
    }
    for t in model.tasks() {
        check_task(&mut c, t);
    }
    for t in model.technicians() {
        check_technician(&mut c, t);
    }
    for d in model.depots() {
        check_depot(&mut c, d);
    }
    for a in model.absences() {
        check_absence(&mut c, a);
    }
    for a in model.agreements() {
        check_agreement(&mut c, a);
    }
    for o in model.orders() {
        check_order_with(&mut c, o);
    }
    for s in model.subscriptions() {
        check_subscription(&mut c, s);
    }
    check_duplicate_codes(&mut c);
    for r in model.return_orders() {
        check_return_order(&mut c, r);
    }
}

/// Checks a customer: time zone, location, calendar and excluded technicians.
fn check_customer(c: &mut Checker<'_>, cu: &Customer) {
    let model = c.model;
    let k = EntityKind::Customer;
    if let Err(e) = cu.time_zone.tz() {
        c.push(k, &cu.id, "time_zone", e);
    }
    if let Err(e) = cu.location.check() {
        c.push(k, &cu.id, "location", e);
    }
    if let Some(cal) = &cu.calendar {
        c.reference(
            k,
            &cu.id,
            "calendar",
            EntityKind::Calendar,
            cal,
            model.calendar(cal).is_some(),
        );
    }
    if let Some(cal) = &cu.visiting_hours {
        let ok = model.calendar(cal).is_some();
        c.reference(k, &cu.id, "visiting_hours", EntityKind::Calendar, cal, ok);
    }
    for t in &cu.excluded_technicians {
        let ok = model.technician(t).is_some();
        c.reference(
            k,
            &cu.id,
            "excluded_technicians",
            EntityKind::Technician,
            t,
            ok,
        );
    }
}

/// Checks a service object: customer, parent and location.
fn check_service_object(c: &mut Checker<'_>, o: &ServiceObject) {
    let model = c.model;
    let k = EntityKind::ServiceObject;
    let ok = model.customer(&o.customer).is_some();
    c.reference(k, &o.id, "customer", EntityKind::Customer, &o.customer, ok);
    if let Some(p) = &o.parent {
        let ok = model.service_object(p).is_some();
        c.reference(k, &o.id, "parent", EntityKind::ServiceObject, p, ok);
    }
    if let Some(Err(e)) = o.location.map(|l| l.check()) {
        c.push(k, &o.id, "location", e);
    }
    if let Some(cal) = &o.visiting_hours {
        let ok = model.calendar(cal).is_some();
        c.reference(k, &o.id, "visiting_hours", EntityKind::Calendar, cal, ok);
    }
}

/// Checks a task: required skill levels and a positive duration.
fn check_task(c: &mut Checker<'_>, t: &ServiceTask) {
    let k = EntityKind::Task;
    for (i, req) in t.required_skills.iter().enumerate() {
        c.skill_level(
            k,
            &t.code,
            &format!("required_skills[{i}].min_level"),
            req.min_level,
        );
    }
    if t.duration_minutes == 0 {
        let e = ValidationError::InvalidValue("duration must be positive".into());
        c.push(k, &t.code, "duration_minutes", e);
    }
    c.part_units(k, &t.code, "parts", &t.parts);
    c.tool_ids(k, &t.code, "tools", &t.tools);
}

/// Checks a depot: its location, calendar, parts and tools.
fn check_depot(c: &mut Checker<'_>, d: &Depot) {
    let model = c.model;
    let k = EntityKind::Depot;
    if let Err(e) = d.location.check() {
        c.push(k, &d.id, "location", e);
    }
    if let Some(cal) = &d.calendar {
        let ok = model.calendar(cal).is_some();
        c.reference(k, &d.id, "calendar", EntityKind::Calendar, cal, ok);
    }
    c.part_ids(k, &d.id, "parts", &d.parts);
    c.tool_ids(k, &d.id, "tools", &d.tools);
    if let Some(m) = d.service_minutes.filter(|m| *m > 24 * 60) {
        let e = ValidationError::InvalidValue(format!("{m} minutes exceeds a day"));
        c.push(k, &d.id, "service_minutes", e);
    }
}

/// Checks an absence: a known technician, and an end after the start.
fn check_absence(c: &mut Checker<'_>, a: &Absence) {
    let k = EntityKind::Absence;
    let id = a.key();
    let ok = c.model.technician(&a.technician).is_some();
    c.reference(
        k,
        &id,
        "technician",
        EntityKind::Technician,
        &a.technician,
        ok,
    );
    if a.end <= a.start {
        let e = ValidationError::InvalidValue(format!(
            "end {} is not after start {}",
            a.end.to_rfc3339(),
            a.start.to_rfc3339()
        ));
        c.push(k, &id, "end", e);
    }
}

/// Checks a technician: calendar, skill levels, cost, daily hours, van capacity and home.
fn check_technician(c: &mut Checker<'_>, t: &Technician) {
    let model = c.model;
    let k = EntityKind::Technician;
    let ok = model.calendar(&t.calendar).is_some();
    c.reference(k, &t.id, "calendar", EntityKind::Calendar, &t.calendar, ok);
    for (skill, level) in &t.skills {
        c.skill_level(k, &t.id, &format!("skills.{skill}"), *level);
    }
    for (i, cert) in t.certifications.iter().enumerate() {
        c.skill_level(k, &t.id, &format!("certifications[{i}].level"), cert.level);
        if let (Some(from), Some(to)) = (cert.valid_from, cert.valid_to) {
            if to < from {
                let e = ValidationError::InvalidValue(format!(
                    "certificate {} ends ({to}) before it starts ({from})",
                    cert.skill
                ));
                c.push(k, &t.id, &format!("certifications[{i}].valid_to"), e);
            }
        }
    }
    c.non_negative(k, &t.id, "hourly_cost", t.hourly_cost);
    if !(t.max_hours_per_day > 0.0 && t.max_hours_per_day <= 24.0) {
        let e = ValidationError::InvalidValue(format!("{} outside (0, 24]", t.max_hours_per_day));
        c.push(k, &t.id, "max_hours_per_day", e);
    }
    if let Some(van) = t.van_capacity.filter(|v| !(v.is_finite() && *v >= 0.0)) {
        let e = ValidationError::InvalidValue(format!("van capacity {van} must be >= 0"));
        c.push(k, &t.id, "van_capacity", e);
    }
    if let Err(e) = t.home.check() {
        c.push(k, &t.id, "home", e);
    }
    c.part_units(k, &t.id, "stock", &t.stock);
    c.tool_ids(k, &t.id, "tools", &t.tools);
    if let Some(d) = &t.depot {
        let ok = model.depot(d).is_some();
        c.reference(k, &t.id, "depot", EntityKind::Depot, d, ok);
    }
}

/// Checks a subscription: customer, agreement, period, fee and currency.
fn check_subscription(c: &mut Checker<'_>, s: &Subscription) {
    let model = c.model;
    let k = EntityKind::Subscription;
    let ok = model.customer(&s.customer).is_some();
    c.reference(k, &s.id, "customer", EntityKind::Customer, &s.customer, ok);
    if let Some(a) = &s.agreement {
        let ok = model.agreement(a).is_some();
        c.reference(k, &s.id, "agreement", EntityKind::Agreement, a, ok);
    }
    c.period(k, &s.id, "end", s.start, s.end);
    c.non_negative(k, &s.id, "fee", s.fee);
    c.currency(k, &s.id, &s.currency);
}

/// Reports codes defined twice: repair codes (per table), then return reasons.
fn check_duplicate_codes(c: &mut Checker<'_>) {
    let model = c.model;
    for (table, code) in model.repair_codes().duplicates() {
        let e = ValidationError::InvalidValue(format!("code `{code}` defined twice"));
        c.push(EntityKind::Dataset, &"repair_codes", &table, e);
    }
    let mut seen = std::collections::HashSet::new();
    for r in model
        .return_reasons()
        .iter()
        .filter(|r| !seen.insert(r.code.as_str()))
    {
        let e = ValidationError::InvalidValue(format!("code `{}` defined twice", r.code));
        c.push(EntityKind::Dataset, &"return_reasons", "code", e);
    }
}

/// Checks a return order: customer, reason code (when reasons are defined), currency and the
/// service objects of its lines.
fn check_return_order(c: &mut Checker<'_>, r: &ReturnOrder) {
    let model = c.model;
    let reasons = model.return_reasons();
    let k = EntityKind::ReturnOrder;
    let ok = model.customer(&r.customer).is_some();
    c.reference(k, &r.id, "customer", EntityKind::Customer, &r.customer, ok);
    if !reasons.is_empty() && !reasons.iter().any(|x| x.code == r.reason_code) {
        let e = ValidationError::InvalidValue(format!("unknown return reason `{}`", r.reason_code));
        c.push(k, &r.id, "reason_code", e);
    }
    if let Some(currency) = &r.currency {
        c.currency(k, &r.id, currency);
    }
    for (i, line) in r.lines.iter().enumerate() {
        if let Some(obj) = &line.service_object {
            let ok = model.service_object(obj).is_some();
            let field = format!("lines[{i}].service_object");
            c.reference(k, &r.id, &field, EntityKind::ServiceObject, obj, ok);
        }
    }
}

fn check_agreement(c: &mut Checker<'_>, a: &ServiceAgreement) {
    let model = c.model;
    let k = EntityKind::Agreement;
    let customer = model.customer(&a.customer);
    c.reference(
        k,
        &a.id,
        "customer",
        EntityKind::Customer,
        &a.customer,
        customer.is_some(),
    );
    c.period(k, &a.id, "valid_to", a.valid_from, a.valid_to);
    let tz = customer.and_then(|cu| cu.time_zone.tz().ok());
    for line in &a.lines {
        let k = EntityKind::AgreementLine;
        if let Some(obj) = &line.service_object {
            let ok = model.service_object(obj).is_some();
            c.reference(
                k,
                &line.id,
                "service_object",
                EntityKind::ServiceObject,
                obj,
                ok,
            );
        }
        let ok = model.task(&line.task).is_some();
        c.reference(k, &line.id, "task", EntityKind::Task, &line.task, ok);
        if let Some(t) = &line.preferred_technician {
            let ok = model.technician(t).is_some();
            c.reference(
                k,
                &line.id,
                "preferred_technician",
                EntityKind::Technician,
                t,
                ok,
            );
        }
        if let Some(start) = line.start {
            c.period(k, &line.id, "end", start, line.end);
        }
        c.non_negative(k, &line.id, "price", line.price);
        let dtstart = line.recurrence.dtstart;
        if !(FIRST_YEAR..END_YEAR).contains(&dtstart.year()) {
            let e = ValidationError::InvalidValue(format!(
                "{dtstart} is outside the supported years {FIRST_YEAR}–{}",
                END_YEAR - 1
            ));
            c.push(k, &line.id, "recurrence.dtstart", e);
        }
        if let Some(tz) = tz {
            if let Err(e) = rrule_set(&line.recurrence, tz) {
                c.push(k, &line.id, "recurrence.rrule", e);
            }
        }
    }
}

/// Checks one order: its references, lines, repair lines and own values, in that order.
fn check_order_with(c: &mut Checker<'_>, o: &ServiceOrder) {
    check_order_references(c, o);
    check_order_lines(c, o);
    check_order_repair(c, o);
    check_order_values(c, o);
    check_order_instants(c, o);
}

/// Checks that a calendar opens at all: at least one weekly or exception interval (a calendar
/// that never opens has no deadline and no working time, and would fail every later use).
fn check_calendar_open_hours(calendar: &BusinessCalendar, issues: &mut Vec<ValidationIssue>) {
    use chrono::Weekday;
    let weekly = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .iter()
    .any(|d| !calendar.weekly.day(*d).is_empty());
    let exceptions = calendar.exceptions.values().any(|ivs| !ivs.is_empty());
    if !weekly && !exceptions {
        issues.push(ValidationIssue::new(
            EntityKind::Calendar,
            &calendar.id,
            "weekly".to_owned(),
            ValidationError::InvalidValue(
                "the calendar never opens: give at least one weekly or exception interval".into(),
            ),
        ));
    }
}

/// Checks that an order's instants (created_at, due, earliest_start, pinned_start, history)
/// lie in the years business-time arithmetic supports, 1900 to 2199 (UTC).
fn check_order_instants(c: &mut Checker<'_>, o: &ServiceOrder) {
    let mut instants = vec![("created_at".to_owned(), o.created_at)];
    for (field, at) in [
        ("due", o.due),
        ("earliest_start", o.earliest_start),
        ("pinned_start", o.pinned_start),
        ("appointment.from", o.appointment.map(|a| a.from)),
        ("appointment.to", o.appointment.map(|a| a.to)),
    ] {
        if let Some(at) = at {
            instants.push((field.to_owned(), at));
        }
    }
    for (i, change) in o.history.iter().enumerate() {
        instants.push((format!("history[{i}].at"), change.at));
    }
    for (field, at) in instants {
        if !(FIRST_YEAR..END_YEAR).contains(&at.year()) {
            let e = ValidationError::InvalidValue(format!(
                "{} is outside the supported instants \
                 {FIRST_YEAR}-01-01T00:00:00Z to {}-12-31T23:59:59Z",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                END_YEAR - 1
            ));
            c.push(EntityKind::Order, &o.id, &field, e);
        }
    }
}

/// Checks what an order refers to: customer, agreement, originating line, service object and
/// preferred/required technicians.
fn check_order_references(c: &mut Checker<'_>, o: &ServiceOrder) {
    let model = c.model;
    let k = EntityKind::Order;
    let ok = model.customer(&o.customer).is_some();
    c.reference(k, &o.id, "customer", EntityKind::Customer, &o.customer, ok);
    if let Some(a) = &o.agreement {
        let ok = model.agreement(a).is_some();
        c.reference(k, &o.id, "agreement", EntityKind::Agreement, a, ok);
    }
    if let OrderOrigin::Agreement { line, .. } = &o.origin {
        let ok = model.agreement_line(line).is_some();
        c.reference(k, &o.id, "origin.line", EntityKind::AgreementLine, line, ok);
    }
    if let Some(obj) = &o.service_object {
        let ok = model.service_object(obj).is_some();
        c.reference(
            k,
            &o.id,
            "service_object",
            EntityKind::ServiceObject,
            obj,
            ok,
        );
    }
    for (field, tech) in [
        ("preferred_technician", &o.preferred_technician),
        ("required_technician", &o.required_technician),
    ] {
        if let Some(t) = tech {
            let ok = model.technician(t).is_some();
            c.reference(k, &o.id, field, EntityKind::Technician, t, ok);
        }
    }
    c.part_units(k, &o.id, "parts", &o.parts);
    c.tool_ids(k, &o.id, "tools", &o.tools);
}

/// Checks an order's lines: each task exists, and a task line has one.
fn check_order_lines(c: &mut Checker<'_>, o: &ServiceOrder) {
    let model = c.model;
    let k = EntityKind::Order;
    for (i, line) in o.lines.iter().enumerate() {
        if let Some(task) = &line.task {
            let ok = model.task(task).is_some();
            c.reference(
                k,
                &o.id,
                &format!("lines[{i}].task"),
                EntityKind::Task,
                task,
                ok,
            );
        }
        if line.kind == LineKind::Task && line.task.is_none() {
            let e = ValidationError::InvalidValue("a task line needs a task".into());
            c.push(k, &o.id, &format!("lines[{i}].task"), e);
        }
    }
}

/// Checks an order's repair lines against the repair codes and objects, then its repair stage.
fn check_order_repair(c: &mut Checker<'_>, o: &ServiceOrder) {
    let model = c.model;
    let k = EntityKind::Order;
    let codes = model.repair_codes();
    for (i, line) in o.repair_lines.iter().enumerate() {
        for (field, e) in codes.check_line(line) {
            c.push(k, &o.id, &format!("repair_lines[{i}].{field}"), e);
        }
        if let Some(obj) = &line.service_object {
            let ok = model.service_object(obj).is_some();
            let field = format!("repair_lines[{i}].service_object");
            c.reference(k, &o.id, &field, EntityKind::ServiceObject, obj, ok);
        }
    }
    if let Some(stage) = &o.repair_stage {
        if !codes.stages.is_empty() && codes.stage(stage).is_none() {
            let e = ValidationError::InvalidValue(format!("unknown repair stage `{stage}`"));
            c.push(k, &o.id, "repair_stage", e);
        }
    }
}

/// Largest `min_part_minutes` of an order or of the dispatch policy: one day.
pub const MAX_PART_MINUTES: u32 = 24 * 60;

/// Checks an order's own values: window order, demand and status history.
fn check_order_values(c: &mut Checker<'_>, o: &ServiceOrder) {
    let k = EntityKind::Order;
    if let (Some(from), Some(due)) = (o.earliest_start, o.due) {
        if due < from {
            let e = ValidationError::InvertedPeriod {
                start: from.to_rfc3339(),
                end: due.to_rfc3339(),
            };
            c.push(k, &o.id, "due", e);
        }
    }
    if let Some(a) = o.appointment {
        if a.to < a.from {
            let e = ValidationError::InvertedPeriod {
                start: a.from.to_rfc3339(),
                end: a.to.to_rfc3339(),
            };
            c.push(k, &o.id, "appointment", e);
        }
        if let Some(p) = o.pinned_start.filter(|&p| !a.contains(p)) {
            let e = ValidationError::InvalidValue(format!(
                "pinned start {} lies outside the booked window",
                p.to_rfc3339()
            ));
            c.push(k, &o.id, "pinned_start", e);
        }
    }
    if !(o.demand.is_finite() && o.demand >= 0.0) {
        let e = ValidationError::InvalidValue(format!("demand {} must be >= 0", o.demand));
        c.push(k, &o.id, "demand", e);
    }
    if !(1..=super::order::MAX_CREW).contains(&o.technicians_required) {
        let e = ValidationError::InvalidValue(format!(
            "{} outside 1..={}",
            o.technicians_required,
            super::order::MAX_CREW
        ));
        c.push(k, &o.id, "technicians_required", e);
    }
    if let Some(m) = o
        .min_part_minutes
        .filter(|m| !(1..=MAX_PART_MINUTES).contains(m))
    {
        let e = ValidationError::InvalidValue(format!("{m} outside 1..={MAX_PART_MINUTES}"));
        c.push(k, &o.id, "min_part_minutes", e);
    }
    if let Err(e) = o.check_history() {
        c.push(
            k,
            &o.id,
            "history",
            ValidationError::InvalidValue(e.to_string()),
        );
    }
}

/// Checks one order against the model (used when adding orders).
pub(super) fn check_order(model: &Model, order: &ServiceOrder, issues: &mut Vec<ValidationIssue>) {
    let mut c = Checker { model, issues };
    check_order_with(&mut c, order);
}
