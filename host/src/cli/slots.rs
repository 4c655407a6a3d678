//! `fieldwork slots`: the arrival windows that can be offered to a customer for one order over
//! the next days without moving any planned visit (`fieldwork::schedule::slots`), best first;
//! `fieldwork order book ID --slot N` books one.

use super::candidates::planned_workload;
use super::context::{AtArgs, Context, RulesArgs, SourceArgs};
use super::output::table;
use super::{CliError, Output};
use crate::format::{instant, km, minutes};
use fieldwork::dispatch::Dispatcher;
use fieldwork::model::OrderId;
use fieldwork::schedule::field::ScheduleOptions;
use fieldwork::schedule::slots::{slots, Slot, SlotRequest};
use fieldwork::store::current_plan;

/// How far and how many windows to look for.
#[derive(Debug, Clone, clap::Args)]
pub struct SearchArgs {
    /// Days to look ahead from "now" (1 to 28).
    #[arg(long, value_name = "N", default_value_t = 7)]
    pub days: u32,
    /// Windows to offer (1 to 50).
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub count: usize,
    /// Width of a window in minutes, on a grid from the customer's local midnight (15 to 720).
    #[arg(long, value_name = "M", default_value_t = 120)]
    pub window_minutes: u32,
}

/// Arguments of `fieldwork slots`.
#[derive(Debug, clap::Args)]
pub struct SlotsArgs {
    /// The database (its current plan is kept as it is) or a dataset file.
    #[command(flatten)]
    pub source: SourceArgs,
    /// The order to offer windows for.
    #[arg(long, value_name = "ID")]
    pub order: String,
    /// How far and how many.
    #[command(flatten)]
    pub search: SearchArgs,
    /// "Now": no window starts earlier.
    #[command(flatten)]
    pub at: AtArgs,
    /// The rules (dispatch policy and hooks).
    #[command(flatten)]
    pub rules: RulesArgs,
}

/// The windows offered for `order` in the context: its rules' dispatcher with the planned
/// workload of the stored plans, the current schedule kept as it is.
pub fn offered(ctx: &Context, order: &OrderId, search: &SearchArgs) -> Result<Vec<Slot>, CliError> {
    let plans = ctx.store.plans()?;
    let dispatcher = Dispatcher::from_rules(&ctx.rules.set)
        .map_err(CliError::user)?
        .with_workload(planned_workload(&ctx.model, &plans));
    let plan = current_plan(&ctx.model, &plans);
    let request = SlotRequest {
        order: order.clone(),
        now: ctx.now,
        days: search.days,
        count: search.count,
        window_minutes: search.window_minutes,
    };
    slots(
        &ctx.model,
        &dispatcher,
        plan.as_ref(),
        &request,
        &ScheduleOptions::default(),
    )
    .map_err(CliError::user)
}

/// Runs the command.
pub fn run(args: SlotsArgs, out: &Output) -> Result<(), CliError> {
    let ctx = Context::resolve(&args.source, &args.rules, &args.at)?;
    let order = OrderId::new(args.order.as_str());
    let offered = offered(&ctx, &order, &args.search)?;
    if out.json {
        return out.print_json(&ctx.json(&offered));
    }
    ctx.say_header(out);
    let tz = ctx
        .model
        .order(&order)
        .and_then(|o| ctx.model.customer(&o.customer))
        .and_then(|c| c.time_zone.tz().ok())
        .unwrap_or(ctx.zone);
    if offered.is_empty() {
        say!(
            "no window for {order} in the next {} days keeps the current plan",
            args.search.days
        );
        return Ok(());
    }
    say!(
        "{} windows for {order} that keep the current plan (book one with `fieldwork order book {order} --slot N`):",
        offered.len()
    );
    let rows: Vec<Vec<String>> = offered
        .iter()
        .enumerate()
        .map(|(i, s)| {
            vec![
                (i + 1).to_string(),
                format!(
                    "{} – {}",
                    instant(s.from, tz),
                    crate::format::clock(s.to, tz)
                ),
                std::iter::once(&s.technician)
                    .chain(&s.crew)
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" + "),
                crate::format::clock(s.start, tz),
                format!("{} / {}", minutes(s.detour_minutes), km(s.detour_km)),
                format!("{:.1}", s.score),
                format!("{:.1}", s.cost),
                s.alternatives.to_string(),
            ]
        })
        .collect();
    say!(
        "{}",
        table(
            &[
                "SLOT",
                "WINDOW",
                "TECHNICIAN",
                "START",
                "DETOUR",
                "SCORE",
                "COST",
                "ALSO"
            ],
            &rows
        )
    );
    Ok(())
}
