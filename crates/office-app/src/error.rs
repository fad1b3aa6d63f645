//! What a use case can answer instead of its result. Each kind has a stable `code` (the same the
//! device and the console branch on); the server adds the HTTP status, the admin CLI prints the
//! message on one line.

use mingcha_office_db::RepoError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0} was changed by someone else meanwhile; reload and try again")]
    Conflict(String),
    #[error("no inspector named {0}")]
    UnknownInspector(String),
    #[error("the office holds no finding {0}")]
    UnknownFinding(String),
    #[error("no unit named {0}")]
    UnknownUnit(String),
    #[error("the deadline {deadline} is already past (today is {today})")]
    DeadlinePast { deadline: chrono::NaiveDate, today: chrono::NaiveDate },
    #[error("{0}")]
    WrongStage(String),
    #[error("a notice needs at least one problem")]
    EmptyNotice,
    /// The office's store refused (enrollment, the exchange, a blob): its code and detail are
    /// the store's ([`RepoError::code`]).
    #[error(transparent)]
    Refused(RepoError),
    // The office's own failures: reported as `internal`, details go to the log.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The stable code a device, the console or a script branches on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::NotFound(_) => "not_found",
            Self::Invalid(_) => "invalid_input",
            Self::Conflict(_) => "conflict",
            Self::UnknownInspector(_) => "unknown_inspector",
            Self::UnknownFinding(_) => "unknown_finding",
            Self::UnknownUnit(_) => "unknown_unit",
            Self::DeadlinePast { .. } => "deadline_past",
            Self::WrongStage(_) => "wrong_stage",
            Self::EmptyNotice => "empty_notice",
            Self::Refused(r) => r.code(),
            Self::Io(_) | Self::Internal(_) => "internal",
        }
    }
}

/// The store's errors as the office's: the kinds the use cases have too become those, a
/// refusal stays the store's with its code and detail, and a database failure is internal.
impl From<RepoError> for Error {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::BadRequest(m) => Self::BadRequest(m),
            RepoError::NotFound(m) => Self::NotFound(m),
            RepoError::Invalid(m) => Self::Invalid(m),
            RepoError::Conflict(m) => Self::Conflict(m),
            RepoError::Io(e) => Self::Io(e),
            RepoError::Internal(m) => Self::Internal(m),
            e @ (RepoError::Sqlite(_) | RepoError::Postgres(_) | RepoError::Pool(_)) => Self::Internal(e.to_string()),
            refused => Self::Refused(refused),
        }
    }
}

/// `mingcha_office`'s refusals as the office's errors.
impl From<mingcha_office::OfficeError> for Error {
    fn from(e: mingcha_office::OfficeError) -> Self {
        use mingcha_office::OfficeError as O;
        match e {
            O::Invalid(m) => Error::Invalid(m),
            O::WrongStage(m) => Error::WrongStage(m),
            O::DeadlinePast { deadline, today } => Error::DeadlinePast { deadline, today },
            O::Internal(m) => Error::Internal(m),
        }
    }
}
