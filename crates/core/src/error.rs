//! Validation errors: what a user typed that the domain refuses, said so that it can be shown
//! as is (one line, in the user's terms, naming the field).

use thiserror::Error;

/// Input the domain refuses. Each variant names the field so the message can be shown alone.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValidationError {
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is too long: {len} characters, at most {max}")]
    TooLong { field: &'static str, len: usize, max: usize },
    #[error("{field}: `{value}` is not one of {expected}")]
    NotOneOf { field: &'static str, value: String, expected: &'static str },
    #[error("{field}: `{value}` is not a valid {what}")]
    Malformed { field: &'static str, value: String, what: &'static str },
    #[error("{field}: {reason}")]
    Inconsistent { field: &'static str, reason: String },
}

impl ValidationError {
    /// A stable machine code for the UI and the API to branch on (never on the message).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty { .. } => "empty",
            Self::TooLong { .. } => "too_long",
            Self::NotOneOf { .. } => "not_one_of",
            Self::Malformed { .. } => "malformed",
            Self::Inconsistent { .. } => "inconsistent",
        }
    }
}
