//! Figures → the API's metric ids, by the words around the number. The rules' shape is here;
//! every word they test is `[figures.bind]` in the parser's wording.
//!
//! A sentence is scanned once for where every binding word occurs ([`WordBits`]). A scope (the
//! figure's clause, the clause across 、 lists, what follows, the sentence with its heading) is a
//! range of it, or two ranges read as if joined by `|`: its words are those occurring inside, and
//! a rule's "holds any of" and "holds all of" are mask tests.

use super::word_bits::{Bits, Occurrences, WordBits};
use crate::wording::{BindWords, FigureWords};
use regex::Regex;
use std::collections::HashMap;
use std::ops::Range;

/// Where a figure sits in its sentence: byte ranges of it.
pub(super) struct Place {
    /// The sentence around the figure, bounded each side.
    pub around: Range<usize>,
    /// The sentence before the number, bounded.
    pub before: Range<usize>,
    /// The clause before the number (split at 、 too).
    pub clause: Range<usize>,
    /// The clause before the number, keeping 、-separated lists together.
    pub wide: Range<usize>,
    /// The rest of the clause after the figure.
    pub right: Range<usize>,
}

/// A sentence as the binder reads it: where every binding word occurs, the words of its section
/// heading (which often names the topic its sentences only count: 「(三)发挥合法性审查作用」 over
/// 「全年共审查…事项158件」), and whether any figure in it may bind.
pub(super) struct ReadSentence<'a> {
    text: &'a str,
    topic: &'a str,
    words: Occurrences,
    topic_words: Bits,
    pub may_bind: bool,
}
/// The word lists of [`BindWords`] that rules test for presence, as masks (units, compared
/// whole, and 案卷 heads, tested as prefixes, are read from the wording directly).
macro_rules! masks {
    ($($field:ident),* $(,)?) => {
        struct Masks {
            $($field: Bits,)*
        }

        impl Masks {
            fn new(set: &WordBits, b: &BindWords) -> Option<Self> {
                Some(Self { $($field: set.mask(Words::of(&b.$field))?,)* })
            }
        }

        fn presence_words(b: &BindWords) -> impl Iterator<Item = &str> {
            [$(Words::of(&b.$field),)*].into_iter().flatten().map(String::as_str)
        }
    };
}

masks!(
    appearance_rate,
    appearance_rate_all,
    mediation_rate,
    mediation_word,
    legality_rate,
    legality_rate_all,
    legality_rate_not,
    online_rate,
    online_rate_channel,
    online_rate_ratio,
    concluded,
    subset,
    reconsideration,
    reconsideration_not,
    litigation,
    litigation_not,
    legal_aid,
    legal_aid_not,
    filing,
    normative_document,
    normative_not,
    legality_word,
    legality_review,
    legality_review_right,
    review_verbs,
    legality_objects,
    review_contract_verb,
    contracts,
    legal_adviser,
    drafting,
    legality_not,
    dispute_words,
    mediation_not,
    certified,
    enforcement_staff,
    certified_sentence,
    certified_not,
    case_review,
    popularization,
    lecture,
    lecture_sentence,
    popularization_not,
);

/// A word field, one word or a list, as a slice.
trait Words {
    fn of(&self) -> &[String];
}

impl Words for String {
    fn of(&self) -> &[String] {
        std::slice::from_ref(self)
    }
}

impl Words for Vec<String> {
    fn of(&self) -> &[String] {
        self
    }
}

/// One scope the rules read: the clause's words and text (in pieces, for the one regex rule),
/// and the wider clause's words.
struct Scope<'a> {
    clause: Bits,
    clause_text: &'a [&'a str],
    wide: Bits,
}

impl<'a> Scope<'a> {
    /// One piece of text as clause and wider clause alike.
    fn whole(bits: Bits, text: &'a [&'a str]) -> Self {
        Self {
            clause: bits,
            clause_text: text,
            wide: bits,
        }
    }
}

/// What every scope of one figure shares: what follows the figure, and its sentence.
#[derive(Clone, Copy)]
struct Surround<'a> {
    right: Bits,
    right_text: &'a str,
    sentence: Bits,
    sentence_text: &'a [&'a str],
}

/// Joins the pieces of a scope as the rules read it: `|` keeps words from running across.
fn joined(parts: &[&str]) -> String {
    parts.join("|")
}

pub(super) struct Binder {
    w: &'static FigureWords,
    set: WordBits,
    m: Masks,
    pairs: Vec<Bits>,
    /// Metric id → its cue words.
    cues: HashMap<&'static str, Bits>,
    mediation: Regex,
    /// The 分别 searcher, built once: `str::rfind` built one per figure, as costly as its search.
    respectively: memchr::memmem::FinderRev<'static>,
    /// `inherit_words`, longest first (共计 before 共 and 计).
    counting: Vec<&'static str>,
    /// The characters of `counting`, sorted: a clause holding any other (but spaces and ASCII
    /// punctuation) holds more than counting words, without removing them one by one.
    counting_chars: Vec<char>,
    /// Every word some binding needs ([`binding_triggers`]): a sentence (with its heading)
    /// holding none of them binds no figure, so its figures skip the scopes. `None`: any may.
    triggers: Option<Bits>,
}

impl Binder {
    pub fn new(w: &'static FigureWords) -> Result<Self, String> {
        let b = &w.bind;
        let words = presence_words(b)
            .chain(b.litigation_pairs.iter().flatten().map(String::as_str))
            .chain(w.cue.values().flatten().map(String::as_str));
        let words: Vec<&str> = words.collect();
        // Scopes joined by `|` are read as the union of their parts' words: a word holding `|`
        // could span the join.
        if let Some(w) = words.iter().find(|w| w.contains('|')) {
            return Err(format!("figures.bind: the word {w:?} holds `|`"));
        }
        let set = WordBits::new(words).map_err(|e| format!("figures.bind: {e}"))?;
        let lost = || "figures.bind: a word missing from its own set".to_string();
        let m = Masks::new(&set, b).ok_or_else(lost)?;
        let pairs = b
            .litigation_pairs
            .iter()
            .map(|p| set.mask(p))
            .collect::<Option<_>>()
            .ok_or_else(lost)?;
        let cues = w
            .cue
            .iter()
            .map(|(id, ws)| Some((id.as_str(), set.mask(ws)?)))
            .collect::<Option<_>>()
            .ok_or_else(lost)?;
        let mut counting: Vec<&'static str> = w.inherit_words.iter().map(String::as_str).collect();
        counting.sort_by_key(|c| std::cmp::Reverse(c.len()));
        let mut counting_chars: Vec<char> = counting.iter().flat_map(|c| c.chars()).collect();
        counting_chars.sort_unstable();
        counting_chars.dedup();
        let triggers = match binding_triggers(b) {
            Some(t) => Some(set.mask(&t).ok_or_else(lost)?),
            None => None,
        };
        Ok(Self {
            w,
            set,
            m,
            pairs,
            cues,
            mediation: Regex::new(&b.mediation)
                .map_err(|e| format!("figures.bind.mediation: {e}"))?,
            respectively: memchr::memmem::FinderRev::new(w.respectively.as_str()),
            counting,
            counting_chars,
            triggers,
        })
    }

    /// The binding words of a section heading, read once for all its sentences.
    pub fn topic_words(&self, topic: &str) -> Bits {
        self.set.occurrences(topic).within(0..topic.len())
    }

    /// Reads a sentence, once for all its figures; `topic_words` are its topic's
    /// ([`Binder::topic_words`]).
    pub fn read<'a>(&self, text: &'a str, topic: &'a str, topic_words: Bits) -> ReadSentence<'a> {
        let words = self.set.occurrences(text);
        let may_bind = self
            .triggers
            .as_ref()
            .is_none_or(|t| words.within(0..text.len()).any(t) || topic_words.any(t));
        ReadSentence {
            text,
            topic,
            words,
            topic_words,
            may_bind,
        }
    }

    /// Binds a figure reading outwards: its clause; then the clause across 、 lists with what
    /// follows the number (「调解涉企合同、劳动报酬等矛盾纠纷173件」, 「58卷行政处罚案卷逐卷评查」);
    /// then the sentence before it, when its own clause only counts or names the metric short
    /// (「…合法性审查213件，审查率100%」). The section heading is the sentence's topic throughout.
    pub fn bind(&self, s: &ReadSentence<'_>, p: &Place, unit: &str) -> Option<&'static str> {
        let id = self.bind_in_scopes(s, p, unit)?;
        let right = (&s.text[p.right.clone()], s.words.within(p.right.clone()));
        (!self.counts_other_noun(unit, right, id)).then_some(id)
    }

    /// Binds a table cell by its row label.
    pub fn bind_label(&self, label: &str, unit: &str) -> Option<&'static str> {
        let bits = self.set.occurrences(label).within(0..label.len());
        let parts = [label];
        let scope = Scope::whole(bits, &parts);
        let surround = Surround {
            right: self.set.occurrences("").within(0..0),
            right_text: "",
            sentence: bits,
            sentence_text: &parts,
        };
        self.bind_metric(&scope, &surround, unit)
    }

    fn bind_in_scopes(&self, s: &ReadSentence<'_>, p: &Place, unit: &str) -> Option<&'static str> {
        let st = s.text;
        let (wide, right) = (&st[p.wide.clone()], &st[p.right.clone()]);
        let sentence_text = [s.topic, &st[p.around.clone()]];
        let right_bits = s.words.within(p.right.clone());
        let surround = Surround {
            right: right_bits,
            right_text: right,
            sentence: s.topic_words.union(s.words.within(p.around.clone())),
            sentence_text: &sentence_text,
        };
        if let Some(thing) = self.respectively(wide) {
            let at = p.wide.start + (thing.as_ptr() as usize - wide.as_ptr() as usize);
            let bits = s.words.within(at..at + thing.len());
            let parts = [thing];
            let scope = Scope::whole(bits, &parts);
            let nothing_right = Surround {
                right: s.words.within(0..0),
                right_text: "",
                ..surround
            };
            return self.bind_metric(&scope, &nothing_right, unit);
        }
        let wide_bits = s.words.within(p.wide.clone());
        let clause_text = [&st[p.clause.clone()]];
        let narrow = Scope {
            clause: s.words.within(p.clause.clone()),
            clause_text: &clause_text,
            wide: wide_bits,
        };
        if let Some(m) = self.bind_metric(&narrow, &surround, unit) {
            return Some(m);
        }
        let own_text = [wide, right];
        let own = wide_bits.union(right_bits);
        let around_it = Scope::whole(own, &own_text);
        if let Some(m) = self.bind_metric(&around_it, &surround, unit) {
            return Some(m);
        }
        if self
            .w
            .bind
            .subset
            .iter()
            .any(|k| wide.starts_with(k.as_str()))
        {
            return None;
        }
        let earlier_text = [&st[p.before.clone()], right];
        let earlier = s.words.within(p.before.clone()).union(right_bits);
        let from_sentence = Scope::whole(earlier, &earlier_text);
        let m = self.bind_metric(&from_sentence, &surround, unit)?;
        if self.only_counting(wide) {
            return Some(m);
        }
        own.any(self.cues.get(m)?).then_some(m)
    }

    /// 「A、B分别为N1、N2」: the i-th number after 分别 counts the i-th thing listed before it.
    fn respectively<'a>(&self, wide: &'a str) -> Option<&'a str> {
        let at = self.respectively.rfind(wide.as_bytes())?;
        let (things, numbers) = (&wide[..at], &wide[at..]);
        let i = numbers.matches('、').count();
        let items: Vec<&str> = things.split(['、', '和', '及']).collect();
        if items.len() < 2 {
            return None;
        }
        items.get(i).copied()
    }

    /// True when a clause holds nothing before its number but counting words (共计, 达到, 为).
    fn only_counting(&self, wide: &str) -> bool {
        let other = |c: char| {
            !(c.is_whitespace()
                || c.is_ascii_punctuation()
                || self.counting_chars.binary_search(&c).is_ok())
        };
        !wide.chars().any(other) && self.nothing_left_but_counting(wide)
    }

    /// The counting words removed one by one, longest first: is anything but spaces and ASCII
    /// punctuation left?
    fn nothing_left_but_counting(&self, wide: &str) -> bool {
        let mut rest = wide.trim().to_string();
        for w in &self.counting {
            rest = rest.replace(w, "");
        }
        rest.trim_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
            .is_empty()
    }

    /// A classifier followed by a noun counts that noun (「7个安置社区」): the figure reports a
    /// metric only when that noun is one of the metric's things. `right` is the text after the
    /// figure and the binding words it holds (the metric's cue words are among them).
    fn counts_other_noun(&self, unit: &str, right: (&str, Bits), metric: &str) -> bool {
        let classifier = self.w.classifier_units.iter().any(|u| u == unit);
        if !classifier || !right.0.starts_with(|c: char| crate::normalize::is_cjk(c)) {
            return false;
        }
        !self.cues.get(metric).is_some_and(|cues| right.1.any(cues))
    }

    /// The metric id for a figure, from its scopes.
    fn bind_metric(&self, sc: &Scope<'_>, sr: &Surround<'_>, unit: &str) -> Option<&'static str> {
        let b: &BindWords = &self.w.bind;
        let m = &self.m;
        let clause = &sc.clause;
        let any = |k: &Bits| clause.any(k);
        let all = |k: &Bits| clause.all(k);
        let wide = |k: &Bits| sc.wide.any(k);
        let right = |k: &Bits| sr.right.any(k);
        let sentence = |k: &Bits| sr.sentence.any(k);
        // Units are a few bytes: compared in line, where `==` called the library's compare for
        // each of a list's units (a thousand calls a report).
        let unit_in = |us: &[String]| {
            us.iter()
                .any(|u| u.len() == unit.len() && u.bytes().zip(unit.bytes()).all(|(a, b)| a == b))
        };
        if unit == "%" {
            if any(&m.appearance_rate) || all(&m.appearance_rate_all) {
                return Some("admin_litigation_appearance_rate");
            }
            if any(&m.mediation_rate)
                && (any(&m.mediation_word) || self.mediation.is_match(&joined(sr.sentence_text)))
            {
                return Some("mediation_success_rate");
            }
            if (any(&m.legality_rate) || all(&m.legality_rate_all)) && !any(&m.legality_rate_not) {
                return Some("legality_review_rate");
            }
            if any(&m.online_rate) || (any(&m.online_rate_channel) && any(&m.online_rate_ratio)) {
                return Some("online_service_rate");
            }
            return None;
        }
        if unit.is_empty() || unit == "个百分点" || !unit_in(&b.count_units) {
            return None;
        }
        let case_unit = unit_in(&b.case_units);
        let concluded = any(&m.concluded);
        let subset = wide(&m.subset);
        if case_unit
            && any(&m.reconsideration)
            && !concluded
            && !any(&m.reconsideration_not)
            && !subset
        {
            return Some("admin_reconsideration_cases");
        }
        if case_unit
            && (any(&m.litigation) || self.pairs.iter().any(all))
            && !concluded
            && !any(&m.litigation_not)
            && !subset
        {
            return Some("admin_litigation_cases");
        }
        if case_unit && any(&m.legal_aid) && !any(&m.legal_aid_not) {
            return Some("legal_aid_cases");
        }
        let filing = any(&m.filing);
        if unit_in(&b.filing_units)
            && (filing && (any(&m.normative_document) || sentence(&m.normative_document))
                || (any(&m.normative_document) && !any(&m.normative_not) && sentence(&m.filing)))
        {
            return Some("normative_documents_filed");
        }
        let legality_object = wide(&m.legality_objects);
        if (unit_in(&b.legality_units) || (unit == "个" && any(&m.legality_word)))
            && (any(&m.legality_review)
                || right(&m.legality_review_right)
                || (wide(&m.review_verbs) && legality_object && sentence(&m.legality_word))
                || (any(&m.legal_adviser) && any(&m.review_verbs))
                || (wide(&m.review_contract_verb)
                    && wide(&m.contracts)
                    && sentence(&m.legal_adviser)
                    && !wide(&m.drafting)))
            && !wide(&m.legality_not)
            && !filing
        {
            return Some("legality_reviews");
        }
        if unit_in(&b.mediation_units)
            && any(&m.dispute_words)
            && !any(&m.mediation_not)
            && self.mediation.is_match(&joined(sc.clause_text))
        {
            return Some("mediation_disputes");
        }
        if unit_in(&b.staff_units)
            && (any(&m.certified) || (any(&m.enforcement_staff) && sentence(&m.certified_sentence)))
            && !any(&m.certified_not)
        {
            return Some("certified_enforcement_staff");
        }
        if unit_in(&b.file_units)
            && (any(&m.case_review)
                || (b
                    .case_file_heads
                    .iter()
                    .any(|h| sr.right_text.starts_with(h.as_str()))
                    && sentence(&m.case_review)))
        {
            return Some("case_files_reviewed");
        }
        if unit_in(&b.event_units)
            && (any(&m.popularization) || (any(&m.lecture) && sentence(&m.lecture_sentence)))
            && !any(&m.popularization_not)
        {
            return Some("law_popularization_events");
        }
        None
    }
}

/// The words of which every binding in [`Binder::bind_metric`] needs one in its clause, sentence
/// or heading (the conjunct that names the thing counted); keep in step with its shape. `None`
/// when a rule could bind without a word (an empty `_all` list: `all` of nothing holds).
fn binding_triggers(b: &BindWords) -> Option<Vec<&str>> {
    let all_lists = [&b.appearance_rate_all, &b.legality_rate_all];
    if all_lists.iter().any(|l| l.is_empty()) || b.litigation_pairs.iter().any(|p| p.is_empty()) {
        return None;
    }
    let mut t: Vec<&str> = Vec::new();
    for list in [
        &b.appearance_rate,
        &b.appearance_rate_all,
        &b.mediation_rate,
        &b.legality_rate,
        &b.legality_rate_all,
        &b.online_rate,
        &b.online_rate_channel,
        &b.reconsideration,
        &b.litigation,
        &b.legal_aid,
        &b.filing,
        &b.legality_review,
        &b.legality_review_right,
        &b.review_verbs,
        &b.dispute_words,
        &b.certified,
        &b.case_review,
        &b.popularization,
    ] {
        t.extend(list.iter().map(String::as_str));
    }
    t.extend(b.litigation_pairs.iter().flatten().map(String::as_str));
    t.extend([
        b.normative_document.as_str(),
        b.legal_adviser.as_str(),
        b.review_contract_verb.as_str(),
        b.enforcement_staff.as_str(),
        b.lecture.as_str(),
    ]);
    // An empty word is in every text: no sentence could be ruled out.
    if t.iter().any(|w| w.is_empty()) {
        return None;
    }
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::select;

    fn binder() -> Binder {
        let w = &crate::wording::wording().expect("wording").figures;
        Binder::new(w).expect("binder")
    }

    #[test]
    fn a_clause_of_counting_words_alone_inherits() {
        let b = binder();
        assert!(b.only_counting(",共计"));
        assert!(b.only_counting(" 全年共受理"));
        assert!(!b.only_counting("，共办结案件"));
    }

    proptest! {
        /// The character test answers as removing the words: clauses of counting words, their
        /// characters in other orders, spaces, ASCII punctuation and other characters.
        #[test]
        fn only_counting_answers_as_removing_the_words(
            parts in proptest::collection::vec(
                select(vec!["共计", "共", "计", "达到", "达", "全街道", "街", "道全", "其中", "为",
                            "案", "件", " ", ",", "，", "a", "收到"]),
                0..8,
            )
        ) {
            let b = binder();
            let wide: String = parts.concat();
            prop_assert_eq!(b.only_counting(&wide), b.nothing_left_but_counting(&wide), "{:?}", wide);
        }
    }
}
