//! Generated identifiers and secrets: slugids, 44-character secrets, access tokens, incident ids.
//!
//! One seeded generator per mock, so a given `--seed` replays the same values.

use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

/// A cheap-to-clone handle to the mock's random generator.
#[derive(Debug, Clone)]
pub struct Ids {
    rng: Arc<Mutex<StdRng>>,
}

impl Ids {
    /// A generator seeded with `seed` (same seed, same sequence), or from the OS if `None`.
    pub fn new(seed: Option<u64>) -> Ids {
        let rng = match seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        Ids {
            rng: Arc::new(Mutex::new(rng)),
        }
    }

    fn bytes<const N: usize>(&self) -> [u8; N] {
        let mut b = [0u8; N];
        self.rng
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .fill_bytes(&mut b);
        b
    }

    /// A v4 slugid (22 characters of URL-safe base64 of a random UUID), as Taskcluster makes them.
    pub fn slugid(&self) -> String {
        let mut b = self.bytes::<16>();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        URL_SAFE_NO_PAD.encode(b)
    }

    /// A "nice" slugid: one that does not start with `-`.
    pub fn nice_slugid(&self) -> String {
        let mut b = self.bytes::<16>();
        b[0] &= 0x7f;
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        URL_SAFE_NO_PAD.encode(b)
    }

    /// A 44-character secret (two nice slugids), the form of reregistration and static secrets.
    pub fn secret44(&self) -> String {
        format!("{}{}", self.nice_slugid(), self.nice_slugid())
    }

    /// A 43-character URL-safe access token (32 random bytes).
    pub fn access_token(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.bytes::<32>())
    }

    /// A uniform draw in `[0, 1)` (probabilistic faults).
    pub fn unit(&self) -> f64 {
        let b = self.bytes::<8>();
        (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform draw in `lo..=hi` (random latencies).
    pub fn between(&self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let span = hi - lo + 1;
        lo + u64::from_le_bytes(self.bytes::<8>()) % span
    }

    /// A UUID string (for request ids and incident ids).
    pub fn uuid(&self) -> String {
        let b = self.bytes::<16>();
        uuid::Builder::from_random_bytes(b)
            .into_uuid()
            .hyphenated()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugids_match_the_taskcluster_pattern() {
        let re = is_slugid;
        let ids = Ids::new(Some(7));
        for _ in 0..500 {
            assert!(re(&ids.slugid()));
            let n = ids.nice_slugid();
            assert!(re(&n) && !n.starts_with('-'));
            let s = ids.secret44();
            assert_eq!(s.len(), 44);
            assert_eq!(ids.access_token().len(), 43);
        }
    }

    #[test]
    fn same_seed_same_values() {
        let (a, b) = (Ids::new(Some(42)), Ids::new(Some(42)));
        assert_eq!(a.secret44(), b.secret44());
        assert_eq!(a.uuid(), b.uuid());
    }

    /// The slugid pattern
    /// `^[A-Za-z0-9_-]{8}[Q-T][A-Za-z0-9_-][CGKOSWaeimquy26-][A-Za-z0-9_-]{10}[AQgw]$`, by hand.
    fn is_slugid(s: &str) -> bool {
        let b = s.as_bytes();
        let any = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
        b.len() == 22
            && b.iter().all(|c| any(*c))
            && (b'Q'..=b'T').contains(&b[8])
            && b"CGKOSWaeimquy26-".contains(&b[10])
            && b"AQgw".contains(&b[21])
    }
}
