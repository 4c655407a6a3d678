//! Errors of the domain model: validation issues (each naming entity, id and field) and the
//! load/save errors that wrap them.

use std::fmt;
use std::path::PathBuf;
use thiserror::Error;

/// The kind of entity a validation issue is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityKind {
    /// A [`super::Customer`].
    Customer,
    /// A [`super::BusinessCalendar`].
    Calendar,
    /// A [`super::ServiceObject`].
    ServiceObject,
    /// A [`super::ServiceTask`].
    Task,
    /// A [`super::Technician`].
    Technician,
    /// A [`super::ServiceAgreement`].
    Agreement,
    /// An [`super::AgreementLine`].
    AgreementLine,
    /// A [`super::ServiceOrder`].
    Order,
    /// A [`super::Subscription`].
    Subscription,
    /// A [`super::ReturnOrder`].
    ReturnOrder,
    /// An [`super::Absence`] (named by its key, technician@start/end).
    Absence,
    /// A [`super::PartType`].
    Part,
    /// A [`super::ToolType`].
    Tool,
    /// A [`super::Depot`].
    Depot,
    /// The dataset as a whole (format version and similar).
    Dataset,
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EntityKind::Customer => "customer",
            EntityKind::Calendar => "calendar",
            EntityKind::ServiceObject => "service object",
            EntityKind::Task => "task",
            EntityKind::Technician => "technician",
            EntityKind::Agreement => "agreement",
            EntityKind::AgreementLine => "agreement line",
            EntityKind::Order => "order",
            EntityKind::Subscription => "subscription",
            EntityKind::ReturnOrder => "return order",
            EntityKind::Absence => "absence",
            EntityKind::Part => "part",
            EntityKind::Tool => "tool",
            EntityKind::Depot => "depot",
            EntityKind::Dataset => "dataset",
        })
    }
}

/// What is wrong with one field of one entity.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ValidationError {
    /// Two entities of the same kind share an id.
    #[error("duplicate id")]
    DuplicateId,
    /// A reference names an entity that does not exist.
    #[error("unknown {target} `{id}`")]
    DanglingReference {
        /// The kind of entity referred to.
        target: EntityKind,
        /// The id that was not found.
        id: String,
    },
    /// Not an IANA time-zone name known to the time-zone database.
    #[error("unknown time zone `{0}`")]
    UnknownTimeZone(String),
    /// The recurrence rule does not parse or is out of bounds.
    #[error("invalid recurrence rule: {0}")]
    InvalidRrule(String),
    /// A period ends before it starts.
    #[error("period ends ({end}) before it starts ({start})")]
    InvertedPeriod {
        /// Start of the period.
        start: String,
        /// End of the period.
        end: String,
    },
    /// An opening interval ends at or before its start.
    #[error("interval {start}-{end} ends at or before its start")]
    InvertedInterval {
        /// Interval start, `HH:MM`.
        start: String,
        /// Interval end, `HH:MM`.
        end: String,
    },
    /// Two opening intervals of the same day overlap.
    #[error("intervals {first} and {second} overlap")]
    OverlappingIntervals {
        /// First interval, `HH:MM-HH:MM`.
        first: String,
        /// Second interval, `HH:MM-HH:MM`.
        second: String,
    },
    /// The service-object hierarchy has a cycle through these ids.
    #[error("parent hierarchy has a cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
    /// A value is outside its allowed range or otherwise malformed.
    #[error("{0}")]
    InvalidValue(String),
}

/// One problem found while validating a model: which entity, which id, which field, what.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{entity} `{id}`: field `{field}`: {error}")]
pub struct ValidationIssue {
    /// Kind of the entity at fault.
    pub entity: EntityKind,
    /// Its id.
    pub id: String,
    /// The field at fault (dotted path for nested fields, e.g. `lines[2].task`).
    pub field: String,
    /// What is wrong.
    pub error: ValidationError,
}

impl ValidationIssue {
    /// Builds an issue.
    pub fn new(
        entity: EntityKind,
        id: impl ToString,
        field: impl Into<String>,
        error: ValidationError,
    ) -> Self {
        Self {
            entity,
            id: id.to_string(),
            field: field.into(),
            error,
        }
    }
}

/// Errors of loading, validating, saving or changing a model.
#[derive(Debug, Error)]
pub enum ModelError {
    /// The dataset is not well-formed JSON of the documented shape.
    #[error("{origin}: malformed JSON at line {line}, column {column}: {message}")]
    Json {
        /// File path or `<input>`.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// The dataset parsed but failed validation; every issue found is listed.
    #[error("{} validation error(s):\n{}", .0.len(), .0.iter().map(|i| format!("  {i}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<ValidationIssue>),
    /// A dataset file is larger than [`MAX_DATASET_BYTES`](super::MAX_DATASET_BYTES).
    #[error("{path}: the dataset is larger than {max} bytes ({} MiB), the most that is read", max / (1024 * 1024))]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The bound in bytes.
        max: u64,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An entity was looked up but does not exist.
    #[error("unknown {entity} `{id}`")]
    NotFound {
        /// Kind of entity.
        entity: EntityKind,
        /// The id looked for.
        id: String,
    },
}

impl ModelError {
    /// Wraps a serde_json error with the origin (file name) it came from.
    pub fn json(origin: impl Into<String>, err: &serde_json::Error) -> Self {
        ModelError::Json {
            origin: origin.into(),
            line: err.line(),
            column: err.column(),
            message: strip_position(&err.to_string()),
        }
    }

    /// The validation issues, if this is a validation error.
    pub fn issues(&self) -> &[ValidationIssue] {
        match self {
            ModelError::Invalid(issues) => issues,
            _ => &[],
        }
    }
}

/// serde_json appends " at line L column C"; the position is carried separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(pos) => message[..pos].to_owned(),
        None => message.to_owned(),
    }
}
