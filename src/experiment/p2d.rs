//! P2D, the weight-decay study: which networks the sweep trains, and the statistics the
//! seed computes from them. Plain data, so the page computes the table from the networks
//! it has stored, whichever worker trained them.

use serde::{Deserialize, Serialize};

use super::config::{ExperimentId, ModelConfig, RunConfig};
use super::result::RunResult;

/// Factors x replicates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSpec {
    pub factors: Vec<f64>,
    pub replicates: usize,
}

impl Default for SweepSpec {
    /// The seed's: `regularization_factor = [0.000001, 0.00001, 0.0001, 0.0005, 0.001]`,
    /// three replicates each.
    fn default() -> Self {
        Self { factors: vec![1e-6, 1e-5, 1e-4, 5e-4, 1e-3], replicates: 3 }
    }
}

impl SweepSpec {
    /// `1e-6,1e-4` -> factors; each must be a number in (0, 1], none twice.
    pub fn parse_factors(value: &str) -> Result<Vec<f64>, String> {
        let factors: Result<Vec<f64>, _> = value.split(',').map(|f| f.trim().parse::<f64>()).collect();
        match factors {
            Ok(f) if !f.is_empty()
                && f.len() <= 12
                && f.iter().all(|v| *v > 0.0 && *v <= 1.0)
                && f.iter().enumerate().all(|(i, v)| !f[..i].contains(v)) => Ok(f),
            _ => Err("comma-separated list of 1 to 12 distinct factors in (0, 1]".into()),
        }
    }

    pub fn factors_string(&self) -> String {
        self.factors.iter().map(|f| format!("{f:e}")).collect::<Vec<_>>().join(",")
    }

    pub fn len(&self) -> usize {
        self.factors.len() * self.replicates
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every network of the sweep, in the seed's order (factor-major), each its own
    /// seed derived from the run's seed.
    pub fn networks(&self, base: &RunConfig) -> Vec<RunConfig> {
        let mut networks = Vec::with_capacity(self.len());
        for (fi, &factor) in self.factors.iter().enumerate() {
            for replicate in 0..self.replicates {
                let network = RunConfig { experiment: ExperimentId::P2d, model: ModelConfig::Mlp { l2: factor }, ..base.clone() };
                networks.push(network.with_seed(network_seed(base.schedule.seed, fi, replicate)));
            }
        }
        networks
    }
}

/// A well-mixed seed per (factor, replicate) (SplitMix64's finaliser), kept to 53 bits so
/// it survives JavaScript numbers (worker messages, JSON downloads, URLs).
pub fn network_seed(run_seed: u64, factor_index: usize, replicate: usize) -> u64 {
    let z = run_seed
        .wrapping_add((factor_index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add((replicate as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    mix_seed(z) >> 11
}

/// SplitMix64's finaliser: a well-mixed seed from a combination of seeds (P2D's networks,
/// each epoch's device seed).
pub fn mix_seed(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One row of the seed's table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorStats {
    pub factor: f64,
    /// Final validation accuracy of the last replicate (the seed's `final_accuracy`).
    pub final_accuracy: f64,
    pub mean: f64,
    /// Population standard deviation, as `np.std`.
    pub std: f64,
    pub max: f64,
    /// Finished replicates behind these figures.
    pub replicates: usize,
}

/// The seed's statistics per factor over the final validation accuracies of the finished
/// networks (`networks` may be partial: a factor with none finished is left out).
pub fn statistics(spec: &SweepSpec, networks: &[RunResult]) -> Vec<FactorStats> {
    spec.factors
        .iter()
        .filter_map(|&factor| {
            let finals: Vec<f64> = networks
                .iter()
                .filter(|n| n.config.model.l2() == factor)
                .filter_map(|n| n.history.last().map(|m| m.val_accuracy))
                .collect();
            let last = *finals.last()?;
            let n = finals.len() as f64;
            let mean = finals.iter().sum::<f64>() / n;
            let std = (finals.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / n).sqrt();
            let max = finals.iter().cloned().fold(f64::MIN, f64::max);
            Some(FactorStats { factor, final_accuracy: last, mean, std, max, replicates: finals.len() })
        })
        .collect()
}

/// A sweep's networks and the seed's statistics over them (the native runner's JSON, and
/// what the page computes from the networks it has stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    pub spec: SweepSpec,
    pub networks: Vec<RunResult>,
    pub stats: Vec<FactorStats>,
    /// (factor, final validation accuracy) of the best network.
    pub best: Option<(f64, f64)>,
}

impl SweepReport {
    pub fn new(spec: SweepSpec, networks: Vec<RunResult>) -> Self {
        let stats = statistics(&spec, &networks);
        let best = best(&networks);
        Self { spec, networks, stats, best }
    }
}

/// The best network: (factor, final validation accuracy).
pub fn best(networks: &[RunResult]) -> Option<(f64, f64)> {
    networks
        .iter()
        .filter_map(|n| n.history.last().map(|m| (n.config.model.l2(), m.val_accuracy)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::EpochMetrics;
    use crate::model::summary::mlp_summary;

    fn network(l2: f64, val_accuracy: f64) -> RunResult {
        let metrics = EpochMetrics { epoch: 1, loss: 0.1, accuracy: 0.9, val_loss: 0.1, val_accuracy, seconds: 1.0 };
        RunResult {
            config: RunConfig::p2d().with_l2(l2),
            backend: "cpu".into(),
            model: mlp_summary(&[500, 300]),
            history: vec![metrics],
            test_loss: 0.1,
            test_accuracy: val_accuracy,
            seconds: 1.0,
            analysis: None,
        }
    }

    #[test]
    fn statistics_as_the_seed_computes_them() {
        let spec = SweepSpec { factors: vec![1e-6, 1e-4], replicates: 3 };
        let nets = vec![network(1e-6, 0.98), network(1e-6, 0.97), network(1e-6, 0.99), network(1e-4, 0.95)];
        let stats = statistics(&spec, &nets);
        assert_eq!(stats.len(), 2);
        let s = &stats[0];
        assert_eq!(s.final_accuracy, 0.99);
        assert!((s.mean - 0.98).abs() < 1e-12);
        // np.std([0.98, 0.97, 0.99]) = sqrt(2/3) * 0.01
        assert!((s.std - (2.0f64 / 3.0).sqrt() * 0.01).abs() < 1e-12, "{}", s.std);
        assert_eq!(s.max, 0.99);
        assert_eq!(s.replicates, 3);
        assert_eq!((stats[1].std, stats[1].replicates), (0.0, 1));
        assert_eq!(best(&nets), Some((1e-6, 0.99)));
    }

    #[test]
    fn networks_are_factor_major_with_distinct_seeds() {
        let spec = SweepSpec::default();
        let nets = spec.networks(&RunConfig::p2d());
        assert_eq!(nets.len(), 15);
        assert_eq!(nets[0].model.l2(), 1e-6);
        assert_eq!(nets[3].model.l2(), 1e-5);
        assert_eq!(nets[14].model.l2(), 1e-3);
        let mut seeds: Vec<u64> = nets.iter().map(|n| n.schedule.seed).collect();
        seeds.sort_unstable();
        seeds.dedup();
        assert_eq!(seeds.len(), 15);
        assert!(seeds.iter().all(|&s| s <= super::super::config::MAX_SEED));
        // Deterministic from the run's seed.
        assert_eq!(spec.networks(&RunConfig::p2d())[7].schedule.seed, nets[7].schedule.seed);
        assert_eq!(spec.factors_string(), "1e-6,1e-5,1e-4,5e-4,1e-3");
        assert!(SweepSpec::parse_factors("1e-4,1e-4").is_err());
        assert!(SweepSpec::parse_factors("1e-4,0").is_err());
        assert_eq!(SweepSpec::parse_factors(" 1e-6, 5e-4"), Ok(vec![1e-6, 5e-4]));
    }
}
