//! Exponential backoff with jitter: before retry `n` (1-based) wait
//! `min(max, base × multiplier^(n-1))`, of which a random half is jitter, so
//! that clients that failed together do not retry together.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub multiplier: f64,
    pub max: Duration,
}

impl Backoff {
    pub fn from_config(github: &crate::config::GithubConfig) -> Self {
        Backoff {
            base: github.backoff_base(),
            multiplier: *github.backoff_multiplier.get_ref(),
            max: github.backoff_max(),
        }
    }

    /// The ceiling before retry `retry` (1-based), without jitter.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(64) as i32;
        let secs = self.base.as_secs_f64() * self.multiplier.powi(exponent);
        Duration::from_secs_f64(secs.min(self.max.as_secs_f64()))
    }

    /// The wait before retry `retry`: between half the ceiling and the ceiling.
    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = self.ceiling(retry);
        ceiling.mul_f64(0.5 + 0.5 * unit_random())
    }
}

/// A number in [0, 1) that differs between calls and processes (splitmix64 of
/// the time, the pid and a counter): jitter needs spread, not secrecy.
fn unit_random() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut z = nanos
        ^ (u64::from(std::process::id()) << 32)
        ^ COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_with_jitter() {
        let b = Backoff {
            base: Duration::from_millis(100),
            multiplier: 2.0,
            max: Duration::from_millis(500),
        };
        assert_eq!(b.ceiling(1), Duration::from_millis(100));
        assert_eq!(b.ceiling(2), Duration::from_millis(200));
        assert_eq!(b.ceiling(3), Duration::from_millis(400));
        assert_eq!(b.ceiling(4), Duration::from_millis(500));
        assert_eq!(b.ceiling(60), Duration::from_millis(500));
        let delays: Vec<Duration> = (0..20).map(|_| b.delay(3)).collect();
        assert!(
            delays
                .iter()
                .all(|d| *d >= Duration::from_millis(200) && *d <= Duration::from_millis(400))
        );
        assert!(delays.iter().any(|d| *d != delays[0]), "jitter varies");
    }
}
