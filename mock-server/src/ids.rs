//! Generated identifiers and secrets: slugids, 44-character secrets, access tokens, incident ids.
//!
//! One seeded generator per mock, so a given `--seed` replays the same values.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

/// A cheap-to-clone handle to the mock's random generator.
#[derive(Debug, Clone)]
pub struct Ids {
    rng: Arc<Mutex<StdRng>>,
    /// Counter of [`Ids::request_uuid`]: a lock-free stream apart from `rng`, so per-request ids
    /// neither contend on its lock nor shift the seeded sequence of secrets and slugids.
    fast: Arc<AtomicU64>,
}

/// SplitMix64's output function: a bijective mix of a 64-bit counter (Steele, Lea, Flood 2014).
fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The golden-ratio increment of SplitMix64.
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

impl Ids {
    /// A generator seeded with `seed` (same seed, same sequence), or from the OS if `None`.
    pub fn new(seed: Option<u64>) -> Ids {
        let (rng, fast) = match seed {
            Some(s) => (StdRng::seed_from_u64(s), splitmix64(s ^ GOLDEN)),
            None => {
                let mut os = StdRng::from_os_rng();
                let fast = os.next_u64();
                (os, fast)
            }
        };
        Ids {
            rng: Arc::new(Mutex::new(rng)),
            fast: Arc::new(AtomicU64::new(fast)),
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

    /// A random-looking v4 UUID as hyphenated text, for per-request ids (`x-for-request-id`,
    /// `x-for-trace-id`): a SplitMix64 stream from an atomic counter, no lock and no allocation.
    /// Unique within a run (the mix is a bijection of the counter); not for secrets.
    pub fn request_uuid(&self) -> [u8; 36] {
        let n = self.fast.fetch_add(2, Ordering::Relaxed);
        let hi = splitmix64(n.wrapping_mul(GOLDEN));
        let lo = splitmix64(n.wrapping_add(1).wrapping_mul(GOLDEN));
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&hi.to_be_bytes());
        b[8..].copy_from_slice(&lo.to_be_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [b'-'; 36];
        let mut at = 0;
        for (i, byte) in b.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                at += 1;
            }
            out[at] = HEX[usize::from(byte >> 4)];
            out[at + 1] = HEX[usize::from(byte & 0x0f)];
            at += 2;
        }
        out
    }

    /// A UUID string (for incident ids).
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

    #[test]
    fn request_uuids_are_v4_unique_and_seeded() {
        let ids = Ids::new(Some(3));
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let t = String::from_utf8(ids.request_uuid().to_vec()).unwrap();
            let u = uuid::Uuid::parse_str(&t).unwrap();
            assert_eq!(u.get_version_num(), 4, "{t}");
            assert_eq!(u.hyphenated().to_string(), t);
            assert!(seen.insert(t));
        }
        assert_eq!(
            Ids::new(Some(9)).request_uuid(),
            Ids::new(Some(9)).request_uuid()
        );
        assert_ne!(Ids::new(None).request_uuid(), Ids::new(None).request_uuid());
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
