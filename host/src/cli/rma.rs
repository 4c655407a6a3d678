//! `fieldwork rma`: shows a return order, each line's disposition (recorded or proposed by the
//! disposition rule) and the actions the dispositions imply; `rma receive|inspect|execute|close
//! ID` moves it one step in the database (one transaction: the return order, the replacement
//! and repair orders and the credits execution creates).

use super::context::{AtArgs, Context, RulesArgs, SourceArgs};
use super::{CliError, Output};
use crate::format::rfc3339;
use crate::format::{instant, table};
use fieldwork::model::ReturnOrderId;
use fieldwork::operations::{return_step, ReturnAction};
use fieldwork::rma::{review, DecidedBy, RmaReview, RuleDisposition};
use fieldwork::store::ReturnStep;

/// Arguments of `fieldwork rma`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct RmaArgs {
    /// A step to record (without one: show the return order).
    #[command(subcommand)]
    pub step: Option<RmaStep>,
    /// The database, or a dataset file.
    #[command(flatten)]
    pub source: SourceArgs,
    /// The return order (RMA number).
    // `--id`, its old name, stays as a hidden alias (scripts and older docs use it).
    #[arg(long, value_name = "ID", alias = "id", required = true)]
    pub order: Option<String>,
    /// "Now": the instant the implied orders and credits would be created.
    #[command(flatten)]
    pub at: AtArgs,
    /// The rules (`disposition` proposes dispositions; without it, the built-in rule).
    #[command(flatten)]
    pub rules: RulesArgs,
}

/// A return-order step.
#[derive(Debug, clap::Subcommand)]
pub enum RmaStep {
    /// The goods arrived (created -> received).
    Receive(StepArgs),
    /// Decide every line's disposition (received -> inspected; the disposition rule proposes).
    Inspect(StepArgs),
    /// Carry the dispositions out (inspected -> disposition_executed): replacement and repair
    /// orders are created, credits posted.
    Execute(StepArgs),
    /// Finish (disposition_executed -> closed).
    Close(StepArgs),
}

/// Arguments of a return-order step.
#[derive(Debug, clap::Args)]
pub struct StepArgs {
    /// The return order (RMA number).
    #[arg(value_name = "ID")]
    pub id: String,
    /// The database (a --dataset file is refused: steps are recorded).
    #[command(flatten)]
    pub source: SourceArgs,
    /// When it happened (the created orders' creation instant).
    #[command(flatten)]
    pub at: AtArgs,
    /// The rules (`disposition` decides at inspection).
    #[command(flatten)]
    pub rules: RulesArgs,
}

/// Records one step of a return order in the context's database (the CLI's `rma receive|…`
/// and the API's `POST /returns/{id}/{action}`); returns the step and its JSON.
pub(crate) fn record_step(
    ctx: &mut Context,
    id: &str,
    action: ReturnAction,
) -> Result<(ReturnStep, serde_json::Value), CliError> {
    if ctx.is_dataset() {
        return Err(CliError::User(format!(
            "`rma {action}` records a step in the database; a --dataset file is read-only \
             (import it with `fieldwork import FILE` and use --db)"
        )));
    }
    let id = ReturnOrderId::new(id);
    let step = return_step(
        &ctx.model,
        &id,
        action,
        &RuleDisposition(&ctx.rules.set),
        ctx.now,
    )
    .map_err(CliError::user)?;
    ctx.store.apply_return_step(&step)?;
    let orders: Vec<&str> = step.orders.iter().map(|o| o.id.as_str()).collect();
    let credits: Vec<&str> = step.transactions.iter().map(|t| t.id.as_str()).collect();
    let json = ctx.json(&serde_json::json!({
        "return_order": id,
        "action": action,
        "from": step.from,
        "status": step.rma.status,
        "at": rfc3339(ctx.now),
        "orders_created": orders,
        "credits_posted": credits,
    }));
    Ok((step, json))
}

/// The review of a return order at the context's "now" (the CLI's `rma --order` and the API's
/// `GET /returns/{id}`).
pub(crate) fn review_of(ctx: &Context, id: &str) -> Result<RmaReview, CliError> {
    review(
        &ctx.model,
        &ReturnOrderId::new(id),
        &RuleDisposition(&ctx.rules.set),
        ctx.now,
    )
    .map_err(CliError::user)
}

/// Records one step.
fn step(action: ReturnAction, args: StepArgs, out: &Output) -> Result<(), CliError> {
    let mut ctx = Context::resolve(&args.source, &args.rules, &args.at)?;
    let (step, json) = record_step(&mut ctx, &args.id, action)?;
    let id = &args.id;
    if out.json {
        return out.print_json(&json);
    }
    ctx.say_header(out);
    say!(
        "return order {id}: {action} at {}: {} -> {}",
        instant(ctx.now, ctx.zone),
        step.from,
        step.rma.status
    );
    for line in &step.rma.lines {
        if let Some(d) = line.disposition.filter(|_| action == ReturnAction::Inspect) {
            say!("  line {}: {}", line.line, d.as_str());
        }
    }
    for order in &step.orders {
        say!("  created order {}", order.id);
    }
    for t in &step.transactions {
        say!("  posted credit {} {} ({})", t.amount, t.currency, t.id);
    }
    Ok(())
}

/// Runs the command.
pub fn run(args: RmaArgs, out: &Output) -> Result<(), CliError> {
    match args.step {
        Some(RmaStep::Receive(a)) => return step(ReturnAction::Receive, a, out),
        Some(RmaStep::Inspect(a)) => return step(ReturnAction::Inspect, a, out),
        Some(RmaStep::Execute(a)) => return step(ReturnAction::Execute, a, out),
        Some(RmaStep::Close(a)) => return step(ReturnAction::Close, a, out),
        None => {}
    }
    let Some(order) = args.order else {
        return Err(CliError::user(
            "give --order ID to show a return order, or a step: rma receive|inspect|execute|close ID",
        ));
    };
    let ctx = Context::resolve(&args.source, &args.rules, &args.at)?;
    let zone = ctx.zone;
    let review = review_of(&ctx, &order)?;
    if out.json {
        return out.print_json(&ctx.json(&review));
    }
    ctx.say_header(out);
    let rma = &review.rma;
    let reason = review
        .reason
        .as_ref()
        .filter(|r| !r.description.is_empty())
        .map(|r| format!("{} ({})", r.code, r.description))
        .unwrap_or_else(|| rma.reason_code.clone());
    say!("return order {}  customer {}", rma.id, rma.customer);
    say!("reason       {reason}");
    say!(
        "status       {}{}",
        rma.status,
        review
            .next_status
            .map(|s| format!(" (next: {s})"))
            .unwrap_or_default()
    );
    say!("created      {}", instant(rma.created_at, zone));
    say!();
    let lines: Vec<Vec<String>> = rma
        .lines
        .iter()
        .zip(&review.decisions)
        .map(|(line, d)| {
            let who = match d.decided_by {
                DecidedBy::Recorded => "recorded",
                DecidedBy::Rule => "proposed by rule",
                DecidedBy::BuiltIn => "proposed (built-in)",
            };
            vec![
                line.line.to_string(),
                line.item.clone(),
                line.service_object
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "-".into()),
                line.quantity.to_string(),
                line.value.to_string(),
                d.disposition.as_str().to_owned(),
                who.to_owned(),
                d.reason.clone(),
            ]
        })
        .collect();
    say!(
        "{}",
        table(
            &[
                "line",
                "item",
                "object",
                "qty",
                "value",
                "disposition",
                "decided",
                "why"
            ],
            &lines
        )
    );
    say!();
    let actions: Vec<Vec<String>> = review
        .actions
        .iter()
        .map(|a| {
            vec![
                a.line().to_string(),
                a.disposition().as_str().to_owned(),
                a.summary(),
            ]
        })
        .collect();
    say!("{}", table(&["line", "action", "implies"], &actions));
    Ok(())
}
