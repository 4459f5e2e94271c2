//! The mock's one clock. Every time the mock uses (created / lastModified / expires fields,
//! credential validity, Hawk timestamp checks) comes from here, so a test can freeze, set and
//! advance time instead of waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::time::Millis;

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Wall clock plus an offset (ms).
    Running { offset: Millis },
    /// Stopped at a fixed time.
    Frozen { at: Millis },
}

impl Mode {
    /// The mode in one word, so that readers need no lock: the value shifted left by one, the low
    /// bit set when frozen (values stay far inside ±2^62 ms).
    fn pack(self) -> i64 {
        match self {
            Mode::Running { offset } => offset << 1,
            Mode::Frozen { at } => (at << 1) | 1,
        }
    }

    fn unpack(word: i64) -> Mode {
        let value = word >> 1;
        if word & 1 == 1 {
            Mode::Frozen { at: value }
        } else {
            Mode::Running { offset: value }
        }
    }
}

/// A cheap-to-clone handle to a controllable clock. Starts as the wall clock. Reading it takes
/// no lock (every request reads it several times).
#[derive(Debug, Clone)]
pub struct Clock {
    mode: Arc<AtomicI64>,
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
            mode: Arc::new(AtomicI64::new(Mode::Running { offset: 0 }.pack())),
        }
    }

    /// A clock frozen at `at` (ms since the epoch).
    pub fn frozen_at(at: Millis) -> Clock {
        Clock {
            mode: Arc::new(AtomicI64::new(Mode::Frozen { at }.pack())),
        }
    }

    fn mode(&self) -> Mode {
        Mode::unpack(self.mode.load(Ordering::Acquire))
    }

    /// Changes the mode as `change` says, atomically with respect to other changes.
    fn update(&self, change: impl Fn(Mode) -> Mode) {
        let _ = self
            .mode
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                Some(change(Mode::unpack(word)).pack())
            });
    }

    /// Now, in milliseconds since the epoch.
    pub fn now_ms(&self) -> Millis {
        match self.mode() {
            Mode::Running { offset } => wall_ms() + offset,
            Mode::Frozen { at } => at,
        }
    }

    /// Whether the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        matches!(self.mode(), Mode::Frozen { .. })
    }

    /// Stops the clock at its current time.
    pub fn freeze(&self) {
        self.update(|mode| match mode {
            Mode::Running { offset } => Mode::Frozen {
                at: wall_ms() + offset,
            },
            frozen => frozen,
        });
    }

    /// Lets a frozen clock run again from where it stands.
    pub fn resume(&self) {
        self.update(|mode| match mode {
            Mode::Frozen { at } => Mode::Running {
                offset: at - wall_ms(),
            },
            running => running,
        });
    }

    /// Sets the time; a frozen clock stays frozen, a running one keeps running from there.
    pub fn set(&self, at: Millis) {
        self.update(|mode| match mode {
            Mode::Frozen { .. } => Mode::Frozen { at },
            Mode::Running { .. } => Mode::Running {
                offset: at - wall_ms(),
            },
        });
    }

    /// Moves the time forward (or back, with a negative amount).
    pub fn advance(&self, by: Millis) {
        self.update(|mode| match mode {
            Mode::Frozen { at } => Mode::Frozen { at: at + by },
            Mode::Running { offset } => Mode::Running {
                offset: offset + by,
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn modes_survive_packing(v in -(1i64 << 61)..(1i64 << 61)) {
            for mode in [Mode::Running { offset: v }, Mode::Frozen { at: v }] {
                let back = Mode::unpack(mode.pack());
                proptest::prop_assert_eq!(format!("{back:?}"), format!("{mode:?}"));
            }
        }
    }

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
