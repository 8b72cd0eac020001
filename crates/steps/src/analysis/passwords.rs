//! Rules for pre-installed passwords (EN 303 645 5.1-2, PSTI Schedule 1
//! para 1): unique per unit, no counter, nothing derived from identifiers, not
//! common, strong enough.

/// One declared unit's password with what an attacker may know about the unit.
#[derive(Debug, Clone, Copy)]
pub struct UnitPassword<'a> {
    pub serial: &'a str,
    pub mac: Option<[u8; 6]>,
    pub password: &'a str,
}

/// Pairs of unit indices whose passwords are equal.
pub fn shared_passwords(units: &[UnitPassword<'_>]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for i in 0..units.len() {
        for j in i + 1..units.len() {
            if units[i].password == units[j].password {
                out.push((i, j));
            }
        }
    }
    out
}

/// Split into alternating runs of digits and non-digits; the skeleton keeps
/// the non-digit runs and marks where the numbers were.
fn skeleton(p: &str) -> (String, Vec<&str>) {
    let mut skel = String::new();
    let mut numbers = Vec::new();
    let mut start = None;
    for (i, c) in p.char_indices() {
        if c.is_ascii_digit() {
            start.get_or_insert(i);
        } else {
            if let Some(s) = start.take() {
                numbers.push(&p[s..i]);
                skel.push('#');
            }
            skel.push(c);
        }
    }
    if let Some(s) = start {
        numbers.push(&p[s..]);
        skel.push('#');
    }
    (skel, numbers)
}

/// Values in declared order form a counter: distinct, and once sorted every
/// step is the same small number.
fn is_counter(values: &[u128]) -> Option<u128> {
    if values.len() < 2 {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != values.len() {
        return None;
    }
    let step = sorted[1] - sorted[0];
    let limit = if values.len() == 2 { 16 } else { 1000 };
    (step > 0 && step <= limit && sorted.windows(2).all(|w| w[1] - w[0] == step)).then_some(step)
}

/// If the passwords follow an incremental counter, say how.
pub fn counter_pattern(units: &[UnitPassword<'_>]) -> Option<String> {
    if units.len() < 2 {
        return None;
    }
    // Decimal runs in an otherwise identical skeleton: plug-100231, plug-100232…
    let parts: Vec<(String, Vec<&str>)> = units.iter().map(|u| skeleton(u.password)).collect();
    if parts
        .iter()
        .all(|(s, n)| *s == parts[0].0 && n.len() == parts[0].1.len())
    {
        for k in 0..parts[0].1.len() {
            let values: Option<Vec<u128>> = parts
                .iter()
                .map(|(_, n)| n[k].get(..30).unwrap_or(n[k]).parse::<u128>().ok())
                .collect();
            if let Some(step) = values.as_deref().and_then(is_counter) {
                return Some(format!(
                    "the number in {:?} … {:?} goes up by {step} from unit to unit",
                    units[0].password,
                    units[units.len() - 1].password
                ));
            }
        }
    }
    // Same prefix, a short tail counting in hexadecimal or base 36.
    let len = units[0].password.len();
    if len >= 4 && units.iter().all(|u| u.password.len() == len) {
        for tail in 1..=4.min(len - 1) {
            let head = &units[0].password[..len - tail];
            if !units
                .iter()
                .all(|u| u.password.is_char_boundary(len - tail) && u.password.starts_with(head))
            {
                continue;
            }
            for radix in [16, 36] {
                let values: Option<Vec<u128>> = units
                    .iter()
                    .map(|u| u128::from_str_radix(&u.password[len - tail..], radix).ok())
                    .collect();
                if let Some(step) = values.as_deref().and_then(is_counter) {
                    return Some(format!(
                        "the passwords share the prefix {head:?} and the last {tail} characters count up by {step} (base {radix})"
                    ));
                }
            }
        }
    }
    None
}

fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Substrings of `source` at least `min` long that occur in `password`; the
/// longest one found.
fn longest_shared(source: &str, password: &str, min: usize) -> Option<String> {
    if source.len() < min {
        return None;
    }
    for len in (min..=source.len()).rev() {
        for start in 0..=source.len() - len {
            let piece = &source[start..start + len];
            if password.contains(piece) {
                return Some(piece.to_string());
            }
        }
    }
    None
}

/// If the password is built from the unit's serial number or MAC address (in
/// plain, hexadecimal or decimal form, whole or in part), say which.
pub fn derived_from_identifier(unit: &UnitPassword<'_>) -> Option<String> {
    let p = normalise(unit.password);
    if p.is_empty() {
        return None;
    }
    if let Some(mac) = unit.mac {
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        if let Some(piece) = longest_shared(&hex, &p, 6) {
            return Some(format!("contains {piece:?} from the MAC address"));
        }
        let mut value: u64 = 0;
        for b in mac {
            value = (value << 8) | u64::from(b);
        }
        let forms = [
            ("the MAC address in decimal", value.to_string()),
            (
                "the last four MAC bytes in decimal",
                (value & 0xffff_ffff).to_string(),
            ),
            (
                "the last three MAC bytes in decimal",
                (value & 0xff_ffff).to_string(),
            ),
        ];
        for (what, digits) in forms {
            if let Some(piece) = longest_shared(&digits, &p, 6) {
                return Some(format!("contains {piece:?} from {what}"));
            }
        }
    }
    let serial = normalise(unit.serial);
    let min = if serial.len() < 6 {
        serial.len().max(4)
    } else {
        6
    };
    if let Some(piece) = longest_shared(&serial, &p, min) {
        return Some(format!("contains {piece:?} from the serial number"));
    }
    let digits: String = serial.chars().filter(char::is_ascii_digit).collect();
    if let Some(piece) = longest_shared(&digits, &p, 6) {
        return Some(format!(
            "contains {piece:?} from the digits of the serial number"
        ));
    }
    None
}

/// zxcvbn score (0–4) a pre-installed password must reach: 3 means a guess
/// count of 10^8 or more, out of reach of online guessing and slow offline
/// attacks.
pub const MIN_SCORE: u8 = 3;

/// What the strength estimator thinks of a password.
#[derive(Debug, Clone, PartialEq)]
pub struct Strength {
    pub score: u8,
    pub guesses_log10: f64,
    /// The common-password dictionary entry that makes up most of it, if any.
    pub common: Option<String>,
}

/// Estimate strength with zxcvbn, giving it the product's public identifiers
/// so passwords built from them score low.
pub fn strength(password: &str, public_inputs: &[&str]) -> Strength {
    let entropy = zxcvbn::zxcvbn(password, public_inputs);
    let common = entropy.sequence().iter().find_map(|m| match &m.pattern {
        zxcvbn::matching::patterns::MatchPattern::Dictionary(d)
            // The dictionary type is not exported; its Debug name is stable.
            if format!("{:?}", d.dictionary_name) == "Passwords"
                && m.token.chars().count() * 4 >= password.chars().count() * 3 =>
        {
            Some(d.matched_word.clone())
        }
        _ => None,
    });
    Strength {
        score: u8::from(entropy.score()),
        guesses_log10: entropy.guesses_log10(),
        common,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u<'a>(serial: &'a str, mac: Option<[u8; 6]>, password: &'a str) -> UnitPassword<'a> {
        UnitPassword {
            serial,
            mac,
            password,
        }
    }

    #[test]
    fn counters_are_found() {
        let units = [
            u("a", None, "plug-100231"),
            u("b", None, "plug-100232"),
            u("c", None, "plug-100233"),
        ];
        assert!(counter_pattern(&units).is_some());
        let hex = [
            u("a", None, "X9kQ00fe"),
            u("b", None, "X9kQ00ff"),
            u("c", None, "X9kQ0100"),
        ];
        assert!(counter_pattern(&hex).is_some(), "hex tail counter");
        let random = [
            u("a", None, "k7Rq#vX2mP9w!LtZ"),
            u("b", None, "Yh3$Nb8eQz1@Wd6u"),
            u("c", None, "pF5&cJ0sTm4^Rx8k"),
        ];
        assert!(counter_pattern(&random).is_none());
    }

    #[test]
    fn identifiers_are_found() {
        let mac = [0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e];
        assert!(derived_from_identifier(&u("SN1", Some(mac), "2b3c4d5e")).is_some());
        assert!(derived_from_identifier(&u("SN1", Some(mac), "2B3C4D5E")).is_some());
        assert!(derived_from_identifier(&u("SN1", Some(mac), "x-1a2b3c-y")).is_some());
        let dec = (0x3c4d5eu64).to_string();
        assert!(derived_from_identifier(&u("SN1", Some(mac), &format!("pw{dec}"))).is_some());
        assert!(derived_from_identifier(&u("RT-2026-884213", None, "admin884213")).is_some());
        assert!(
            derived_from_identifier(&u("RT-2026-884213", Some(mac), "k7Rq#vX2mP9w!LtZ")).is_none()
        );
    }

    #[test]
    fn strength_and_common() {
        let weak = strength("password123", &[]);
        assert!(weak.score < MIN_SCORE);
        assert!(weak.common.is_some());
        let strong = strength("k7Rq#vX2mP9w!LtZ", &["Goodcam", "GC-200"]);
        assert!(strong.score >= MIN_SCORE, "{strong:?}");
        assert!(strong.common.is_none());
    }

    #[test]
    fn duplicates() {
        let units = [u("a", None, "x"), u("b", None, "y"), u("c", None, "x")];
        assert_eq!(shared_passwords(&units), [(0, 2)]);
    }
}
