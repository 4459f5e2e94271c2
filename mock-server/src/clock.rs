//! The mock's one clock. Every time the mock uses (created / lastModified / expires fields,
//! credential validity, Hawk timestamp checks) comes from here, so a test can freeze, set and
//! advance time instead of waiting.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::time::Millis;

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Wall clock plus an offset (ms).
    Running { offset: Millis },
    /// Stopped at a fixed time.
    Frozen { at: Millis },
}

/// A cheap-to-clone handle to a controllable clock. Starts as the wall clock.
#[derive(Debug, Clone)]
pub struct Clock {
    mode: Arc<Mutex<Mode>>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

fn wall_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Clock {
        Clock {
            mode: Arc::new(Mutex::new(Mode::Running { offset: 0 })),
        }
    }

    /// A clock frozen at `at` (ms since the epoch).
    pub fn frozen_at(at: Millis) -> Clock {
        Clock {
            mode: Arc::new(Mutex::new(Mode::Frozen { at })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mode> {
        self.mode.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Now, in milliseconds since the epoch.
    pub fn now_ms(&self) -> Millis {
        match *self.lock() {
            Mode::Running { offset } => wall_ms() + offset,
            Mode::Frozen { at } => at,
        }
    }

    /// Whether the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        matches!(*self.lock(), Mode::Frozen { .. })
    }

    /// Stops the clock at its current time.
    pub fn freeze(&self) {
        let now = self.now_ms();
        *self.lock() = Mode::Frozen { at: now };
    }

    /// Lets a frozen clock run again from where it stands.
    pub fn resume(&self) {
        let now = self.now_ms();
        *self.lock() = Mode::Running {
            offset: now - wall_ms(),
        };
    }

    /// Sets the time; a frozen clock stays frozen, a running one keeps running from there.
    pub fn set(&self, at: Millis) {
        let mut mode = self.lock();
        *mode = match *mode {
            Mode::Frozen { .. } => Mode::Frozen { at },
            Mode::Running { .. } => Mode::Running {
                offset: at - wall_ms(),
            },
        };
    }

    /// Moves the time forward (or back, with a negative amount).
    pub fn advance(&self, by: Millis) {
        let mut mode = self.lock();
        *mode = match *mode {
            Mode::Frozen { at } => Mode::Frozen { at: at + by },
            Mode::Running { offset } => Mode::Running {
                offset: offset + by,
            },
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let c = Clock::frozen_at(1_000);
        assert_eq!(c.now_ms(), 1_000);
        c.advance(500);
        assert_eq!(c.now_ms(), 1_500);
        c.set(10);
        assert_eq!(c.now_ms(), 10);
        assert!(c.is_frozen());
    }

    #[test]
    fn running_clock_keeps_its_offset() {
        let c = Clock::system();
        c.advance(3_600_000);
        let ahead = c.now_ms() - wall_ms();
        assert!((3_599_000..=3_601_000).contains(&ahead));
        c.freeze();
        let t = c.now_ms();
        c.resume();
        assert!(c.now_ms() >= t);
    }
}
