//! How YAML readers resolve plain scalars, and when a string must be quoted.
//!
//! Kubernetes reads manifests with sigs.k8s.io/yaml (a fork of go-yaml v2), which resolves
//! plain scalars the YAML 1.1 way: `on`, `y`, `0755`, `1_000` are not strings. The JSON view
//! of a document follows that reader, because it is what reaches the cluster.

use serde_json::{Number, Value};

const TRUE_WORDS: [&str; 11] = [
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
];
const FALSE_WORDS: [&str; 11] = [
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
];
const NULL_WORDS: [&str; 5] = ["", "~", "null", "Null", "NULL"];
/// The longest of the words above (`false`): a longer text is none of them.
const LONGEST_WORD: usize = 5;

/// The value a plain scalar has for Kubernetes (go-yaml v2 resolution rules).
pub fn resolve_plain(text: &str) -> Value {
    if text.len() > LONGEST_WORD {
        return match text.as_bytes()[0] {
            b'0'..=b'9' | b'+' | b'-' | b'.' => resolve_number(text),
            _ => Value::String(text.to_owned()),
        };
    }
    if TRUE_WORDS.contains(&text) {
        return Value::Bool(true);
    }
    if FALSE_WORDS.contains(&text) {
        return Value::Bool(false);
    }
    if NULL_WORDS.contains(&text) {
        return Value::Null;
    }
    match text.as_bytes().first() {
        Some(b'0'..=b'9' | b'+' | b'-' | b'.') => resolve_number(text),
        _ => Value::String(text.to_owned()),
    }
}

/// Whether a plain scalar surely reads as the text it spells, without resolving it: it is
/// no boolean or null word and does not start like a number.
pub fn plain_is_surely_text(text: &str) -> bool {
    !matches!(
        text.as_bytes().first(),
        None | Some(b'0'..=b'9' | b'+' | b'-' | b'.')
    ) && !is_word(text)
}

/// Whether `text` is one of the boolean and null words above: one `match`, which the
/// compiler turns into a test of the length and then a few comparisons, where searching the
/// three lists compared the text with 27 words (map keys are looked up by the thousand).
fn is_word(text: &str) -> bool {
    matches!(
        text,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "true"
            | "True"
            | "TRUE"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "false"
            | "False"
            | "FALSE"
            | "off"
            | "Off"
            | "OFF"
            | ""
            | "~"
            | "null"
            | "Null"
            | "NULL"
    )
}

#[cfg(test)]
fn plain_is_surely_text_slowly(text: &str) -> bool {
    !matches!(
        text.as_bytes().first(),
        None | Some(b'0'..=b'9' | b'+' | b'-' | b'.')
    ) && !TRUE_WORDS.contains(&text)
        && !FALSE_WORDS.contains(&text)
        && !NULL_WORDS.contains(&text)
}

/// Numbers as go-yaml v2 reads them: underscores ignored, 0x/0o/0b prefixes, a leading zero
/// meaning octal, floats in the `1.5e3` style; anything else (timestamps included) is text.
fn resolve_number(text: &str) -> Value {
    if is_timestamp(text) {
        return Value::String(text.to_owned());
    }
    let plain: String = text.chars().filter(|c| *c != '_').collect();
    if let Some(n) = parse_go_int(&plain) {
        return n;
    }
    if is_go_float(&plain)
        && let Ok(f) = plain.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    // `.inf` and `.nan` are floats to go-yaml but have no JSON form; keep them as text.
    Value::String(text.to_owned())
}

fn parse_go_int(plain: &str) -> Option<Value> {
    let (negative, digits) = match plain.as_bytes().first()? {
        b'-' => (true, &plain[1..]),
        b'+' => (false, &plain[1..]),
        _ => (false, plain),
    };
    let (radix, body) = if let Some(rest) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, rest)
    } else if let Some(rest) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        (8, rest)
    } else if let Some(rest) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        (2, rest)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(body, radix).ok()?;
    if negative {
        let value = 0i64.checked_sub_unsigned(magnitude)?;
        Some(Value::Number(value.into()))
    } else {
        Some(Value::Number(magnitude.into()))
    }
}

/// go-yaml's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_go_float(plain: &str) -> bool {
    let s = plain.strip_prefix(['-', '+']).unwrap_or(plain);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()),
        Some((int, frac)) => {
            !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// `2001-12-14`, `2001-12-14t21:59:43.10-05:00`, `2001-12-14 21:59:43.10`: YAML 1.1 timestamps.
fn is_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 8
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && text[5..]
            .bytes()
            .all(|c| c.is_ascii_digit() || b"-:.tTzZ +".contains(&c))
}

/// Whether a new string can be written as a plain scalar and still be read as the same string
/// by every reader that matters: YAML 1.1 (go-yaml v2, PyYAML) and YAML 1.2 (core schema).
///
/// Deliberately conservative: anything that starts like a number, or spells a boolean or null
/// in any case, is quoted; over-quoting costs nothing.
pub fn plain_is_unambiguous(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    // Starting like a number is fine only with a character no number, timestamp or
    // sexagesimal spelling of any reader uses (`5s`, `10.0.0.0/8` are text everywhere).
    if (first.is_ascii_digit() || matches!(first, '+' | '-' | '.'))
        && text
            .chars()
            .all(|c| c.is_ascii_hexdigit() || "+-._:xXoOtTzZ iInN".contains(c))
    {
        return false;
    }
    if is_word_in_any_case(text) {
        return false;
    }
    plain_is_well_formed(text)
}

/// Whether `text`, in any case, is one of the boolean and null words or `<<` or `=`
/// (lower-cased on the stack: new strings are checked by the thousand).
fn is_word_in_any_case(text: &str) -> bool {
    if text.len() > LONGEST_WORD {
        return false;
    }
    let mut buffer = [0u8; LONGEST_WORD];
    let lower = &mut buffer[..text.len()];
    lower.copy_from_slice(text.as_bytes());
    lower.make_ascii_lowercase();
    matches!(
        &*lower,
        b"y" | b"yes"
            | b"true"
            | b"on"
            | b"n"
            | b"no"
            | b"false"
            | b"off"
            | b""
            | b"~"
            | b"null"
            | b"<<"
            | b"="
    )
}

/// Whether `text` is syntactically a single-line plain scalar in block context.
pub fn plain_is_well_formed(text: &str) -> bool {
    match plain_ascii_is_well_formed(text.as_bytes()) {
        Some(answer) => answer,
        None => plain_is_well_formed_slowly(text),
    }
}

/// [`plain_is_well_formed`] in one pass over the bytes, for text of printable ASCII (the
/// usual case); `None` for anything else (other characters, tabs, `---`/`...` starts).
fn plain_ascii_is_well_formed(b: &[u8]) -> Option<bool> {
    let (&first, rest) = b.split_first()?;
    if b.starts_with(b"---") || b.starts_with(b"...") {
        return None;
    }
    let indicator_as_text =
        matches!(first, b'-' | b'?' | b':') && rest.first().is_some_and(|c| *c != b' ');
    if b"-?:,[]{}#&*!|>'\"%@`".contains(&first) && !indicator_as_text {
        return Some(false);
    }
    if first == b' ' || matches!(b.last(), Some(b' ' | b':')) {
        return Some(false);
    }
    let mut previous = 0u8;
    for &c in b {
        if !(0x20..=0x7E).contains(&c) {
            return None;
        }
        if (previous == b':' && c == b' ') || (previous == b' ' && c == b'#') {
            return Some(false);
        }
        previous = c;
    }
    Some(true)
}

fn plain_is_well_formed_slowly(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let second = text[first.len_utf8()..].chars().next();
    let indicator_as_text = matches!(first, '-' | '?' | ':') && second.is_some_and(|c| c != ' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) && !indicator_as_text {
        return false;
    }
    if text.starts_with(' ') || text.ends_with(' ') || text.ends_with(':') {
        return false;
    }
    // `---` and `...` alone or before a blank mark a document where a line starts with them
    // (a key at the root, an item of a root list).
    let marker = text.starts_with("---") || text.starts_with("...");
    if marker
        && text[3..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ' || c == '\t')
    {
        return false;
    }
    if text.contains(": ") || text.contains(" #") || text.contains(":\t") || text.contains("\t#") {
        return false;
    }
    text.chars()
        .all(|c| c == ' ' || is_printable(c) && c != '\t')
}

/// Characters a YAML document may carry unescaped (and that no YAML 1.1 reader treats as a
/// line break: NEL, LS and PS are excluded).
pub fn is_printable(c: char) -> bool {
    match c {
        '\t' => true,
        '\u{20}'..='\u{7E}' => true,
        '\u{A0}'..='\u{2027}' | '\u{202A}'..='\u{D7FF}' => true,
        '\u{E000}'..='\u{FFFD}' => c != '\u{FEFF}',
        '\u{10000}'..='\u{10FFFF}' => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Texts that exercise every branch of the plain-scalar checks.
    const SAMPLES: &[&str] = &[
        "",
        " ",
        "a",
        "ab",
        "abcde",
        "abcdef",
        "false",
        "False",
        "FALSE",
        "falsey",
        "on",
        "On",
        "onion",
        "~",
        "null",
        "nulls",
        "y",
        "n",
        "-",
        "-a",
        "- a",
        "--",
        "---",
        "--- x",
        "---x",
        "...",
        "... x",
        "....",
        "?x",
        "? x",
        ":x",
        ": x",
        "a:",
        "a: b",
        "a:b",
        "a #b",
        "a#b",
        "#a",
        "&a",
        "*a",
        "!a",
        "|",
        ">",
        "'",
        "\"",
        "%x",
        "@x",
        "`x",
        ",x",
        "[x",
        "]x",
        "{x",
        "}x",
        "x ",
        " x",
        "tab\there",
        "a\tb",
        ":\t",
        "a\t#",
        "-\t",
        "caf\u{e9}",
        "\u{e9}: x",
        "x\u{85}y",
        "\u{feff}x",
        "a: \u{e9}",
        "\u{e9}a #b",
        "kube-system",
        "http://x.y/z",
        "0755",
        "1e3",
        "-12",
        ".5",
        "+1",
        "2001-12-14",
        "registry.example-domain.com/dtplatform/itemsvc:4.12.0",
        "256Mi",
        "50m",
    ];

    #[test]
    fn the_word_match_is_the_word_lists() {
        let words: Vec<&str> = TRUE_WORDS
            .iter()
            .chain(&FALSE_WORDS)
            .chain(&NULL_WORDS)
            .copied()
            .collect();
        for word in &words {
            assert!(is_word(word), "{word:?}");
        }
        for text in ["yES", "tRue", "nul", "offf", " on", "o", "~~", "Nope"] {
            assert_eq!(is_word(text), words.contains(&text), "{text:?}");
        }
    }

    /// The allocation-free check of [`plain_is_unambiguous`] against the lists, lower-cased.
    fn is_word_in_any_case_slowly(text: &str) -> bool {
        let lower = text.to_ascii_lowercase();
        TRUE_WORDS.contains(&lower.as_str())
            || FALSE_WORDS.contains(&lower.as_str())
            || NULL_WORDS.contains(&lower.as_str())
            || matches!(lower.as_str(), "<<" | "=")
    }

    #[test]
    fn words_in_any_case_are_the_lists_lower_cased() {
        let texts = [
            "yES", "tRue", "FaLsE", "oN", "nULL", "<<", "=", "", "~", "offf", "Nope",
        ];
        for text in texts.iter().chain(SAMPLES) {
            assert_eq!(
                is_word_in_any_case(text),
                is_word_in_any_case_slowly(text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn fast_paths_answer_as_the_full_checks() {
        for text in SAMPLES {
            assert_eq!(
                plain_is_well_formed(text),
                plain_is_well_formed_slowly(text),
                "{text:?}"
            );
            assert_eq!(
                plain_is_surely_text(text),
                plain_is_surely_text_slowly(text),
                "{text:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_paths_answer_as_the_full_checks_on_any_text(text in "[ -~\t\u{e9}\u{85}]{0,8}") {
            proptest::prop_assert_eq!(plain_is_well_formed(&text), plain_is_well_formed_slowly(&text));
            proptest::prop_assert_eq!(plain_is_surely_text(&text), plain_is_surely_text_slowly(&text));
            proptest::prop_assert_eq!(is_word_in_any_case(&text), is_word_in_any_case_slowly(&text));
        }
    }

    #[test]
    fn yaml_1_1_booleans_and_nulls_resolve_as_kubernetes_reads_them() {
        assert_eq!(resolve_plain("on"), json!(true));
        assert_eq!(resolve_plain("N"), json!(false));
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain("onion"), json!("onion"));
    }

    #[test]
    fn numbers_follow_go_yaml() {
        assert_eq!(resolve_plain("0755"), json!(493));
        assert_eq!(resolve_plain("1_000"), json!(1000));
        assert_eq!(resolve_plain("0x1F"), json!(31));
        assert_eq!(resolve_plain("-12"), json!(-12));
        assert_eq!(resolve_plain("1e3"), json!(1000.0));
        assert_eq!(resolve_plain("1.5"), json!(1.5));
        assert_eq!(resolve_plain("2001-12-14"), json!("2001-12-14"));
        assert_eq!(resolve_plain("1.2.3"), json!("1.2.3"));
        // Not octal, so go-yaml falls through to its float syntax.
        assert_eq!(resolve_plain("08"), json!(8.0));
    }

    #[test]
    fn ambiguous_strings_are_never_plain() {
        for s in [
            "on",
            "Off",
            "y",
            "NO",
            "null",
            "~",
            "",
            "0755",
            "1e3",
            "1_000",
            "2001-12-14",
            "-1",
            ".5",
            "<<",
            "=",
            "a: b",
            "a #b",
            " x",
            "x ",
            "- x",
            "[a]",
            "*a",
            "&a",
            "!a",
            "|",
            "'",
            "\"",
            "%x",
            "@x",
            "`x",
            "#x",
            "x:",
            "a\nb",
            "tab\there",
            "TRUE",
            "yes",
        ] {
            assert!(!plain_is_unambiguous(s), "{s:?} must be quoted");
        }
        for s in [
            "kube-system",
            "http://x.y/z",
            "a#b",
            "dtp-prod-filesvc",
            "Deployment",
        ] {
            assert!(plain_is_unambiguous(s), "{s:?} can be plain");
        }
    }
}
