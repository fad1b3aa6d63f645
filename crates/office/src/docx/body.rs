//! `word/document.xml`: the notice laid out as GB/T 9704 prescribes, top to bottom.
//!
//! 版头: the red issuer (发文机关标志) 35 mm into the text block, two blank lines, the 发文字号,
//! the red rule 4 mm under it. 主体: two blank lines, the title, one blank line, the addressees
//! flush left, then the text with its levels 一、(黑体) （一）(楷体) 1.(仿宋), one blank line,
//! the signer and the date.

use std::fmt::Write as _;

use super::lines::{balanced_lines, title_lines};
use super::page::{
    FOOTER_DISTANCE, ISSUER_SPACE_BEFORE, LINE_PITCH, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP,
    PAGE_HEIGHT, PAGE_WIDTH, SIZE_2, SIZE_4, issuer_size, line_capacity, photo_extent, signature_indents,
};
use super::xml::{Align, Font, Para, Run, push_escaped};
use super::{chinese_date, chinese_numeral};
use crate::notice::{NoticeDoc, NoticePhoto};

/// Relationship ids of the parts `document.xml` refers to; the images' ids come from
/// [`image_rel_id`].
pub(super) const REL_STYLES: &str = "rIdStyles";
pub(super) const REL_SETTINGS: &str = "rIdSettings";
pub(super) const REL_FONTS: &str = "rIdFonts";
pub(super) const REL_FOOTER_ODD: &str = "rIdFooterOdd";
pub(super) const REL_FOOTER_EVEN: &str = "rIdFooterEven";

/// The relationship id of the `n`th picture (from 1), which is `word/media/image{n}.jpeg`.
pub(super) fn image_rel_id(n: usize) -> String {
    format!("rIdImage{n}")
}

const RED: &str = "FF0000";

/// The document part, and the photos in the order they are numbered in it.
pub(super) fn document_xml(doc: &NoticeDoc) -> (String, Vec<&NoticePhoto>) {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(concat!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
        r#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#,
        r#" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#,
        r#" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing""#,
        r#" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main""#,
        r#" xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><w:body>"#,
    ));
    let mut photos = Vec::new();
    header(&mut out, doc);
    main_text(&mut out, doc, &mut photos);
    signature(&mut out, doc);
    section(&mut out);
    out.push_str("</w:body></w:document>");
    (out, photos)
}

fn blank_lines(out: &mut String, n: usize) {
    for _ in 0..n {
        Para::new().no_indent().write(out);
    }
}

/// 版头.
fn header(out: &mut String, doc: &NoticeDoc) {
    let (half_points, scale) = issuer_size(&doc.issuer);
    let issuer = Run { color: Some(RED), scale, ..Run::font(Font::XiaoBiaoSong, half_points) };
    Para::new()
        .no_indent()
        .align(Align::Center)
        .off_grid()
        .space_before(ISSUER_SPACE_BEFORE)
        .line_single()
        .text(issuer, &doc.issuer)
        .write(out);
    blank_lines(out, 2);
    Para::new().no_indent().align(Align::Center).red_rule().text(Run::plain(), &doc.number).write(out);
}

/// 标题, 主送机关 and the text.
fn main_text<'d>(out: &mut String, doc: &'d NoticeDoc, photos: &mut Vec<&'d NoticePhoto>) {
    blank_lines(out, 2);
    // A title of several lines needs more than the body's 28.95 pt between them.
    Para::new()
        .no_indent()
        .align(Align::Center)
        .off_grid()
        .line_exact(LINE_PITCH * 5 / 4)
        .text(Run::font(Font::XiaoBiaoSong, SIZE_2), &title_lines(&doc.title, line_capacity(SIZE_2)).join("\n"))
        .write(out);
    blank_lines(out, 1);
    Para::new().no_indent().align(Align::Left).text(Run::plain(), &doc.addressees).write(out);
    for paragraph in &doc.intro {
        Para::new().style("Body").text(Run::plain(), paragraph).write(out);
    }
    for (u, unit) in doc.units.iter().enumerate() {
        let heading = format!("{}、{}", chinese_numeral(u + 1), unit.unit);
        Para::new().style("Heading1").text(Run::plain(), &heading).write(out);
        for (c, category) in unit.categories.iter().enumerate() {
            let heading = format!("（{}）{}", chinese_numeral(c + 1), category.category);
            Para::new().style("Heading2").text(Run::plain(), &heading).write(out);
            for (i, item) in category.items.iter().enumerate() {
                let text = format!("{}. {}", i + 1, item.text);
                Para::new().style("Body").text(Run::plain(), &text).write(out);
                for photo in &item.photos {
                    photos.push(photo);
                    picture(out, photo, photos.len());
                }
            }
        }
    }
    for paragraph in &doc.closing {
        Para::new().style("Body").text(Run::plain(), paragraph).write(out);
    }
}

/// One photo as an inline picture, then its caption.
fn picture(out: &mut String, photo: &NoticePhoto, n: usize) {
    let (cx, cy) = photo_extent(photo.width, photo.height);
    let rel = image_rel_id(n);
    let mut xml = String::with_capacity(1024);
    let _ = write!(
        xml,
        r#"<w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{cx}" cy="{cy}"/><wp:docPr id="{n}" name="图{n}" descr=""#
    );
    push_escaped(&mut xml, &photo.caption);
    let _ = write!(
        xml,
        concat!(
            r#""/><wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>"#,
            r#"<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">"#,
            r#"<pic:pic><pic:nvPicPr><pic:cNvPr id="{n}" name="image{n}.jpeg"/><pic:cNvPicPr/></pic:nvPicPr>"#,
            r#"<pic:blipFill><a:blip r:embed="{rel}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>"#,
            r#"<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>"#,
            r#"<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>"#,
            r#"</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"#
        ),
        n = n,
        rel = rel,
        cx = cx,
        cy = cy,
    );
    // Single spacing: an exact line height would crop the picture to one line.
    Para::new().style("Picture").raw(&xml).write(out);
    let caption = balanced_lines(&photo.caption, line_capacity(SIZE_4)).join("\n");
    Para::new().style("Caption").text(Run::plain(), &caption).write(out);
}

/// 落款 and 成文日期, one blank line under the text.
fn signature(out: &mut String, doc: &NoticeDoc) {
    let date = chinese_date(doc.date);
    let (signer_left, date_left) = signature_indents(&doc.signer, &date);
    blank_lines(out, 1);
    Para::new().left_indent(signer_left).align(Align::Left).text(Run::plain(), &doc.signer).write(out);
    Para::new().left_indent(date_left).align(Align::Left).text(Run::plain(), &date).write(out);
}

/// A4, the GB/T 9704 margins, the 22×28 grid, and page numbers on odd and even pages.
fn section(out: &mut String) {
    let _ = write!(
        out,
        concat!(
            r#"<w:sectPr><w:footerReference w:type="even" r:id="{even}"/><w:footerReference w:type="default" r:id="{odd}"/>"#,
            r#"<w:pgSz w:w="{pw}" w:h="{ph}"/>"#,
            r#"<w:pgMar w:top="{top}" w:right="{right}" w:bottom="{bottom}" w:left="{left}" w:header="851" w:footer="{footer}" w:gutter="0"/>"#,
            r#"<w:cols w:space="425"/><w:docGrid w:type="lines" w:linePitch="{pitch}"/></w:sectPr>"#
        ),
        even = REL_FOOTER_EVEN,
        odd = REL_FOOTER_ODD,
        pw = PAGE_WIDTH,
        ph = PAGE_HEIGHT,
        top = MARGIN_TOP,
        right = MARGIN_RIGHT,
        bottom = MARGIN_BOTTOM,
        left = MARGIN_LEFT,
        footer = FOOTER_DISTANCE,
        pitch = LINE_PITCH,
    );
}
