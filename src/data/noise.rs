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

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};

use super::MnistSplit;

/// The noise levels of 4B and 4C: 0, 0.1, ..., 1.0.
pub const NOISE_LEVELS: [f64; 11] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

/// The level the seed's autoencoder is trained and validated at.
pub const TRAIN_NOISE_LEVEL: f64 = 0.4;

/// Salt-and-pepper noise on `u8` pixels (0..=255 for [0, 1]).
///
/// One uniform 32-bit draw `u` per pixel makes both of the seed's choices: `u` below
/// `(1 - level)·2³²` keeps the pixel (the Bernoulli(1 - level) keep mask: level 0 keeps
/// every pixel, level 1 none); otherwise the upper half of the remaining range makes it white
/// and the lower half black (Bernoulli(½)). The seed draws `b` for every pixel and uses it
/// only where a pixel is replaced; this gives the same distribution with a quarter of the
/// random bits of an `f64` and a `bool` per pixel, which matters for P4's 55 million pixels
/// in the page's worker.
pub fn salt_and_pepper<R: Rng + ?Sized>(pixels: &[u8], level: f64, rng: &mut R) -> Vec<u8> {
    const RANGE: f64 = 4_294_967_296.0; // 2^32
    let keep_below = ((1.0 - level.clamp(0.0, 1.0)) * RANGE) as u64;
    let white_from = keep_below + (RANGE as u64 - keep_below) / 2;
    pixels
        .iter()
        .map(|&p| {
            let u = u64::from(rng.next_u32());
            if u < keep_below {
                p
            } else if u >= white_from {
                u8::MAX
            } else {
                0
            }
        })
        .collect()
}

/// A noised copy of `split` (same labels), reproducible from `seed` on every platform
/// (xoshiro256++: fast, and the same stream natively and in wasm).
pub fn noised_split(split: &MnistSplit, level: f64, seed: u64) -> MnistSplit {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
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
            let out = salt_and_pepper(&input, level, &mut Xoshiro256PlusPlus::seed_from_u64(7));
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
        assert_eq!(salt_and_pepper(&input, 0.0, &mut Xoshiro256PlusPlus::seed_from_u64(1)), input);
    }

    /// At level 1 every pixel is replaced: the output depends on the generator only.
    #[test]
    fn level_one_ignores_the_input() {
        let a = salt_and_pepper(&grey(10_000), 1.0, &mut Xoshiro256PlusPlus::seed_from_u64(3));
        let b = salt_and_pepper(&vec![0u8; 10_000], 1.0, &mut Xoshiro256PlusPlus::seed_from_u64(3));
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
