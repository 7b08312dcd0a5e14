//! Report metadata, composed: title ([`super::title`]), issuer and level ([`super::issuer`]),
//! year ([`super::year`]), publication date and signature ([`super::published`]), document
//! number ([`super::docno`]), addressee ([`super::title`]). General rules only; the harness runs on reports we have not seen.

use super::docno::find_doc_no;
use super::issuer::{find_issuer, level_of};
use super::published::{find_published, find_signature};
use super::title::{addressee, find_title};
use super::year::find_year;
use crate::lines::lines;
use crate::model::{Metadata, RemovedLine, Section};

/// Extracts metadata from the body, the removed furniture and the outline.
pub fn extract(text: &str, removed: &[RemovedLine], sections: &[Section]) -> Metadata {
    extract_full(text, removed, sections).0
}

/// As [`extract`], also saying whether the title was inferred from the opening sentence (so
/// genre rules must not read it as a headline).
pub fn extract_full(text: &str, removed: &[RemovedLine], sections: &[Section]) -> (Metadata, bool) {
    let body_lines: Vec<&str> = lines(text).map(|x| x.1).collect();
    let (title, inferred) = match find_title(&body_lines, removed, sections) {
        Some((t, inferred)) => (Some(t), inferred),
        None => (None, false),
    };
    let published_date = find_published(&body_lines, removed);
    let signature = find_signature(&body_lines);
    let (issuer, issuer_basis) = match find_issuer(
        title.as_deref(),
        removed,
        signature.as_ref().map(|s| s.0.as_str()),
        text,
    ) {
        Some((name, basis)) => (Some(name), Some(basis)),
        None => (None, None),
    };
    let level = issuer.as_deref().and_then(level_of);
    let year = find_year(title.as_deref(), text, published_date.map(|d| d.0));
    let document_number = find_doc_no(removed, &body_lines);
    let addressee = body_lines.iter().take(8).find_map(|l| addressee(l));
    let meta = Metadata {
        title,
        issuer,
        issuer_basis,
        level,
        year,
        published_date,
        document_number,
        addressee,
    };
    (meta, inferred)
}

#[cfg(test)]
mod tests {
    use super::super::dates::*;
    use super::super::docno::*;
    use super::super::issuer::*;
    use super::super::published::*;
    use super::super::title::*;
    use crate::model::IssuerBasis;

    use super::*;
    use crate::model::{Date, DateSource, Level};

    fn d(y: i32, m: u32, day: u32) -> Option<Date> {
        Some(Date {
            year: y,
            month: m,
            day,
        })
    }

    #[test]
    fn date_forms() {
        assert_eq!(
            parse_date_anywhere("发布日期:2024-01-31 10:13:00"),
            d(2024, 1, 31)
        );
        assert_eq!(parse_date_anywhere("2023年12月28日"), d(2023, 12, 28));
        assert_eq!(parse_date_anywhere("2024年1月8日"), d(2024, 1, 8));
        assert_eq!(parse_date_anywhere("二〇二四年一月八日"), d(2024, 1, 8));
        assert_eq!(
            parse_date_anywhere("二〇二一年一月二十九日"),
            d(2021, 1, 29)
        );
        assert_eq!(parse_date_anywhere("二○二六年三月二十日"), d(2026, 3, 20));
        assert_eq!(parse_date_anywhere("2024/3/5"), d(2024, 3, 5));
        assert_eq!(parse_date_anywhere("2023年"), None);
    }

    fn rm(t: &str, kind: &'static str) -> RemovedLine {
        RemovedLine {
            text: t.into(),
            kind,
        }
    }

    #[test]
    fn published_priority() {
        let body = ["某县人民政府", "2023年12月28日"];
        let removed = [
            rm("生成日期 2024-01-08", "metadata"),
            rm("发布时间:2024-01-09 16:09", "metadata"),
        ];
        assert_eq!(
            find_published(&body, &removed),
            Some((
                Date {
                    year: 2024,
                    month: 1,
                    day: 9
                },
                DateSource::PublishedLine
            ))
        );
        assert_eq!(
            find_published(&body, &removed[..1]),
            Some((
                Date {
                    year: 2024,
                    month: 1,
                    day: 8
                },
                DateSource::MetadataBlock
            ))
        );
        assert_eq!(
            find_published(&body, &[]),
            Some((
                Date {
                    year: 2023,
                    month: 12,
                    day: 28
                },
                DateSource::Signature
            ))
        );
    }

    /// "发布时间：" with its date set on the next line, whether the label line was removed as page
    /// furniture or stayed in the body; a label with no date anywhere near gives way to the rest.
    #[test]
    fn published_date_on_the_line_after_its_label() {
        let d = |year, month, day| Some((Date { year, month, day }, DateSource::PublishedLine));
        let removed = [rm("来源：某县司法局　　发布时间：", "metadata")];
        let body = [
            "某县2024年度法治政府建设情况报告",
            "2025-03-24 10:18",
            "2024年，某县…",
        ];
        assert_eq!(find_published(&body, &removed), d(2025, 3, 24));
        let body = ["发布时间：", "2025年3月24日", "2024年，某县…"];
        assert_eq!(find_published(&body, &[]), d(2025, 3, 24));
        let body = [
            "某县2024年度法治政府建设情况报告",
            "2024年，某县…",
            "某县人民政府",
            "2025年1月2日",
        ];
        assert_eq!(
            find_published(&body, &removed),
            Some((
                Date {
                    year: 2025,
                    month: 1,
                    day: 2
                },
                DateSource::Signature
            ))
        );
    }

    #[test]
    fn levels() {
        assert_eq!(level_of("罗源县人民政府"), Some(Level::County));
        assert_eq!(level_of("鹤汀市沁湖区人民政府"), Some(Level::District));
        assert_eq!(level_of("赣州蓉江新区"), Some(Level::Zone));
        assert_eq!(level_of("小王庄镇"), Some(Level::Township));
        assert_eq!(
            level_of("鹤汀市沁湖区人民政府桂荫街道办事处"),
            Some(Level::Street)
        );
        assert_eq!(level_of("澜江省人民政府"), Some(Level::Province));
        assert_eq!(level_of("岚溪县司法局"), Some(Level::Department));
        assert_eq!(
            level_of("中共枣阳市委全面依法治市委员会办公室"),
            Some(Level::City)
        );
        assert_eq!(level_of("镇江市人民政府"), Some(Level::City));
        assert_eq!(level_of("廣州市天河區人民政府"), Some(Level::District));
        assert_eq!(level_of("羅源縣人民政府"), Some(Level::County));
        assert_eq!(level_of("某某鎮人民政府"), Some(Level::Township));
        assert_eq!(level_of("某某市某某區某某街道辦事處"), Some(Level::Street));
    }

    #[test]
    fn issuer_rules() {
        assert_eq!(
            title_prefix("澄溪县人民政府关于2017年度法治政府建设情况的报告").as_deref(),
            Some("澄溪县人民政府")
        );
        assert_eq!(
            title_prefix("赣州蓉江新区2023年度法治政府建设工作情况报告").as_deref(),
            Some("赣州蓉江新区")
        );
        assert_eq!(
            title_prefix("县委全面依法治县委员会第七次会议召开 部署2024年法治岚溪建设重点工作"),
            None
        );
        let i = find_issuer(
            Some("澄溪县砚溪镇2023年度法治政府建设工作报告"),
            &[],
            Some("砚溪镇人民政府"),
            "",
        );
        assert_eq!(
            i.as_ref().map(|(n, b)| (n.as_str(), *b)),
            Some(("澄溪县砚溪镇人民政府", IssuerBasis::Signature))
        );
        let i = find_issuer(
            Some("枣阳市2020年法治政府建设工作报告"),
            &[],
            Some("中共枣阳市委全面依法治市委员会办公室"),
            "",
        );
        assert_eq!(
            i.map(|(n, _)| n).as_deref(),
            Some("中共枣阳市委全面依法治市委员会办公室")
        );
    }

    #[test]
    fn doc_number_and_addressee() {
        assert_eq!(
            find_doc_no(&[rm("文号 罗政综〔2024〕2号", "metadata")], &[]).as_deref(),
            Some("罗政综〔2024〕2号")
        );
        assert_eq!(
            addressee("福州市人民政府:").as_deref(),
            Some("福州市人民政府")
        );
    }

    #[test]
    fn signature_joint() {
        let body = ["正文。", "中共汀阳市委", "汀阳市人民政府", "2021年12月24日"];
        assert_eq!(
            find_signature(&body).map(|s| s.0).as_deref(),
            Some("中共汀阳市委、汀阳市人民政府")
        );
    }
}
