//! One training run's setup, nested as burn's `TrainingConfig { model, optimizer,
//! num_epochs }`, and its codec: the pairs (`epochs=10`, `lr=0.1`, …) that every
//! serialisation of a config goes through — the page's URL, the keys of kept results, the
//! weights file's metadata, the CLI's flags and serde (records, bundles, worker messages).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{ExperimentId, ParamError, ACTIVATION_BUDGET, MAX_SEED, TEST_IMAGES, TRAIN_IMAGES, max_batch_size};

/// What of the model a run may set. The layers themselves are the experiment's (see
/// [`crate::model`]): P2's 784-64-64-10, P2D's 784-500-300-10, P3's CNN, P4's autoencoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ModelConfig {
    /// An MLP (P2, P2D) with Keras' `kernel_regularizer=l2(l2)` on its hidden kernels
    /// (0: none, as P2; P2D sets it per network of the sweep).
    Mlp { l2: f64 },
    /// P3's CNN (2 conv + 2 pool + 200 + 128 + dropout + 10).
    Cnn,
    /// P4's denoising autoencoder 784-128-96-128-784.
    Autoencoder,
}

impl ModelConfig {
    /// The model every run of `experiment` trains, unregularised.
    pub fn for_experiment(experiment: ExperimentId) -> Self {
        match experiment {
            ExperimentId::P2 | ExperimentId::P2d => Self::Mlp { l2: 0.0 },
            ExperimentId::P3 => Self::Cnn,
            ExperimentId::P4 => Self::Autoencoder,
        }
    }

    /// The L2 factor on the hidden kernels (0 for models that have none).
    pub fn l2(&self) -> f64 {
        match self {
            Self::Mlp { l2 } => *l2,
            Self::Cnn | Self::Autoencoder => 0.0,
        }
    }
}

/// Keras' `SGD(learning_rate)`: no momentum, no decay (P2, P2D, P3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdConfig {
    pub lr: f64,
}

/// Keras' `Adam(learning_rate)`, its other parameters Keras' defaults (β1 0.9, β2 0.999,
/// ε 1e-7; see [`crate::train`]) (P4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    pub lr: f64,
}

/// The optimizer of a run: the experiment decides which one, so an Adam learning rate is
/// never read as an SGD one (training matches on the variant it needs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptimizerConfig {
    Sgd(SgdConfig),
    Adam(AdamConfig),
}

impl OptimizerConfig {
    /// The seed's optimizer of `experiment`: SGD lr 0.1 (P2, P2D, P3), Adam lr 1e-3 (P4).
    pub fn for_experiment(experiment: ExperimentId) -> Self {
        match experiment {
            ExperimentId::P2 | ExperimentId::P2d | ExperimentId::P3 => Self::Sgd(SgdConfig { lr: 0.1 }),
            ExperimentId::P4 => Self::Adam(AdamConfig { lr: 1e-3 }),
        }
    }

    /// The learning rate, whichever optimizer it belongs to (for showing and for the codec).
    pub fn lr(&self) -> f64 {
        match self {
            Self::Sgd(sgd) => sgd.lr,
            Self::Adam(adam) => adam.lr,
        }
    }

    fn set_lr(&mut self, lr: f64) {
        match self {
            Self::Sgd(sgd) => sgd.lr = lr,
            Self::Adam(adam) => adam.lr = lr,
        }
    }

    /// `SGD` or `Adam`, as Keras names them.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sgd(_) => "SGD",
            Self::Adam(_) => "Adam",
        }
    }
}

/// How long and in what order a run trains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScheduleConfig {
    pub epochs: usize,
    pub batch_size: usize,
    /// Seeds the weights' initialisation, the shuffles and dropout.
    pub seed: u64,
}

/// Which part of the dataset a run uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataConfig {
    /// Train on the first `train_size` training images.
    pub train_size: usize,
    /// Validate (and, in P4, measure 4C) on the first `test_size` test images; the seed
    /// uses all 10,000.
    pub test_size: usize,
}

/// Hyper-parameters of one training run. Defaults are the seed's.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    pub experiment: ExperimentId,
    pub model: ModelConfig,
    pub optimizer: OptimizerConfig,
    pub schedule: ScheduleConfig,
    pub data: DataConfig,
}

impl RunConfig {
    /// The seed notebook's P2 setup: SGD lr 0.1, batch 128, 10 epochs, all 60,000 images.
    pub fn p2() -> Self {
        Self::seed_setup(ExperimentId::P2, 10, 128)
    }

    /// The seed's P2D network: as P2 but 40 epochs (the factor is set per network).
    pub fn p2d() -> Self {
        Self::seed_setup(ExperimentId::P2d, 40, 128)
    }

    /// The seed's P3: the CNN with SGD lr 0.1, batch 128, 40 epochs.
    pub fn p3() -> Self {
        Self::seed_setup(ExperimentId::P3, 40, 128)
    }

    /// The seed's P4 autoencoder: Adam (lr 1e-3), batch 64, 32 epochs.
    pub fn p4() -> Self {
        Self::seed_setup(ExperimentId::P4, 32, 64)
    }

    fn seed_setup(experiment: ExperimentId, epochs: usize, batch_size: usize) -> Self {
        Self {
            experiment,
            model: ModelConfig::for_experiment(experiment),
            optimizer: OptimizerConfig::for_experiment(experiment),
            schedule: ScheduleConfig { epochs, batch_size, seed: 1 },
            data: DataConfig { train_size: TRAIN_IMAGES, test_size: TEST_IMAGES },
        }
    }

    pub fn for_experiment(id: ExperimentId) -> Self {
        match id {
            ExperimentId::P2 => Self::p2(),
            ExperimentId::P2d => Self::p2d(),
            ExperimentId::P3 => Self::p3(),
            ExperimentId::P4 => Self::p4(),
        }
    }

    pub fn with_epochs(mut self, epochs: usize) -> Self {
        self.schedule.epochs = epochs;
        self
    }

    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.schedule.batch_size = batch_size;
        self
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.schedule.seed = seed;
        self
    }

    pub fn with_train_size(mut self, train_size: usize) -> Self {
        self.data.train_size = train_size;
        self
    }

    pub fn with_test_size(mut self, test_size: usize) -> Self {
        self.data.test_size = test_size;
        self
    }

    /// The learning rate of this experiment's optimizer.
    pub fn with_lr(mut self, lr: f64) -> Self {
        self.optimizer.set_lr(lr);
        self
    }

    /// The L2 factor of an MLP's hidden kernels; other models have none (unchanged).
    pub fn with_l2(mut self, factor: f64) -> Self {
        if let ModelConfig::Mlp { l2 } = &mut self.model {
            *l2 = factor;
        }
        self
    }

    /// Checks every value against its allowed range, and that the model and the optimizer
    /// are the experiment's.
    pub fn validate(&self) -> Result<(), Vec<ParamError>> {
        let mut errors = Vec::new();
        let ScheduleConfig { epochs, batch_size, seed } = self.schedule;
        check_range(&mut errors, "epochs", epochs as f64, 1.0, 200.0);
        let max_batch = max_batch_size(self.experiment);
        if !(1..=max_batch).contains(&batch_size) {
            let per_image = crate::model::summary::for_experiment(self.experiment).training_bytes_per_example() as f64 / 1e6;
            errors.push(ParamError::OutOfRange {
                key: "batch_size".into(),
                value: batch_size.to_string(),
                range: format!("1 to {max_batch} for this model: its activations take {per_image:.2} MB per image in training, and a batch may take {} MiB", ACTIVATION_BUDGET >> 20),
            });
        }
        check_range(&mut errors, "train_size", self.data.train_size as f64, 1.0, TRAIN_IMAGES as f64);
        check_range(&mut errors, "test_size", self.data.test_size as f64, 1.0, TEST_IMAGES as f64);
        if seed > MAX_SEED {
            errors.push(ParamError::OutOfRange { key: "seed".into(), value: seed.to_string(), range: format!("0 to {MAX_SEED}") });
        }
        let l2 = self.model.l2();
        if !(0.0..=1.0).contains(&l2) {
            errors.push(ParamError::OutOfRange { key: "l2".into(), value: format!("{l2:?}"), range: "0 to 1".into() });
        }
        let lr = self.optimizer.lr();
        if !(lr > 0.0 && lr <= 10.0) {
            errors.push(ParamError::OutOfRange { key: "lr".into(), value: format!("{lr:?}"), range: "0 < lr <= 10".into() });
        }
        if std::mem::discriminant(&self.model) != std::mem::discriminant(&ModelConfig::for_experiment(self.experiment)) {
            errors.push(ParamError::Invalid { key: "model".into(), value: format!("{:?}", self.model), expected: format!("model for experiment {}", self.experiment.as_str()) });
        }
        if std::mem::discriminant(&self.optimizer) != std::mem::discriminant(&OptimizerConfig::for_experiment(self.experiment)) {
            errors.push(ParamError::Invalid { key: "optimizer".into(), value: self.optimizer.name().into(), expected: format!("optimizer for experiment {}", self.experiment.as_str()) });
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// The pairs that say this config (unencoded): the one codec every serialisation of a
    /// config goes through (the page's URL through [`super::PageQuery::to_pairs`], the keys
    /// of kept results, the weights file's metadata, serde). `test_size` and `l2` are left
    /// out at their defaults (all test images; no L2), as URLs always have; `l2` is set
    /// only on one network of a P2D sweep, whose URL gives `factors` instead.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = vec![
            ("experiment".into(), self.experiment.as_str().into()),
            ("epochs".into(), self.schedule.epochs.to_string()),
            ("batch_size".into(), self.schedule.batch_size.to_string()),
            ("lr".into(), self.optimizer.lr().to_string()),
            ("seed".into(), self.schedule.seed.to_string()),
            ("train_size".into(), self.data.train_size.to_string()),
        ];
        if self.data.test_size != TEST_IMAGES {
            pairs.push(("test_size".into(), self.data.test_size.to_string()));
        }
        if self.model.l2() != 0.0 {
            pairs.push(("l2".into(), format!("{:e}", self.model.l2())));
        }
        pairs
    }

    /// Reads the pairs of [`Self::to_pairs`] back, strictly: every key known, given once,
    /// every value valid and in range; keys left out take the experiment's defaults.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> Result<Self, Vec<ParamError>> {
        let mut errors = Vec::new();
        let experiment = match pairs.iter().find(|(k, _)| k.as_ref() == "experiment") {
            Some((_, value)) => ExperimentId::parse(value.as_ref()).ok_or_else(|| vec![invalid_experiment(value.as_ref())])?,
            None => return Err(vec![ParamError::Invalid { key: "experiment".into(), value: String::new(), expected: "experiment (a config names its experiment)".into() }]),
        };
        let mut config = Self::for_experiment(experiment);
        let mut seen: Vec<&str> = Vec::new();
        for (key, value) in pairs {
            let (key, value) = (key.as_ref(), value.as_ref());
            if seen.contains(&key) {
                errors.push(ParamError::Duplicate(key.into()));
                continue;
            }
            seen.push(key);
            match config.apply_pair(key, value) {
                Some(Ok(())) => {}
                Some(Err(e)) => errors.push(e),
                None => errors.push(ParamError::UnknownKey(key.into())),
            }
        }
        if let Err(range_errors) = config.validate() {
            errors.extend(range_errors);
        }
        if errors.is_empty() { Ok(config) } else { Err(errors) }
    }

    /// Applies one pair of the codec; `None` when `key` is not a config key. Values are
    /// parsed, not range-checked ([`Self::validate`] does that, once, for all of them).
    pub(super) fn apply_pair(&mut self, key: &str, value: &str) -> Option<Result<(), ParamError>> {
        Some(match key {
            "experiment" => match ExperimentId::parse(value) {
                Some(e) if e == self.experiment => Ok(()),
                _ => Err(invalid_experiment(value)),
            },
            "epochs" => parse_num(key, value, "whole number").map(|v| self.schedule.epochs = v),
            "batch_size" => parse_num(key, value, "whole number").map(|v| self.schedule.batch_size = v),
            "seed" => parse_num(key, value, "whole number").map(|v| self.schedule.seed = v),
            "train_size" => parse_num(key, value, "whole number").map(|v| self.data.train_size = v),
            "test_size" => parse_num(key, value, "whole number").map(|v| self.data.test_size = v),
            "lr" => parse_finite(key, value).map(|v| self.optimizer.set_lr(v)),
            "l2" => match &mut self.model {
                ModelConfig::Mlp { l2 } => parse_finite(key, value).map(|v| *l2 = v),
                ModelConfig::Cnn | ModelConfig::Autoencoder => Err(ParamError::Invalid { key: key.into(), value: value.into(), expected: "parameter here: only the MLPs have an L2 factor".into() }),
            },
            _ => return None,
        })
    }

    /// Steps per epoch, counting the last partial batch as Keras does.
    pub fn steps_per_epoch(&self) -> usize {
        self.data.train_size.div_ceil(self.schedule.batch_size.max(1))
    }
}

pub(super) fn invalid_experiment(value: &str) -> ParamError {
    ParamError::Invalid { key: "experiment".into(), value: value.into(), expected: "experiment (this build runs: p2, p2d, p3, p4)".into() }
}

pub(super) fn parse_num<T: std::str::FromStr>(key: &str, value: &str, expected: &str) -> Result<T, ParamError> {
    value.trim().parse().map_err(|_| ParamError::Invalid { key: key.into(), value: value.into(), expected: expected.into() })
}

fn parse_finite(key: &str, value: &str) -> Result<f64, ParamError> {
    parse_num::<f64>(key, value, "number").and_then(|v| {
        if v.is_finite() { Ok(v) } else { Err(ParamError::Invalid { key: key.into(), value: value.into(), expected: "finite number".into() }) }
    })
}

fn check_range(errors: &mut Vec<ParamError>, key: &str, value: f64, min: f64, max: f64) {
    if !(min..=max).contains(&value) {
        errors.push(ParamError::OutOfRange { key: key.into(), value: value.to_string(), range: format!("{min} to {max}") });
    }
}

/// Serde goes through the codec: a config is stored, sent and bundled as its pairs, so
/// there is one way to write one. Records kept by older versions wrote the flat struct
/// (`"epochs": 10`, `"lr": 0.1`, `"l2": 0.0`), whose numbers read as the same pairs.
impl Serialize for RunConfig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.to_pairs())
    }
}

impl<'de> Deserialize<'de> for RunConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// A pair's value as the codec writes it (text) or as older records did.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Value {
            Text(String),
            Whole(u64),
            Number(f64),
        }
        let map: Vec<(String, Value)> = deserializer.deserialize_map(PairsVisitor(std::marker::PhantomData))?;
        let pairs: Vec<(String, String)> = map
            .into_iter()
            // The old flat form wrote every field; at its default it says nothing.
            .filter(|(k, v)| !(k == "l2" && match v { Value::Number(x) => *x == 0.0, Value::Whole(n) => *n == 0, Value::Text(_) => false }))
            .map(|(k, v)| {
                let v = match v {
                    Value::Text(s) => s,
                    Value::Whole(n) => n.to_string(),
                    Value::Number(x) => x.to_string(),
                };
                (k, v)
            })
            .collect();
        Self::from_pairs(&pairs).map_err(|errors| {
            let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
            serde::de::Error::custom(format!("not a valid run config: {}", messages.join("; ")))
        })
    }
}

/// Reads a map into its pairs in order (duplicates kept, for `from_pairs` to refuse).
struct PairsVisitor<V>(std::marker::PhantomData<V>);

impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for PairsVisitor<V> {
    type Value = Vec<(String, V)>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a run config: a map of its codec's pairs")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // At most the codec's keys and a few more: a hostile record cannot make this grow.
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(16));
        while let Some(pair) = map.next_entry()? {
            if pairs.len() >= 64 {
                return Err(serde::de::Error::custom("a run config has at most a few keys"));
            }
            pairs.push(pair);
        }
        Ok(pairs)
    }
}
