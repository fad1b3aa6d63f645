//! The ledger (台账) as a workbook: one sheet named 台账, the columns offices print, dates as
//! real dates so that Excel and WPS can sort and filter them.

use chrono::{Datelike as _, NaiveDate, NaiveDateTime, Timelike as _};
use mingcha_core::rectification::Light;
use rust_xlsxwriter::{Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet};

use crate::error::DocError;
use crate::ledger::LedgerRow;

/// The sheet's name.
pub const LEDGER_SHEET: &str = "台账";

/// The ledger's columns in printed order, with their widths in characters.
pub const LEDGER_COLUMNS: [&str; 12] = [
    "序号",
    "单位",
    "问题描述",
    "发现时间",
    "发现方式",
    "问题类别",
    "责任单位/责任人",
    "整改措施",
    "整改时限",
    "整改情况",
    "复核情况",
    "销号",
];
const WIDTHS: [f64; 12] = [5.0, 16.0, 36.0, 16.0, 8.0, 12.0, 16.0, 24.0, 11.0, 24.0, 20.0, 11.0];
/// Height of one line of 11 pt 宋体, in points.
const LINE_HEIGHT: f64 = 14.5;
/// The tallest row Excel takes, in points.
const ROW_HEIGHT_MAX: f64 = 409.0;

/// The most characters (UTF-16 units, as Excel counts them) a cell holds.
pub const CELL_MAX: usize = 32_767;
/// What ends a cell cut to fit.
pub const CUT_MARK: &str = "…（已截断）";

/// `text` as a cell can hold it: whole if it fits, else cut so that it ends with [`CUT_MARK`]
/// and stays within [`CELL_MAX`]. A longer text must never make the whole export fail.
pub fn cell_text(text: &str) -> std::borrow::Cow<'_, str> {
    if text.encode_utf16().count() <= CELL_MAX {
        return std::borrow::Cow::Borrowed(text);
    }
    let room = CELL_MAX - CUT_MARK.encode_utf16().count();
    let mut used = 0;
    let mut out: String = text
        .chars()
        .take_while(|c| {
            used += c.len_utf16();
            used <= room
        })
        .collect();
    out.push_str(CUT_MARK);
    std::borrow::Cow::Owned(out)
}

/// 宋体 is on every Chinese Windows and ships with WPS; the theme font (Calibri) would leave
/// Excel to pick a Chinese face on its own.
const FONT: &str = "宋体";
const TITLE_ROW: u32 = 0;
const HEADER_ROW: u32 = 1;
const LAST_COL: u16 = LEDGER_COLUMNS.len() as u16 - 1;

/// Writes the ledger `rows` under `title` (e.g. `2026年11月作风效能问题整改台账`), all in
/// memory; [`LedgerSheet`] writes one row at a time into a sheet the caller keeps.
///
/// 整改时限 cells are tinted by the row's [`Light`]: red when overdue, yellow when near.
pub fn ledger_xlsx(title: &str, rows: &[LedgerRow]) -> Result<Vec<u8>, DocError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let mut ledger = LedgerSheet::begin(sheet, title)?;
    for entry in rows {
        ledger.push(sheet, entry)?;
    }
    ledger.finish(sheet)?;
    Ok(workbook.save_to_buffer()?)
}

/// The ledger's sheet, written top to bottom: the title and header by [`LedgerSheet::begin`],
/// then each row as it comes ([`LedgerSheet::push`]), then the filter and frozen header
/// ([`LedgerSheet::finish`]). In this order it suits a sheet that keeps only its current row in
/// memory (rust_xlsxwriter's constant-memory mode), so an export of any size holds one row.
#[derive(Debug)]
pub struct LedgerSheet {
    formats: Formats,
    next: u32,
}

impl LedgerSheet {
    /// Name `sheet`, set up its page, and write the title and the header.
    pub fn begin(sheet: &mut Worksheet, title: &str) -> Result<Self, DocError> {
        let formats = Formats::new();
        sheet.set_name(LEDGER_SHEET)?;
        page_setup(sheet)?;
        for (col, width) in (0u16..).zip(WIDTHS) {
            sheet.set_column_width(col, width)?;
        }
        sheet.set_row_height(TITLE_ROW, 32)?;
        sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, LAST_COL, &cell_text(title), &formats.title)?;
        sheet.set_row_height(HEADER_ROW, 24)?;
        for (col, name) in (0u16..).zip(LEDGER_COLUMNS) {
            sheet.write_string_with_format(HEADER_ROW, col, name, &formats.header)?;
        }
        Ok(Self { formats, next: HEADER_ROW + 1 })
    }

    /// Write the next row.
    pub fn push(&mut self, sheet: &mut Worksheet, entry: &LedgerRow) -> Result<(), DocError> {
        write_row(sheet, self.next, entry, &self.formats)?;
        self.next += 1;
        Ok(())
    }

    /// The filter over every row written, and the header frozen above them.
    pub fn finish(self, sheet: &mut Worksheet) -> Result<(), DocError> {
        sheet.autofilter(HEADER_ROW, 0, self.next - 1, LAST_COL)?;
        sheet.set_freeze_panes(HEADER_ROW + 1, 0)?;
        Ok(())
    }
}

/// A4 landscape, one page wide, the title and header repeated on every printed page.
fn page_setup(sheet: &mut Worksheet) -> Result<(), DocError> {
    sheet.set_paper_size(9);
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_print_center_horizontally(true);
    sheet.set_repeat_rows(TITLE_ROW, HEADER_ROW)?;
    Ok(())
}

fn write_row(sheet: &mut Worksheet, row: u32, entry: &LedgerRow, f: &Formats) -> Result<(), DocError> {
    let text = |sheet: &mut Worksheet, col: u16, value: &str, format: &Format| -> Result<(), DocError> {
        sheet.write_string_with_format(row, col, cell_text(value), format)?;
        Ok(())
    };
    sheet.set_row_height(row, row_height(entry))?;
    sheet.write_number_with_format(row, 0, entry.seq, &f.centred)?;
    text(sheet, 1, &entry.unit, &f.text)?;
    text(sheet, 2, &entry.description, &f.text)?;
    let found = excel_datetime(entry.found_at.naive_local())
        .ok_or(DocError::BadDate { seq: entry.seq, what: "发现时间" })?;
    sheet.write_datetime_with_format(row, 3, found, &f.datetime)?;
    text(sheet, 4, &entry.method, &f.centred)?;
    text(sheet, 5, &entry.category_label, &f.text)?;
    text(sheet, 6, &entry.responsible, &f.text)?;
    text(sheet, 7, &entry.measures, &f.text)?;
    let deadline_format = match entry.light {
        Some(Light::Red) => &f.date_red,
        Some(Light::Yellow) => &f.date_yellow,
        Some(Light::Green) | None => &f.date,
    };
    write_date(sheet, row, 8, entry.deadline, deadline_format, entry.seq, "整改时限")?;
    text(sheet, 9, &entry.rectification, &f.text)?;
    text(sheet, 10, &entry.verification, &f.text)?;
    write_date(sheet, row, 11, entry.closed, &f.date, entry.seq, "销号")?;
    Ok(())
}

/// Neither Excel nor LibreOffice grows a row to fit wrapped text in a file they did not lay out
/// themselves, so each row is given the height of its longest cell, estimated from the column
/// widths (a Chinese character is about two width units, a Latin one about one).
fn row_height(entry: &LedgerRow) -> f64 {
    let texts: [(usize, &str); 8] = [
        (1, &entry.unit),
        (2, &entry.description),
        (5, &entry.category_label),
        (6, &entry.responsible),
        (7, &entry.measures),
        (9, &entry.rectification),
        (10, &entry.verification),
        (4, &entry.method),
    ];
    let lines = texts
        .iter()
        .map(|(col, text)| {
            let units: f64 = text.chars().map(|c| if c.is_ascii() { 1.1 } else { 2.1 }).sum();
            let room = (WIDTHS[*col] - 1.0).max(1.0);
            (units / room).ceil().max(1.0)
        })
        .fold(1.0, f64::max);
    (lines * LINE_HEIGHT + 6.0).min(ROW_HEIGHT_MAX)
}

/// A date cell, or an empty bordered one when there is no date.
fn write_date(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    date: Option<NaiveDate>,
    format: &Format,
    seq: u32,
    what: &'static str,
) -> Result<(), DocError> {
    match date {
        Some(date) => {
            let value = excel_datetime(date.and_time(chrono::NaiveTime::MIN)).ok_or(DocError::BadDate { seq, what })?;
            sheet.write_datetime_with_format(row, col, value, format)?;
        }
        None => {
            sheet.write_blank(row, col, format)?;
        }
    }
    Ok(())
}

/// `None` for times a spreadsheet cannot hold (before 1900 or after 9999).
fn excel_datetime(t: NaiveDateTime) -> Option<ExcelDateTime> {
    let year = u16::try_from(t.year()).ok()?;
    ExcelDateTime::from_ymd(year, t.month() as u8, t.day() as u8)
        .and_then(|d| d.and_hms(t.hour() as u16, t.minute() as u8, t.second()))
        .ok()
}

/// The cell formats, built once.
#[derive(Debug)]
struct Formats {
    title: Format,
    header: Format,
    text: Format,
    centred: Format,
    datetime: Format,
    date: Format,
    date_red: Format,
    date_yellow: Format,
}

impl Formats {
    fn new() -> Self {
        let cell = Format::new()
            .set_font_name(FONT)
            .set_font_size(11)
            .set_text_wrap()
            .set_align(FormatAlign::VerticalCenter)
            .set_border(FormatBorder::Thin);
        let date = cell.clone().set_num_format("yyyy-mm-dd").set_align(FormatAlign::Center);
        Self {
            title: Format::new()
                .set_font_name(FONT)
                .set_font_size(16)
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            header: cell.clone().set_bold().set_align(FormatAlign::Center).set_background_color(Color::RGB(0xD9D9D9)),
            centred: cell.clone().set_align(FormatAlign::Center),
            datetime: cell.clone().set_num_format("yyyy-mm-dd hh:mm").set_align(FormatAlign::Center),
            date_red: date.clone().set_background_color(Color::RGB(0xFFC7CE)).set_font_color(Color::RGB(0x9C0006)),
            date_yellow: date.clone().set_background_color(Color::RGB(0xFFEB9C)).set_font_color(Color::RGB(0x9C5700)),
            date,
            text: cell,
        }
    }
}
