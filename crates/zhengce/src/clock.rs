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
        // China Standard Time is UTC+8.
        let days = (self.now_ms().div_euclid(1000) + 8 * 3600).div_euclid(86_400);
        Date::from_days_since_epoch(days).unwrap_or_else(|| Date::new(2026, 1, 1).expect("valid date"))
    }
}
