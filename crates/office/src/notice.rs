//! A notice (通报) as a document: what [`crate::docx::notice_docx`] lays out.

use chrono::NaiveDate;

/// One notice, ready to be written.
#[derive(Debug, Clone)]
pub struct NoticeDoc {
    /// 发文机关标志 (the red header), e.g. `城南区作风效能建设领导小组办公室`.
    pub issuer: String,
    /// 发文字号, e.g. `城南效能〔2026〕3号`.
    pub number: String,
    /// 标题, e.g. `关于2026年11月作风效能明查暗访情况的通报`.
    pub title: String,
    /// 主送机关, e.g. `各街道办事处，区直各部门：`.
    pub addressees: String,
    /// The opening paragraphs before the problems.
    pub intro: Vec<String>,
    /// The problems, grouped by unit, then by category, in the order given.
    pub units: Vec<NoticeUnit>,
    /// The closing paragraphs (要求), after the problems.
    pub closing: Vec<String>,
    /// 落款: the issuing office's name under the text.
    pub signer: String,
    /// 成文日期, printed as `2026年11月22日`.
    pub date: NaiveDate,
}

#[derive(Debug, Clone)]
pub struct NoticeUnit {
    pub unit: String,
    pub categories: Vec<NoticeCategory>,
}

#[derive(Debug, Clone)]
pub struct NoticeCategory {
    /// As printed, e.g. `散 / 脱岗离岗`.
    pub category: String,
    pub items: Vec<NoticeItem>,
}

/// One problem in the notice.
#[derive(Debug, Clone)]
pub struct NoticeItem {
    /// The sentence as it will be printed (with or without persons' names, as chosen).
    pub text: String,
    pub photos: Vec<NoticePhoto>,
}

/// A photo for the notice: a disclosure copy (watermarked, no GPS), never an original.
#[derive(Debug, Clone)]
pub struct NoticePhoto {
    /// JPEG bytes.
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// 图注, e.g. `图1 城南区政务服务中心3号窗口无人值守（2026年11月10日9时20分）`.
    pub caption: String,
}

/// The 发文字号 of the `serial`th notice of `year`: `城南效能〔2026〕3号` for the 机关代字
/// `城南效能`. Serials start at 1 each year.
pub fn notice_number(issuer_short: &str, year: i32, serial: u32) -> String {
    format!("{issuer_short}〔{year}〕{serial}号")
}

#[cfg(test)]
mod numbering {
    #[test]
    fn a_number_reads_as_a_chinese_office_writes_it() {
        assert_eq!(super::notice_number("城南效能", 2026, 3), "城南效能〔2026〕3号");
    }
}
