//! Problem 4's salt-and-pepper noise, with the seed's exact semantics:
//!
//! ```python
//! a = np.random.binomial(size=input.shape, n=1, p=(1 - noise_level))  # keep mask
//! b = np.random.binomial(size=input.shape, n=1, p=0.5)                # white or black
//! return input * a + (a == 0) * b
//! ```
//!
//! A `level` fraction of the pixels (in expectation) is replaced, half by white and half by
//! black; the rest keep their value. Noised pixels are 0, 1 or an original value, so a
//! noised split stays in MNIST's `u8` storage (255 is white) without any rounding.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::MnistSplit;

/// The noise levels of 4B and 4C: 0, 0.1, ..., 1.0.
pub const NOISE_LEVELS: [f64; 11] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

/// The level the seed's autoencoder is trained and validated at.
pub const TRAIN_NOISE_LEVEL: f64 = 0.4;

/// Salt-and-pepper noise on `u8` pixels (0..=255 for [0, 1]).
///
/// `a < 1 - level` with `a` uniform in [0, 1) is the seed's Bernoulli(1 - level) keep mask:
/// level 0 keeps every pixel and level 1 none. The seed draws `b` for every pixel and uses it
/// only where a pixel is replaced; drawing it only there gives the same distribution.
pub fn salt_and_pepper(pixels: &[u8], level: f64, rng: &mut StdRng) -> Vec<u8> {
    let keep = 1.0 - level.clamp(0.0, 1.0);
    pixels
        .iter()
        .map(|&p| {
            if rng.random::<f64>() < keep {
                p
            } else if rng.random::<bool>() {
                u8::MAX
            } else {
                0
            }
        })
        .collect()
}

/// A noised copy of `split` (same labels), reproducible from `seed`.
pub fn noised_split(split: &MnistSplit, level: f64, seed: u64) -> MnistSplit {
    let mut rng = StdRng::seed_from_u64(seed);
    MnistSplit { images: salt_and_pepper(&split.images, level, &mut rng), labels: split.labels.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 200 + 20) as u8).collect()
    }

    /// On a million mid-grey pixels, the replaced fraction is the level (± 0.3%), half of the
    /// replaced pixels white; kept pixels are unchanged.
    #[test]
    fn replaced_fraction_is_the_level_half_white() {
        let input = grey(1_000_000);
        for level in [0.1, 0.4, 0.7] {
            let out = salt_and_pepper(&input, level, &mut StdRng::seed_from_u64(7));
            let (mut white, mut black) = (0usize, 0usize);
            for (&o, &i) in out.iter().zip(&input) {
                match o {
                    255 => white += 1,
                    0 => black += 1,
                    _ => assert_eq!(o, i, "a kept pixel changed"),
                }
            }
            let replaced = (white + black) as f64 / input.len() as f64;
            assert!((replaced - level).abs() < 0.003, "level {level}: replaced {replaced}");
            let white_share = white as f64 / (white + black) as f64;
            assert!((white_share - 0.5).abs() < 0.005, "level {level}: white share {white_share}");
        }
    }

    #[test]
    fn level_zero_is_the_identity() {
        let input = grey(50_000);
        assert_eq!(salt_and_pepper(&input, 0.0, &mut StdRng::seed_from_u64(1)), input);
    }

    /// At level 1 every pixel is replaced: the output depends on the generator only.
    #[test]
    fn level_one_ignores_the_input() {
        let a = salt_and_pepper(&grey(10_000), 1.0, &mut StdRng::seed_from_u64(3));
        let b = salt_and_pepper(&vec![0u8; 10_000], 1.0, &mut StdRng::seed_from_u64(3));
        assert_eq!(a, b);
        assert!(a.iter().all(|&p| p == 0 || p == 255));
    }

    #[test]
    fn seeded_noise_repeats() {
        let split = MnistSplit { images: grey(784 * 3), labels: vec![1, 2, 3] };
        assert_eq!(noised_split(&split, 0.4, 9), noised_split(&split, 0.4, 9));
        assert_ne!(noised_split(&split, 0.4, 9), noised_split(&split, 0.4, 10));
        assert_eq!(noised_split(&split, 0.4, 9).labels, split.labels);
    }
}
