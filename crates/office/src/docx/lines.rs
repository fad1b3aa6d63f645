//! Where centred text (the title, captions) breaks into lines. Left to the word processor, a
//! title one character too long leaves that character alone on the second line; GB/T 9704
//! asks for lines that keep words whole and are balanced (梯形 or 菱形), so such text is broken
//! here, with explicit line breaks.

use super::page::half_ems;

/// Kinds of notice whose names end a title, preceded by what the notice is about: a long title
/// breaks before these, as a typesetter would (关于…明查暗访 / 情况的通报).
const TITLE_TAILS: [&str; 10] =
    ["情况的通报", "问题的通报", "工作的通知", "情况的报告", "的通报", "的通知", "的报告", "的决定", "的意见", "的函"];

/// Characters a line must not start with (closing punctuation) or end with (opening).
const NO_LINE_START: &str = "，。、；：？！）》」』”’〕】…—·";
const NO_LINE_END: &str = "（《「『“‘〔【";

/// How much of the line's width the text may fill before it is broken: proportional digits
/// in the fallback fonts are wider than the half character they take in 仿宋_GB2312.
fn room(capacity: u32) -> u32 {
    capacity * 95 / 100
}

/// The title's lines, for a line of `capacity` half characters. Line breaks the author typed
/// are kept as they are.
pub(super) fn title_lines(title: &str, capacity: u32) -> Vec<String> {
    if title.contains('\n') || half_ems(title) <= room(capacity) {
        return title.split('\n').map(str::to_owned).collect();
    }
    for tail in TITLE_TAILS {
        if let Some(head) = title.strip_suffix(tail)
            && !head.is_empty()
            && half_ems(head) <= room(capacity)
        {
            return vec![head.to_owned(), tail.to_owned()];
        }
    }
    balanced_lines(title, capacity)
}

/// `text` in as few lines as fit, of nearly equal width, the upper ones never shorter.
pub(super) fn balanced_lines(text: &str, capacity: u32) -> Vec<String> {
    let total = half_ems(text);
    let room = room(capacity).max(2);
    if text.contains('\n') || total <= room {
        return text.split('\n').map(str::to_owned).collect();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut remaining = total;
    let mut count = total.div_ceil(room);
    while count > 1 && start < chars.len() {
        let target = remaining.div_ceil(count);
        // The allowed break after `target` width, or else the last allowed one before it.
        let mut width = 0;
        let mut best = None;
        for i in start..chars.len() - 1 {
            width += half_ems(chars[i].encode_utf8(&mut [0; 4]));
            if width > room {
                break;
            }
            if can_break(chars[i], chars[i + 1]) {
                best = Some((i + 1, width));
                if width >= target {
                    break;
                }
            }
        }
        let Some((end, width)) = best else { break };
        lines.push(chars[start..end].iter().collect());
        start = end;
        remaining -= width;
        count -= 1;
    }
    lines.push(chars[start..].iter().collect());
    lines
}

fn can_break(before: char, after: char) -> bool {
    let in_word = before.is_ascii_alphanumeric() && after.is_ascii_alphanumeric();
    !in_word && !NO_LINE_START.contains(after) && !NO_LINE_END.contains(before)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_that_fits_stays_on_one_line() {
        assert_eq!(title_lines("关于作风效能明查暗访情况的通报", 40), ["关于作风效能明查暗访情况的通报"]);
    }

    #[test]
    fn a_long_title_breaks_before_what_kind_of_notice_it_is() {
        assert_eq!(
            title_lines("关于2026年11月作风效能明查暗访情况的通报", 40),
            ["关于2026年11月作风效能明查暗访", "情况的通报"]
        );
    }

    #[test]
    fn the_authors_own_line_breaks_are_kept() {
        assert_eq!(title_lines("关于2026年11月\n作风效能情况的通报", 40), ["关于2026年11月", "作风效能情况的通报"]);
    }

    #[test]
    fn other_text_is_balanced_without_splitting_numbers_or_orphaning_punctuation() {
        let caption = "图1 城南区政务服务中心3号窗口无人值守（2026年11月10日9时20分）";
        let lines = balanced_lines(caption, 60);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines.concat(), caption);
        let (a, b) = (half_ems(&lines[0]), half_ems(&lines[1]));
        assert!(a >= b && a - b <= 6, "{lines:?}");
        for line in &lines {
            assert!(!line.starts_with(|c| NO_LINE_START.contains(c)), "{lines:?}");
        }
        // A break never falls inside 2026.
        let lines = balanced_lines("城南区政务服务中心2026年度第一季度窗口服务", 24);
        assert!(lines.iter().all(|l| !l.ends_with("20") && !l.ends_with("202")), "{lines:?}");
    }
}
