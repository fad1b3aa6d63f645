//! The documents the office hands out: the notice (通报 .docx) and the ledger (台账 .xlsx),
//! read back the way a recipient's software would read them.

use std::io::{Cursor, Read as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, DataType as _, Reader as _, Xlsx};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use mingcha_core::rectification::Light;
use mingcha_office::DocError;
use mingcha_office::docx::{chinese_date, notice_docx};
use mingcha_office::ledger::{LedgerRow, LedgerStage};
use mingcha_office::notice::{NoticeCategory, NoticeDoc, NoticeItem, NoticePhoto, NoticeUnit};
use mingcha_office::xlsx::ledger_xlsx;
use quick_xml::Reader;
use quick_xml::events::Event;
use zip::ZipArchive;

// ---------------------------------------------------------------------------------------------
// Test data

const ABSENT: &str = "3号窗口工作人员上班时间脱岗二十分钟，群众排队等候无人办理。";
const VIDEO: &str = "二楼办公区1名工作人员上班时间用手机观看视频，群众咨询时未予理睬。";
const NOT_TOLD: &str = "社保窗口工作人员未一次性告知办事所需材料，群众往返两次仍未办结。";
/// Markup characters a description can carry, which must reach the reader unchanged.
const OVERDUE: &str =
    "5号窗口受理的抵押登记超过承诺时限3个工作日仍未办结；窗口公示的“办事指南<2025版>”与实际要求不符 & 未及时更新。";

/// A small real JPEG, `width`×`height`, a gradient so that each photo differs.
fn jpeg(width: u32, height: u32, shade: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([shade, (x * 255 / width) as u8, (y * 255 / height) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg).expect("encode JPEG");
    out.into_inner()
}

fn photo(n: u32, width: u32, height: u32, caption: &str) -> NoticePhoto {
    NoticePhoto { jpeg: jpeg(width, height, (n * 60) as u8), width, height, caption: format!("图{n} {caption}") }
}

fn item(text: &str, photos: Vec<NoticePhoto>) -> NoticeItem {
    NoticeItem { text: text.to_owned(), photos }
}

fn notice() -> NoticeDoc {
    NoticeDoc {
        issuer: "城南区作风效能建设领导小组办公室".into(),
        number: "城南效能〔2026〕3号".into(),
        title: "关于2026年11月作风效能明查暗访情况的通报".into(),
        addressees: "各街道办事处，区直各部门：".into(),
        intro: vec![
            "为持续深化机关作风效能建设，进一步优化政务服务环境，11月10日至14日，区作风效能建设领导小组办公室组成3个督查组，采取明查与暗访相结合的方式，对全区12个政务服务窗口单位的工作纪律、服务态度和办事效率进行了督查。从督查情况看，大部分单位工作秩序良好，但仍有少数单位和个人纪律松散、作风漂浮。现将发现的问题通报如下：".into(),
        ],
        units: vec![
            NoticeUnit {
                unit: "城南区政务服务中心".into(),
                categories: vec![
                    NoticeCategory {
                        category: "散 / 脱岗离岗".into(),
                        items: vec![
                            item(
                                ABSENT,
                                vec![
                                    photo(1, 160, 120, "城南区政务服务中心3号窗口无人值守（2026年11月10日9时20分）"),
                                    photo(2, 160, 120, "群众在3号窗口前排队等候（2026年11月10日9时35分）"),
                                ],
                            ),
                            item(VIDEO, vec![]),
                        ],
                    },
                    NoticeCategory {
                        category: "服务态度 / 未一次性告知".into(),
                        items: vec![item(
                            NOT_TOLD,
                            vec![photo(3, 160, 120, "社保窗口一次性告知单缺失（2026年11月11日10时05分）")],
                        )],
                    },
                ],
            },
            NoticeUnit {
                unit: "城南区不动产登记中心".into(),
                categories: vec![NoticeCategory {
                    category: "拖 / 超时办结".into(),
                    items: vec![item(
                        OVERDUE,
                        vec![photo(4, 90, 120, "5号窗口公示的“办事指南<2025版>”（2026年11月12日14时05分）")],
                    )],
                }],
            },
        ],
        closing: vec![
            "各单位要对照通报问题，举一反三，立即整改，并于12月5日前将整改情况书面报送区作风效能建设领导小组办公室。对整改不力、屡查屡犯的，将依规依纪严肃追责问责。".into(),
            "区作风效能建设领导小组办公室将持续开展“回头看”，对整改情况进行复核。".into(),
        ],
        signer: "城南区作风效能建设领导小组办公室".into(),
        date: NaiveDate::from_ymd_opt(2026, 11, 22).expect("valid date"),
    }
}

fn all_photos(doc: &NoticeDoc) -> Vec<&NoticePhoto> {
    doc.units.iter().flat_map(|u| &u.categories).flat_map(|c| &c.items).flat_map(|i| &i.photos).collect()
}

fn time(s: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("valid time")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn ledger() -> Vec<LedgerRow> {
    let row = |seq: u32, unit: &str, description: &str, found_at: &str| LedgerRow {
        seq,
        id: format!("problem-{seq}"),
        finding_id: format!("finding-{seq}"),
        unit: unit.into(),
        description: description.into(),
        found_at: time(found_at),
        method: "暗访".into(),
        category: "san.absent".into(),
        category_label: "散 / 脱岗离岗".into(),
        responsible: String::new(),
        measures: String::new(),
        deadline: None,
        rectification: String::new(),
        verification: String::new(),
        closed: None,
        stage: LedgerStage::Pending,
        stage_label: "待交办".into(),
        light: None,
    };
    vec![
        LedgerRow {
            responsible: "城南区政务服务中心 / 王科长".into(),
            measures: "对当事人批评教育，严格落实AB岗和离岗报备制度".into(),
            deadline: Some(date(2026, 11, 30)),
            rectification: "已对当事人进行诫勉谈话，完善窗口离岗登记制度".into(),
            verification: "11月28日回头看，3号窗口在岗正常".into(),
            closed: Some(date(2026, 11, 29)),
            stage: LedgerStage::Closed,
            stage_label: "已销号".into(),
            ..row(1, "城南区政务服务中心", ABSENT, "2026-11-10T09:20:00+08:00")
        },
        LedgerRow {
            method: "明查".into(),
            category: "tuo.overdue".into(),
            category_label: "拖 / 超时办结".into(),
            responsible: "城南区不动产登记中心 / 李主任".into(),
            measures: "逐件清理超时件，更新办事指南".into(),
            deadline: Some(date(2026, 11, 20)),
            stage: LedgerStage::Assigned,
            stage_label: "已交办".into(),
            light: Some(Light::Red),
            ..row(2, "城南区不动产登记中心", OVERDUE, "2026-11-12T14:05:00+08:00")
        },
        row(3, "城南区政务服务中心", NOT_TOLD, "2026-11-11T10:05:00+08:00"),
    ]
}

// ---------------------------------------------------------------------------------------------
// Reading the packages back

fn open(bytes: &[u8]) -> ZipArchive<Cursor<&[u8]>> {
    ZipArchive::new(Cursor::new(bytes)).expect("the file is a zip package")
}

fn part(zip: &mut ZipArchive<Cursor<&[u8]>>, name: &str) -> String {
    let mut file = zip.by_name(name).unwrap_or_else(|e| panic!("{name} is missing: {e}"));
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap_or_else(|e| panic!("{name} is not UTF-8: {e}"));
    text
}

fn part_bytes(zip: &mut ZipArchive<Cursor<&[u8]>>, name: &str) -> Vec<u8> {
    let mut file = zip.by_name(name).unwrap_or_else(|e| panic!("{name} is missing: {e}"));
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).expect("read part");
    bytes
}

/// Parses `xml` to the end, failing on anything malformed (mismatched tags, bad escapes), and
/// returns the text of each `w:p` paragraph as a reader sees it.
fn paragraphs(name: &str, xml: &str) -> Vec<String> {
    let mut reader = Reader::from_str(xml);
    let mut paragraphs = Vec::new();
    let mut current: Option<String> = None;
    let mut in_text = false;
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("{name} is not well-formed XML near byte {}: {e}", reader.error_position()));
        match event {
            Event::Start(e) if e.name().as_ref() == "w:p" => current = Some(String::new()),
            Event::End(e) if e.name().as_ref() == "w:p" => paragraphs.extend(current.take()),
            Event::Start(e) if e.name().as_ref() == "w:t" => in_text = true,
            Event::End(e) if e.name().as_ref() == "w:t" => in_text = false,
            Event::Text(t) if in_text => current.get_or_insert_default().push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => {
                let c = match r.resolve_char_ref().expect("valid character reference") {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r)
                        .unwrap_or_else(|| panic!("{name}: unknown entity &{};", &*r))
                        .to_owned(),
                };
                current.get_or_insert_default().push_str(&c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    paragraphs
}

/// Where `text` is among `paragraphs`; fails listing them when it is not there.
fn position(paragraphs: &[String], text: &str) -> usize {
    paragraphs
        .iter()
        .position(|p| p == text)
        .unwrap_or_else(|| panic!("no paragraph reads {text:?}; the paragraphs are:\n{}", paragraphs.join("\n")))
}

/// `(Id, Target)` of the image relationships in `word/_rels/document.xml.rels`.
fn image_relationships(rels: &str) -> Vec<(String, String)> {
    let mut reader = Reader::from_str(rels);
    let mut found = Vec::new();
    loop {
        match reader.read_event().expect("the relationships are well-formed XML") {
            Event::Empty(e) | Event::Start(e) if e.name().as_ref() == "Relationship" => {
                let attr = |key: &str| -> String {
                    e.try_get_attribute(key)
                        .expect("valid attributes")
                        .map(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Explicit1_0).expect("valid value").into_owned()
                        })
                        .unwrap_or_default()
                };
                if attr("Type").ends_with("/relationships/image") {
                    found.push((attr("Id"), attr("Target")));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// The notice

#[test]
fn the_notice_reads_in_the_order_of_an_official_document() {
    let doc = notice();
    let docx = notice_docx(&doc).expect("the notice is written");
    let mut zip = open(&docx);
    let paras = paragraphs("word/document.xml", &part(&mut zip, "word/document.xml"));

    let issuer = position(&paras, "城南区作风效能建设领导小组办公室");
    let number = position(&paras, "城南效能〔2026〕3号");
    let title = position(&paras, "关于2026年11月作风效能明查暗访情况的通报");
    let addressees = position(&paras, "各街道办事处，区直各部门：");
    let unit1 = position(&paras, "一、城南区政务服务中心");
    let absent = position(&paras, "（一）散 / 脱岗离岗");
    let item1 = position(&paras, &format!("1. {ABSENT}"));
    let item2 = position(&paras, &format!("2. {VIDEO}"));
    let not_told = position(&paras, "（二）服务态度 / 未一次性告知");
    let item3 = position(&paras, &format!("1. {NOT_TOLD}"));
    let unit2 = position(&paras, "二、城南区不动产登记中心");
    let item4 = position(&paras, &format!("1. {OVERDUE}"));
    let closing = position(&paras, &doc.closing[1]);
    let signed = paras.iter().rposition(|p| p == "城南区作风效能建设领导小组办公室").expect("the signer is printed");
    let dated = position(&paras, "2026年11月22日");
    let order = [
        issuer, number, title, addressees, unit1, absent, item1, item2, not_told, item3, unit2, item4, closing, signed,
        dated,
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "the parts are out of order: {order:?}\n{}", paras.join("\n"));

    // Each caption comes right after its item, photo after photo.
    for photo in all_photos(&doc) {
        position(&paras, &photo.caption);
    }
    assert!(position(&paras, "图1 城南区政务服务中心3号窗口无人值守（2026年11月10日9时20分）") > item1);
    assert!(position(&paras, "图2 群众在3号窗口前排队等候（2026年11月10日9时35分）") < item2);
}

#[test]
fn the_date_is_printed_in_chinese_without_leading_zeros() {
    assert_eq!(chinese_date(date(2026, 11, 22)), "2026年11月22日");
    assert_eq!(chinese_date(date(2027, 1, 5)), "2027年1月5日");
}

#[test]
fn each_photo_is_embedded_once_and_shown_where_it_belongs() {
    let doc = notice();
    let docx = notice_docx(&doc).expect("the notice is written");
    let mut zip = open(&docx);
    let document = part(&mut zip, "word/document.xml");
    let rels = image_relationships(&part(&mut zip, "word/_rels/document.xml.rels"));
    let media: Vec<String> = zip.file_names().filter(|n| n.starts_with("word/media/")).map(str::to_owned).collect();
    let photos = all_photos(&doc);

    assert_eq!(media.len(), photos.len(), "one image per photo: {media:?}");
    assert_eq!(rels.len(), photos.len(), "one relationship per photo: {rels:?}");
    for (n, photo) in photos.iter().enumerate() {
        let name = format!("word/media/image{}.jpeg", n + 1);
        assert_eq!(part_bytes(&mut zip, &name), photo.jpeg, "{name} holds the photo's bytes unchanged");
        let (id, _) = rels
            .iter()
            .find(|(_, target)| format!("word/{target}") == name)
            .unwrap_or_else(|| panic!("no relationship points at {name}: {rels:?}"));
        assert_eq!(document.matches(&format!(r#"r:embed="{id}""#)).count(), 1, "{id} is shown exactly once");
    }
    let types = part(&mut zip, "[Content_Types].xml");
    assert!(types.contains(r#"Extension="jpeg" ContentType="image/jpeg""#), "{types}");
}

#[test]
fn every_part_of_the_package_is_well_formed_xml() {
    let docx = notice_docx(&notice()).expect("the notice is written");
    let mut zip = open(&docx);
    let names: Vec<String> =
        zip.file_names().filter(|n| n.ends_with(".xml") || n.ends_with(".rels")).map(str::to_owned).collect();
    for required in
        ["[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/fontTable.xml", "docProps/core.xml"]
    {
        assert!(names.iter().any(|n| n == required), "{required} is missing from {names:?}");
    }
    for name in names {
        paragraphs(&name, &part(&mut zip, &name));
    }
}

#[test]
fn ampersands_and_angle_brackets_reach_the_reader_unchanged() {
    let mut doc = notice();
    doc.title = "关于“窗口<办不成事>”反映 & 处理情况的通报".into();
    let docx = notice_docx(&doc).expect("the notice is written");
    let mut zip = open(&docx);
    let paras = paragraphs("word/document.xml", &part(&mut zip, "word/document.xml"));
    position(&paras, "关于“窗口<办不成事>”反映 & 处理情况的通报");
    position(&paras, &format!("1. {OVERDUE}"));
    position(&paras, "图4 5号窗口公示的“办事指南<2025版>”（2026年11月12日14时05分）");

    let core = part(&mut zip, "docProps/core.xml");
    paragraphs("docProps/core.xml", &core);
    assert!(core.contains("<dc:title>关于“窗口&lt;办不成事&gt;”反映 &amp; 处理情况的通报</dc:title>"), "{core}");
}

#[test]
fn the_header_is_red_and_every_font_has_a_fallback() {
    let docx = notice_docx(&notice()).expect("the notice is written");
    let mut zip = open(&docx);
    let document = part(&mut zip, "word/document.xml");
    // The issuer is red, in 小标宋; the rule under the 发文字号 is red.
    let issuer = document.find("城南区作风效能建设领导小组办公室").expect("the issuer is printed");
    let run = &document[document[..issuer].rfind("<w:r>").expect("the issuer is in a run")..issuer];
    assert!(run.contains(r#"<w:color w:val="FF0000"/>"#) && run.contains("方正小标宋简体"), "{run}");
    let number = document.find("城南效能〔2026〕3号").expect("the number is printed");
    let paragraph = &document[document[..number].rfind("<w:p>").expect("in a paragraph")..number];
    assert!(
        paragraph.contains(r#"<w:bottom w:val="single""#) && paragraph.contains(r#"w:color="FF0000""#),
        "{paragraph}"
    );

    // The body is 仿宋_GB2312 3号, and each standard face names what to use where it is missing.
    let styles = part(&mut zip, "word/styles.xml");
    assert!(styles.contains(r#"w:eastAsia="仿宋_GB2312""#) && styles.contains(r#"<w:sz w:val="32"/>"#), "{styles}");
    let fonts = part(&mut zip, "word/fontTable.xml");
    for (font, alt) in
        [("仿宋_GB2312", "仿宋"), ("方正小标宋简体", "宋体"), ("黑体", "SimHei"), ("楷体_GB2312", "楷体")]
    {
        assert!(fonts.contains(&format!(r#"<w:font w:name="{font}"><w:altName w:val="{alt}"/>"#)), "{font}: {fonts}");
    }
}

#[test]
fn a_photo_that_is_not_a_jpeg_is_refused_with_its_caption() {
    let mut doc = notice();
    doc.units[1].categories[0].items[0].photos[0].jpeg = b"\x89PNG\r\n\x1a\n".to_vec();
    match notice_docx(&doc) {
        Err(DocError::BadPhoto { caption, .. }) => assert!(caption.starts_with("图4 "), "{caption}"),
        other => panic!("expected BadPhoto, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The ledger

fn read_ledger(bytes: &[u8]) -> calamine::Range<Data> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("the ledger opens as a workbook");
    assert_eq!(workbook.sheet_names(), ["台账"]);
    workbook.worksheet_range("台账").expect("the sheet 台账 reads")
}

fn cell(range: &calamine::Range<Data>, row: usize, col: usize) -> Data {
    range.get((row, col)).cloned().unwrap_or(Data::Empty)
}

fn datetime(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("valid time")
}

#[test]
fn the_ledger_has_its_title_and_the_twelve_columns_in_order() {
    let bytes = ledger_xlsx("2026年11月作风效能问题整改台账", &ledger()).expect("the ledger is written");
    let range = read_ledger(&bytes);
    assert_eq!(range.start(), Some((0, 0)));
    assert_eq!(cell(&range, 0, 0), Data::String("2026年11月作风效能问题整改台账".into()));
    let header: Vec<String> = (0..12).map(|c| cell(&range, 1, c).to_string()).collect();
    assert_eq!(
        header,
        [
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
            "销号"
        ]
    );
    assert!(cell(&range, 1, 12).is_empty(), "no thirteenth column");
}

#[test]
fn each_problem_is_one_row_with_real_dates() {
    let bytes = ledger_xlsx("2026年11月作风效能问题整改台账", &ledger()).expect("the ledger is written");
    let range = read_ledger(&bytes);
    assert_eq!(range.height(), 2 + 3, "title, header and one row per problem");

    let found = |row| cell(&range, row, 3);
    let on = |row, col| cell(&range, row, col).as_datetime().map(|t| t.date());

    // A closed problem: every column filled, 销号 shows the day it was closed.
    assert_eq!(cell(&range, 2, 0).as_f64(), Some(1.0));
    assert_eq!(cell(&range, 2, 1).to_string(), "城南区政务服务中心");
    assert_eq!(cell(&range, 2, 2).to_string(), ABSENT);
    assert!(found(2).is_datetime(), "发现时间 is a date cell, not text: {:?}", found(2));
    assert_eq!(found(2).as_datetime(), Some(datetime("2026-11-10 09:20")), "in the local time of the place");
    assert_eq!(cell(&range, 2, 4).to_string(), "暗访");
    assert_eq!(cell(&range, 2, 5).to_string(), "散 / 脱岗离岗");
    assert_eq!(cell(&range, 2, 6).to_string(), "城南区政务服务中心 / 王科长");
    assert_eq!(on(2, 8), Some(date(2026, 11, 30)));
    assert_eq!(cell(&range, 2, 10).to_string(), "11月28日回头看，3号窗口在岗正常");
    assert_eq!(on(2, 11), Some(date(2026, 11, 29)));

    // An overdue problem: open, so 销号 is empty; its text with markup characters is intact.
    assert_eq!(cell(&range, 3, 1).to_string(), "城南区不动产登记中心");
    assert_eq!(cell(&range, 3, 2).to_string(), OVERDUE);
    assert_eq!(found(3).as_datetime(), Some(datetime("2026-11-12 14:05")));
    assert_eq!(cell(&range, 3, 4).to_string(), "明查");
    assert_eq!(on(3, 8), Some(date(2026, 11, 20)));
    assert!(cell(&range, 3, 11).is_empty(), "an open problem has no 销号 date");

    // Not yet handed to anyone: no deadline, no one responsible.
    assert_eq!(cell(&range, 4, 2).to_string(), NOT_TOLD);
    assert!(cell(&range, 4, 6).is_empty() && cell(&range, 4, 8).is_empty() && cell(&range, 4, 11).is_empty());
}

#[test]
fn an_empty_ledger_still_has_its_header() {
    let bytes = ledger_xlsx("台账", &[]).expect("the ledger is written");
    let range = read_ledger(&bytes);
    assert_eq!(range.height(), 2);
    assert_eq!(cell(&range, 1, 11).to_string(), "销号");
}

#[test]
fn a_cell_longer_than_excel_takes_is_cut_and_marked_and_the_rest_is_intact() {
    use mingcha_office::xlsx::{CELL_MAX, CUT_MARK};
    // A real text, pasted over and over: a unit's whole report landing in 整改措施.
    let paragraph =
        "窗口工作人员上班时间玩手机游戏，群众排队等候二十分钟无人受理；整改要求：严肃工作纪律，落实首问负责制。";
    let mut rows = ledger();
    rows[0].measures = paragraph.repeat(40_000 / paragraph.chars().count() + 1);
    assert!(rows[0].measures.chars().count() > CELL_MAX);
    let bytes = ledger_xlsx("2026年11月作风效能问题整改台账", &rows).expect("a long cell does not fail the export");
    let range = read_ledger(&bytes);
    let measures = cell(&range, 2, 7).to_string();
    let tail: String = measures.chars().skip(measures.chars().count().saturating_sub(20)).collect();
    assert!(measures.ends_with(CUT_MARK), "the cut is marked: …{tail}");
    assert!(measures.encode_utf16().count() <= CELL_MAX, "{}", measures.encode_utf16().count());
    assert!(measures.starts_with(paragraph) && measures.chars().count() > 30_000, "it keeps what fits");
    assert_eq!(cell(&range, 2, 2).to_string(), ABSENT, "the other cells are untouched");
    assert_eq!(cell(&range, 3, 2).to_string(), OVERDUE);
}

// ---------------------------------------------------------------------------------------------
// LibreOffice opens both

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|dir| names.iter().map(move |n| dir.join(n))).find(|p| p.is_file())
}

/// Converts `bytes` (saved as `name`) to PDF with LibreOffice, in a profile of its own so that
/// tests running side by side do not share one, killed if it takes longer than two minutes.
fn libreoffice_pdf(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let soffice = on_path(&["soffice", "libreoffice"]).unwrap_or_else(|| {
        panic!(
            "LibreOffice is needed to check that offices can open the documents: install it \
             (Debian/Ubuntu: apt-get install libreoffice-writer-nogui libreoffice-calc-nogui) so that \
             `soffice` is on PATH"
        )
    });
    let input = dir.join(name);
    std::fs::write(&input, bytes).expect("write the document");
    let out = dir.join("pdf");
    let profile = dir.join("profile");
    // `timeout` signals the whole process group, which includes soffice.bin behind the launcher.
    let output = Command::new("timeout")
        .args(["--kill-after=10", "120"])
        .arg(&soffice)
        .arg(format!("-env:UserInstallation=file://{}", profile.display()))
        .args(["--headless", "--norestore", "--nolockcheck", "--convert-to", "pdf", "--outdir"])
        .arg(&out)
        .arg(&input)
        .output()
        .expect("run LibreOffice under timeout(1)");
    let log = format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_ne!(output.status.code(), Some(124), "LibreOffice did not finish converting {name} within 120 s\n{log}");
    assert!(output.status.success(), "LibreOffice failed on {name}: {}\n{log}", output.status);
    let stem = Path::new(name).file_stem().expect("a file name").to_string_lossy().into_owned();
    let pdf = out.join(format!("{stem}.pdf"));
    let size = std::fs::metadata(&pdf).map(|m| m.len()).unwrap_or(0);
    assert!(size > 1000, "LibreOffice wrote no PDF for {name} ({size} bytes)\n{log}");
    pdf
}

fn pdf_text(pdf: &Path) -> String {
    let pdftotext = on_path(&["pdftotext"])
        .unwrap_or_else(|| panic!("pdftotext is needed to read the PDF back: install poppler-utils"));
    let output = Command::new(pdftotext).args(["-enc", "UTF-8"]).arg(pdf).arg("-").output().expect("run pdftotext");
    assert!(output.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn libreoffice_prints_the_notice_with_its_title_and_number() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let docx = notice_docx(&notice()).expect("the notice is written");
    let pdf = libreoffice_pdf(dir.path(), "通报.docx", &docx);
    let text = pdf_text(&pdf);
    for expected in
        ["关于2026年11月作风效能明查暗访情况的通报", "城南效能〔2026〕3号", "一、城南区政务服务中心", "2026年11月22日"]
    {
        assert!(text.contains(expected), "the printed notice lacks {expected:?}:\n{text}");
    }
}

#[test]
fn libreoffice_opens_the_ledger() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let xlsx = ledger_xlsx("2026年11月作风效能问题整改台账", &ledger()).expect("the ledger is written");
    let pdf = libreoffice_pdf(dir.path(), "台账.xlsx", &xlsx);
    let text = pdf_text(&pdf);
    assert!(text.contains("2026年11月作风效能问题整改台账") && text.contains("城南区不动产登记中心"), "{text}");
}
