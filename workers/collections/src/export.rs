//! A batch summary as files evaluators open: CSV (UTF-8 with a BOM so Excel reads the Chinese,
//! cells that would start a formula defused) and XLSX with three sheets — 排名 (ranking),
//! 统计 (statistics), 问题 (findings) — Chinese headers, a frozen header row and number formats.

use fazhi_proto::v1 as wire;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

/// Column titles of the required parts and the 纲要 areas, in checklist order.
#[derive(Debug, Clone, Default)]
pub struct Titles {
    /// The checklist the area columns belong to; rows judged by another show no area cells.
    pub checklist_id: String,
    pub parts: Vec<(String, String)>,
    pub areas: Vec<(String, String)>,
}

impl Titles {
    /// From the checklist most rows were assessed against.
    pub fn of(checklist: &wire::Checklist) -> Self {
        Self {
            checklist_id: checklist.id.clone(),
            parts: checklist
                .required_parts
                .iter()
                .map(|p| (p.id.clone(), p.title.clone()))
                .collect(),
            areas: checklist
                .areas
                .iter()
                .map(|a| (a.id.clone(), format!("第{}部分 {}", a.id, a.title)))
                .collect(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing the workbook: {0}")]
    Xlsx(#[from] XlsxError),
}

const FIXED: &[&str] = &[
    "排名",
    "层级",
    "发布机关",
    "标题",
    "年度",
    "得分",
    "等级",
    "按时公开",
    "发布日期",
];
const TAIL: &[&str] = &["错误", "警告", "提示", "问题代码", "任务ID"];

fn level_zh(level: &str) -> &str {
    match level {
        "province" => "省级",
        "city" => "市级",
        "county" => "县级",
        "district" => "区级",
        "zone" => "开发区",
        "township" => "乡镇",
        "street" => "街道",
        "department" => "部门",
        "" => "未识别",
        other => other,
    }
}

fn timeliness_zh(t: wire::TimelinessStatus) -> &'static str {
    match t {
        wire::TimelinessStatus::OnTime => "按时",
        wire::TimelinessStatus::Late => "逾期",
        _ => "日期不明",
    }
}

fn area_zh(status: &str) -> &'static str {
    match status {
        "SUBSTANTIVE" => "有实质内容",
        "MENTIONED" => "仅提及",
        "ABSENT" => "未涉及",
        _ => "",
    }
}

/// The ranking table as text cells, shared by both formats.
fn table(s: &wire::BatchSummary, t: &Titles) -> (Vec<String>, Vec<Vec<Cell>>) {
    let mut header: Vec<String> = FIXED.iter().map(|h| (*h).to_string()).collect();
    header.extend(t.parts.iter().map(|(_, title)| title.clone()));
    header.extend(t.areas.iter().map(|(_, title)| title.clone()));
    header.extend(TAIL.iter().map(|h| (*h).to_string()));
    let rows = s
        .rows
        .iter()
        .map(|r| {
            let mut cells = vec![
                if r.rank > 0 {
                    Cell::Int(i64::from(r.rank))
                } else {
                    Cell::Text(String::new())
                },
                Cell::Text(level_zh(&r.level).to_string()),
                Cell::Text(r.issuer.clone()),
                Cell::Text(r.title.clone()),
                Cell::Int(i64::from(r.year)),
                Cell::Score(r.score),
                Cell::Text(r.grade.clone()),
                Cell::Text(timeliness_zh(r.timeliness()).to_string()),
                Cell::Text(r.published_date.clone()),
            ];
            for (id, _) in &t.parts {
                cells.push(Cell::Text(
                    match r.parts.get(id) {
                        Some(true) => "有",
                        Some(false) => "缺",
                        None => "",
                    }
                    .to_string(),
                ));
            }
            for (id, _) in &t.areas {
                let status = if r.checklist_id == t.checklist_id {
                    r.areas.get(id).map_or("", String::as_str)
                } else {
                    ""
                };
                cells.push(Cell::Text(area_zh(status).to_string()));
            }
            cells.push(Cell::Int(i64::from(r.errors)));
            cells.push(Cell::Int(i64::from(r.warnings)));
            cells.push(Cell::Int(i64::from(r.infos)));
            cells.push(Cell::Text(r.finding_codes.join(" ")));
            cells.push(Cell::Text(r.job_id.clone()));
            cells
        })
        .collect();
    (header, rows)
}

enum Cell {
    Text(String),
    Int(i64),
    Score(f64),
}

/// CSV with a UTF-8 BOM; every row of the summary, in its order.
pub fn csv(s: &wire::BatchSummary, t: &Titles) -> Vec<u8> {
    let (header, rows) = table(s, t);
    let mut out = String::from("\u{feff}");
    let line = |cells: Vec<String>, out: &mut String| {
        let escaped: Vec<String> = cells.into_iter().map(|c| csv_cell(&c)).collect();
        out.push_str(&escaped.join(","));
        out.push_str("\r\n");
    };
    line(header, &mut out);
    for r in rows {
        line(
            r.into_iter()
                .map(|c| match c {
                    Cell::Text(s) => s,
                    Cell::Int(n) => n.to_string(),
                    Cell::Score(x) => format!("{x:.1}"),
                })
                .collect(),
            &mut out,
        );
    }
    out.into_bytes()
}

/// Quotes when needed; a text cell that a spreadsheet would run as a formula gets a leading `'`
/// (document text is untrusted).
fn csv_cell(c: &str) -> String {
    let c = if c.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{c}")
    } else {
        c.to_string()
    };
    if c.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c
    }
}

/// XLSX: 排名, 统计 and 问题 sheets.
pub fn xlsx(s: &wire::BatchSummary, t: &Titles) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let score = Format::new().set_num_format("0.0");
    let pct = Format::new().set_num_format("0.0%");

    let (header, rows) = table(s, t);
    {
        let ws = wb.add_worksheet();
        ws.set_name("排名")?;
        write_header(ws, &header, &bold)?;
        for (i, r) in rows.iter().enumerate() {
            let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
            for (j, c) in r.iter().enumerate() {
                let col = u16::try_from(j).unwrap_or(u16::MAX);
                match c {
                    Cell::Text(x) => ws.write_string(row, col, x)?,
                    Cell::Int(n) => ws.write_number(row, col, *n as f64)?,
                    Cell::Score(x) => ws.write_number_with_format(row, col, *x, &score)?,
                };
            }
        }
        ws.set_column_width(2, 28)?;
        ws.set_column_width(3, 40)?;
        ws.set_freeze_panes(1, 0)?;
    }

    let st = s.statistics.clone().unwrap_or_default();
    {
        let ws = wb.add_worksheet();
        ws.set_name("统计")?;
        write_header(ws, &["指标".to_string(), "数值".to_string()], &bold)?;
        let mut row = 1u32;
        let mut put = |ws: &mut Worksheet,
                       label: &str,
                       v: f64,
                       f: Option<&Format>|
         -> Result<(), XlsxError> {
            ws.write_string(row, 0, label)?;
            match f {
                Some(f) => ws.write_number_with_format(row, 1, v, f)?,
                None => ws.write_number(row, 1, v)?,
            };
            row += 1;
            Ok(())
        };
        put(ws, "报告数（已评级）", f64::from(st.count), None)?;
        put(ws, "文本无法可靠读取、未评级", f64::from(st.ungraded), None)?;
        put(ws, "平均分", st.mean_score, Some(&score))?;
        put(ws, "中位数", st.median_score, Some(&score))?;
        put(ws, "按时公开率（日期可知者）", st.on_time_rate, Some(&pct))?;
        put(ws, "发布日期可知的报告数", f64::from(st.dated), None)?;
        for g in &st.grades {
            put(ws, &format!("等级 {}", g.grade), f64::from(g.count), None)?;
        }
        for (id, title) in &t.parts {
            if let Some(v) = st.part_presence.get(id) {
                put(ws, &format!("具备：{title}"), *v, Some(&pct))?;
            }
        }
        for (id, title) in &t.areas {
            if let Some(v) = st
                .area_substantive
                .get(&crate::summary::area_key(&t.checklist_id, id))
            {
                put(ws, &format!("有实质内容：{title}"), *v, Some(&pct))?;
            }
        }
        ws.set_column_width(0, 60)?;
        ws.set_freeze_panes(1, 0)?;
    }

    {
        let ws = wb.add_worksheet();
        ws.set_name("问题")?;
        write_header(
            ws,
            &["问题代码".to_string(), "涉及报告数".to_string()],
            &bold,
        )?;
        for (i, f) in st.top_findings.iter().enumerate() {
            let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
            ws.write_string(row, 0, &f.code)?;
            ws.write_number(row, 1, f64::from(f.reports))?;
        }
        let base = u32::try_from(st.top_findings.len() + 2).unwrap_or(u32::MAX);
        write_row(
            ws,
            base,
            &[
                "逾期公开".to_string(),
                "发布机关".to_string(),
                "发布日期".to_string(),
                "任务ID".to_string(),
            ],
            &bold,
        )?;
        for (i, l) in st.late.iter().enumerate() {
            let row = base + 1 + u32::try_from(i).unwrap_or(u32::MAX - base - 1);
            ws.write_string(row, 1, &l.issuer)?;
            ws.write_string(row, 2, &l.published_date)?;
            ws.write_string(row, 3, &l.job_id)?;
        }
        ws.set_column_width(0, 32)?;
        ws.set_freeze_panes(1, 0)?;
    }
    Ok(wb.save_to_buffer()?)
}

fn write_header(ws: &mut Worksheet, header: &[String], bold: &Format) -> Result<(), XlsxError> {
    write_row(ws, 0, header, bold)
}

fn write_row(ws: &mut Worksheet, row: u32, cells: &[String], f: &Format) -> Result<(), XlsxError> {
    for (j, h) in cells.iter().enumerate() {
        ws.write_string_with_format(row, u16::try_from(j).unwrap_or(u16::MAX), h, f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> wire::BatchSummary {
        wire::BatchSummary {
            rows: vec![wire::BatchRow {
                job_id: "j1".into(),
                issuer: "=HYPERLINK(\"x\")".into(),
                title: "某县, \"2024\"年报告".into(),
                level: "county".into(),
                score: 71.25,
                grade: "B".into(),
                rank: 1,
                parts: [("measures".to_string(), true)].into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn csv_has_bom_headers_and_defused_cells() {
        let t = Titles {
            checklist_id: String::new(),
            parts: vec![("measures".into(), "主要举措和成效".into())],
            areas: vec![],
        };
        let text = String::from_utf8(csv(&summary(), &t)).expect("utf-8");
        assert!(text.starts_with("\u{feff}排名,层级,发布机关"));
        assert!(text.contains("主要举措和成效"));
        assert!(text.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{text}");
        assert!(text.contains("\"某县, \"\"2024\"\"年报告\""));
        assert!(text.contains(",71.3,") || text.contains(",71.2,"));
        assert!(text.contains(",有,"));
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let b = xlsx(&summary(), &Titles::default()).expect("xlsx");
        assert!(b.starts_with(b"PK"));
        assert!(b.len() > 2000);
    }
}
