//! Errors of the evidence pipeline. Per-file problems do not stop an import; they become a
//! line in its summary. These are the ones that stop a whole operation.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum EvidenceError {
    #[error(transparent)]
    Store(#[from] mingcha_store::StoreError),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("{0}")]
    Image(String),
    #[error(transparent)]
    Undecodable(#[from] crate::preview::Undecodable),
    #[error("no Chinese font for the watermark: install fonts-noto-cjk or set MINGCHA_FONT to a .ttf/.ttc/.otf file")]
    NoFont,
}

impl EvidenceError {
    /// A stable code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Store(e) => e.code(),
            Self::Io { .. } => "io",
            Self::Image(_) => "image",
            Self::Undecodable(e) => e.code(),
            Self::NoFont => "no_font",
        }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }
}
