//! The system clock: the one place the binary reads the time. Everything else is handed a
//! `zhengce_model::clock::Clock` (the server, the store's writers) or a date (`as_of`).

use zhengce_model::Date;
use zhengce_model::clock::Clock;

/// The machine's clock, with dates in China Standard Time (UTC+8).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }

    fn today(&self) -> Date {
        let secs = self.now_ms().div_euclid(1000);
        // Civil-from-days (Howard Hinnant); China Standard Time is UTC+8.
        let z = (secs + 8 * 3600).div_euclid(86_400) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
        Date::new(y, m, d).unwrap_or_else(|| Date::new(2026, 1, 1).expect("valid date"))
    }
}
