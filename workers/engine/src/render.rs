//! A readable Chinese scorecard of an assessment, for a person (`fazhi score --format text`).

use std::fmt::Write;

use crate::wire;

const MAX_QUOTE: usize = 70;

fn clip(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= MAX_QUOTE {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX_QUOTE).collect();
        t.push('…');
        t
    }
}

fn status_label(s: i32) -> &'static str {
    match s {
        x if x == wire::Coverage::Substantive as i32 => "实质",
        x if x == wire::Coverage::Mentioned as i32 => "提及",
        x if x == wire::Coverage::Absent as i32 => "缺失",
        _ => "未评",
    }
}

fn severity_label(s: i32) -> &'static str {
    match s {
        x if x == wire::Severity::Error as i32 => "错误",
        x if x == wire::Severity::Warning as i32 => "警告",
        x if x == wire::Severity::Info as i32 => "提示",
        _ => "其他",
    }
}

fn level_label(l: &str) -> &str {
    match l {
        "province" => "省级",
        "city" => "市级",
        "county" => "县级",
        "district" => "区级",
        "zone" => "开发区/新区",
        "township" => "乡镇",
        "street" => "街道",
        "department" => "部门",
        other => other,
    }
}

/// Area id "10" → "十".
fn cn(id: &str) -> String {
    crate::score::cn_num(id)
}

/// Renders the scorecard.
pub fn scorecard(a: &wire::Assessment) -> String {
    let mut o = String::new();
    let r = a.report.clone().unwrap_or_default();
    let _ = writeln!(o, "法治政府建设年度报告评分卡");
    let _ = writeln!(o, "==========================");
    let title = if r.title.is_empty() {
        "（无标题）"
    } else {
        &r.title
    };
    let _ = writeln!(o, "报告：{title}");
    let mut who = Vec::new();
    if !r.issuer.is_empty() {
        who.push(r.issuer.clone());
    }
    if !r.level.is_empty() {
        who.push(level_label(&r.level).to_string());
    }
    if r.year > 0 {
        who.push(format!("{}年度", r.year));
    }
    if !r.document_number.is_empty() {
        who.push(r.document_number.clone());
    }
    if !who.is_empty() {
        let _ = writeln!(o, "      {}", who.join("，"));
    }
    let _ = writeln!(
        o,
        "依据：{}（{}）  引擎 {}",
        a.checklist_id, a.checklist_version, a.engine_version
    );
    if r.kind == "not_report" {
        let _ = writeln!(
            o,
            "\n结论：不是法治政府建设年度报告（{}），不评分。等级 {}",
            r.not_report_reason, a.grade
        );
        findings(&mut o, a);
        return o;
    }
    if let Some(q) = a.text_quality.as_ref().filter(|q| q.low) {
        let _ = writeln!(
            o,
            "\n结论：文本未能可靠读取（质量 {:.2}），不予评级。等级 {}",
            q.score, a.grade
        );
    } else {
        let _ = writeln!(o, "\n总分：{:.1} 分    等级：{}", a.score, a.grade);
    }
    if let Some(b) = &a.breakdown {
        let _ = writeln!(
            o,
            "构成：必备部分 {:.1}/{:.0} + 纲要覆盖 {:.1}/{:.0} + 具体程度 {:.1}/{:.0} + 时效 {:.1}/{:.0}（折算为百分制）",
            b.parts,
            b.parts_max,
            b.coverage,
            b.coverage_max,
            b.concreteness,
            b.concreteness_max,
            b.timeliness,
            b.timeliness_max
        );
    }

    let _ = writeln!(o, "\n一、必备部分（督察规定第二十五条）");
    for p in &a.required_parts {
        let mark = if p.present { "✓" } else { "✗" };
        let how = match p.detected_by.as_str() {
            "heading" => "（标题）",
            "passage" => "（段落）",
            _ => "",
        };
        let _ = writeln!(o, "  {mark} {}{how}", p.title);
        if let Some(e) = p.evidence.first() {
            let _ = writeln!(o, "      「{}」", clip(&e.quote));
        }
    }

    let _ = writeln!(o, "\n二、纲要覆盖");
    for ar in &a.areas {
        let _ = writeln!(
            o,
            "  {}、{}  【{}】 {:.1} 分",
            cn(&ar.id),
            ar.title,
            status_label(ar.status),
            ar.score
        );
        let best = ar
            .items
            .iter()
            .filter(|i| i.status == ar.status)
            .find_map(|i| i.evidence.first().map(|e| (i, e)));
        if let Some((i, e)) = best {
            let sec = if e.section.is_empty() {
                String::new()
            } else {
                format!(" —— {}", clip(&e.section))
            };
            let _ = writeln!(o, "      （{}）「{}」{sec}", i.title, clip(&e.quote));
        }
        let subst: Vec<&str> = ar
            .items
            .iter()
            .filter(|i| i.status == wire::Coverage::Substantive as i32)
            .map(|i| i.id.as_str())
            .collect();
        if !subst.is_empty() {
            let _ = writeln!(o, "      有具体工作的子项：{}", subst.join("、"));
        }
    }

    if let Some(c) = &a.concreteness {
        let _ = writeln!(
            o,
            "\n三、具体程度：正文 {} 句，其中 {} 句有数字、日期、文号或具体文件（{:.0}%），套话 {} 句",
            c.sentences,
            c.concrete_sentences,
            c.ratio * 100.0,
            c.boilerplate_sentences
        );
    }

    let _ = writeln!(o, "\n四、主要数据");
    if a.metrics.is_empty() {
        let _ = writeln!(o, "  （未提取到）");
    }
    for m in &a.metrics {
        let v = if m.value.fract() == 0.0 {
            format!("{}", m.value as i64)
        } else {
            format!("{}", m.value)
        };
        let _ = writeln!(o, "  {}：{}{}", m.name, v, m.unit);
    }

    if let Some(t) = &a.timeliness {
        let st = match t.status {
            x if x == wire::TimelinessStatus::OnTime as i32 => "按时公开",
            x if x == wire::TimelinessStatus::Late as i32 => "逾期公开",
            _ => "无法判断",
        };
        let pd = if t.published_date.is_empty() {
            "未注明".to_string()
        } else {
            format!("{}（来源：{}）", t.published_date, t.date_source)
        };
        let dl = if t.deadline.is_empty() {
            "未知"
        } else {
            &t.deadline
        };
        let _ = writeln!(o, "\n五、时效：{st}；公开日期 {pd}；截止 {dl}");
        if !t.rule.is_empty() {
            let _ = writeln!(o, "  规则：{}", t.rule);
        }
    }
    findings(&mut o, a);
    o
}

fn findings(o: &mut String, a: &wire::Assessment) {
    let _ = writeln!(o, "\n六、发现的问题");
    if a.findings.is_empty() {
        let _ = writeln!(o, "  （无）");
    }
    for f in &a.findings {
        let _ = writeln!(
            o,
            "  [{}] {} {}",
            severity_label(f.severity),
            f.code,
            f.message
        );
    }
}
