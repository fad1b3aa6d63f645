//! The ledger's export (台账 .xlsx) written as its rows come: the sheet keeps one row in memory
//! (rust_xlsxwriter's constant-memory mode, spilling to an unnamed temporary file), and the
//! finished workbook is another unnamed temporary file the caller streams out. An export of a
//! province's ledger holds one row and one page of the read, not the whole ledger.

use std::io::{Seek, SeekFrom};

use mingcha_office::ledger::LedgerRow;
use mingcha_office::xlsx::LedgerSheet;
use rust_xlsxwriter::Workbook;

use crate::{Error, Result};

/// The workbook of `rows` under `title`, as an unnamed temporary file read from its start.
/// Blocking: run it on a thread of its own, and send it the rows as they are read.
pub fn ledger_workbook(title: &str, rows: impl IntoIterator<Item = LedgerRow>) -> Result<std::fs::File> {
    let failed = |e: mingcha_office::DocError| Error::Internal(format!("writing the ledger: {e}"));
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory();
    let mut ledger = LedgerSheet::begin(sheet, title).map_err(failed)?;
    for row in rows {
        ledger.push(sheet, &row).map_err(failed)?;
    }
    ledger.finish(sheet).map_err(failed)?;
    let mut file = tempfile::tempfile()?;
    workbook.save_to_writer(&mut file).map_err(|e| Error::Internal(format!("writing the ledger: {e}")))?;
    file.seek(SeekFrom::Start(0))?;
    Ok(file)
}
