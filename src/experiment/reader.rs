//! The playground's readers: trained classifiers loaded from their weights files (P2's MLP,
//! a P2D network, P3's CNN), each reading one digit at a time as ten class probabilities.
//! The file's header says which model it holds ([`weights_model`]); its tensors must fit
//! that model exactly ([`weights::import`]).

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::ExperimentId;
use super::run::weights_model;
use super::result::Insight;
use crate::data::noise::salt_and_pepper;
use crate::model::autoencoder::Autoencoder;
use rand::rngs::Xoshiro256PlusPlus;
use crate::data::mnist::{COLS, scale_to_unit};
use crate::data::{CLASSES, PIXELS};
use crate::model::cnn::Cnn;
use crate::model::mlp::{Mlp, P2_HIDDEN, P2D_HIDDEN};
use crate::model::weights::{self, WeightsError, WeightsInfo};
use crate::train::{Classifier, TrainError};

enum Model {
    Mlp(Mlp),
    Cnn(Cnn),
}

/// A trained classifier, ready to read digits on its device.
pub struct DigitReader {
    pub experiment: ExperimentId,
    /// What the file says about its training.
    pub info: WeightsInfo,
    model: Model,
    device: Device,
}

impl DigitReader {
    /// Loads a weights file of P2's MLP, a P2D network or P3's CNN onto `device`.
    pub fn load(bytes: &[u8], device: &Device) -> Result<Self, WeightsError> {
        let info = weights::read_info(bytes)?;
        let experiment = [ExperimentId::P2, ExperimentId::P2d, ExperimentId::P3]
            .into_iter()
            .find(|&id| weights_model(id) == info.model)
            .ok_or_else(|| WeightsError::WrongModel { expected: "a classifier (P2, P2D or P3)".into(), found: info.model.clone() })?;
        let fresh = &mut StdRng::seed_from_u64(0);
        let model = match experiment {
            ExperimentId::P2 => Model::Mlp(weights::import(Mlp::new(&P2_HIDDEN, fresh, device), bytes, &info.model)?),
            ExperimentId::P2d => Model::Mlp(weights::import(Mlp::new(&P2D_HIDDEN, fresh, device), bytes, &info.model)?),
            _ => Model::Cnn(weights::import(Cnn::new(fresh, device), bytes, &info.model)?),
        };
        Ok(Self { experiment, info, model, device: device.clone() })
    }

    /// The ten class probabilities (softmax, summing to 1) for one 28×28 digit (0..=255).
    ///
    /// # Shapes
    /// pixels `[784]` → input `[1, 784]` → logits `[1, 10]` → probabilities `[10]`
    pub async fn probabilities(&self, pixels: &[u8]) -> Result<Vec<f32>, TrainError> {
        if pixels.len() != PIXELS {
            return Err(TrainError::Config(format!("a digit has {PIXELS} pixels, not {}", pixels.len())));
        }
        let input = Tensor::<2>::from_data(TensorData::new(scale_to_unit(pixels), [1, PIXELS]), &self.device);
        let logits = match &self.model {
            Model::Mlp(m) => m.logits(input),
            Model::Cnn(m) => m.logits(input),
        };
        let data = softmax(logits, 1).into_data_async().await.map_err(|e| TrainError::Backend(e.to_string()))?;
        let probabilities = data.try_into_vec::<f32>().map_err(|e| TrainError::Backend(format!("{e:?}")))?;
        if probabilities.len() != CLASSES || probabilities.iter().any(|p| !p.is_finite()) {
            return Err(TrainError::Backend("the model's output is not ten finite probabilities (are its weights finite?)".into()));
        }
        Ok(probabilities)
    }

    /// For a CNN: which parts of the digit its reading rests on (occlusion: each 4×4 block
    /// hidden in turn, in one batch of 49) and what its first layer's filters respond to.
    /// `None` for an MLP (no feature maps; its saliency would need the same 49 passes but
    /// says less). Gradient × input would need an autodiff device and a backward pass per
    /// digit; occlusion needs only forward passes and reads the same for any model.
    ///
    /// # Shapes
    /// pixels `[784]` → occluded `[49, 784]` → probabilities `[49, 10]`;
    /// maps `[1, 32, 26, 26]`
    pub async fn look_inside(&self, pixels: &[u8]) -> Result<Option<Insight>, TrainError> {
        let Model::Cnn(cnn) = &self.model else { return Ok(None) };
        let base = self.probabilities(pixels).await?;
        let class = base.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(c, _)| c);
        let (block, per_side) = (Insight::BLOCK, COLS / Insight::BLOCK);
        let unit = scale_to_unit(pixels);
        let mut occluded = Vec::with_capacity(per_side * per_side * PIXELS);
        for by in 0..per_side {
            for bx in 0..per_side {
                let mut image = unit.clone();
                for y in by * block..(by + 1) * block {
                    image[y * COLS + bx * block..y * COLS + (bx + 1) * block].fill(0.0);
                }
                occluded.extend(image);
            }
        }
        let n = per_side * per_side;
        let input = Tensor::<2>::from_data(TensorData::new(occluded, [n, PIXELS]), &self.device);
        let read = |t: Tensor<2>| async move { t.into_data_async().await.map_err(|e| TrainError::Backend(e.to_string()))?.try_into_vec::<f32>().map_err(|e| TrainError::Backend(format!("{e:?}"))) };
        let probabilities = read(softmax(cnn.logits(input), 1)).await?;
        let drops: Vec<f32> = (0..n).map(|i| (base[class] - probabilities[i * CLASSES + class]).max(0.0)).collect();
        let top = drops.iter().copied().fold(0.0f32, f32::max);
        let mut saliency = vec![0u8; PIXELS];
        for (i, value) in saliency.iter_mut().enumerate() {
            let (x, y) = (i % COLS, i / COLS);
            let drop = drops[(y / block) * per_side + x / block];
            *value = if top > 1e-6 { (drop / top * 255.0).round() as u8 } else { 0 };
        }
        let input = Tensor::<2>::from_data(TensorData::new(unit, [1, PIXELS]), &self.device);
        let maps = cnn.first_layer_maps(input).into_data_async().await.map_err(|e| TrainError::Backend(e.to_string()))?;
        let maps = maps.try_into_vec::<f32>().map_err(|e| TrainError::Backend(format!("{e:?}")))?;
        let brightest = maps.iter().copied().fold(0.0f32, f32::max).max(1e-6);
        let maps = maps.iter().map(|v| (v / brightest * 255.0).round().clamp(0.0, 255.0) as u8).collect();
        Ok(Some(Insight { class: class as u8, saliency, maps }))
    }
}

/// P4's denoising autoencoder, loaded from its weights file, for the playground: a drawing
/// noised as the seed noises digits (salt and pepper at a level), and the autoencoder's
/// reconstruction of it.
pub struct DrawingDenoiser {
    pub info: WeightsInfo,
    model: Autoencoder,
    device: Device,
}

impl DrawingDenoiser {
    pub fn load(bytes: &[u8], device: &Device) -> Result<Self, WeightsError> {
        let info = weights::read_info(bytes)?;
        let expected = weights_model(ExperimentId::P4);
        if info.model != expected {
            return Err(WeightsError::WrongModel { expected: expected.into(), found: info.model });
        }
        let model = weights::import(Autoencoder::new(&mut StdRng::seed_from_u64(0), device), bytes, expected)?;
        Ok(Self { info, model, device: device.clone() })
    }

    /// `(noised, denoised)` 784 pixels each (0..=255): `pixels` with salt-and-pepper noise
    /// at `level` (the same draw for the same `seed`), and the autoencoder's output for it.
    ///
    /// # Shapes
    /// noised `[1, 784]` → denoised `[1, 784]`
    pub async fn noise_and_denoise(&self, pixels: &[u8], level: f64, seed: u64) -> Result<(Vec<u8>, Vec<u8>), TrainError> {
        if pixels.len() != PIXELS {
            return Err(TrainError::Config(format!("a digit has {PIXELS} pixels, not {}", pixels.len())));
        }
        let noised = salt_and_pepper(pixels, level, &mut Xoshiro256PlusPlus::seed_from_u64(seed));
        let input = Tensor::<2>::from_data(TensorData::new(scale_to_unit(&noised), [1, PIXELS]), &self.device);
        let out = self.model.denoise(input).into_data_async().await.map_err(|e| TrainError::Backend(e.to_string()))?;
        let out = out.try_into_vec::<f32>().map_err(|e| TrainError::Backend(format!("{e:?}")))?;
        Ok((noised, out.iter().map(|&p| (p * 255.0).round().clamp(0.0, 255.0) as u8).collect()))
    }
}

/// The most two devices' probabilities may differ, on any class of the probe digits, for a
/// reader on one device to stand in for the same reader on the other (float summation order
/// differs between the GPU's and the CPU's kernels; a broken kernel is off by far more).
pub const DEVICE_TOLERANCE: f32 = 1e-3;

/// Three fixed 28×28 digits that light up every part of a model's input: a bar (a "1"), a
/// ring (a "0") and a diagonal stroke. No dataset needed, so a playground without one can
/// check a device.
pub fn probe_digits() -> Vec<Vec<u8>> {
    let draw = |ink: &dyn Fn(f64, f64) -> bool| -> Vec<u8> {
        (0..PIXELS).map(|i| if ink((i % COLS) as f64, (i / COLS) as f64) { 255 } else { 0 }).collect()
    };
    vec![
        draw(&|x, y| (12.0..=15.0).contains(&x) && (4.0..=23.0).contains(&y)),
        draw(&|x, y| ((x - 13.5).hypot(y - 13.5) - 8.0).abs() < 2.0),
        draw(&|x, y| (x - y).abs() < 2.0 && (4.0..=23.0).contains(&x)),
    ]
}

/// The largest difference between `a`'s and `b`'s probabilities over the probe digits:
/// the same weights on two devices should agree within [`DEVICE_TOLERANCE`].
pub async fn max_difference(a: &DigitReader, b: &DigitReader) -> Result<f32, TrainError> {
    let mut worst = 0.0f32;
    for digit in probe_digits() {
        let (pa, pb) = (a.probabilities(&digit).await?, b.probabilities(&digit).await?);
        worst = pa.iter().zip(&pb).map(|(x, y)| (x - y).abs()).fold(worst, f32::max);
    }
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::RunConfig;
    use crate::experiment::run::{export_trained, run_mlp_from};
    use crate::train::Silent;


    /// A P2 run's weights file, loaded as a reader, reads test digits as the run did: its
    /// top class is right about as often as the run's test accuracy, and every answer is
    /// ten probabilities summing to 1.
    #[test]
    fn a_trained_mlp_reads_test_digits() {
        let data = crate::data::Mnist::committed();
        let config = RunConfig::p2().with_epochs(2).with_train_size(6000).with_test_size(200);
        let (result, bytes) = pollster::block_on(run_mlp_from(&config, &data, &Device::flex(), "cpu", &mut Silent, None)).expect("trains");
        let reader = DigitReader::load(&bytes, &Device::flex()).expect("loads");
        assert_eq!(reader.experiment, ExperimentId::P2);
        assert_eq!(reader.info.metadata.get("config.epochs").map(String::as_str), Some("2"));
        assert_eq!(pollster::block_on(reader.look_inside(data.test.image(0))).expect("reads"), None, "an MLP has no feature maps");
        let mut right = 0;
        for i in 0..200 {
            let p = pollster::block_on(reader.probabilities(data.test.image(i))).expect("reads");
            assert_eq!(p.len(), 10);
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
            let top = p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(c, _)| c).unwrap_or(99);
            right += usize::from(top == usize::from(data.test.labels[i]));
        }
        assert!((right as f64 / 200.0 - result.test_accuracy).abs() < 1e-9, "{right} of 200 against {}", result.test_accuracy);
    }

    /// The weights file of an untrained CNN drawn from `seed`, as P3 exports it.
    fn cnn_file(seed: u64) -> Vec<u8> {
        let result = crate::experiment::RunResult {
            config: RunConfig::p3(),
            backend: "cpu".into(),
            model: crate::model::summary::cnn_summary(),
            history: Vec::new(),
            test_loss: 0.1,
            test_accuracy: 0.9,
            seconds: 1.0,
            analysis: None,
        };
        pollster::block_on(export_trained(&Cnn::new(&mut StdRng::seed_from_u64(seed), &Device::flex()), &result)).expect("exports")
    }

    /// The device check: the same file twice agrees exactly; another network does not.
    #[test]
    fn the_probe_digits_tell_one_network_from_another() {
        let device = Device::flex();
        let probes = probe_digits();
        assert_eq!(probes.len(), 3);
        assert!(probes.iter().all(|d| d.len() == PIXELS && d.iter().filter(|&&p| p == 255).count() > 40));
        let (a, b) = (cnn_file(1), cnn_file(2));
        let (first, again, other) = (DigitReader::load(&a, &device).unwrap(), DigitReader::load(&a, &device).unwrap(), DigitReader::load(&b, &device).unwrap());
        assert_eq!(pollster::block_on(max_difference(&first, &again)).unwrap(), 0.0);
        let apart = pollster::block_on(max_difference(&first, &other)).unwrap();
        assert!(apart > DEVICE_TOLERANCE, "two differently seeded CNNs differ by only {apart}");
    }

    /// A CNN file loads as a CNN reader; an autoencoder's or a damaged file is refused.
    #[test]
    fn readers_are_classifiers_only() {
        let device = Device::flex();
        let bytes = cnn_file(3);
        let reader = DigitReader::load(&bytes, &device).expect("loads");
        assert_eq!(reader.experiment, ExperimentId::P3);
        let p = pollster::block_on(reader.probabilities(&[0; PIXELS])).expect("reads");
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        assert!(pollster::block_on(reader.probabilities(&[0; 10])).is_err());
        // Looking inside: one saliency value per pixel, constant over each 4×4 block, the
        // most telling block at 255; 32 maps of 26×26.
        let mut digit = vec![0u8; PIXELS];
        for y in 6..22 {
            digit[y * 28 + 13..y * 28 + 16].fill(255);
        }
        let insight = pollster::block_on(reader.look_inside(&digit)).expect("reads").expect("a CNN looks inside");
        let p = pollster::block_on(reader.probabilities(&digit)).expect("reads");
        assert_eq!(usize::from(insight.class), p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(c, _)| c).unwrap_or(99));
        assert_eq!(insight.saliency.len(), PIXELS);
        assert_eq!(insight.saliency[0], insight.saliency[3 * 28 + 3], "one value per block");
        assert_eq!(insight.maps.len(), Insight::MAPS * Insight::MAP_SIDE * Insight::MAP_SIDE);
        assert!(DigitReader::load(&bytes[..bytes.len() - 4], &device).is_err());
        let ae = crate::model::autoencoder::Autoencoder::new(&mut StdRng::seed_from_u64(1), &device);
        let ae_bytes = pollster::block_on(weights::export(&ae, weights_model(ExperimentId::P4), Default::default())).expect("exports");
        assert!(matches!(DigitReader::load(&ae_bytes, &device), Err(WeightsError::WrongModel { .. })));

        // The autoencoder's file loads as the playground's denoiser, and nothing else does.
        let denoiser = DrawingDenoiser::load(&ae_bytes, &device).expect("loads");
        assert!(matches!(DrawingDenoiser::load(&bytes, &device), Err(WeightsError::WrongModel { .. })));
        let (noised, denoised) = pollster::block_on(denoiser.noise_and_denoise(&digit, 0.4, 7)).expect("denoises");
        assert_eq!((noised.len(), denoised.len()), (PIXELS, PIXELS));
        let changed = noised.iter().zip(&digit).filter(|(a, b)| a != b).count();
        assert!((100..250).contains(&changed), "about 40% replaced, half of them to their own value: {changed}");
        assert_eq!(pollster::block_on(denoiser.noise_and_denoise(&digit, 0.4, 7)).expect("denoises").0, noised, "the same draw for the same seed");
        assert_eq!(pollster::block_on(denoiser.noise_and_denoise(&digit, 0.0, 7)).expect("denoises").0, digit);
    }
}
