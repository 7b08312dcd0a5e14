//! Lines and numbered heading markers: the layer below normalization, junk removal and parsing,
//! so none of them reaches up into another for these.

/// A Chinese numeral of heading numbering (一、 （二） 第三部分).
pub fn is_cn_digit(c: char) -> bool {
    matches!(
        c,
        '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十'
    )
}

/// Lines of `text` with their byte start offsets, as `split('\n')` gives them (a last, empty
/// line after a final line end included). The line ends are found by the `memchr` crate's
/// vector search: several steps split the whole text into lines.
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain(std::iter::once(text.len()));
    let mut start = 0;
    ends.map(move |end| {
        let line = (start, text.get(start..end).unwrap_or(""));
        start = end + 1;
        line
    })
}

/// A numbered heading marker at the start of `line`: (level, numbering as written).
pub fn heading_marker(line: &str) -> Option<(u8, &str)> {
    let cn = is_cn_digit;
    let mut chars = line.char_indices().peekable();
    let (_, first) = *chars.peek()?;
    // 第一部分 / 第一章
    if first == '第' {
        let rest = &line['第'.len_utf8()..];
        let n: usize = rest
            .chars()
            .take_while(|&c| cn(c))
            .map(char::len_utf8)
            .sum();
        if n > 0 {
            for suffix in ["部分", "章", "篇"] {
                if rest[n..].starts_with(suffix) {
                    let end = '第'.len_utf8() + n + suffix.len();
                    return Some((1, &line[..end]));
                }
            }
        }
        return None;
    }
    if cn(first) {
        let n: usize = line
            .chars()
            .take_while(|&c| cn(c))
            .map(char::len_utf8)
            .sum();
        let rest = &line[n..];
        if rest.starts_with('、')
            || (rest.starts_with('.') && !rest[1..].starts_with(|c: char| c.is_ascii_digit()))
        {
            let end = n + rest.chars().next().map(char::len_utf8).unwrap_or(0);
            return Some((1, &line[..end]));
        }
        return None;
    }
    if first == '(' || first == '（' {
        let open = first.len_utf8();
        let inner = &line[open..];
        let n_cn: usize = inner
            .chars()
            .take_while(|&c| cn(c))
            .map(char::len_utf8)
            .sum();
        let n_d: usize = inner
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .map(char::len_utf8)
            .sum();
        let (lvl, n) = if n_cn > 0 {
            (2, n_cn)
        } else if n_d > 0 && n_d <= 2 {
            (4, n_d)
        } else {
            return None;
        };
        let after = &inner[n..];
        if after.starts_with(')') || after.starts_with('）') {
            let close = after.chars().next().map(char::len_utf8).unwrap_or(1);
            return Some((lvl, &line[..open + n + close]));
        }
        return None;
    }
    if first.is_ascii_digit() {
        let n: usize = line.chars().take_while(|c| c.is_ascii_digit()).count();
        if n > 2 {
            return None;
        }
        let rest = &line[n..];
        let sep = rest.chars().next()?;
        if matches!(sep, '、' | '.' | '．') {
            let after = &rest[sep.len_utf8()..];
            if after.starts_with(|c: char| c.is_ascii_digit() || c == ' ' || c == '%')
                || after.is_empty()
            {
                return None;
            }
            return Some((3, &line[..n + sep.len_utf8()]));
        }
        return None;
    }
    if ('①'..='⑳').contains(&first) {
        return Some((5, &line[..first.len_utf8()]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn lines_are_what_splitting_at_line_ends_gives(parts in proptest::collection::vec(
            proptest::sample::select(vec!["\n", "\n\n", "法治", "a", "", " ", "\r", "二、"]),
            0..20,
        )) {
            let text = parts.concat();
            let mut at = 0;
            let want: Vec<(usize, &str)> = text
                .split('\n')
                .map(|l| {
                    let start = at;
                    at += l.len() + 1;
                    (start, l)
                })
                .collect();
            proptest::prop_assert_eq!(lines(&text).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn heading_digits_are_one_to_ten() {
        let all: String = "一二三四五六七八九十"
            .chars()
            .filter(|&c| is_cn_digit(c))
            .collect();
        assert_eq!(all, "一二三四五六七八九十");
        assert!(!is_cn_digit('零') && !is_cn_digit('百') && !is_cn_digit('1'));
    }
}
