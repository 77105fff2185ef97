//! The unified social credit code (统一社会信用代码, GB 32100-2015) check.

const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// Why a credit code is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    /// Not 18 characters.
    #[error("统一社会信用代码应为18位，实际{0}位")]
    Length(usize),
    /// A character outside the GB 32100 alphabet (I, O, S, V, Z are never used).
    #[error("统一社会信用代码第{position}位字符`{ch}`不合法")]
    Character {
        /// 1-based position.
        position: usize,
        /// The offending character.
        ch: char,
    },
    /// The 18th character does not match the computed check character.
    #[error("统一社会信用代码校验位错误：应为`{expected}`，实际为`{actual}`")]
    CheckDigit {
        /// The computed check character.
        expected: char,
        /// The given one.
        actual: char,
    },
}

fn value_of(c: char) -> Option<u32> {
    ALPHABET.find(c).map(|i| i as u32)
}

/// Computes the check character for the first 17 characters, if they are all valid.
pub fn check_char(first17: &str) -> Option<char> {
    let mut sum = 0;
    for (i, c) in first17.chars().enumerate() {
        sum += value_of(c)? * WEIGHTS.get(i)?;
    }
    let v = (31 - sum % 31) % 31;
    ALPHABET.chars().nth(v as usize)
}

/// The GB 11714 check character of an 8-character organisation-code body (characters 9–16 of a
/// credit code are the body, character 17 its check), e.g. `M000100Y` → `4`.
pub fn org_check_char(body: &str) -> char {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.chars().zip(W).map(|(c, w)| c.to_digit(36).unwrap_or(0) * w).sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap_or('0'),
    }
}

/// Validates a credit code (upper-case, no spaces).
pub fn validate(code: &str) -> Result<(), UsccError> {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return Err(UsccError::Length(chars.len()));
    }
    for (i, &c) in chars.iter().enumerate() {
        if value_of(c).is_none() {
            return Err(UsccError::Character { position: i + 1, ch: c });
        }
    }
    let first: String = chars[..17].iter().collect();
    let expected = check_char(&first).ok_or(UsccError::Length(chars.len()))?;
    if expected != chars[17] {
        return Err(UsccError::CheckDigit { expected, actual: chars[17] });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(validate("91350100M000100Y43"), Ok(()));
        assert_eq!(validate("91110108551385082Q"), Ok(()));
        assert!(validate("9A1234568378908767").is_err());
        assert!(matches!(validate("91350100M000100Y44"), Err(UsccError::CheckDigit { .. })));
        assert!(matches!(validate("91350100M000100Y4"), Err(UsccError::Length(17))));
    }
}
