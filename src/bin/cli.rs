//! Native runner: the same experiment code as the page, on burn's CPU backend.
//!
//! `cargo run --release -- run p2 --epochs 10 --seed 1 --json out.json`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mnist_lab::burn::tensor::Device;
use mnist_lab::data::Mnist;
use mnist_lab::experiment::{EpochMetrics, ExperimentId, RunConfig, p2};
use mnist_lab::train::{StepProgress, TrainObserver};

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
        /// Which experiment (p2).
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
        /// Directory with the four MNIST .gz files.
        #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/mnist"))]
        data: PathBuf,
        /// Write the result (config, history, test figures, backend, seconds) as JSON.
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
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let Command::Run { experiment, epochs, batch_size, lr, seed, train_size, data, json } = cli.command;
    let id = match experiment.as_str() {
        "p2" => ExperimentId::P2,
        other => return Err(format!("unknown experiment '{other}' (this build runs: p2)")),
    };
    let mut config = RunConfig::for_experiment(id);
    config.epochs = epochs.unwrap_or(config.epochs);
    config.batch_size = batch_size.unwrap_or(config.batch_size);
    config.lr = lr.unwrap_or(config.lr);
    config.seed = seed.unwrap_or(config.seed);
    config.train_size = train_size.unwrap_or(config.train_size);
    config.validate().map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))?;

    let mnist = Mnist::load_dir(&data, true).map_err(|e| e.to_string())?;
    let mut printer = Printer { epochs: config.epochs, steps: config.steps_per_epoch() };
    let result = pollster::block_on(p2::run(&config, &mnist, &Device::flex(), "cpu (flex, native)", &mut printer))
        .map_err(|e| e.to_string())?;
    println!("Test loss: {}, Test accuracy {}", result.test_loss, result.test_accuracy);
    println!("({:.1} s on {})", result.seconds, result.backend);
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}
