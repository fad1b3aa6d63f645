//! The page of GB/T 9704-2012 (党政机关公文格式) and the measurements that follow from it.
//! Lengths are in twips (1/20 pt, 1440 an inch) as WordprocessingML wants them, pictures in
//! EMU (36 000 a millimetre).

/// A4.
pub(super) const PAGE_WIDTH: u32 = 11906;
pub(super) const PAGE_HEIGHT: u32 = 16838;
/// 天头 37 mm.
pub(super) const MARGIN_TOP: u32 = 2098;
/// 订口 28 mm.
pub(super) const MARGIN_LEFT: u32 = 1587;
/// 26 mm, so that the text block (版心) is 156 mm wide.
pub(super) const MARGIN_RIGHT: u32 = 1474;
/// 35 mm, so that the text block is 225 mm tall.
pub(super) const MARGIN_BOTTOM: u32 = 1984;
/// From the page's bottom edge to the foot of the page number, which puts the number's top
/// about 7 mm under the text block.
pub(super) const FOOTER_DISTANCE: u32 = 1247;

pub(super) const TEXT_WIDTH: u32 = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
pub(super) const TEXT_HEIGHT: u32 = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
/// 每面排22行.
pub(super) const LINES_PER_PAGE: u32 = 22;
/// 579 twips = 28.95 pt, so that 22 lines fill the 225 mm text block.
pub(super) const LINE_PITCH: u32 = TEXT_HEIGHT / LINES_PER_PAGE;
/// 每行排28个字.
pub(super) const CHARS_PER_LINE: u32 = 28;

// The grid is exact, checked when compiling: 22 lines fill the text block and a 23rd does not
// fit; 28 condensed characters fill a line and a 29th does not.
const _: () = {
    assert!(LINE_PITCH * LINES_PER_PAGE <= TEXT_HEIGHT && LINE_PITCH * (LINES_PER_PAGE + 1) > TEXT_HEIGHT);
    let cell = EM_3 as i32 + CONDENSE_3;
    assert!(
        cell * CHARS_PER_LINE as i32 <= TEXT_WIDTH as i32 && cell * (CHARS_PER_LINE as i32 + 1) > TEXT_WIDTH as i32
    );
};

/// Font sizes in half-points (`w:sz`): 2号 22 pt, 3号 16 pt, 4号 14 pt.
pub(super) const SIZE_2: u32 = 44;
pub(super) const SIZE_3: u32 = 32;
pub(super) const SIZE_4: u32 = 28;
/// One character of 3号 text, the unit of every indent in the body (空二字 = 2 of these).
pub(super) const EM_3: u32 = 320;
/// 28 characters of 3号 (16 pt) are 448 pt, a little more than the 442 pt of the text block,
/// so the body is condensed by this much (twips) a character: a character grid would do the
/// same in Word, but LibreOffice spreads the characters of such a grid across the line.
pub(super) const CONDENSE_3: i32 = (TEXT_WIDTH / CHARS_PER_LINE) as i32 - EM_3 as i32;
/// One character of 4号, for the page number's 空一字.
pub(super) const EM_4: u32 = 280;

/// The issuer's top is 35 mm below the top of the text block (下行文).
pub(super) const ISSUER_SPACE_BEFORE: u32 = 1984;
/// The issuer's preferred size: 初号-sized 小标宋, as offices print it.
const ISSUER_HALF_POINTS: u32 = 84;
/// How far a long issuer may be squeezed before it is set smaller instead.
const ISSUER_MIN_SCALE: u32 = 60;

/// The widest and tallest a photo is printed: no wider than the text block, and low enough
/// that two photos with their captions share a page (a 4:3 photo comes out 120×90 mm).
pub(super) const PHOTO_MAX_WIDTH_EMU: u64 = 156 * 36_000;
pub(super) const PHOTO_MAX_HEIGHT_EMU: u64 = 90 * 36_000;

/// Width of `s` in half characters: Chinese characters and full-width punctuation take a
/// whole cell, ASCII digits and letters half of one.
pub(super) fn half_ems(s: &str) -> u32 {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// Size (half-points) and horizontal scale (percent, `None` for 100) of the issuer so that it
/// fits on one line of the text block, as offices do with long names: squeeze first, and only
/// set it smaller when squeezing would distort it too much.
pub(super) fn issuer_size(issuer: &str) -> (u32, Option<u32>) {
    // Keep a little room for the glyphs' side bearings.
    let room = u64::from(TEXT_WIDTH) * 96 / 100;
    let half = u64::from(half_ems(issuer).max(1));
    // A half character at `hp` half-points is hp/4 pt = hp*5 twips wide.
    let natural = half * u64::from(ISSUER_HALF_POINTS) * 5;
    if natural <= room {
        return (ISSUER_HALF_POINTS, None);
    }
    let scale = room * 100 / natural;
    if scale >= u64::from(ISSUER_MIN_SCALE) {
        return (ISSUER_HALF_POINTS, Some(scale as u32));
    }
    let half_points = room * 100 / (half * 5 * u64::from(ISSUER_MIN_SCALE));
    (half_points.max(u64::from(SIZE_3)) as u32, Some(ISSUER_MIN_SCALE))
}

/// Left indents (twips) of the 落款 and of the date under it. GB/T 9704 7.3.5.2 (no seal):
/// the signer 右空二字; the date's first character two characters right of the signer's
/// first; if that would bring the date nearer than two characters to the margin, the date
/// 右空二字 and the signer keeps two characters to the left of it. Left indents rather than
/// right alignment, so that the two-character offset holds whatever width the digits of the
/// date have in the font at hand.
pub(super) fn signature_indents(signer: &str, date: &str) -> (u32, u32) {
    let cell = EM_3 as i32 + CONDENSE_3;
    let width = |s: &str| half_ems(s) as i32 * cell / 2;
    let line = TEXT_WIDTH as i32;
    let (signer_w, date_w) = (width(signer), width(date));
    let signer_left =
        if signer_w >= date_w + 2 * cell { line - 2 * cell - signer_w } else { line - 2 * cell - date_w - 2 * cell };
    let signer_left = signer_left.max(0);
    (signer_left as u32, (signer_left + 2 * cell) as u32)
}

/// How many half characters of `half_points` type fit on a line of the text block.
pub(super) fn line_capacity(half_points: u32) -> u32 {
    2 * TEXT_WIDTH / (half_points * 10).saturating_add_signed(CONDENSE_3).max(1)
}

/// The printed size (EMU) of a `width`×`height` photo: as large as the box allows, keeping
/// its proportions.
pub(super) fn photo_extent(width: u32, height: u32) -> (u64, u64) {
    let (w, h) = (u64::from(width.max(1)), u64::from(height.max(1)));
    if w * PHOTO_MAX_HEIGHT_EMU >= h * PHOTO_MAX_WIDTH_EMU {
        (PHOTO_MAX_WIDTH_EMU, PHOTO_MAX_WIDTH_EMU * h / w)
    } else {
        (PHOTO_MAX_HEIGHT_EMU * w / h, PHOTO_MAX_HEIGHT_EMU)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_block_is_156_by_225_mm() {
        let mm = |twips: u32| f64::from(twips) * 25.4 / 1440.0;
        assert!((mm(TEXT_WIDTH) - 156.0).abs() < 0.1, "{}", mm(TEXT_WIDTH));
        assert!((mm(TEXT_HEIGHT) - 225.0).abs() < 0.1, "{}", mm(TEXT_HEIGHT));
    }

    #[test]
    fn a_short_issuer_keeps_its_size_and_a_long_one_is_squeezed_to_fit() {
        assert_eq!(issuer_size("城南区效能办"), (84, None));
        let (hp, scale) = issuer_size("城南区作风效能建设领导小组办公室");
        assert_eq!(hp, 84);
        let scale = scale.expect("16 characters of 42 pt do not fit in 156 mm");
        assert!((60..100).contains(&scale));
        let (hp, scale) = issuer_size("中共城南区纪律检查委员会城南区监察委员会作风效能建设领导小组办公室");
        assert!(hp < 84 && scale == Some(60));
        assert!(
            u64::from(half_ems("中共城南区纪律检查委员会城南区监察委员会作风效能建设领导小组办公室"))
                * u64::from(hp)
                * 5
                * 60
                / 100
                <= u64::from(TEXT_WIDTH)
        );
    }

    #[test]
    fn the_date_starts_two_characters_right_of_the_signer() {
        let cell = EM_3 as i32 + CONDENSE_3;
        // 16 characters of signer 右空二字; the date two characters further right.
        let (signer, date) = signature_indents("城南区作风效能建设领导小组办公室", "2026年11月22日");
        assert_eq!(signer as i32 + 16 * cell + 2 * cell, TEXT_WIDTH as i32);
        assert_eq!(date - signer, 2 * cell as u32);
        // A short signer: the date (7 characters wide) keeps two characters from the margin.
        let (signer, date) = signature_indents("效能办", "2026年11月22日");
        assert_eq!(date as i32 + 7 * cell + 2 * cell, TEXT_WIDTH as i32);
        assert_eq!(date - signer, 2 * cell as u32);
    }

    #[test]
    fn a_line_holds_28_body_characters_and_20_of_the_title() {
        assert_eq!(line_capacity(SIZE_3) / 2, 28);
        assert_eq!(line_capacity(SIZE_2) / 2, 20);
    }

    #[test]
    fn photos_fit_the_box_and_keep_their_proportions() {
        let mm = 36_000;
        assert_eq!(photo_extent(4000, 3000), (120 * mm, 90 * mm));
        assert_eq!(photo_extent(3000, 4000), (135 * mm / 2, 90 * mm));
        assert_eq!(photo_extent(1600, 400), (156 * mm, 39 * mm));
    }
}
