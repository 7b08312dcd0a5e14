//! Tables of figures set as rows of cells (「指标 | 2024年 | 2025年」, cells split by `|` or tabs):
//! a row names its metric in the first cell and its unit there or in the value; the value for the
//! report's year stands in the column whose header names that year, or in the only value column.

use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// One value cell read from a table row.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub value: f64,
    pub unit: String,
    pub approximate: bool,
    /// The value cell in the text.
    pub span: Range<usize>,
    /// The row's first cell (what is counted).
    pub label: Range<usize>,
}

/// A table found in the text: every row line, header included, and the cells read from it.
#[derive(Debug, Default)]
pub struct Tables {
    pub rows: Vec<Range<usize>>,
    pub cells: Vec<Cell>,
}

impl Tables {
    /// True when `at` lies on a table row (figures there are read by column, not as prose).
    pub fn on_row(&self, at: usize) -> bool {
        let i = self.rows.partition_point(|r| r.end < at);
        self.rows.get(i).is_some_and(|r| r.contains(&at))
    }
}

static YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(20\d\d)\s*年?").unwrap_or_else(|_| unreachable!()));
static VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?P<pre>近|约|超过)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(?P<scale>万|亿)?(?P<approx>余|多)?\s*(?P<unit>%|‰|件|人|名|卷|场次|场|次|个|项|份|期|起|宗)?$",
    )
    .unwrap_or_else(|_| unreachable!())
});
static UNIT_IN_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[(（](?:单位[:：])?(?P<scale>万)?(?P<unit>%|‰|件|人|名|卷|场次|场|次|个|项|份|期|起|宗)[)）]\s*$")
        .unwrap_or_else(|_| unreachable!())
});

/// Cells of a line split at `|` or tabs, each trimmed, with its range in `text`.
fn cells(text: &str, line: Range<usize>) -> Vec<Range<usize>> {
    let s = &text[line.clone()];
    let sep = if s.contains('|') { '|' } else { '\t' };
    let mut out = Vec::new();
    let mut from = 0;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), sep))) {
        if c != sep {
            continue;
        }
        let piece = &s[from..i];
        let lead = piece.len() - piece.trim_start().len();
        let core = piece.trim();
        out.push(line.start + from + lead..line.start + from + lead + core.len());
        from = (i + sep.len_utf8()).min(s.len());
    }
    // A leading or trailing border (「| a | b |」) is no cell.
    if out.first().is_some_and(|r| r.is_empty()) {
        out.remove(0);
    }
    if out.last().is_some_and(|r| r.is_empty()) {
        out.pop();
    }
    out
}

/// Reads the tables of `text` (the report's year chooses the column).
pub fn read(text: &str, year: Option<i32>) -> Tables {
    let mut t = Tables::default();
    // A row needs a cell separator: a text without one (most reports) has no table to read.
    if memchr::memchr2(b'|', b'\t', text.as_bytes()).is_none() {
        return t;
    }
    let mut block: Vec<(Range<usize>, Vec<Range<usize>>)> = Vec::new();
    for (start, line) in crate::lines::lines(text) {
        let span = start..start + line.len();
        let is_row = memchr::memchr2(b'|', b'\t', line.as_bytes()).is_some()
            && cells(text, span.clone()).len() >= 2;
        if is_row {
            let c = cells(text, span.clone());
            block.push((span, c));
        } else if !block.is_empty() {
            take_block(text, year, &std::mem::take(&mut block), &mut t);
        }
    }
    if !block.is_empty() {
        take_block(text, year, &block, &mut t);
    }
    t
}

fn take_block(
    text: &str,
    year: Option<i32>,
    block: &[(Range<usize>, Vec<Range<usize>>)],
    t: &mut Tables,
) {
    if block.len() < 2 {
        return;
    }
    // A block of rows is a table only when most rows hold a number beyond their first cell.
    let numeric = block
        .iter()
        .filter(|(_, c)| c.iter().skip(1).any(|r| VALUE.is_match(&text[r.clone()])))
        .count();
    if numeric * 2 < block.len() {
        return;
    }
    t.rows.extend(block.iter().map(|(r, _)| r.clone()));
    let header = &block[0].1;
    let years: Vec<(usize, i32)> = header
        .iter()
        .enumerate()
        .skip(1)
        .filter_map(|(i, r)| {
            let c = YEAR.captures(&text[r.clone()])?;
            Some((i, c.get(1)?.as_str().parse().ok()?))
        })
        .collect();
    let (col, data) = if !years.is_empty() {
        let pick = match year {
            Some(y) => years.iter().find(|(_, cy)| *cy == y),
            None => years.iter().max_by_key(|(_, cy)| *cy),
        };
        match pick {
            Some((i, _)) => (*i, &block[1..]),
            None => return,
        }
    } else if block.iter().all(|(_, c)| c.len() == 2) {
        let first_is_header = !VALUE.is_match(&text[block[0].1[1].clone()]);
        (1, if first_is_header { &block[1..] } else { block })
    } else {
        return;
    };
    for (_, c) in data {
        let (Some(label), Some(cell)) = (c.first(), c.get(col)) else {
            continue;
        };
        let Some(v) = VALUE.captures(&text[cell.clone()]) else {
            continue;
        };
        let Some(mut value) = v
            .name("num")
            .and_then(|n| n.as_str().replace(',', "").parse::<f64>().ok())
        else {
            continue;
        };
        let label_unit = UNIT_IN_LABEL.captures(&text[label.clone()]);
        let unit = v
            .name("unit")
            .or_else(|| label_unit.as_ref().and_then(|l| l.name("unit")))
            .map(|u| u.as_str().to_string())
            .unwrap_or_default();
        let scale = v
            .name("scale")
            .or_else(|| label_unit.as_ref().and_then(|l| l.name("scale")));
        value *= match scale.map(|s| s.as_str()) {
            Some("万") => 1e4,
            Some("亿") => 1e8,
            _ => 1.0,
        };
        if unit.is_empty() {
            continue;
        }
        t.cells.push(Cell {
            value,
            unit,
            approximate: v.name("pre").is_some() || v.name("approx").is_some(),
            span: cell.clone(),
            label: label.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_column_is_read() {
        let t = "说明如下:\n指标 | 2024年 | 2025年\n合法性审查(件) | 187 | 213\n网上可办率(%) | 97.2 | 98.9\n调解纠纷 | 1.2万件 | 1.3万余件\n结束。\n";
        let tb = read(t, Some(2025));
        let got: Vec<(f64, &str, &str)> = tb
            .cells
            .iter()
            .map(|c| (c.value, c.unit.as_str(), &t[c.label.clone()]))
            .collect();
        assert_eq!(
            got,
            vec![
                (213.0, "件", "合法性审查(件)"),
                (98.9, "%", "网上可办率(%)"),
                (13000.0, "件", "调解纠纷")
            ]
        );
        assert!(tb.on_row(t.find("187").unwrap_or(0)));
        assert!(!tb.on_row(t.find("结束").unwrap_or(0)));
        // Another year's report reads nothing from these columns.
        assert!(read(t, Some(2023)).cells.is_empty());
    }

    #[test]
    fn two_columns_and_tabs() {
        let t = "项目\t数量\n办理法律援助案件(件)\t436\n普法活动\t920场次\n";
        let tb = read(t, Some(2025));
        let got: Vec<f64> = tb.cells.iter().map(|c| c.value).collect();
        assert_eq!(got, vec![436.0, 920.0]);
    }

    #[test]
    fn not_tables() {
        assert!(
            read(
                "首页 | 政务公开 | 法治政府\n网站地图 | 联系我们\n",
                Some(2024)
            )
            .cells
            .is_empty()
        );
        assert!(read("合法性审查(件) | 213\n", Some(2024)).cells.is_empty());
    }
}
