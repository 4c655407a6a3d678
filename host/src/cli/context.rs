//! One resolved context for every command: the flags (and `FIELDWORK_DB`) are turned once into
//! a validated [`Context`] — the store (the database, or a dataset file loaded into the
//! in-memory store), the rules (`--rules DIR`, else `rules/` when it exists, else the built-in
//! rules), "now" and the business's time zone — and every command runs the same library phases
//! on it. So the same data gives the same plan, SLA figures and orders whichever way a command
//! is run, and every output says which rules it used.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

use super::{db, CliError};
use fieldwork::job::business_zone;
use fieldwork::model::{Model, ModelError};
use fieldwork::rules::RuleSet;
use fieldwork::store::{ImportMode, MemoryStore, Store};

/// The directory of rule files used when `--rules` is not given (if it exists).
pub const DEFAULT_RULES_DIR: &str = "rules";

/// `--db`: the database — an SQLite file, or a PostgreSQL URL.
#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// The database: an SQLite file, or a PostgreSQL URL (postgres://user@host/db, the store
    /// in the connection's current schema).
    #[arg(
        long,
        value_name = "PATH",
        env = "FIELDWORK_DB",
        default_value = "fieldwork.db"
    )]
    pub db: PathBuf,
}

/// `--db` or `--dataset`: where a command's data comes from.
#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// A dataset file (JSON) instead of the database: loaded into memory, the same phases run
    /// on it with the same rules, and nothing is stored.
    #[arg(long, value_name = "FILE")]
    pub dataset: Option<PathBuf>,
}

/// `--rules`: the rule directory.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RulesArgs {
    /// Directory of rule files (`*.rhai`); default `rules/` when it exists, else the built-in
    /// rules.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

/// `--at`: "now".
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AtArgs {
    /// "Now": an RFC 3339 instant (2027-03-01T07:00:00+01:00) or a local time of the business
    /// (2027-03-01T07:00, 2027-03-01 07:00); default the current time.
    #[arg(long, value_name = "AT", value_parser = parse_at)]
    pub at: Option<At>,
}

/// A parsed `--at`: an instant, or a local time resolved in the business's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// With an offset: an instant.
    Instant(DateTime<Utc>),
    /// Without an offset: local wall-clock time of the business.
    Local(NaiveDateTime),
}

/// Parses `--at`; the error shows what a good value looks like.
pub fn parse_at(text: &str) -> Result<At, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(At::Instant(t.with_timezone(&Utc)));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(At::Local(t));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(At::Local(d.and_time(chrono::NaiveTime::MIN)));
    }
    Err(
        "expected an RFC 3339 instant (2027-03-01T07:00:00+01:00) or a local time of the \
         business (2027-03-01T07:00 / 2027-03-01 07:00)"
            .to_owned(),
    )
}

impl AtArgs {
    /// "Now" in `zone`, to the second (a local time is read by
    /// [`fieldwork::calendar::local_instant`]: a time in a DST gap moves forward by the gap's
    /// length, a repeated time is its first occurrence).
    pub fn resolve(&self, zone: Tz) -> DateTime<Utc> {
        match self.at {
            None => Utc::now().trunc_subsecs(0),
            Some(At::Instant(t)) => t.trunc_subsecs(0),
            Some(At::Local(t)) => fieldwork::calendar::local_instant(zone, t),
        }
    }
}

/// Where the rules of a run came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesSource {
    /// A directory of rule files.
    Dir {
        /// The directory as given.
        path: PathBuf,
        /// Rule files (`*.rhai`) in it.
        files: usize,
    },
    /// No rule files: every hook's built-in default.
    BuiltIn,
}

impl fmt::Display for RulesSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RulesSource::Dir { path, files } => {
                let mut shown = path.display().to_string();
                if !shown.ends_with('/') {
                    shown.push('/');
                }
                let s = if *files == 1 { "" } else { "s" };
                write!(f, "{shown} ({files} file{s})")
            }
            RulesSource::BuiltIn => f.write_str("built-in"),
        }
    }
}

impl Serialize for RulesSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The rules of a command and where they came from.
#[derive(Debug)]
pub struct Rules {
    /// The compiled rules.
    pub set: RuleSet,
    /// Where they came from.
    pub source: RulesSource,
}

impl RulesArgs {
    /// Loads the rules: `--rules DIR`, else `rules/` when it exists, else none (every hook then
    /// falls back to its built-in default).
    pub fn load(&self) -> Result<Rules, CliError> {
        let dir = match &self.rules {
            Some(dir) => dir.clone(),
            None if Path::new(DEFAULT_RULES_DIR).is_dir() => PathBuf::from(DEFAULT_RULES_DIR),
            None => {
                return Ok(Rules {
                    set: RuleSet::empty(),
                    source: RulesSource::BuiltIn,
                })
            }
        };
        let set = RuleSet::load_dir(&dir).map_err(CliError::user)?;
        let files = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "rhai"))
                    .count()
            })
            .unwrap_or(0);
        Ok(Rules {
            set,
            source: RulesSource::Dir { path: dir, files },
        })
    }
}

/// Where a command's data came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The database at this path.
    Database(PathBuf),
    /// The dataset file at this path, loaded into memory.
    Dataset(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Database(p) => write!(f, "database {}", db::shown(p)),
            Source::Dataset(p) => write!(f, "dataset {}", p.display()),
        }
    }
}

/// The resolved context of a command.
pub struct Context {
    /// Where the data came from.
    pub source: Source,
    /// The store: the database, or the in-memory store holding the dataset.
    pub store: Box<dyn Store>,
    /// The model as loaded.
    pub model: Model,
    /// The rules.
    pub rules: Rules,
    /// The business's time zone (dates of the command are local dates of this zone).
    pub zone: Tz,
    /// "Now", to the second.
    pub now: DateTime<Utc>,
}

impl Context {
    /// Opens the store, loads the model and the rules, resolves "now".
    pub fn resolve(source: &SourceArgs, rules: &RulesArgs, at: &AtArgs) -> Result<Self, CliError> {
        let (source, store): (Source, Box<dyn Store>) = match &source.dataset {
            Some(path) => (Source::Dataset(path.clone()), Box::new(memory_store(path)?)),
            None => (
                Source::Database(source.db.db.clone()),
                db::open(&source.db.db)?,
            ),
        };
        Self::with_store(source, store, rules.load()?, at)
    }

    /// The context of an opened store.
    pub fn with_store(
        source: Source,
        store: Box<dyn Store>,
        rules: Rules,
        at: &AtArgs,
    ) -> Result<Self, CliError> {
        let model = store.load_model()?;
        Ok(Self::with_model(source, store, model, rules, at))
    }

    /// The context of an opened store whose model is already loaded (`fieldwork serve` keeps
    /// the model between requests while the store's revision stays the same).
    pub fn with_model(
        source: Source,
        store: Box<dyn Store>,
        model: Model,
        rules: Rules,
        at: &AtArgs,
    ) -> Self {
        let zone = business_zone(&model);
        Self {
            source,
            store,
            now: at.resolve(zone),
            zone,
            model,
            rules,
        }
    }

    /// Prints [`Self::header`] on stdout, unless `--quiet` (results only).
    pub fn say_header(&self, out: &super::Output) {
        if !out.quiet {
            say!("{}", self.header());
        }
    }

    /// Whether the data is a dataset file (nothing is stored).
    pub fn is_dataset(&self) -> bool {
        matches!(self.source, Source::Dataset(_))
    }

    /// The one-line header every command that runs engines prints first:
    /// `database fieldwork.db · rules: rules/ (5 files) · now 2027-03-01 07:00 CET`.
    pub fn header(&self) -> String {
        format!(
            "{} · rules: {} · now {}",
            self.source,
            self.rules.source,
            crate::format::instant(self.now, self.zone)
        )
    }
}

/// A dataset file in the in-memory store (validated as an import would; errors name the file,
/// line and column).
pub fn memory_store(path: &Path) -> Result<MemoryStore, CliError> {
    let text = fieldwork::model::read_dataset_text(path)?;
    let dataset: fieldwork::model::Dataset = serde_json::from_str(&text)
        .map_err(|e| ModelError::json(path.display().to_string(), &e))?;
    let mut store = MemoryStore::new();
    store.import(dataset, ImportMode::Replace)?;
    Ok(store)
}

impl Context {
    /// `result` with this context's rules and "now", for `--json`: `{"rules": …, "now": …,
    /// …result}` (the result's own fields win).
    pub fn json<T: Serialize>(&self, result: &T) -> serde_json::Value {
        let mut value = serde_json::json!({
            "rules": self.rules.source,
            "now": crate::format::rfc3339(self.now),
        });
        match serde_json::to_value(result) {
            Ok(serde_json::Value::Object(fields)) => {
                if let Some(map) = value.as_object_mut() {
                    map.extend(fields);
                }
            }
            Ok(other) => value["result"] = other,
            Err(e) => value["error"] = serde_json::Value::String(e.to_string()),
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn at_accepts_instants_and_local_times_and_explains_bad_ones() {
        let berlin = chrono_tz::Europe::Berlin;
        let at = |s: &str| AtArgs {
            at: Some(parse_at(s).unwrap()),
        };
        let utc = |h| Utc.with_ymd_and_hms(2027, 3, 9, h, 0, 0).unwrap();
        assert_eq!(at("2027-03-09T07:00:00Z").resolve(berlin), utc(7));
        assert_eq!(at("2027-03-09T07:00:00").resolve(berlin), utc(6));
        assert_eq!(at("2027-03-09T07:00").resolve(berlin), utc(6));
        // 02:30 on the spring-forward day does not exist: it is read as 03:30 CEST.
        let gap = at("2027-03-28T02:30").resolve(berlin);
        assert_eq!(gap, Utc.with_ymd_and_hms(2027, 3, 28, 1, 30, 0).unwrap());
        let err = parse_at("2027-03-09T07").unwrap_err();
        assert!(err.contains("2027-03-01T07:00:00+01:00"), "{err}");
        assert_eq!(at("2027-03-09 07:00:00").resolve(berlin), utc(6));
    }

    #[test]
    fn rules_source_reads_unambiguously() {
        let dir = RulesSource::Dir {
            path: "rules".into(),
            files: 5,
        };
        assert_eq!(dir.to_string(), "rules/ (5 files)");
        assert_eq!(RulesSource::BuiltIn.to_string(), "built-in");
    }
}
