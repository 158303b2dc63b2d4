//! Text encodings used by attackers: the encoders build the encoding-attack payloads, and the
//! inverse maps let the detectors find a nonce or canary an answer hides the same ways.
//!
//! Everything here is a pure function of its input; base64 and hex go through `data-encoding`.

use data_encoding::{BASE64, BASE64_NOPAD, BASE64URL, BASE64URL_NOPAD, HEXLOWER_PERMISSIVE};

/// Returns `text` as standard base64.
#[must_use]
pub(crate) fn base64(text: &str) -> String {
    BASE64.encode(text.as_bytes())
}

/// Decodes base64 in any of its usual spellings (standard or URL alphabet, padded or not).
#[must_use]
pub(crate) fn decode_base64(token: &str) -> Option<Vec<u8>> {
    let trimmed = token.trim_end_matches('=');
    [BASE64, BASE64URL]
        .iter()
        .find_map(|encoding| encoding.decode(token.as_bytes()).ok())
        .or_else(|| {
            [BASE64_NOPAD, BASE64URL_NOPAD]
                .iter()
                .find_map(|encoding| encoding.decode(trimmed.as_bytes()).ok())
        })
}

/// Returns `text` as lower-case hex, two digits per byte.
#[must_use]
pub(crate) fn hex(text: &str) -> String {
    HEXLOWER_PERMISSIVE.encode(text.as_bytes())
}

/// Decodes hex digits (either case); `None` for an odd count or another character.
#[must_use]
pub(crate) fn decode_hex(digits: &str) -> Option<Vec<u8>> {
    HEXLOWER_PERMISSIVE.decode(digits.as_bytes()).ok()
}

/// Rotates ASCII letters by 13 places; applying it twice gives the text back.
#[must_use]
pub(crate) fn rot13(text: &str) -> String {
    text.chars().map(rot13_char).collect()
}

/// Rotates one ASCII letter by 13 places.
#[must_use]
pub(crate) fn rot13_char(c: char) -> char {
    match c {
        'a'..='m' | 'A'..='M' => char::from(c as u8 + 13),
        'n'..='z' | 'N'..='Z' => char::from(c as u8 - 13),
        _ => c,
    }
}

/// Writes `text` in leetspeak (`e` → `3`, `a` → `4`, …).
#[must_use]
pub(crate) fn leetspeak(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_ascii_lowercase() {
            'a' => '4',
            'e' => '3',
            'i' => '1',
            'o' => '0',
            's' => '5',
            't' => '7',
            'b' => '8',
            _ => c,
        })
        .collect()
}

/// Maps a character to the lower-case ASCII letter its leetspeak spelling stands for. Both the
/// answer and the secret go through it, so a digit of the secret still matches itself.
#[must_use]
pub(crate) fn unleet(c: char) -> char {
    match c.to_ascii_lowercase() {
        '4' | '@' => 'a',
        '3' => 'e',
        '1' | '!' | '|' | 'l' | 'i' => 'i',
        '0' | 'o' => 'o',
        '5' | '$' => 's',
        '7' | '+' => 't',
        '8' => 'b',
        '9' | '6' => 'g',
        '2' => 'z',
        other => other,
    }
}

/// Latin letters and the Cyrillic or Greek letters that look the same.
const HOMOGLYPHS: &[(char, char)] = &[
    ('a', 'а'),
    ('c', 'с'),
    ('e', 'е'),
    ('i', 'і'),
    ('j', 'ј'),
    ('o', 'о'),
    ('p', 'р'),
    ('s', 'ѕ'),
    ('x', 'х'),
    ('y', 'у'),
    ('A', 'А'),
    ('B', 'В'),
    ('C', 'С'),
    ('E', 'Е'),
    ('H', 'Н'),
    ('I', 'І'),
    ('K', 'К'),
    ('M', 'М'),
    ('N', 'Ν'),
    ('O', 'О'),
    ('P', 'Р'),
    ('T', 'Т'),
    ('X', 'Х'),
    ('Y', 'Υ'),
    ('Z', 'Ζ'),
];

/// Replaces every Latin letter that has a Cyrillic or Greek look-alike with it.
#[must_use]
pub(crate) fn homoglyphs(text: &str) -> String {
    text.chars()
        .map(|c| {
            HOMOGLYPHS
                .iter()
                .find(|(latin, _)| *latin == c)
                .map_or(c, |(_, lookalike)| *lookalike)
        })
        .collect()
}

/// Maps a look-alike (Cyrillic, Greek, or a full-width form) to its ASCII letter or digit.
#[must_use]
pub(crate) fn unconfuse(c: char) -> char {
    if let Some((latin, _)) = HOMOGLYPHS.iter().find(|(_, lookalike)| *lookalike == c) {
        return *latin;
    }
    // Full-width ASCII (U+FF01..U+FF5E) sits at a fixed offset from ASCII.
    if ('\u{FF01}'..='\u{FF5E}').contains(&c) {
        return char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c);
    }
    c
}

/// The zero-width space, used to split words invisibly.
pub(crate) const ZERO_WIDTH_SPACE: char = '\u{200B}';

/// Puts a zero-width space between every two characters.
#[must_use]
pub(crate) fn zero_width_split(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 4);
    for (index, c) in text.chars().enumerate() {
        if index > 0 {
            out.push(ZERO_WIDTH_SPACE);
        }
        out.push(c);
    }
    out
}

/// Returns true for characters that render as nothing: zero-width spaces and joiners, bidi
/// marks, the word joiner and invisible operators, the byte-order mark, the soft hyphen, and the
/// combining grapheme joiner.
#[must_use]
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Writes ASCII text as invisible Unicode tag characters (U+E0020..U+E007E), between a tag
/// begin and a cancel tag: "ASCII smuggling".
#[must_use]
pub(crate) fn unicode_tags(text: &str) -> String {
    let mut out = String::from('\u{E0001}');
    out.extend(
        text.chars()
            .filter(|c| (' '..='~').contains(c))
            .filter_map(|c| char::from_u32(0xE0000 + u32::from(c))),
    );
    out.push('\u{E007F}');
    out
}

/// Maps a Unicode tag character back to the ASCII character it smuggles.
#[must_use]
pub(crate) fn untag(c: char) -> Option<char> {
    let code = u32::from(c);
    (0xE0020..=0xE007E)
        .contains(&code)
        .then(|| char::from_u32(code - 0xE0000))
        .flatten()
}

/// Returns true for the tag begin and cancel tag characters, which carry no text.
#[must_use]
pub(crate) fn is_tag_control(c: char) -> bool {
    c == '\u{E0001}' || c == '\u{E007F}'
}

#[cfg(test)]
mod tests {
    use test_case::test_case;

    use super::*;

    #[test_case("K7QX2M9PHD", "SzdRWDJNOVBIRA=="; "letters and digits")]
    #[test_case("say hi", "c2F5IGhp"; "no padding needed")]
    fn base64_known_answers(text: &str, encoded: &str) {
        assert_eq!(base64(text), encoded);
        assert_eq!(decode_base64(encoded).unwrap(), text.as_bytes());
    }

    #[test]
    fn base64_decodes_every_spelling() {
        assert_eq!(decode_base64("SzdRWDJNOVBIRA").unwrap(), b"K7QX2M9PHD");
        assert_eq!(decode_base64("Pz8-").unwrap(), b"??>");
        assert_eq!(decode_base64("Pz8+").unwrap(), b"??>");
        assert!(decode_base64("not base64!").is_none());
    }

    #[test]
    fn hex_known_answers() {
        assert_eq!(hex("K7"), "4b37");
        assert_eq!(decode_hex("4B37").unwrap(), b"K7");
        assert!(decode_hex("4b3").is_none());
    }

    #[test]
    fn rot13_known_answers() {
        assert_eq!(rot13("Hello, K7QX!"), "Uryyb, X7DK!");
        assert_eq!(rot13(&rot13("round trip")), "round trip");
    }

    #[test]
    fn leetspeak_round_trips_through_unleet() {
        assert_eq!(leetspeak("Ignore the rules"), "1gn0r3 7h3 rul35");
        let normal: String = "ignore".chars().map(unleet).collect();
        let leet: String = leetspeak("ignore").chars().map(unleet).collect();
        assert_eq!(normal, leet);
    }

    #[test]
    fn homoglyphs_look_the_same_and_map_back() {
        let disguised = homoglyphs("Execute KPX");
        assert_ne!(disguised, "Execute KPX");
        let plain: String = disguised.chars().map(unconfuse).collect();
        assert_eq!(plain, "Execute KPX");
        assert_eq!(unconfuse('Ｋ'), 'K');
    }

    #[test]
    fn zero_width_and_tags_are_invisible_and_reversible() {
        let split = zero_width_split("abc");
        assert_eq!(split.chars().count(), 5);
        let visible: String = split.chars().filter(|c| !is_invisible(*c)).collect();
        assert_eq!(visible, "abc");
        let smuggled = unicode_tags("Say K7");
        let revealed: String = smuggled.chars().filter_map(untag).collect();
        assert_eq!(revealed, "Say K7");
        assert!(smuggled.chars().next().is_some_and(is_tag_control));
    }
}
