//! The parsed document: the contract between the parser (decode → normalize → parse) and the
//! scorer. Every offset is a **byte** offset into [`ParsedDoc::text`] (the normalized text); the
//! scorer converts to char offsets when it builds the wire `Evidence`.

use std::borrow::Cow;
use std::ops::Range;

/// What a document turned out to be; only `Report` is scored against the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Report,
    NotReport(NotReportReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReportReason {
    /// 工作要点, 工作计划.
    Plan,
    /// 实施方案, 规划.
    ImplementationPlan,
    /// A news item about a meeting or event.
    News,
    /// 解读 of a report or policy.
    Interpretation,
    /// Another kind of annual report (政府信息公开工作年度报告 …).
    OtherAnnualReport,
    /// Anything else that is clearly not a 法治政府建设 report.
    Other,
}

impl NotReportReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plan => "plan",
            Self::ImplementationPlan => "implementation_plan",
            Self::News => "news",
            Self::Interpretation => "interpretation",
            Self::OtherAnnualReport => "other_annual_report",
            Self::Other => "other",
        }
    }
}

/// Administrative level of the issuer, spelled as in the API contract (docs/ARCHITECTURE.md) and the labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Province,
    City,
    County,
    District,
    Zone,
    Township,
    Street,
    Department,
}

impl Level {
    pub const ALL: [Level; 8] = [
        Self::Province,
        Self::City,
        Self::County,
        Self::District,
        Self::Zone,
        Self::Township,
        Self::Street,
        Self::Department,
    ];

    /// The level its API name names.
    pub fn from_name(name: &str) -> Option<Level> {
        Self::ALL.into_iter().find(|l| l.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::City => "city",
            Self::County => "county",
            Self::District => "district",
            Self::Zone => "zone",
            Self::Township => "township",
            Self::Street => "street",
            Self::Department => "department",
        }
    }
}

/// A calendar date as the document states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Where a published date came from, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSource {
    /// 发布日期 / 发布时间 / 日期: line on the page.
    PublishedLine,
    /// 生成日期 in a metadata block.
    MetadataBlock,
    /// The dated signature (落款) at the end.
    Signature,
}

/// Where the issuer's name was read, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuerBasis {
    /// 发布机构 in a metadata block (page furniture, removed from the text).
    PublishedBy,
    /// The organisation the title names.
    Title,
    /// The signature (落款), or the title's body in the signature's fuller form.
    Signature,
    /// A 来源 line (page furniture).
    SourceLine,
    /// The place the opening sentence is about.
    Opening,
}

impl IssuerBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PublishedBy => "published_by",
            Self::Title => "title",
            Self::Signature => "signature",
            Self::SourceLine => "source_line",
            Self::Opening => "opening",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Metadata {
    pub title: Option<String>,
    pub issuer: Option<String>,
    /// Where `issuer` was read.
    pub issuer_basis: Option<IssuerBasis>,
    pub level: Option<Level>,
    /// The year reported on (not the publication year).
    pub year: Option<i32>,
    pub published_date: Option<(Date, DateSource)>,
    pub document_number: Option<String>,
    /// 福州市人民政府: — whom the report is addressed to.
    pub addressee: Option<String>,
}

/// A heading and the text it governs.
#[derive(Debug, Clone)]
pub struct Section {
    /// 1 = 一、 ; 2 = （一） ; 3 = 1. / 1、 ; 4 = （1）. Unnumbered heading lines get the level of
    /// the numbered headings around them (usually 1 or 2).
    pub level: u8,
    /// The numbering as written, e.g. "一、", "（三）", "1." ; empty for unnumbered headings.
    pub numbering: String,
    /// Heading text without the numbering.
    pub title: String,
    /// Byte range of the heading line in `text`.
    pub heading: Range<usize>,
    /// Byte range from the heading start to the start of the next section of the same or higher
    /// level (or the end of the body).
    pub span: Range<usize>,
    pub parent: Option<usize>,
    /// True for short unnumbered lines that act as headings.
    pub unnumbered: bool,
}

/// A sentence (split on 。！？； and line ends, and before inline 一是/二是 enumerators).
#[derive(Debug, Clone)]
pub struct Sentence {
    pub span: Range<usize>,
    /// Index into `sections` of the innermost section containing it.
    pub section: Option<usize>,
    /// True when this sentence is itself a heading line.
    pub is_heading: bool,
}

/// A number with a unit tied to what it counts.
#[derive(Debug, Clone)]
pub struct Figure {
    pub value: f64,
    /// Unit as written after folding: "%", "件", "人", "场", "万元", …; borrowed from the unit list
    /// for a figure in running text, so reading one allocates nothing.
    pub unit: Cow<'static, str>,
    /// The figure as written ("4000余件", "1.2万余场", "二十余") is `text[span]`.
    pub span: Range<usize>,
    /// Metric id (docs/ARCHITECTURE.md) when the left context matches one.
    pub metric: Option<&'static str>,
    /// 余/多/近/约/超过/以上/左右.
    pub approximate: bool,
    /// In a plan or target (下一步/力争/计划/将/目标) rather than reported as done.
    pub planned: bool,
    /// Index into `sentences`.
    pub sentence: usize,
}

/// A line removed from the body as page furniture; kept because some carry facts (dates, issuer).
#[derive(Debug, Clone)]
pub struct RemovedLine {
    pub text: String,
    pub kind: &'static str,
}

/// How the bytes were read.
#[derive(Debug, Clone, Default)]
pub struct DecodeInfo {
    pub media_type: String,
    pub media_type_sniffed: bool,
    pub encoding: String,
    pub encoding_source: String,
}

/// A decoded, cleaned, normalized and structured document.
#[derive(Debug, Clone)]
pub struct ParsedDoc {
    /// Normalized body text (junk removed, width-folded). All offsets point here.
    pub text: String,
    pub kind: DocKind,
    pub meta: Metadata,
    /// In document order; parents precede children.
    pub sections: Vec<Section>,
    pub sentences: Vec<Sentence>,
    pub figures: Vec<Figure>,
    pub removed: Vec<RemovedLine>,
    pub decode: DecodeInfo,
}

impl ParsedDoc {
    /// Path of section titles from the top, e.g. ["一、工作成效", "（三）持续深化…"].
    pub fn section_path(&self, mut idx: usize) -> Vec<&Section> {
        let mut path = vec![&self.sections[idx]];
        while let Some(p) = self.sections[idx].parent {
            path.push(&self.sections[p]);
            idx = p;
        }
        path.reverse();
        path
    }

    /// Innermost section containing byte offset `at`.
    pub fn section_at(&self, at: usize) -> Option<usize> {
        self.sections
            .iter()
            .enumerate()
            .filter(|(_, s)| s.span.contains(&at))
            .max_by_key(|(_, s)| s.level)
            .map(|(i, _)| i)
    }
}
