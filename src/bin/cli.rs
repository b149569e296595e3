//! Native runner: the same experiment code as the page, on burn's CPU backend.
//!
//! `cargo run --release -- run p2 --epochs 10 --seed 1 --json out.json`
//! `cargo run --release -- run p2d --factors 1e-6,1e-4 --replicates 2 --epochs 1 --train-size 6000`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mnist_lab::burn::tensor::Device;
use mnist_lab::data::Mnist;
use mnist_lab::experiment::p2d::{SweepReport, SweepSpec};
use mnist_lab::experiment::{EpochMetrics, ExperimentId, RunConfig, RunResult, run};
use mnist_lab::train::{StepProgress, TrainObserver};

const BACKEND: &str = "cpu (flex, native)";

#[derive(Parser)]
#[command(about = "mnist-lab: the MNIST assignment's experiments, natively")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one experiment and print Keras-style epoch lines.
    Run {
        /// Which experiment: p2, p2d (the weight-decay sweep) or p3 (the CNN).
        experiment: String,
        #[arg(long)]
        epochs: Option<usize>,
        #[arg(long)]
        batch_size: Option<usize>,
        #[arg(long)]
        lr: Option<f64>,
        #[arg(long)]
        seed: Option<u64>,
        /// Train on the first N training images.
        #[arg(long)]
        train_size: Option<usize>,
        /// P2D: comma-separated L2 factors (default: the seed's five).
        #[arg(long)]
        factors: Option<String>,
        /// P2D: replicates per factor (default 3).
        #[arg(long)]
        replicates: Option<usize>,
        /// Directory with the four MNIST .gz files.
        #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/mnist"))]
        data: PathBuf,
        /// Write the result as JSON (P2: the run; P2D: networks and statistics).
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

/// Prints Keras' epoch lines as the loop reports them.
struct Printer {
    epochs: usize,
    steps: usize,
}

impl TrainObserver for Printer {
    fn progress(&mut self, _: &StepProgress) {}
    fn epoch_end(&mut self, m: &EpochMetrics) {
        println!("{}", m.keras_lines(self.epochs, self.steps));
    }
}

fn main() -> ExitCode {
    match execute(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn train(config: &RunConfig, mnist: &Mnist) -> Result<RunResult, String> {
    let mut printer = Printer { epochs: config.epochs, steps: config.steps_per_epoch() };
    let result = pollster::block_on(run::run(config, mnist, &Device::flex(), BACKEND, &mut printer)).map_err(|e| e.to_string())?;
    println!("Test loss: {}, Test accuracy {}", result.test_loss, result.test_accuracy);
    println!("({:.1} s on {})", result.seconds, result.backend);
    Ok(result)
}

fn write_json<T: serde::Serialize>(path: Option<PathBuf>, value: &T) -> Result<(), String> {
    let Some(path) = path else { return Ok(()) };
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn execute(cli: Cli) -> Result<(), String> {
    let Command::Run { experiment, epochs, batch_size, lr, seed, train_size, factors, replicates, data, json } = cli.command;
    let id = ExperimentId::parse(&experiment).ok_or_else(|| format!("unknown experiment '{experiment}' (this build runs: p2, p2d, p3)"))?;
    let mut config = RunConfig::for_experiment(id);
    config.epochs = epochs.unwrap_or(config.epochs);
    config.batch_size = batch_size.unwrap_or(config.batch_size);
    config.lr = lr.unwrap_or(config.lr);
    config.seed = seed.unwrap_or(config.seed);
    config.train_size = train_size.unwrap_or(config.train_size);
    config.validate().map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))?;
    let mnist = Mnist::load_dir(&data, true).map_err(|e| e.to_string())?;

    match id {
        ExperimentId::P2 | ExperimentId::P3 => write_json(json, &train(&config, &mnist)?),
        ExperimentId::P2d => {
            let mut spec = SweepSpec::default();
            if let Some(f) = factors {
                spec.factors = SweepSpec::parse_factors(&f).map_err(|e| format!("--factors: {e}"))?;
            }
            spec.replicates = replicates.unwrap_or(spec.replicates).max(1);
            let networks = spec.networks(&config);
            let mut finished = Vec::with_capacity(networks.len());
            for (i, network) in networks.iter().enumerate() {
                println!("Model with regularization factor: {:e}, network {} of {} (seed {})", network.l2, i + 1, networks.len(), network.seed);
                finished.push(train(network, &mnist)?);
            }
            let report = SweepReport::new(spec, finished);
            println!("\nfactor      final    mean     std      max");
            for s in &report.stats {
                println!("{:<10e}  {:.4}   {:.4}   {:.4}   {:.4}", s.factor, s.final_accuracy, s.mean, s.std, s.max);
            }
            if let Some((factor, accuracy)) = report.best {
                println!("best: {accuracy:.4} with factor {factor:e}");
            }
            write_json(json, &report)
        }
    }
}
