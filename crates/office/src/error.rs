//! The one error type for the documents this crate writes.

/// Why a document could not be written.
///
/// Each variant says which input was wrong or which writer failed, so the caller can tell the
/// user what to fix (a photo that is not a JPEG) apart from a fault of ours (the zip writer).
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// A photo in the notice is not usable: not a JPEG, or it has no size.
    #[error("photo “{caption}” cannot go into the notice: {reason}")]
    BadPhoto { caption: String, reason: &'static str },
    /// A date or time in the ledger is outside what a spreadsheet can hold (before 1900).
    #[error("ledger row {seq}: {what} cannot be written as a spreadsheet date")]
    BadDate { seq: u32, what: &'static str },
    /// The .docx package could not be assembled.
    #[error("writing the .docx package failed: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("writing the .docx package failed: {0}")]
    Io(#[from] std::io::Error),
    /// The workbook writer refused the ledger.
    #[error("writing the ledger workbook failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}
