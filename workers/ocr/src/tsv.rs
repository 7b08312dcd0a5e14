//! Tesseract's TSV output (one row per page, block, paragraph, line and word, with boxes and
//! word confidences) read into lines of words. Malformed rows are skipped, never fatal.

/// One recognised word and Tesseract's confidence in it (0..100).
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    pub confidence: f32,
    /// Horizontal extent in page pixels.
    pub left: i64,
    pub right: i64,
}

/// One text line as Tesseract laid it out, with its box in page pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub block: u32,
    pub paragraph: u32,
    pub left: i64,
    pub top: i64,
    pub right: i64,
    pub bottom: i64,
    pub words: Vec<Word>,
}

impl Line {
    pub fn height(&self) -> i64 {
        self.bottom - self.top
    }
}

/// One page: its size and its lines in Tesseract's reading order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub width: i64,
    pub height: i64,
    pub lines: Vec<Line>,
}

pub fn parse(tsv: &str) -> Page {
    let mut page = Page::default();
    let mut key = None;
    for row in tsv.lines().skip(1) {
        let f: Vec<&str> = row.splitn(12, '\t').collect();
        if f.len() < 11 {
            continue;
        }
        let num = |i: usize| f[i].trim().parse::<i64>().ok();
        let (Some(level), Some(block), Some(par), Some(line)) = (num(0), num(2), num(3), num(4))
        else {
            continue;
        };
        let (Some(left), Some(top), Some(w), Some(h)) = (num(6), num(7), num(8), num(9)) else {
            continue;
        };
        match level {
            1 => {
                page.width = w;
                page.height = h;
            }
            4 => {
                key = Some((block, par, line));
                page.lines.push(Line {
                    block: u32::try_from(block).unwrap_or(0),
                    paragraph: u32::try_from(par).unwrap_or(0),
                    left,
                    top,
                    right: left + w,
                    bottom: top + h,
                    words: Vec::new(),
                });
            }
            5 if key == Some((block, par, line)) => {
                let text = f.get(11).map_or("", |t| t.trim());
                let confidence = f[10].trim().parse::<f32>().unwrap_or(-1.0);
                if !text.is_empty()
                    && confidence >= 0.0
                    && let Some(l) = page.lines.last_mut()
                {
                    l.words.push(Word {
                        text: text.to_string(),
                        confidence,
                        left,
                        right: left + w,
                    });
                }
            }
            _ => {}
        }
    }
    page.lines.retain(|l| !l.words.is_empty());
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SAMPLE: &str = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
1\t1\t0\t0\t0\t0\t0\t0\t1654\t2339\t-1\t
2\t1\t1\t0\t0\t0\t200\t300\t1200\t100\t-1\t
3\t1\t1\t1\t0\t0\t200\t300\t1200\t100\t-1\t
4\t1\t1\t1\t1\t0\t200\t300\t1200\t45\t-1\t
5\t1\t1\t1\t1\t1\t200\t300\t400\t45\t91.5\t一、2024年
5\t1\t1\t1\t1\t2\t620\t300\t300\t45\t88\t主要工作
4\t1\t1\t1\t2\t0\t200\t360\t600\t45\t-1\t
5\t1\t1\t1\t2\t1\t200\t360\t600\t45\t-1\t 
";

    #[test]
    fn words_gather_under_their_line() {
        let p = parse(SAMPLE);
        assert_eq!((p.width, p.height), (1654, 2339));
        assert_eq!(p.lines.len(), 1, "the empty line is dropped");
        let l = &p.lines[0];
        assert_eq!((l.left, l.top, l.right, l.bottom), (200, 300, 1400, 345));
        let words: Vec<&str> = l.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(words, ["一、2024年", "主要工作"]);
        assert_eq!(l.words[0].confidence, 91.5);
    }

    proptest! {
        #[test]
        fn any_input_parses_without_panic(s in "(?s).{0,400}") {
            let _ = parse(&s);
        }

        #[test]
        fn tab_separated_noise_parses_without_panic(rows in proptest::collection::vec(
            proptest::collection::vec("[-0-9a-z一二 ]{0,6}", 0..14), 0..20)) {
            let s = rows.iter().map(|r| r.join("\t")).collect::<Vec<_>>().join("\n");
            let _ = parse(&format!("header\n{s}"));
        }
    }
}
