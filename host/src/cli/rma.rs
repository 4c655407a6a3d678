//! `fieldwork rma`: shows a return order, each line's disposition (recorded or proposed by the
//! disposition rule) and the actions the dispositions imply.

use super::context::{AtArgs, Context, RulesArgs, SourceArgs};
use super::{CliError, Output};
use crate::format::{instant, table};
use fieldwork::model::ReturnOrderId;
use fieldwork::rma::{review, DecidedBy, RuleDisposition};

/// Arguments of `fieldwork rma`.
#[derive(Debug, clap::Args)]
pub struct RmaArgs {
    /// The database, or a dataset file.
    #[command(flatten)]
    pub source: SourceArgs,
    /// The return order (RMA number).
    // `--id`, its old name, stays as a hidden alias (scripts and older docs use it).
    #[arg(long, value_name = "ID", alias = "id")]
    pub order: String,
    /// "Now": the instant the implied orders and credits would be created.
    #[command(flatten)]
    pub at: AtArgs,
    /// The rules (`disposition` proposes dispositions; without it, the built-in rule).
    #[command(flatten)]
    pub rules: RulesArgs,
}

/// Runs the command.
pub fn run(args: RmaArgs, out: &Output) -> Result<(), CliError> {
    let ctx = Context::resolve(&args.source, &args.rules, &args.at)?;
    let (model, zone) = (&ctx.model, ctx.zone);
    let review = review(
        model,
        &ReturnOrderId::new(args.order),
        &RuleDisposition(&ctx.rules.set),
        ctx.now,
    )
    .map_err(CliError::user)?;
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
