//! `fieldwork candidates`: the explained candidate list of one order — every technician, the
//! eligible ones ranked with their per-objective grades, the excluded ones with the work rules
//! that exclude them.

use chrono::{DateTime, Utc};
use std::path::PathBuf;

use super::context::{AtArgs, Context, RulesArgs, SourceArgs};
use super::output::table;
use super::{CliError, Output};
use fieldwork::dispatch::{DayLoad, Dispatcher, Objective, Ranking, Verdict, Workload};
use fieldwork::model::{Model, OrderId};
use fieldwork::store::{current_plan, StoredPlan};

/// Arguments of `fieldwork candidates`.
#[derive(Debug, clap::Args)]
pub struct CandidatesArgs {
    /// The database (its stored plans give the technicians' planned workload), or a dataset
    /// file.
    #[command(flatten)]
    pub source: SourceArgs,
    /// The order to rank technicians for.
    #[arg(long, value_name = "ID")]
    pub order: String,
    /// "Now" for the ranking.
    #[command(flatten)]
    pub at: AtArgs,
    /// Work already planned, JSON `{"T-1": {"2027-03-01": {"jobs": 3, "minutes": 300}}}`
    /// (replaces the workload of the stored plans).
    #[arg(long, value_name = "FILE")]
    pub workload: Option<PathBuf>,
    /// The rules (dispatch hooks; without them the built-in policy).
    #[command(flatten)]
    pub rules: RulesArgs,
}

/// The dispatcher of a context: the rules' dispatch policy with the workload of the stored
/// plans, replaced by `workload` when given.
fn dispatcher<'r>(
    ctx: &'r Context,
    workload: Option<Workload>,
) -> Result<Dispatcher<'r>, CliError> {
    let planned = planned_workload(&ctx.model, &ctx.store.plans()?);
    let dispatcher = Dispatcher::from_rules(&ctx.rules.set)
        .map_err(CliError::user)?
        .with_workload(planned);
    Ok(match workload {
        Some(w) => dispatcher.with_workload(w),
        None => dispatcher,
    })
}

/// The explained ranking of technicians for one order at the context's "now" (the CLI's
/// `candidates` and the API's `GET /orders/{id}/candidates`).
pub(crate) fn rank(ctx: &Context, order: &str) -> Result<Ranking, CliError> {
    dispatcher(ctx, None)?
        .rank(&ctx.model, &OrderId::new(order), ctx.now)
        .map_err(CliError::user)
}

/// Runs the command.
pub fn run(args: CandidatesArgs, out: &Output) -> Result<(), CliError> {
    let ctx = Context::resolve(&args.source, &args.rules, &args.at)?;
    let model = &ctx.model;
    let workload = match &args.workload {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::user(format!("{}: {e}", path.display())))?;
            Some(serde_json::from_str::<Workload>(&text).map_err(|e| {
                CliError::user(format!("{}: malformed workload: {e}", path.display()))
            })?)
        }
        None => None,
    };
    let dispatcher = dispatcher(&ctx, workload)?;
    let at = ctx.now;
    let ranking = dispatcher
        .rank(model, &OrderId::new(args.order.as_str()), at)
        .map_err(CliError::user)?;
    if out.json {
        out.print_json(&ctx.json(&ranking))
    } else {
        ctx.say_header(out);
        // Times are shown in the zone of the customer's site.
        let tz = model
            .order(&ranking.order)
            .and_then(|o| model.customer(&o.customer))
            .and_then(|c| c.time_zone.tz().ok())
            .unwrap_or(chrono_tz::Tz::UTC);
        say!("{}", render(&ranking, &dispatcher, tz));
        Ok(())
    }
}

/// The work of the current schedule ([`current_plan`] of the stored plans) still to do: per
/// technician and day, the visits of orders that are scheduled or started, with their minutes
/// on site.
pub fn planned_workload(model: &Model, plans: &[StoredPlan]) -> Workload {
    let mut workload = Workload::default();
    let current = current_plan(model, plans);
    for route in current.iter().flat_map(|p| &p.routes) {
        let open: Vec<_> = route
            .visits
            .iter()
            .filter(|v| {
                model
                    .order(&v.order)
                    .is_some_and(|o| o.status().is_booked())
            })
            .collect();
        if open.is_empty() {
            continue;
        }
        let minutes: f64 = open
            .iter()
            .map(|v| (v.end - v.start).num_seconds() as f64 / 60.0)
            .sum();
        workload.add(
            route.technician.clone(),
            route.day,
            DayLoad::new(open.len() as u32, minutes),
        );
    }
    workload
}

/// Short column headers of the built-in objectives.
fn short(o: Objective) -> &'static str {
    match o {
        Objective::SlaUrgency => "SLA",
        Objective::Travel => "TRAVEL",
        Objective::SkillFit => "SKILL",
        Objective::PreferredTechnician => "PREF",
        Objective::WorkloadBalance => "LOAD",
        Objective::Cost => "COST",
    }
}

/// The human rendering: a header, the ranked table (grades per objective), the exclusions;
/// times in `tz`.
pub fn render(ranking: &Ranking, dispatcher: &Dispatcher<'_>, tz: chrono_tz::Tz) -> String {
    let fmt_time = |t: DateTime<Utc>| crate::format::instant(t, tz);
    let mut text = format!(
        "order {}: {}, start between {} and {}, ranked at {}\n",
        ranking.order,
        crate::format::minutes(ranking.duration_minutes),
        fmt_time(ranking.window_start),
        fmt_time(ranking.window_end),
        fmt_time(ranking.at)
    );
    let weights = &dispatcher.policy().weights;
    let legend: Vec<String> = Objective::ALL
        .iter()
        .map(|o| format!("{} {} = {}", short(*o), o.name(), weights.get(*o)))
        .chain(weights.custom().iter().map(|(n, w)| format!("{n} = {w}")))
        .collect();
    text.push_str(&format!("weights: {}\n\n", legend.join(", ")));

    let custom: Vec<&str> = weights
        .custom()
        .iter()
        .filter(|(_, w)| *w > 0.0)
        .map(|(n, _)| n.as_str())
        .collect();
    let mut headers = vec![
        "RANK",
        "TECHNICIAN",
        "NAME",
        "SCORE",
        "EARLIEST START",
        "TRAVEL",
    ];
    headers.extend(Objective::ALL.iter().map(|o| short(*o)));
    let custom_upper: Vec<String> = custom.iter().map(|c| c.to_uppercase()).collect();
    headers.extend(custom_upper.iter().map(String::as_str));
    let mut rows = Vec::new();
    let mut excluded = Vec::new();
    for c in &ranking.candidates {
        match &c.verdict {
            Verdict::Eligible(g) => {
                let mut row = vec![
                    c.rank.map(|r| r.to_string()).unwrap_or_default(),
                    c.technician.to_string(),
                    c.name.clone(),
                    format!("{:.1}", g.total),
                    fmt_time(g.earliest_start),
                    format!(
                        "{} {}",
                        crate::format::minutes(g.travel.minutes),
                        crate::format::km(g.travel.km)
                    ),
                ];
                row.extend(g.objectives.iter().map(|o| format!("{:.0}", o.grade)));
                rows.push(row);
            }
            Verdict::Excluded { exclusions } => {
                let reasons: Vec<String> = exclusions
                    .iter()
                    .map(|e| format!("{}: {}", e.rule, e.reason))
                    .collect();
                excluded.push(vec![
                    c.technician.to_string(),
                    c.name.clone(),
                    reasons.join("; "),
                ]);
            }
        }
    }
    if rows.is_empty() {
        text.push_str("no eligible technician\n");
    } else {
        text.push_str(&table(&headers, &rows));
        text.push('\n');
    }
    if ranking.technicians_required > 1 {
        text.push_str(&format!(
            "\ncrew job: {} technicians start together",
            ranking.technicians_required
        ));
        if ranking.crews.is_empty() {
            text.push_str(&format!(
                "; no crew of {} available together (fewer eligible)\n",
                ranking.technicians_required
            ));
        } else {
            text.push_str("; best crews:\n");
            let crews: Vec<Vec<String>> = ranking
                .crews
                .iter()
                .map(|c| {
                    let names: Vec<&str> = c.technicians.iter().map(|t| t.as_str()).collect();
                    vec![
                        c.rank.to_string(),
                        names.join(" + "),
                        format!("{:.1}", c.score),
                        fmt_time(c.earliest_start),
                        c.explanation.clone(),
                    ]
                })
                .collect();
            text.push_str(&table(
                &["RANK", "CREW", "SCORE", "TOGETHER FROM", "WHY"],
                &crews,
            ));
            text.push('\n');
        }
    }
    if !excluded.is_empty() {
        text.push_str(&format!("\nexcluded ({}):\n", excluded.len()));
        text.push_str(&table(&["TECHNICIAN", "NAME", "WHY"], &excluded));
        text.push('\n');
    }
    text.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn parses_the_documented_arguments() {
        let cli = Cli::try_parse_from([
            "fieldwork",
            "candidates",
            "--dataset",
            "d.json",
            "--order",
            "SO-1",
            "--at",
            "2027-03-01T08:00:00Z",
            "--json",
        ])
        .unwrap();
        assert!(cli.global.json);
        let Command::Candidates(args) = cli.command else {
            panic!("not candidates")
        };
        assert_eq!(args.order, "SO-1");
        assert_eq!(
            args.at.resolve(chrono_tz::Tz::UTC).to_rfc3339(),
            "2027-03-01T08:00:00+00:00"
        );
        // Without --dataset the database (--db) is read; --order is required.
        let cli = Cli::try_parse_from(["fieldwork", "candidates", "--order", "SO-1"]).unwrap();
        let Command::Candidates(args) = cli.command else {
            panic!("not candidates")
        };
        assert!(args.source.dataset.is_none());
        assert!(Cli::try_parse_from(["fieldwork", "candidates", "--dataset", "d.json"]).is_err());
    }

    #[test]
    fn renders_ranked_grades_and_exclusion_reasons() {
        let model = Model::from_json(
            r#"{
          "calendars": [{"id": "c", "time_zone": "Europe/Berlin",
                         "weekly": {"mon": [["08:00","17:00"]]}}],
          "customers": [{"id": "C-1", "name": "Acme", "tier": "gold",
                         "time_zone": "Europe/Berlin", "location": {"lat": 52.5, "lon": 13.4}}],
          "tasks": [{"code": "HVAC", "description": "Service", "duration_minutes": 90,
                     "required_skills": [{"skill": "hvac", "min_level": 3}]}],
          "technicians": [
            {"id": "T-1", "name": "Ana", "skills": {"hvac": 4}, "home": {"lat": 52.52, "lon": 13.4},
             "calendar": "c", "hourly_cost": "40", "max_hours_per_day": 8},
            {"id": "T-2", "name": "Ben", "skills": {"hvac": 2}, "home": {"lat": 52.5, "lon": 13.4},
             "calendar": "c", "hourly_cost": "30", "max_hours_per_day": 8}],
          "orders": [{"id": "SO-1", "customer": "C-1", "origin": {"kind": "manual"},
                      "priority": "high", "created_at": "2027-03-01T07:00:00Z",
                      "lines": [{"kind": "task", "task": "HVAC", "quantity": "1",
                                 "unit_price": "0"}]}]
        }"#,
        )
        .unwrap();
        let dispatcher = Dispatcher::default();
        let at = "2027-03-01T07:00:00Z".parse().unwrap();
        let ranking = dispatcher.rank(&model, &OrderId::new("SO-1"), at).unwrap();
        let text = render(&ranking, &dispatcher, chrono_tz::Europe::Berlin);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("order SO-1: 1 h 30 min, start between Mon 2027-03-01 08:00 CET"),
            "{}",
            lines[0]
        );
        let row = lines.iter().find(|l| l.starts_with("1 ")).unwrap();
        assert!(
            row.contains("T-1") && row.contains("Mon 2027-03-01 08:03"),
            "{row}"
        );
        assert!(text.contains("excluded (1):"));
        assert!(
            text.contains("T-2         Ben   skills: lacks skill hvac level 3 (has 2)"),
            "{text}"
        );
    }
}
