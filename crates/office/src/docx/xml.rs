//! Just enough WordprocessingML to write a notice: escaping, the fonts of GB/T 9704, runs and
//! paragraphs. Element order inside `w:pPr` and `w:rPr` follows the schema, because Word
//! refuses a document whose properties are out of order even when LibreOffice accepts it.

use std::fmt::Write as _;

/// Appends `s` escaped for XML text or attribute values. Characters that XML 1.0 forbids
/// (control characters pasted from other programs) are dropped: one of them would make Word
/// refuse to open the whole notice.
pub(super) fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

pub(super) fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// The typefaces GB/T 9704-2012 names. Offices' machines have them (WPS ships them, and they
/// are installed with the 公文 templates); elsewhere the font table tells Word what to use
/// instead. LibreOffice ignores the font table and asks fontconfig, which on a Linux desktop
/// without these faces gives Noto Sans CJK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Font {
    /// 仿宋_GB2312: the body text.
    FangSong,
    /// 方正小标宋简体: the issuer and the title.
    XiaoBiaoSong,
    /// 黑体: first-level headings (一、).
    HeiTi,
    /// 楷体_GB2312: second-level headings (（一）).
    KaiTi,
    /// 宋体: page numbers.
    SongTi,
}

impl Font {
    pub(super) const ALL: [Font; 5] = [Font::FangSong, Font::XiaoBiaoSong, Font::HeiTi, Font::KaiTi, Font::SongTi];

    /// The name written in `w:rFonts`.
    pub(super) fn name(self) -> &'static str {
        match self {
            Font::FangSong => "仿宋_GB2312",
            Font::XiaoBiaoSong => "方正小标宋简体",
            Font::HeiTi => "黑体",
            Font::KaiTi => "楷体_GB2312",
            Font::SongTi => "宋体",
        }
    }

    /// The font Word substitutes when this one is missing: the face that ships with Chinese
    /// Windows under another name (仿宋 for 仿宋_GB2312), or its English name.
    pub(super) fn alt_name(self) -> &'static str {
        match self {
            Font::FangSong => "仿宋",
            Font::XiaoBiaoSong => "宋体",
            Font::HeiTi => "SimHei",
            Font::KaiTi => "楷体",
            Font::SongTi => "SimSun",
        }
    }

    /// Whether the face is a serif (宋/仿宋/楷) or a sans (黑体): the font table's family, which
    /// is what a program without the face goes by.
    pub(super) fn is_serif(self) -> bool {
        !matches!(self, Font::HeiTi)
    }
}

/// Further entries of the font table: the faces named as alternates, under their other
/// names, and the Noto CJK faces of Linux desktops, each described (GB2312, serif or sans) so
/// that a program choosing a substitute from the table finds a Chinese face of the right kind.
pub(super) const FALLBACK_FONTS: [(&str, &str, bool); 6] = [
    ("仿宋", "FangSong", true),
    ("宋体", "SimSun", true),
    ("楷体", "KaiTi", true),
    ("SimHei", "黑体", false),
    ("Noto Serif CJK SC", "Source Han Serif SC", true),
    ("Noto Sans CJK SC", "Source Han Sans SC", false),
];

/// Character formatting of one run; `None` inherits from the paragraph style.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Run {
    pub font: Option<Font>,
    /// Size in half-points (`w:sz`): 3号 = 32, 2号 = 44.
    pub half_points: Option<u32>,
    /// `RRGGBB`.
    pub color: Option<&'static str>,
    /// Horizontal scale in percent (`w:w`), to fit a long issuer on one line.
    pub scale: Option<u32>,
}

impl Run {
    pub(super) fn plain() -> Self {
        Self::default()
    }

    pub(super) fn font(font: Font, half_points: u32) -> Self {
        Self { font: Some(font), half_points: Some(half_points), ..Self::default() }
    }

    fn write_props(&self, out: &mut String) {
        if self.font.is_none() && self.half_points.is_none() && self.color.is_none() && self.scale.is_none() {
            return;
        }
        out.push_str("<w:rPr>");
        if let Some(font) = self.font {
            push_fonts(out, font);
        }
        if let Some(color) = self.color {
            let _ = write!(out, r#"<w:color w:val="{color}"/>"#);
        }
        if let Some(scale) = self.scale {
            let _ = write!(out, r#"<w:w w:val="{scale}"/>"#);
        }
        if let Some(sz) = self.half_points {
            let _ = write!(out, r#"<w:sz w:val="{sz}"/><w:szCs w:val="{sz}"/>"#);
        }
        out.push_str("</w:rPr>");
    }

    /// Appends the run with `text`; line breaks in the text become `w:br`.
    pub(super) fn write(&self, out: &mut String, text: &str) {
        out.push_str("<w:r>");
        self.write_props(out);
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                out.push_str("<w:br/>");
            }
            out.push_str(r#"<w:t xml:space="preserve">"#);
            push_escaped(out, line.trim_end_matches('\r'));
            out.push_str("</w:t>");
        }
        out.push_str("</w:r>");
    }

    /// Appends a field (e.g. `PAGE`) showing `placeholder` until the program updates it.
    pub(super) fn write_field(&self, out: &mut String, instruction: &str, placeholder: &str) {
        let mut props = String::new();
        self.write_props(&mut props);
        let _ = write!(
            out,
            r#"<w:r>{props}<w:fldChar w:fldCharType="begin"/></w:r><w:r>{props}<w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r><w:r>{props}<w:fldChar w:fldCharType="separate"/></w:r><w:r>{props}<w:t>{placeholder}</w:t></w:r><w:r>{props}<w:fldChar w:fldCharType="end"/></w:r>"#
        );
    }
}

/// `w:rFonts` naming `font` for every script, so digits and Latin letters in the text use the
/// same face as the Chinese around them.
pub(super) fn push_fonts(out: &mut String, font: Font) {
    let n = font.name();
    let _ = write!(out, r#"<w:rFonts w:ascii="{n}" w:hAnsi="{n}" w:eastAsia="{n}" w:cs="{n}"/>"#);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Align {
    Left,
    Center,
}

/// Paragraph formatting and content. Anything left `None` comes from the style.
#[derive(Debug, Default)]
pub(super) struct Para {
    style: Option<&'static str>,
    red_rule: bool,
    off_grid: bool,
    before: Option<u32>,
    /// Exact line height in twips; `Some(0)` means single (auto) spacing, for pictures.
    line: Option<u32>,
    no_indent: bool,
    left_indent: Option<u32>,
    align: Option<Align>,
    content: String,
}

impl Para {
    pub(super) fn new() -> Self {
        Self::default()
    }

    pub(super) fn style(mut self, id: &'static str) -> Self {
        self.style = Some(id);
        self
    }

    /// A red rule about 4 mm under the paragraph's text: the separator of the 版头.
    pub(super) fn red_rule(mut self) -> Self {
        self.red_rule = true;
        self
    }

    /// Lines of their own height, not snapped to the page's 22-line grid: the header's large
    /// type would otherwise take two grid lines each in LibreOffice.
    pub(super) fn off_grid(mut self) -> Self {
        self.off_grid = true;
        self
    }

    pub(super) fn space_before(mut self, twips: u32) -> Self {
        self.before = Some(twips);
        self
    }

    pub(super) fn line_exact(mut self, twips: u32) -> Self {
        self.line = Some(twips);
        self
    }

    pub(super) fn line_single(mut self) -> Self {
        self.line = Some(0);
        self
    }

    pub(super) fn no_indent(mut self) -> Self {
        self.no_indent = true;
        self
    }

    /// A left indent, and no first-line indent.
    pub(super) fn left_indent(mut self, twips: u32) -> Self {
        self.no_indent = true;
        self.left_indent = Some(twips);
        self
    }

    pub(super) fn align(mut self, align: Align) -> Self {
        self.align = Some(align);
        self
    }

    pub(super) fn text(mut self, run: Run, text: &str) -> Self {
        run.write(&mut self.content, text);
        self
    }

    /// Already-written runs (a picture, a field).
    pub(super) fn raw(mut self, xml: &str) -> Self {
        self.content.push_str(xml);
        self
    }

    pub(super) fn write(&self, out: &mut String) {
        out.push_str("<w:p><w:pPr>");
        if let Some(id) = self.style {
            let _ = write!(out, r#"<w:pStyle w:val="{id}"/>"#);
        }
        if self.red_rule {
            // sz is in eighths of a point (2.25 pt); space in points (≈ 4 mm under the text).
            out.push_str(r#"<w:pBdr><w:bottom w:val="single" w:sz="18" w:space="11" w:color="FF0000"/></w:pBdr>"#);
        }
        if self.off_grid {
            out.push_str(r#"<w:snapToGrid w:val="0"/>"#);
        }
        if self.before.is_some() || self.line.is_some() {
            out.push_str("<w:spacing");
            if let Some(before) = self.before {
                let _ = write!(out, r#" w:before="{before}""#);
            }
            match self.line {
                Some(0) => out.push_str(r#" w:line="240" w:lineRule="auto""#),
                Some(line) => {
                    let _ = write!(out, r#" w:line="{line}" w:lineRule="exact""#);
                }
                None => {}
            }
            out.push_str("/>");
        }
        if self.no_indent || self.left_indent.is_some() {
            out.push_str("<w:ind");
            if let Some(left) = self.left_indent {
                let _ = write!(out, r#" w:left="{left}""#);
            }
            if self.no_indent {
                out.push_str(r#" w:firstLineChars="0" w:firstLine="0""#);
            }
            out.push_str("/>");
        }
        if let Some(align) = self.align {
            let val = match align {
                Align::Left => "left",
                Align::Center => "center",
            };
            let _ = write!(out, r#"<w:jc w:val="{val}"/>"#);
        }
        out.push_str("</w:pPr>");
        out.push_str(&self.content);
        out.push_str("</w:p>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped_and_control_characters_dropped() {
        assert_eq!(escaped("A&B <c> \"d\" 'e'\u{7}"), "A&amp;B &lt;c&gt; &quot;d&quot; &apos;e&apos;");
    }

    #[test]
    fn line_breaks_in_a_run_become_breaks() {
        let mut out = String::new();
        Run::plain().write(&mut out, "一\n二");
        assert!(out.contains("一</w:t><w:br/>"), "{out}");
    }
}
