//! A calendar date without time zone, with the little arithmetic the rules need.
//!
//! The core crates never read the clock: every date comes from input or from the caller's `as_of`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A proleptic Gregorian date (`YYYY-MM-DD`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a date string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid date `{0}`: expected YYYY-MM-DD")]
pub struct DateError(pub String);

impl Date {
    /// Builds a date, checking that the day exists.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01 (the inverse of [`Date::days_since_epoch`]; Howard
    /// Hinnant's civil_from_days), or `None` outside the supported years.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        Date::new(i32::try_from(y).ok()?, u8::try_from(m).ok()?, u8::try_from(d).ok()?)
    }

    /// Whole years from `self` to `later` (negative if `later` is earlier), as an age is counted.
    pub fn whole_years_until(self, later: Date) -> i64 {
        let mut years = i64::from(later.year - self.year);
        if (later.month, later.day) < (self.month, self.day) {
            years -= 1;
        }
        years
    }

    /// Years from `self` to `later`: whole years counted like an age, plus the elapsed share of the
    /// current year (so exactly one anniversary later is exactly 1.0).
    pub fn years_until(self, later: Date) -> f64 {
        let whole = self.whole_years_until(later);
        let anniversary = |years: i64| {
            let y = self.year + years as i32;
            Date::new(y, self.month, self.day).unwrap_or(Date { year: y, month: 2, day: 28 })
        };
        let last = anniversary(whole).days_since_epoch();
        let next = anniversary(whole + 1).days_since_epoch();
        whole as f64 + (later.days_since_epoch() - last) as f64 / (next - last) as f64
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Date, DateError> {
        let err = || DateError(s.to_string());
        let bytes = s.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(err());
        }
        let year: i32 = s[0..4].parse().map_err(|_| err())?;
        let month: u8 = s[5..7].parse().map_err(|_| err())?;
        let day: u8 = s[8..10].parse().map_err(|_| err())?;
        Date::new(year, month, day).ok_or_else(err)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_counts() {
        let a: Date = "2020-02-29".parse().unwrap();
        let b: Date = "2025-02-28".parse().unwrap();
        assert_eq!(a.whole_years_until(b), 4);
        assert_eq!(a.whole_years_until("2025-03-01".parse().unwrap()), 5);
        assert!("2021-02-29".parse::<Date>().is_err());
        assert!("2021-1-01".parse::<Date>().is_err());
        assert_eq!("1970-01-02".parse::<Date>().unwrap().days_since_epoch(), 1);
        assert_eq!(a.to_string(), "2020-02-29");
        let c: Date = "2024-06-01".parse().unwrap();
        assert_eq!(c.years_until("2025-06-01".parse().unwrap()), 1.0);
        assert!((c.years_until("2025-12-01".parse().unwrap()) - 1.5).abs() < 0.01);
    }
}
