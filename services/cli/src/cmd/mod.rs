//! One module per subcommand.

pub mod batch;
pub mod checklists;
pub mod eval;
pub mod load;
pub mod probe;
pub mod score;
pub mod serve;
pub mod submit;

use clap::Args;

/// Optional hints sent with a report; `score` and the server convert them the same way
/// (`fazhi_engine::input::Input`).
#[derive(Debug, Clone, Default, Args)]
pub struct HintArgs {
    /// Hint: the issuing authority, e.g. 罗源县人民政府.
    #[arg(long, env = "FAZHI_HINT_ISSUER", value_name = "NAME")]
    pub issuer: Option<String>,
    /// Hint: the year the report covers.
    #[arg(long, env = "FAZHI_HINT_YEAR", value_name = "YEAR")]
    pub year: Option<i32>,
    /// Hint: the date the report was published (for the timeliness check).
    #[arg(long, env = "FAZHI_HINT_PUBLISHED_DATE", value_name = "YYYY-MM-DD")]
    pub published_date: Option<String>,
    /// Hint: administrative region code.
    #[arg(long, env = "FAZHI_HINT_REGION_CODE", value_name = "CODE")]
    pub region_code: Option<String>,
    /// Hint: where the report was found.
    #[arg(long, env = "FAZHI_HINT_SOURCE_URL", value_name = "URL")]
    pub source_url: Option<String>,
}

impl HintArgs {
    /// The wire hints, or `None` when no hint is given.
    pub fn to_wire(&self) -> Option<fazhi_proto::v1::ReportHints> {
        let h = fazhi_proto::v1::ReportHints {
            issuer: self.issuer.clone().unwrap_or_default(),
            region_code: self.region_code.clone().unwrap_or_default(),
            year: self.year.unwrap_or_default(),
            published_date: self.published_date.clone().unwrap_or_default(),
            source_url: self.source_url.clone().unwrap_or_default(),
        };
        (h != fazhi_proto::v1::ReportHints::default()).then_some(h)
    }
}

/// Parses durations like `30s`, `500ms`, `2m`, `1h`, `7d` or plain seconds (`10`, `0.5`).
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600.0)
    } else if let Some(n) = s.strip_suffix('d') {
        (n, 86400.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("bad duration {s:?} (examples: 30s, 500ms, 2m, 7d, 10)"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("bad duration {s:?}"));
    }
    std::time::Duration::try_from_secs_f64(v * mult).map_err(|e| format!("bad duration {s:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(super::parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(
            super::parse_duration("500ms"),
            Ok(Duration::from_millis(500))
        );
        assert_eq!(super::parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(super::parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(
            super::parse_duration("7d"),
            Ok(Duration::from_secs(7 * 86400))
        );
        assert!(super::parse_duration("-1s").is_err());
        assert!(super::parse_duration("abc").is_err());
    }
}
