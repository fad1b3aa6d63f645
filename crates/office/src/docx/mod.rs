//! The notice (通报) as a Word document in the layout of GB/T 9704-2012 (党政机关公文格式),
//! the one every office prints and every unit expects: red issuer, 发文字号, red rule, title in
//! 小标宋, text in 仿宋 3号, 22 lines of 28 characters on A4.
//!
//! The WordprocessingML is written by hand rather than through a document library: the format
//! is a handful of fixed parts, and the layout rules of the standard (where the rule goes,
//! how the date sits under the signer) are easier to keep exact and to test as plain
//! functions (`page`, `lines`) than as a library's settings. Output depends only on the
//! [`NoticeDoc`]: the same notice gives the same bytes.

mod body;
mod lines;
mod page;
mod parts;
mod xml;

use std::io::{Cursor, Write as _};

use chrono::{Datelike as _, NaiveDate};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

use crate::error::DocError;
use crate::notice::{NoticeDoc, NoticePhoto};

/// Writes `doc` as a `.docx` file.
///
/// Fails with [`DocError::BadPhoto`] when a photo is not a JPEG or has no size: a broken
/// picture in a published notice is worse than no notice yet.
pub fn notice_docx(doc: &NoticeDoc) -> Result<Vec<u8>, DocError> {
    let (document, photos) = body::document_xml(doc);
    for photo in &photos {
        check_photo(photo)?;
    }

    let text = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    // JPEGs do not compress further; storing them saves the time.
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let fixed = [
        ("[Content_Types].xml", parts::content_types()),
        ("_rels/.rels", parts::package_rels()),
        ("docProps/core.xml", parts::core_properties(&doc.title, &doc.number, &doc.signer, doc.date)),
        ("docProps/app.xml", parts::app_properties()),
        ("word/document.xml", document),
        ("word/_rels/document.xml.rels", parts::document_rels(photos.len())),
        ("word/styles.xml", parts::styles()),
        ("word/settings.xml", parts::settings()),
        ("word/fontTable.xml", parts::font_table()),
        ("word/footer1.xml", parts::footer(true)),
        ("word/footer2.xml", parts::footer(false)),
    ];
    for (name, content) in fixed {
        zip.start_file(name, text)?;
        zip.write_all(content.as_bytes())?;
    }
    for (i, photo) in photos.iter().enumerate() {
        zip.start_file(format!("word/media/image{}.jpeg", i + 1), stored)?;
        zip.write_all(&photo.jpeg)?;
    }
    Ok(zip.finish()?.into_inner())
}

fn check_photo(photo: &NoticePhoto) -> Result<(), DocError> {
    let bad = |reason| DocError::BadPhoto { caption: photo.caption.clone(), reason };
    if !photo.jpeg.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(bad("it is not a JPEG"));
    }
    if photo.width == 0 || photo.height == 0 {
        return Err(bad("its width or height is zero"));
    }
    Ok(())
}

/// A date as official documents print it: `2026年11月22日`, Arabic numerals, the year in
/// full, no leading zeros (GB/T 9704 7.3.5: 月、日不编虚位).
pub fn chinese_date(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

/// 一, 二 … 九十九, for the heading levels 一、 and （一）; larger numbers stay Arabic.
fn chinese_numeral(n: usize) -> String {
    const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => DIGITS[n].to_owned(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", DIGITS[n % 10]),
        20..=99 if n.is_multiple_of(10) => format!("{}十", DIGITS[n / 10]),
        20..=99 => format!("{}十{}", DIGITS[n / 10], DIGITS[n % 10]),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_printed_without_leading_zeros() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 5).expect("valid date");
        assert_eq!(chinese_date(date), "2026年3月5日");
        let date = NaiveDate::from_ymd_opt(2026, 11, 22).expect("valid date");
        assert_eq!(chinese_date(date), "2026年11月22日");
    }

    #[test]
    fn heading_numbers_are_chinese() {
        let got: Vec<String> = [1, 9, 10, 11, 20, 23, 99, 100].into_iter().map(chinese_numeral).collect();
        assert_eq!(got, ["一", "九", "十", "十一", "二十", "二十三", "九十九", "100"]);
    }
}
