//! `fieldwork token`: the API tokens of `fieldwork serve` — create (the secret is printed
//! once; only its SHA-256 is stored), list, revoke.

use chrono::{SubsecRound, Utc};
use clap::Subcommand;

use super::context::DbArgs;
use super::{db, CliError, Output};
use crate::format::table;
use crate::sql::access::{Role, MAX_SUBJECT_BYTES};
use fieldwork::model::TechnicianId;

/// Arguments of `fieldwork token`.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: TokenCommand,
}

/// The `token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret (once: it is stored hashed).
    Create(CreateArgs),
    /// List the tokens (never their secrets).
    List(ListArgs),
    /// Revoke a token: requests with it are refused (401) from then on.
    Revoke(RevokeArgs),
}

/// Arguments of `token create`.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// admin (rules, audit log, everything), manager (everything but the rules), dispatcher
    /// (orders, plans, runs, the board) or technician (their own visits; needs --technician).
    #[arg(long, value_name = "ROLE", value_parser = parse_role)]
    pub role: Role,
    /// The technician a technician token is bound to.
    #[arg(long, value_name = "ID")]
    pub technician: Option<String>,
    /// Who holds it (written to the audit log with every operation); default the role.
    #[arg(long, value_name = "NAME")]
    pub subject: Option<String>,
}

/// Arguments of `token list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
}

/// Arguments of `token revoke`.
#[derive(Debug, clap::Args)]
pub struct RevokeArgs {
    /// The token's id (from `token list`).
    #[arg(value_name = "ID")]
    pub id: i64,
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| "expected admin, manager, dispatcher or technician".to_owned())
}

/// Runs the command.
pub fn run(args: TokenArgs, out: &Output) -> Result<(), CliError> {
    match args.command {
        TokenCommand::Create(a) => create(a, out),
        TokenCommand::List(a) => list(a, out),
        TokenCommand::Revoke(a) => revoke(a, out),
    }
}

fn create(args: CreateArgs, out: &Output) -> Result<(), CliError> {
    let mut store = db::open_host(&args.db.db)?;
    match (args.role, &args.technician) {
        (Role::Technician, None) => {
            return Err(CliError::user(
                "a technician token is bound to one technician: give --technician ID",
            ))
        }
        (Role::Technician, Some(id)) => {
            let model = store.load_model()?;
            if model.technician(&TechnicianId::new(id.as_str())).is_none() {
                return Err(CliError::User(format!("unknown technician `{id}`")));
            }
        }
        (role, Some(_)) => {
            return Err(CliError::User(format!(
                "--technician binds technician tokens only, not a {role} token"
            )))
        }
        (_, None) => {}
    }
    let subject = args
        .subject
        .clone()
        .unwrap_or_else(|| args.role.to_string());
    if subject.trim().is_empty() || subject.len() > MAX_SUBJECT_BYTES {
        return Err(CliError::User(format!(
            "--subject must be 1 to {MAX_SUBJECT_BYTES} bytes"
        )));
    }
    let (record, secret) = store.create_token(
        args.role,
        args.technician.as_deref(),
        &subject,
        Utc::now().trunc_subsecs(0),
    )?;
    if out.json {
        return out.print_json(&serde_json::json!({ "token": secret, "record": record }));
    }
    say!("{secret}");
    if !out.quiet {
        eprintln!(
            "token {} ({}{}, subject {}): keep it now, it is not shown again",
            record.id,
            record.role,
            record
                .technician
                .as_ref()
                .map(|t| format!(" of {t}"))
                .unwrap_or_default(),
            record.subject
        );
    }
    Ok(())
}

fn list(args: ListArgs, out: &Output) -> Result<(), CliError> {
    let store = db::open_host(&args.db.db)?;
    let tokens = store.tokens()?;
    if out.json {
        return out.print_json(&serde_json::json!({ "tokens": tokens }));
    }
    let rows: Vec<Vec<String>> = tokens
        .iter()
        .map(|t| {
            vec![
                t.id.to_string(),
                t.role.to_string(),
                t.technician.clone().unwrap_or_default(),
                t.subject.clone(),
                t.created_at.clone(),
                t.revoked_at.clone().unwrap_or_default(),
            ]
        })
        .collect();
    say!(
        "{}",
        table(
            &["id", "role", "technician", "subject", "created", "revoked"],
            &rows
        )
    );
    Ok(())
}

fn revoke(args: RevokeArgs, out: &Output) -> Result<(), CliError> {
    let mut store = db::open_host(&args.db.db)?;
    if !store.revoke_token(args.id, Utc::now().trunc_subsecs(0))? {
        return Err(CliError::User(format!(
            "no active token {} (see `fieldwork token list`)",
            args.id
        )));
    }
    if out.json {
        return out.print_json(&serde_json::json!({ "revoked": args.id }));
    }
    if !out.quiet {
        say!("token {} revoked", args.id);
    }
    Ok(())
}
