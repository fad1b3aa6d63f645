//! The parts of the package around `document.xml`: content types, relationships, styles, the
//! font table, settings, footers and document properties.

use std::fmt::Write as _;

use super::body::{REL_FONTS, REL_FOOTER_EVEN, REL_FOOTER_ODD, REL_SETTINGS, REL_STYLES, image_rel_id};
use super::page::{CONDENSE_3, EM_3, EM_4, LINE_PITCH, SIZE_3, SIZE_4};
use super::xml::{FALLBACK_FONTS, Font, Run, escaped, push_fonts};

const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
const NS_W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const NS_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const NS_PKG_REL: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

pub(super) fn content_types() -> String {
    const WML: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml";
    let mut out = String::from(DECLARATION);
    out.push_str(r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#);
    out.push_str(
        r#"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#,
    );
    out.push_str(r#"<Default Extension="xml" ContentType="application/xml"/>"#);
    out.push_str(r#"<Default Extension="jpeg" ContentType="image/jpeg"/>"#);
    for (part, kind) in [
        ("/word/document.xml", "document.main+xml"),
        ("/word/styles.xml", "styles+xml"),
        ("/word/settings.xml", "settings+xml"),
        ("/word/fontTable.xml", "fontTable+xml"),
        ("/word/footer1.xml", "footer+xml"),
        ("/word/footer2.xml", "footer+xml"),
    ] {
        let _ = write!(out, r#"<Override PartName="{part}" ContentType="{WML}.{kind}"/>"#);
    }
    out.push_str(r#"<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>"#);
    out.push_str(r#"<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>"#);
    out.push_str("</Types>");
    out
}

fn relationships(rels: &[(&str, &str, &str)]) -> String {
    let mut out = format!(r#"{DECLARATION}<Relationships xmlns="{NS_PKG_REL}">"#);
    for (id, kind, target) in rels {
        let _ = write!(out, r#"<Relationship Id="{id}" Type="{kind}" Target="{target}"/>"#);
    }
    out.push_str("</Relationships>");
    out
}

/// `_rels/.rels`.
pub(super) fn package_rels() -> String {
    relationships(&[
        ("rIdDocument", &format!("{NS_REL}/officeDocument"), "word/document.xml"),
        (
            "rIdCore",
            "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
            "docProps/core.xml",
        ),
        ("rIdApp", &format!("{NS_REL}/extended-properties"), "docProps/app.xml"),
    ])
}

/// `word/_rels/document.xml.rels`: the fixed parts and `images` pictures.
pub(super) fn document_rels(images: usize) -> String {
    let kind = |k: &str| format!("{NS_REL}/{k}");
    let mut rels: Vec<(String, String, String)> = vec![
        (REL_STYLES.into(), kind("styles"), "styles.xml".into()),
        (REL_SETTINGS.into(), kind("settings"), "settings.xml".into()),
        (REL_FONTS.into(), kind("fontTable"), "fontTable.xml".into()),
        (REL_FOOTER_ODD.into(), kind("footer"), "footer1.xml".into()),
        (REL_FOOTER_EVEN.into(), kind("footer"), "footer2.xml".into()),
    ];
    for n in 1..=images {
        rels.push((image_rel_id(n), kind("image"), format!("media/image{n}.jpeg")));
    }
    let borrowed: Vec<(&str, &str, &str)> = rels.iter().map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str())).collect();
    relationships(&borrowed)
}

/// The styles the body uses, so that an office editing the notice in Word or WPS finds them
/// by name: 公文正文 (仿宋 3号, 空二字), the two heading levels, picture and caption.
pub(super) fn styles() -> String {
    let mut fangsong = String::new();
    push_fonts(&mut fangsong, Font::FangSong);
    let mut heiti = String::new();
    push_fonts(&mut heiti, Font::HeiTi);
    let mut kaiti = String::new();
    push_fonts(&mut kaiti, Font::KaiTi);
    let mut songti = String::new();
    push_fonts(&mut songti, Font::SongTi);
    let indent = format!(r#"<w:ind w:firstLineChars="200" w:firstLine="{}"/>"#, 2 * EM_3);
    let no_indent = r#"<w:ind w:firstLineChars="0" w:firstLine="0"/>"#;
    format!(
        concat!(
            r#"{decl}<w:styles xmlns:w="{w}">"#,
            r#"<w:docDefaults><w:rPrDefault><w:rPr>{fangsong}<w:kern w:val="2"/><w:sz w:val="{s3}"/><w:szCs w:val="{s3}"/>"#,
            r#"<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>"#,
            r#"<w:pPrDefault><w:pPr><w:spacing w:line="{pitch}" w:lineRule="exact"/></w:pPr></w:pPrDefault></w:docDefaults>"#,
            r#"<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/>"#,
            r#"<w:pPr><w:widowControl w:val="0"/><w:spacing w:line="{pitch}" w:lineRule="exact"/><w:jc w:val="both"/></w:pPr>"#,
            r#"<w:rPr>{fangsong}<w:spacing w:val="{condense}"/><w:sz w:val="{s3}"/><w:szCs w:val="{s3}"/></w:rPr></w:style>"#,
            r#"<w:style w:type="paragraph" w:customStyle="1" w:styleId="Body"><w:name w:val="公文正文"/><w:basedOn w:val="Normal"/><w:qFormat/>"#,
            r#"<w:pPr>{indent}</w:pPr></w:style>"#,
            r#"<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Body"/><w:next w:val="Body"/><w:qFormat/>"#,
            r#"<w:pPr><w:keepNext/><w:outlineLvl w:val="0"/></w:pPr><w:rPr>{heiti}</w:rPr></w:style>"#,
            r#"<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Body"/><w:next w:val="Body"/><w:qFormat/>"#,
            r#"<w:pPr><w:keepNext/><w:outlineLvl w:val="1"/></w:pPr><w:rPr>{kaiti}</w:rPr></w:style>"#,
            r#"<w:style w:type="paragraph" w:customStyle="1" w:styleId="Picture"><w:name w:val="公文图片"/><w:basedOn w:val="Normal"/><w:next w:val="Caption"/>"#,
            r#"<w:pPr><w:keepNext/><w:snapToGrid w:val="0"/><w:spacing w:before="120" w:line="240" w:lineRule="auto"/>{no_indent}<w:jc w:val="center"/></w:pPr></w:style>"#,
            r#"<w:style w:type="paragraph" w:styleId="Caption"><w:name w:val="caption"/><w:basedOn w:val="Normal"/><w:next w:val="Body"/><w:qFormat/>"#,
            r#"<w:pPr><w:snapToGrid w:val="0"/><w:spacing w:before="60" w:after="120" w:line="240" w:lineRule="auto"/>{no_indent}<w:jc w:val="center"/></w:pPr>"#,
            r#"<w:rPr><w:sz w:val="{s4}"/><w:szCs w:val="{s4}"/></w:rPr></w:style>"#,
            r#"<w:style w:type="paragraph" w:styleId="Footer"><w:name w:val="footer"/><w:basedOn w:val="Normal"/>"#,
            r#"<w:pPr><w:snapToGrid w:val="0"/><w:spacing w:line="240" w:lineRule="auto"/></w:pPr><w:rPr>{songti}<w:spacing w:val="0"/><w:sz w:val="{s4}"/><w:szCs w:val="{s4}"/></w:rPr></w:style>"#,
            r#"</w:styles>"#
        ),
        decl = DECLARATION,
        w = NS_W,
        fangsong = fangsong,
        heiti = heiti,
        kaiti = kaiti,
        songti = songti,
        s3 = SIZE_3,
        s4 = SIZE_4,
        pitch = LINE_PITCH,
        condense = CONDENSE_3,
        indent = indent,
        no_indent = no_indent,
    )
}

/// The font table: each GB/T 9704 face with the one a computer without it should use. Word
/// goes by `w:altName`, then by the character set and family (serif or sans), which is why
/// those are filled in too.
pub(super) fn font_table() -> String {
    let mut out = format!(r#"{DECLARATION}<w:fonts xmlns:w="{NS_W}">"#);
    let mut entry = |name: &str, alt: &str, serif: bool| {
        let family = if serif { "roman" } else { "swiss" };
        let _ = write!(
            out,
            r#"<w:font w:name="{}"><w:altName w:val="{}"/><w:charset w:val="86"/><w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>"#,
            escaped(name),
            escaped(alt),
        );
    };
    for font in Font::ALL {
        entry(font.name(), font.alt_name(), font.is_serif());
    }
    for (name, alt, serif) in FALLBACK_FONTS {
        entry(name, alt, serif);
    }
    out.push_str("</w:fonts>");
    out
}

/// Different footers on odd and even pages, Chinese punctuation compressed as in print.
pub(super) fn settings() -> String {
    format!(
        concat!(
            r#"{}<w:settings xmlns:w="{}"><w:zoom w:percent="100"/><w:defaultTabStop w:val="{}"/><w:evenAndOddHeaders/>"#,
            r#"<w:characterSpacingControl w:val="compressPunctuation"/>"#,
            r#"<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>"#,
            r#"<w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/></w:settings>"#
        ),
        DECLARATION, NS_W, EM_3,
    )
}

/// A footer with the page number as GB/T 9704 prints it, "— 1 —" in 4号 宋体: on odd pages
/// at the right (右空一字), on even pages at the left (左空一字).
pub(super) fn footer(odd: bool) -> String {
    let mut number = String::new();
    let run = Run::plain();
    run.write(&mut number, "— ");
    run.write_field(&mut number, "PAGE", "1");
    run.write(&mut number, " —");
    let place = if odd {
        format!(r#"<w:ind w:right="{EM_4}"/><w:jc w:val="right"/>"#)
    } else {
        format!(r#"<w:ind w:left="{EM_4}"/><w:jc w:val="left"/>"#)
    };
    format!(
        r#"{DECLARATION}<w:ftr xmlns:w="{NS_W}" xmlns:r="{NS_REL}"><w:p><w:pPr><w:pStyle w:val="Footer"/>{place}</w:pPr>{number}</w:p></w:ftr>"#
    )
}

/// `docProps/core.xml`. The creation time is the notice's date, not the clock's, so the same
/// notice always gives the same file.
pub(super) fn core_properties(title: &str, number: &str, creator: &str, date: chrono::NaiveDate) -> String {
    format!(
        concat!(
            r#"{}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties""#,
            r#" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/""#,
            r#" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
            r#"<dc:title>{}</dc:title><dc:subject>{}</dc:subject><dc:creator>{}</dc:creator><dc:language>zh-CN</dc:language>"#,
            r#"<dcterms:created xsi:type="dcterms:W3CDTF">{}T00:00:00Z</dcterms:created></cp:coreProperties>"#
        ),
        DECLARATION,
        escaped(title),
        escaped(number),
        escaped(creator),
        date.format("%Y-%m-%d"),
    )
}

pub(super) fn app_properties() -> String {
    format!(
        r#"{DECLARATION}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Mingcha</Application></Properties>"#
    )
}
