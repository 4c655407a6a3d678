//! `fieldwork schedule`: batch-schedules a dataset's open orders over a horizon and prints the
//! routes, the unassigned orders with reasons, and the KPIs.

use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use super::output::table;
use super::{CliError, GlobalArgs, Output};
use crate::dispatch::Dispatcher;
use crate::model::{Model, OrderId, OrderStatus};
use crate::schedule::field::{schedule, Lateness, ScheduleOptions};
use crate::schedule::plan::Plan;
use crate::sla::{Metric, SlaEngine};
use crate::store::job::{schedule_phase, JobOptions, ScheduleOutcome};
use crate::store::Store;

/// Arguments of `fieldwork schedule`.
#[derive(Debug, clap::Args)]
pub struct ScheduleArgs {
    /// The dataset (JSON); nothing is stored. When absent, the database (`--db`): the open
    /// orders are planned (re-planning the stored plan of the same window, if any) and the plan
    /// is stored with the orders' new status in one batch.
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// With the database: "now" (RFC 3339); planning starts no earlier. Default: the current
    /// time.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<DateTime<chrono::FixedOffset>>,
    /// With the database: rule directory (`sla_targets`, dispatch hooks); default `rules/` when
    /// it exists.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// First day of the horizon (YYYY-MM-DD, UTC midnight).
    #[arg(long)]
    pub from: NaiveDate,
    /// Day after the horizon (YYYY-MM-DD, exclusive).
    #[arg(long)]
    pub to: NaiveDate,
    /// Search time budget in milliseconds (the best plan found by then is returned).
    #[arg(long, default_value_t = 3000)]
    pub budget_ms: u64,
    /// Search iterations (deterministic with --seed); unlimited within the time budget if 0.
    #[arg(long, default_value_t = 0)]
    pub iterations: u64,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Leave orders unassigned rather than plan them after their SLA deadline.
    #[arg(long)]
    pub no_late: bool,
    /// Write the plan as JSON to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Midnight UTC of a date.
pub fn day_start(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// SLA resolution deadlines by order.
pub type Dues = HashMap<OrderId, DateTime<Utc>>;

/// The orders awaiting planning (status `created`) and their SLA resolution deadlines.
pub fn open_orders(model: &Model, at: DateTime<Utc>) -> Result<(Vec<OrderId>, Dues), CliError> {
    let sla = SlaEngine::new(model).map_err(CliError::user)?;
    let mut ids = Vec::new();
    let mut dues = HashMap::new();
    for order in model
        .orders()
        .iter()
        .filter(|o| o.status() == OrderStatus::Created)
    {
        ids.push(order.id.clone());
        let status = sla.status(order, at).map_err(CliError::user)?;
        if let Some(m) = status.metric(Metric::Resolution) {
            dues.insert(order.id.clone(), m.due);
        }
    }
    Ok((ids, dues))
}

/// Runs the command.
fn options(args: &ScheduleArgs) -> ScheduleOptions {
    ScheduleOptions {
        seed: args.seed,
        iterations: (args.iterations > 0).then_some(args.iterations),
        time_budget: Some(Duration::from_millis(args.budget_ms)),
        lateness: if args.no_late {
            Lateness::Forbidden
        } else {
            Lateness::Penalised
        },
        ..ScheduleOptions::default()
    }
}

/// `schedule` on the database: the main job's scheduling phase over `[from, to)`.
fn run_on_db(args: &ScheduleArgs, global: &GlobalArgs, out: &Output) -> Result<(), CliError> {
    let rules = super::billing::load_rules(args.rules.as_deref())?;
    let mut store = super::db::open(&global.db)?;
    let model = store.load_model()?;
    let now = args.at.map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    let mut job = JobOptions::new(args.from, args.to, now);
    job.schedule = options(args);
    job.schedule_days = u32::try_from((args.to - args.from).num_days()).unwrap_or(u32::MAX);
    let outcome = schedule_phase(&mut store, &model, &rules, &job)?;
    let plan = match &outcome {
        ScheduleOutcome::Planned { plan, .. } => store.plans()?.into_iter().find(|p| &p.id == plan),
        ScheduleOutcome::NothingToPlan => None,
        ScheduleOutcome::Failed { error } => return Err(CliError::user(error)),
    };
    let Some(stored) = plan else {
        if out.json {
            return out.print_json(&outcome);
        }
        say!("no open order to plan in {} .. {}", args.from, args.to);
        return Ok(());
    };
    if let Some(path) = &args.out {
        let text = serde_json::to_string_pretty(&stored.plan)
            .map_err(|e| CliError::Internal(e.to_string()))?;
        std::fs::write(path, text)
            .map_err(|e| CliError::user(format!("{}: {e}", path.display())))?;
    }
    if out.json {
        return out.print_json(&stored);
    }
    let model = store.load_model()?;
    say!(
        "{}\n\nstored as {} in {}",
        render(&model, &stored.plan),
        stored.id,
        global.db.display()
    );
    Ok(())
}

/// Runs the command.
pub fn run(args: ScheduleArgs, global: &GlobalArgs, out: &Output) -> Result<(), CliError> {
    if args.to <= args.from {
        return Err(CliError::User(format!(
            "--to {} must be after --from {}",
            args.to, args.from
        )));
    }
    let Some(dataset) = &args.dataset else {
        return run_on_db(&args, global, out);
    };
    let model = Model::load(dataset)?;
    let (from, to) = (day_start(args.from), day_start(args.to));
    let (orders, dues) = open_orders(&model, from)?;
    let options = options(&args);
    let plan = schedule(
        &model,
        &Dispatcher::default(),
        &orders,
        &dues,
        from,
        to,
        &options,
    )
    .map_err(CliError::user)?;
    if let Some(path) = &args.out {
        let text =
            serde_json::to_string_pretty(&plan).map_err(|e| CliError::Internal(e.to_string()))?;
        std::fs::write(path, text)
            .map_err(|e| CliError::user(format!("{}: {e}", path.display())))?;
    }
    if out.json {
        return out.print_json(&plan);
    }
    say!("{}", render(&model, &plan));
    Ok(())
}

/// The plan as text: KPIs, one line per visit, the unassigned orders.
pub fn render(model: &Model, plan: &Plan) -> String {
    let k = &plan.kpis;
    let mut text = format!(
        "assigned {}/{} orders · travel {:.0} km / {:.1} h · utilisation {:.0}% · SLA breaches {}\n\n",
        k.orders_assigned, k.orders_total, k.travel_km, k.travel_minutes / 60.0, k.utilisation * 100.0, k.sla_breaches
    );
    let tz = |tech: &crate::model::TechnicianId| {
        model
            .technician(tech)
            .and_then(|t| model.calendar(&t.calendar))
            .and_then(|c| c.time_zone.tz().ok())
            .unwrap_or(chrono_tz::Tz::UTC)
    };
    let mut rows = Vec::new();
    for route in &plan.routes {
        let zone = tz(&route.technician);
        for v in &route.visits {
            rows.push(vec![
                route.technician.to_string(),
                route.day.to_string(),
                v.start.with_timezone(&zone).format("%H:%M").to_string(),
                v.end.with_timezone(&zone).format("%H:%M").to_string(),
                v.order.to_string(),
                format!("{:.0} min", v.travel_minutes),
                if v.is_late() {
                    format!("late {:.0} min", v.late_minutes)
                } else {
                    String::new()
                },
            ]);
        }
    }
    text.push_str(&table(
        &[
            "technician",
            "day",
            "start",
            "end",
            "order",
            "travel",
            "SLA",
        ],
        &rows,
    ));
    if !plan.unassigned.is_empty() {
        text.push_str("\n\nunassigned:\n");
        let rows: Vec<Vec<String>> = plan
            .unassigned
            .iter()
            .map(|u| vec![u.order.to_string(), u.reason.to_string(), u.detail.clone()])
            .collect();
        text.push_str(&table(&["order", "reason", "detail"], &rows));
    }
    text
}
