//! Per-character width folding with an offset map back to the decoded text.
//!
//! Not NFKC: NFKC turns `①2023年` into `12023年` and rewrites heading markers, so only the
//! folds that matching needs are applied. Full-width parentheses （） are folded to ASCII `()`
//! (they sit in the U+FF01–FF5E block); patterns must therefore be written with ASCII `()`
//! or folded with [`fold_str`] first. Chinese punctuation outside that block (，is folded to `,`
//! because it is U+FF0C; 、。“”《》〔〕 are not) is kept.

/// Folded text plus, for every byte of it, the byte offset in the source it came from.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    /// The folded text; offsets elsewhere in the engine point into text derived from it.
    pub text: String,
    /// `map[i]` = source byte offset of folded byte `i`; one extra entry for the end.
    pub map: Vec<u32>,
}

impl Folded {
    /// Source byte offset for a folded byte offset (end offsets map to the source end).
    pub fn source_offset(&self, at: usize) -> usize {
        self.map.get(at).copied().unwrap_or(0) as usize
    }
}

/// Folds one character: `None` drops it.
pub fn fold_char(c: char) -> Option<char> {
    let u = c as u32;
    match u {
        0xFF01..=0xFF5E => char::from_u32(u - 0xFF01 + 0x21),
        // Half-width CJK punctuation some CMSs emit (｡ ､ ｢ ｣): the sentence and list marks.
        0xFF61 => Some('。'),
        0xFF62 => Some('「'),
        0xFF63 => Some('」'),
        0xFF64 => Some('、'),
        0x3000 | 0x00A0 | 0x2002..=0x200A | 0x202F | 0x205F => Some(' '),
        0x200B..=0x200D | 0x2060 | 0xFEFF | 0x00AD => None,
        0x2F00..=0x2FD5 => Some(kangxi(u).unwrap_or(c)),
        0x2E80..=0x2EF3 => Some(radical_supplement(c)),
        _ => Some(c),
    }
}

/// Folds a pattern or short string the same way as document text (no line joining).
pub fn fold_str(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    s.chars().filter_map(fold_char).collect()
}

/// Width variants of a pattern: as written, ASCII folded to full width, full width folded to
/// ASCII — so a phrase matches whether or not the text was width-folded.
pub(crate) fn width_variants(p: &str) -> Vec<String> {
    let to_half = fold_str(p);
    let to_full: String = p
        .chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect();
    let mut v = vec![p.to_string(), to_half, to_full];
    v.sort();
    v.dedup();
    v
}

/// True for CJK ideographs (used to decide wraps and the "has Chinese" check).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// Folds `src`: CRLF/CR → LF, width folds, and — when `join_wraps` is set (PDF text) — a single
/// line break between two CJK characters is removed when the line before it is long (a wrap,
/// not a paragraph end).
pub fn fold(src: &str, join_wraps: bool) -> Folded {
    let mut map: Vec<u32> = Vec::with_capacity(src.len() + 1);
    let text = fold_into(src, join_wraps, Some(&mut map));
    map.push(src.len() as u32);
    Folded { text, map }
}

/// [`fold`] without the offset map (the parser only needs the text).
pub(crate) fn fold_text(src: &str, join_wraps: bool) -> String {
    if join_wraps {
        fold_into(src, join_wraps, None)
    } else {
        fold_plain(src)
    }
}

/// [`fold_text`] without wrap joining: copies runs of characters that fold to themselves and
/// only rewrites the others (same output as [`fold_into`] with `join_wraps` off). It decodes
/// only characters whose first byte [`SKIP`] marks: CJK ideographs and ASCII, most of a report,
/// are passed by a table look-up a byte.
fn fold_plain(src: &str) -> String {
    let mut text = String::with_capacity(src.len());
    let bytes = src.as_bytes();
    let mut run = 0;
    for (i, c) in crate::char_steps::stops(src, &SKIP) {
        let out = if c == '\r' {
            // CRLF → LF (drop the CR), lone CR → LF.
            if bytes.get(i + 1) == Some(&b'\n') {
                None
            } else {
                Some('\n')
            }
        } else {
            match fold_char(c) {
                Some(f) if f == c => continue,
                other => other,
            }
        };
        text.push_str(&src[run..i]);
        if let Some(f) = out {
            text.push(f);
        }
        run = i + c.len_utf8();
    }
    text.push_str(&src[run..]);
    text
}

/// Where [`fold_plain`] decodes: CR, and the first bytes of U+0080–00BF (C2), U+2000–2FFF (E2),
/// U+3000–3FFF (E3) and U+F000–FFFF (EF), the blocks that hold every character [`fold_char`]
/// changes or drops.
static SKIP: [u8; 256] = crate::char_steps::steps(&[b'\r', 0xC2, 0xE2, 0xE3, 0xEF]);

fn fold_into(src: &str, join_wraps: bool, mut map: Option<&mut Vec<u32>>) -> String {
    let mut text = String::with_capacity(src.len());
    let mut iter = src.char_indices().peekable();
    let mut line_chars = 0usize;
    let mut prev: Option<char> = None;
    let width = if join_wraps { wrap_width(src) } else { None };
    while let Some((i, c)) = iter.next() {
        let mut c = c;
        if c == '\r' {
            if let Some(&(_, '\n')) = iter.peek() {
                continue;
            }
            c = '\n';
        }
        if c == '\n'
            && let Some(w) = width
        {
            let next = iter.peek().map(|&(_, n)| n).and_then(fold_char);
            let rest = &src[i + 1..];
            let next_line = &rest[..rest.find('\n').unwrap_or(rest.len())];
            if let (Some(p), Some(n)) = (prev, next)
                && (is_cjk(p) || matches!(p, ',' | '、' | '“' | '《' | '('))
                && (is_cjk(n) || matches!(n, ',' | '。' | '、' | ';' | '”' | '》' | ')'))
                && line_chars + 1 >= w
                && crate::lines::heading_marker(&fold_str(next_line)).is_none()
            {
                // A wrap: drop the break.
                continue;
            }
        }
        let Some(f) = fold_char(c) else { continue };
        if let Some(map) = map.as_deref_mut() {
            map.extend(std::iter::repeat_n(i as u32, f.len_utf8()));
        }
        text.push(f);
        if f == '\n' {
            line_chars = 0;
        } else {
            line_chars += 1;
        }
        prev = Some(f);
    }
    text
}

/// The line width of a wrapped text layer: a line length (±1) shared by at least 30% of the
/// lines of ten or more characters. `None` means the lines are not wrapped at a fixed width.
fn wrap_width(src: &str) -> Option<usize> {
    let lens: Vec<usize> = src
        .lines()
        .map(|l| l.trim_end().chars().count())
        .filter(|&n| n >= 10)
        .collect();
    if lens.len() < 5 {
        return None;
    }
    let mut counts = std::collections::BTreeMap::<usize, usize>::new();
    for &n in &lens {
        *counts.entry(n).or_default() += 1;
    }
    let (best, hits) = counts
        .keys()
        .map(|&w| {
            (
                w,
                (w.saturating_sub(1)..=w + 1)
                    .map(|x| counts.get(&x).copied().unwrap_or(0))
                    .sum::<usize>(),
            )
        })
        .max_by_key(|&(w, h)| (h, w))?;
    (hits * 10 >= lens.len() * 3).then_some(best.saturating_sub(1))
}

fn kangxi(u: u32) -> Option<char> {
    // Kangxi radicals U+2F00..U+2FD5 → their unified ideographs (NFKC mapping).
    const T: &str = "一丨丶丿乙亅二亠人儿入八冂冖冫几凵刀力勹匕匚匸十卜卩厂厶又口囗土士夂夊夕大女子宀寸小尢尸屮山巛工己巾干幺广廴廾弋弓彐彡彳心戈戶手支攴文斗斤方无日曰月木欠止歹殳毋比毛氏气水火爪父爻爿片牙牛犬玄玉瓜瓦甘生用田疋疒癶白皮皿目矛矢石示禸禾穴立竹米糸缶网羊羽老而耒耳聿肉臣自至臼舌舛舟艮色艸虍虫血行衣襾見角言谷豆豕豸貝赤走足身車辛辰辵邑酉釆里金長門阜隶隹雨靑非面革韋韭音頁風飛食首香馬骨高髟鬥鬯鬲鬼魚鳥鹵鹿麥麻黃黍黑黹黽鼎鼓鼠鼻齊齒龍龜龠";
    T.chars().nth((u - 0x2F00) as usize)
}

fn radical_supplement(c: char) -> char {
    // The common CJK Radicals Supplement forms seen in PDF text layers.
    match c {
        '⺠' => '民',
        '⻛' => '风',
        '⻢' => '马',
        '⻓' => '长',
        '⻔' => '门',
        '⻜' => '飞',
        '⻥' => '鱼',
        '⻚' => '页',
        '⻋' => '车',
        '⻅' => '见',
        '⻆' => '角',
        '⻝' => '食',
        '⻄' => '西',
        '⺟' => '母',
        '⻬' => '齐',
        '⻮' => '齿',
        '⻰' => '龙',
        '⻳' => '龟',
        '⻩' => '黄',
        '⻉' => '贝',
        '⻈' => '讠',
        '⻘' => '青',
        '⺩' => '王',
        '⺻' => '聿',
        '⻤' => '鬼',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_variants_cover_both_forms() {
        let v = width_variants("互联网+监管");
        assert!(v.contains(&"互联网＋监管".to_string()));
        assert!(v.contains(&"互联网+监管".to_string()));
    }

    #[test]
    fn fold_text_matches_fold() {
        let samples = [
            "",
            "a\r\nb\rc\n\r",
            "\r",
            "法治（政府）２０２３年\u{3000}建设\u{200B}报告\u{FEFF}，\u{2F00}\u{2E80}\u{00AD}\r\n第二行",
        ];
        for t in samples {
            assert_eq!(fold_text(t, false), fold(t, false).text, "{t:?}");
            assert_eq!(fold_text(t, true), fold(t, true).text, "{t:?}");
        }
        // Every character, so that the first bytes `fold_plain` skips are checked too.
        let all: String = (0u32..=0x10FFFF).filter_map(char::from_u32).collect();
        assert_eq!(fold_text(&all, false), fold(&all, false).text);
    }

    proptest::proptest! {
        #[test]
        fn plain_folding_matches_the_mapped_one(chars in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(vec!['\r', '\n', '\u{3000}', '\u{FEFF}', '（', '２', '\u{2F00}', '法', 'a']),
                proptest::prelude::any::<char>(),
            ],
            0..64,
        )) {
            let t: String = chars.into_iter().collect();
            proptest::prop_assert_eq!(fold_text(&t, false), fold(&t, false).text);
        }
    }

    #[test]
    fn circled_numbers_stay() {
        assert_eq!(fold("①2023年", false).text, "①2023年");
    }

    #[test]
    fn full_width_digits_and_parens_fold() {
        let f = fold("（一）１２３％，：", false);
        assert_eq!(f.text, "(一)123%,:");
    }

    #[test]
    fn half_width_cjk_punct_folds() {
        assert_eq!(
            fold("审查｡复议､诉讼｢法｣", false).text,
            "审查。复议、诉讼「法」"
        );
    }

    #[test]
    fn chinese_punct_kept() {
        let s = "“法治”、《纲要》〔2024〕。";
        assert_eq!(fold(s, false).text, s);
    }

    #[test]
    fn ideographic_space_and_zero_width() {
        assert_eq!(fold("索\u{3000}引\u{200B}号", false).text, "索 引号");
    }

    #[test]
    fn kangxi_folds() {
        assert_eq!(fold("\u{2F2F}作\u{2EA0}", false).text, "工作民");
    }

    #[test]
    fn crlf_to_lf() {
        assert_eq!(fold("a\r\nb\rc", false).text, "a\nb\nc");
    }

    #[test]
    fn offsets_map_back() {
        let src = "（一）１２件";
        let f = fold(src, false);
        assert_eq!(f.text, "(一)12件");
        let at = f.text.find('件').unwrap_or(0);
        assert_eq!(&src[f.source_offset(at)..], "件");
        let one = f.text.find('2').unwrap_or(0);
        assert_eq!(&src[f.source_offset(one)..], "２件");
        assert_eq!(f.source_offset(f.text.len()), src.len());
    }

    #[test]
    fn pdf_wraps_joined_only_when_long() {
        let src = "全面推进依法行政工作取得明显成效法治政府建设稳\n步推进各项工作依法行政工作取得明显成效法治政府\n建设稳步推进各项工作依法行政工作取得明显成效法\n治政府建设稳步推进各项工作。\n一、全面推进依法行政工作取得明显成效法治政府建\n设稳步推进各项工作依法行政工作取得明显成效法治\n二、下一步";
        let f = fold(src, true);
        assert!(
            f.text.contains(
                "建设稳步推进各项工作依法行政工作取得明显成效法治政府建设稳步推进各项工作依"
            ),
            "{}",
            f.text
        );
        assert!(f.text.contains("工作。\n一、"), "{}", f.text);
        assert!(f.text.contains("法治\n二、下一步"), "{}", f.text);
        // Not joined without the flag.
        assert!(fold(src, false).text.contains("稳\n步"));
    }

    #[test]
    fn fold_idempotent() {
        let s = "（一）１２３　⼯作①";
        let a = fold_str(s);
        assert_eq!(fold_str(&a), a);
    }
}
