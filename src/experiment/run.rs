//! Running one classifier of an experiment: P2's MLP 784-64-64-10, one network of P2D's
//! sweep (MLP 784-500-300-10 with Keras' `l2(f)` on the hidden kernels), or P3's CNN; SGD,
//! validated on the test set every epoch, as in the seed notebook. (P4 is [`super::p4`].)

use std::collections::BTreeMap;

use burn::module::Module;
use burn::tensor::Device;
use rand::SeedableRng;
use rand::rngs::StdRng;
use web_time::Instant;

use super::result::{Analysis, Checkpoint};
use super::{ExperimentId, OptimizerConfig, RunConfig, RunResult};
use super::config::SgdConfig;
use crate::data::Mnist;
use crate::model::cnn::Cnn;
use crate::model::mlp::{Mlp, P2_HIDDEN, P2D_HIDDEN};
use crate::model::summary::{ModelSummary, cnn_summary};
use crate::model::weights::{self, WeightsError};
use crate::train::{self, Classifier, TrainError, TrainObserver, TrainOptions};

/// Salt mixed into the run seed for the shuffling stream, so that initial weights and batch
/// order are independent draws.
const SHUFFLE_SALT: u64 = 0x5348_5546_464c_45;

/// How often a run reports its progress: the page's bars move at least four times a second.
pub const REPORT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// The loop's options for `config`, stepping with `lr`: the learning rate of the optimizer
/// the caller matched in the config ([`sgd_of`], P4's Adam), never another's.
pub fn train_options(config: &RunConfig, lr: f64) -> TrainOptions {
    TrainOptions {
        epochs: config.schedule.epochs,
        batch_size: config.schedule.batch_size,
        lr,
        shuffle_seed: config.schedule.seed ^ SHUFFLE_SALT,
        report_every: REPORT_EVERY,
        // Small enough that the CNN's validation reports (and lets a cancel in) several
        // times a second on the CPU backend; the sums stay on the device.
        eval_batch_size: 250,
        l2: config.model.l2(),
        noise_seed: config.schedule.seed,
        threads: train::parallel::available_threads(),
        weights_model: weights_model(config.experiment),
    }
}

/// The SGD setup of a classifier's run (P2, P2D, P3); a config with another optimizer is
/// refused, not trained with its learning rate.
pub fn sgd_of(config: &RunConfig) -> Result<SgdConfig, TrainError> {
    match config.optimizer {
        OptimizerConfig::Sgd(sgd) => Ok(sgd),
        OptimizerConfig::Adam(_) => Err(TrainError::Config(format!("experiment {} trains with SGD, not Adam", config.experiment.as_str()))),
    }
}

/// The name a weights file of `experiment`'s model carries (checkpoints, the kept CNN).
pub fn weights_model(experiment: ExperimentId) -> &'static str {
    weights::model_name(experiment)
}

/// The model of a checkpoint, or the fresh one when there is none; `Err` if the checkpoint
/// is not one of `config`'s run or its weights do not load.
pub(crate) fn resumed<M: Module>(model: M, config: &RunConfig, resume: Option<&Checkpoint>) -> Result<(M, Vec<crate::experiment::EpochMetrics>), TrainError> {
    let Some(checkpoint) = resume else { return Ok((model, Vec::new())) };
    if !checkpoint.resumes(config) {
        return Err(TrainError::Config("the checkpoint is not one of this run's (another setup, or finished)".into()));
    }
    let model = weights::import(model, &checkpoint.weights, weights_model(config.experiment)).map_err(|e| TrainError::Config(format!("the checkpoint's weights do not load: {e}")))?;
    Ok((model, checkpoint.history.clone()))
}

/// Trains the network `config` describes on `device` (a plain device; autodiff is added
/// here). `backend` names it in the result.
pub async fn run<O: TrainObserver>(
    config: &RunConfig,
    data: &Mnist,
    device: &Device,
    backend: &str,
    observer: &mut O,
) -> Result<RunResult, TrainError> {
    run_from(config, data, device, backend, observer, None).await
}

/// [`run`], going on from `resume` (the end of an earlier epoch of the same run) if given.
pub async fn run_from<O: TrainObserver>(
    config: &RunConfig,
    data: &Mnist,
    device: &Device,
    backend: &str,
    observer: &mut O,
    resume: Option<&Checkpoint>,
) -> Result<RunResult, TrainError> {
    match config.experiment {
        ExperimentId::P3 => run_p3_from(config, data, device, backend, observer, resume).await.map(|(result, _)| result),
        _ => train_mlp(config, data, device, backend, observer, resume).await.map(|(result, _)| result),
    }
}

/// P2 or one P2D network, returned with the trained MLP's weights file (see
/// [`export_trained`]) to be kept beside its result.
pub async fn run_mlp_from<O: TrainObserver>(
    config: &RunConfig,
    data: &Mnist,
    device: &Device,
    backend: &str,
    observer: &mut O,
    resume: Option<&Checkpoint>,
) -> Result<(RunResult, Vec<u8>), TrainError> {
    let (result, model) = train_mlp(config, data, device, backend, observer, resume).await?;
    let weights = export_trained(&model, &result).await.map_err(|e| TrainError::Backend(format!("cannot read the trained weights: {e}")))?;
    Ok((result, weights))
}

async fn train_mlp<O: TrainObserver>(
    config: &RunConfig,
    data: &Mnist,
    device: &Device,
    backend: &str,
    observer: &mut O,
    resume: Option<&Checkpoint>,
) -> Result<(RunResult, Mlp), TrainError> {
    if !matches!(config.experiment, ExperimentId::P2 | ExperimentId::P2d) {
        return Err(TrainError::Config(format!("{} is not an MLP run (P3: run_p3, P4: experiment::p4)", config.experiment.as_str())));
    }
    config.validate().map_err(|e| TrainError::from_params(&e))?;
    let train_device = device.clone().autodiff();
    // Dropout draws from the device's generator: seed it too, so runs repeat.
    train_device.seed(config.schedule.seed);
    let mut rng = StdRng::seed_from_u64(config.schedule.seed);
    let hidden = if config.experiment == ExperimentId::P2 { &P2_HIDDEN } else { &P2D_HIDDEN };
    let model = Mlp::new(hidden, &mut rng, &train_device);
    let summary = model.summary();
    let (model, done) = resumed(model, config, resume)?;
    let (result, model) = train_and_report(model, summary, config, data, &train_device, backend, observer, &done).await?;
    Ok((result, model.valid()))
}

/// P3: trains the CNN and returns it with the result, to be kept (see [`export_cnn`]).
pub async fn run_p3<O: TrainObserver>(
    config: &RunConfig,
    data: &Mnist,
    device: &Device,
    backend: &str,
    observer: &mut O,
) -> Result<(RunResult, Cnn), TrainError> {
    run_p3_from(config, data, device, backend, observer, None).await
}

/// [`run_p3`], going on from `resume` if given.
pub async fn run_p3_from<O: TrainObserver>(
    config: &RunConfig,
    data: &Mnist,
    device: &Device,
    backend: &str,
    observer: &mut O,
    resume: Option<&Checkpoint>,
) -> Result<(RunResult, Cnn), TrainError> {
    if config.experiment != ExperimentId::P3 {
        return Err(TrainError::Config("run_p3 runs experiment p3 only".into()));
    }
    config.validate().map_err(|e| TrainError::from_params(&e))?;
    let train_device = device.clone().autodiff();
    train_device.seed(config.schedule.seed);
    let model = Cnn::new(&mut StdRng::seed_from_u64(config.schedule.seed), &train_device);
    let (model, done) = resumed(model, config, resume)?;
    let (result, model) = train_and_report(model, cnn_summary(), config, data, &train_device, backend, observer, &done).await?;
    Ok((result, model.valid()))
}

/// A trained classifier as a weights file (named by [`weights_model`]), its training
/// figures and its whole setup (the config codec's pairs, `config.*`) in the header, so an
/// uploaded file says what it is.
pub async fn export_trained<M: Module>(model: &M, result: &RunResult) -> Result<Vec<u8>, WeightsError> {
    let mut metadata = BTreeMap::from([
        ("test_accuracy".to_string(), format!("{:.4}", result.test_accuracy)),
        ("test_loss".to_string(), format!("{:.4}", result.test_loss)),
        ("epochs".to_string(), result.history.len().to_string()),
        ("train_size".to_string(), result.config.data.train_size.to_string()),
        ("seed".to_string(), result.config.schedule.seed.to_string()),
        ("backend".to_string(), result.backend.clone()),
    ]);
    metadata.extend(result.config.to_pairs().into_iter().map(|(k, v)| (format!("config.{k}"), v)));
    weights::export(model, weights_model(result.config.experiment), metadata).await
}

/// The trained CNN as a weights file (see [`export_trained`]).
pub async fn export_cnn(cnn: &Cnn, result: &RunResult) -> Result<Vec<u8>, WeightsError> {
    export_trained(cnn, result).await
}

/// A CNN from a weights file made by [`export_cnn`], on `device`, with a sentence saying
/// how it was trained.
pub fn import_cnn(bytes: &[u8], device: &Device) -> Result<(Cnn, String), WeightsError> {
    let info = weights::inspect(bytes, weights::CNN_MODEL, &weights::cnn_tensor_shapes())?;
    let cnn = weights::import(Cnn::new(&mut StdRng::seed_from_u64(0), device), bytes, weights::CNN_MODEL)?;
    Ok((cnn, info.describe()))
}

#[allow(clippy::too_many_arguments)]
async fn train_and_report<M: Classifier, O: TrainObserver>(
    model: M,
    summary: ModelSummary,
    config: &RunConfig,
    data: &Mnist,
    train_device: &Device,
    backend: &str,
    observer: &mut O,
    done: &[crate::experiment::EpochMetrics],
) -> Result<(RunResult, M), TrainError> {
    let started = Instant::now();
    let sgd = sgd_of(config)?;
    // Keras' SGD: no momentum, no weight decay (L2 is the model's, in the loss).
    let mut optimizer = burn::optim::SgdConfig::new().init();
    let train_split = data.train.take(config.data.train_size);
    let test_split = data.test.take(config.data.test_size);
    let (model, history) = train::fit(model, &mut optimizer, &train_split, &test_split, &train_options(config, sgd.lr), train_device, observer, done).await?;
    // `model.evaluate(x_test, y_test)` after `fit` is the last epoch's validation: the
    // validation set is the test set and evaluation is deterministic, so it is not run twice.
    let last = history.last().ok_or_else(|| TrainError::Config("zero epochs".into()))?;
    let (test_loss, test_accuracy) = (last.val_loss, last.val_accuracy);
    // P2D's sweep only tabulates accuracies: its 15 networks skip the analysis pass.
    let analysis = if config.experiment == ExperimentId::P2d {
        None
    } else {
        observer.phase("reading the test set with the trained network (confusion matrix, mistakes, filters)");
        observer.pause().await;
        let plain = train_device.clone().inner();
        let trained = model.valid();
        let predictions = train::predict(&trained, &test_split, 1000, &plain).await?;
        Some(Analysis::from_predictions(&predictions, &test_split, trained.first_layer_filters().await?))
    };
    let result = RunResult {
        config: config.clone(),
        backend: backend.to_string(),
        model: summary,
        test_loss,
        test_accuracy,
        history,
        seconds: started.elapsed().as_secs_f64(),
        analysis,
    };
    Ok((result, model))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::MnistSplit;
    use crate::train::Silent;


    /// Training really learns: 5 epochs on 6,000 images reach > 88% on the 10,000 test
    /// images (seed 1 measured 89.5%), and the loss falls every epoch.
    #[test]
    fn p2_converges_on_a_subset() {
        let data = crate::data::Mnist::committed();
        let config = RunConfig::p2().with_epochs(5).with_train_size(6000);
        let result = pollster::block_on(run(&config, &data, &Device::flex(), "cpu", &mut Silent)).expect("runs");
        assert_eq!(result.history.len(), 5);
        for pair in result.history.windows(2) {
            assert!(pair[1].loss < pair[0].loss, "{:?} -> {:?}", pair[0], pair[1]);
        }
        assert!(result.test_accuracy > 0.88, "test accuracy {}", result.test_accuracy);
        assert!(result.test_loss < 0.4, "test loss {}", result.test_loss);
        assert_eq!(result.model.total_params(), 55_050);
        // The analysis agrees with the reported accuracy.
        let analysis = result.analysis.expect("analysis");
        let correct: u32 = (0..10).map(|i| analysis.confusion[i][i]).sum();
        assert!((f64::from(correct) / 10_000.0 - result.test_accuracy).abs() < 1e-9);
        assert_eq!(analysis.mistakes.len(), 36);
        assert!(analysis.filters.is_empty());
    }

    /// The CNN learns on a subset: 2 epochs on 6,000 digits, > 80% on the test set
    /// (seed 1 measured 89.0%).
    #[test]
    fn p3_converges_on_a_subset() {
        let data = crate::data::Mnist::committed();
        let config = RunConfig::p3().with_epochs(2).with_train_size(6000);
        let result = pollster::block_on(run(&config, &data, &Device::flex(), "cpu", &mut Silent)).expect("runs");
        assert_eq!(result.model.total_params(), 366_034);
        assert!(result.test_accuracy > 0.8, "test accuracy {}", result.test_accuracy);
        let analysis = result.analysis.expect("analysis");
        assert_eq!(analysis.filters.len(), 32);
        assert!(analysis.filters.iter().all(|f| f.len() == 9));
    }

    /// An observer that holds the run at every step boundary (the worker's pause is such a
    /// pending future, resolved by `Resume`): the run ends exactly as an uninterrupted one.
    struct Pausing {
        pauses: usize,
    }

    impl TrainObserver for Pausing {
        fn progress(&mut self, _: &crate::train::StepProgress) {}
        fn epoch_end(&mut self, _: &crate::experiment::EpochMetrics) {}
        fn pause(&mut self) -> impl std::future::Future<Output = ()> {
            self.pauses += 1;
            let mut held = true;
            std::future::poll_fn(move |cx| {
                if std::mem::replace(&mut held, false) {
                    cx.waker().wake_by_ref();
                    std::task::Poll::Pending
                } else {
                    std::task::Poll::Ready(())
                }
            })
        }
    }

    #[test]
    fn paused_and_resumed_runs_end_as_uninterrupted_ones() {
        let data = Mnist { train: crate::data::Mnist::committed().train.take(1000), test: MnistSplit { images: vec![], labels: vec![] } };
        let data = Mnist { test: data.train.take(300), ..data };
        let config = RunConfig::p2().with_epochs(2).with_train_size(1000);
        let plain = pollster::block_on(run(&config, &data, &Device::flex(), "cpu", &mut Silent)).expect("runs");
        let mut pausing = Pausing { pauses: 0 };
        let held = pollster::block_on(run(&config, &data, &Device::flex(), "cpu", &mut pausing)).expect("runs");
        assert!(pausing.pauses >= 2 * config.steps_per_epoch(), "held at every step: {}", pausing.pauses);
        let figures = |r: &RunResult| (r.history.iter().map(|m| (m.loss, m.accuracy, m.val_loss, m.val_accuracy)).collect::<Vec<_>>(), r.test_loss, r.test_accuracy);
        assert_eq!(figures(&plain), figures(&held));
    }

    /// A divergent learning rate stops the run with where and what, and nothing is kept.
    #[test]
    fn divergence_is_named() {
        let data = Mnist { train: crate::data::Mnist::committed().train.take(2000), test: MnistSplit { images: vec![], labels: vec![] } };
        let data = Mnist { test: data.train.take(200), ..data };
        let config = RunConfig::p2d().with_epochs(3).with_train_size(2000).with_lr(10.0);
        let config = config.with_l2(1.0);
        match pollster::block_on(run(&config, &data, &Device::flex(), "cpu", &mut Silent)) {
            Err(e @ crate::train::TrainError::Diverged { .. }) => {
                let message = e.to_string();
                assert!(message.starts_with("diverged in epoch "), "{message}");
                assert!(message.ends_with("try a smaller learning rate"), "{message}");
            }
            other => panic!("expected divergence, got {:?}", other.map(|r| r.history)),
        }
    }

    /// Same seed, same numbers; another seed, other numbers.
    #[test]
    fn seeded_runs_repeat_exactly() {
        let data = Mnist { train: crate::data::Mnist::committed().train.take(1000), test: MnistSplit { images: vec![], labels: vec![] } };
        let data = Mnist { test: data.train.take(500), ..data };
        let config = RunConfig::p2().with_epochs(1).with_train_size(1000);
        let run_once = |seed| {
            let config = config.clone().with_seed(seed);
            pollster::block_on(run(&config, &data, &Device::flex(), "cpu", &mut Silent)).expect("runs").history[0].clone()
        };
        let a = run_once(1);
        assert_eq!((a.loss, a.val_accuracy), { let b = run_once(1); (b.loss, b.val_accuracy) });
        assert_ne!(a.loss, run_once(2).loss);
    }

    /// One P2D network: the 500-300 model with L2 reports the penalty inside its losses,
    /// so a large factor shows in the loss while accuracy still rises above chance.
    #[test]
    fn p2d_network_reports_loss_with_penalty() {
        let data = crate::data::Mnist::committed();
        let base = RunConfig::p2d().with_epochs(1).with_train_size(2000);
        let plain = pollster::block_on(run(&base, &data, &Device::flex(), "cpu", &mut Silent)).expect("runs");
        let heavy = base.with_l2(1e-2);
        let regularized = pollster::block_on(run(&heavy, &data, &Device::flex(), "cpu", &mut Silent)).expect("runs");
        assert_eq!(plain.model.total_params(), 784 * 500 + 500 + 500 * 300 + 300 + 3010);
        // Glorot init gives E[Σw²] = 392,000·2/1284 + 150,000·2/800 ≈ 985 over the hidden
        // kernels, so f = 1e-2 adds several units of loss even after an epoch of decay.
        assert!(regularized.test_loss > plain.test_loss + 1.0, "{} vs {}", regularized.test_loss, plain.test_loss);
        assert!(plain.test_accuracy > 0.6, "{}", plain.test_accuracy);
        assert!(plain.analysis.is_none());
    }

    #[test]
    fn cancellation_stops_before_the_next_step() {
        struct StopAtOnce;
        impl TrainObserver for StopAtOnce {
            fn progress(&mut self, _: &train::StepProgress) {}
            fn epoch_end(&mut self, _: &crate::experiment::EpochMetrics) {}
            fn should_stop(&self) -> bool {
                true
            }
        }
        let data = crate::data::Mnist::committed();
        let config = RunConfig::p2().with_epochs(1).with_train_size(256);
        let err = pollster::block_on(run(&config, &data, &Device::flex(), "cpu", &mut StopAtOnce)).unwrap_err();
        assert!(matches!(err, TrainError::Cancelled { completed: 0 }), "{err}");
    }

    /// Keeps the first checkpoint it is given (the end of epoch 1).
    #[derive(Default)]
    struct FirstCheckpoint(Option<Checkpoint>, Option<RunConfig>);
    impl TrainObserver for FirstCheckpoint {
        fn progress(&mut self, _: &crate::experiment::result::StepProgress) {}
        fn epoch_end(&mut self, _: &crate::experiment::EpochMetrics) {}
        fn wants_checkpoints(&self) -> bool {
            true
        }
        fn checkpoint(&mut self, history: &[crate::experiment::EpochMetrics], weights: Vec<u8>, optimizer: Option<Vec<u8>>) {
            if self.0.is_none() {
                let config = self.1.clone().expect("config");
                self.0 = Some(Checkpoint { config, history: history.to_vec(), weights, optimizer });
            }
        }
    }

    /// A run resumed from the end of epoch 1 ends exactly as the uninterrupted one: the
    /// shuffles are replayed and dropout draws from the epoch's stream per step and example (P3), and plain SGD
    /// keeps no other state.
    #[test]
    fn a_run_resumed_from_a_checkpoint_ends_as_the_uninterrupted_one() {
        let data = crate::data::Mnist::committed();
        for config in [RunConfig::p2().with_epochs(3).with_train_size(1000).with_test_size(500), RunConfig::p3().with_epochs(3).with_train_size(600).with_test_size(300)] {
            let mut observer = FirstCheckpoint(None, Some(config.clone()));
            let whole = pollster::block_on(run(&config, &data, &Device::flex(), "cpu", &mut observer)).expect("runs");
            let checkpoint = observer.0.expect("a checkpoint after epoch 1");
            assert_eq!(checkpoint.history.len(), 1);
            assert_eq!(checkpoint.history[0], whole.history[0]);
            let resumed = pollster::block_on(run_from(&config, &data, &Device::flex(), "cpu", &mut Silent, Some(&checkpoint))).expect("resumes");
            let figures = |r: &RunResult| r.history.iter().map(|m| (m.epoch, m.loss, m.accuracy, m.val_loss, m.val_accuracy)).collect::<Vec<_>>();
            assert_eq!(figures(&resumed), figures(&whole), "{:?}", config.experiment);
            assert_eq!((resumed.test_loss, resumed.test_accuracy), (whole.test_loss, whole.test_accuracy));
            assert_eq!(resumed.analysis.as_ref().map(|a| &a.confusion), whole.analysis.as_ref().map(|a| &a.confusion));
            // Not this run's checkpoint: refused.
            let other = config.clone().with_seed(2);
            assert!(pollster::block_on(run_from(&other, &data, &Device::flex(), "cpu", &mut Silent, Some(&checkpoint))).is_err());
        }
    }
}
