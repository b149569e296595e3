//! Native runner: the same experiment code as the page, on burn's CPU backend.
//!
//! `cargo run --release -- run p2 --epochs 10 --seed 1 --json out.json`
//! `cargo run --release -- run p2d --factors 1e-6,1e-4 --replicates 2 --epochs 1 --train-size 6000`
//! `cargo run --release -- run p3 --save-model cnn.safetensors`
//! `cargo run --release -- run p4 --cnn cnn.safetensors --json p4.json`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mnist_lab::burn::tensor::Device;
use mnist_lab::data::Mnist;
use mnist_lab::experiment::p2d::{SweepReport, SweepSpec};
use mnist_lab::experiment::p4::{CnnInput, P4Result, cnn_stage_config, crossing_level, run_p4_pipeline};
use mnist_lab::experiment::run::{export_cnn, import_cnn, run_p3};
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
        /// Validate (and measure P4's 4C) on the first N test images.
        #[arg(long)]
        test_size: Option<usize>,
        /// P3: write the trained CNN to this safetensors file (the page's download format).
        #[arg(long)]
        save_model: Option<PathBuf>,
        /// P4: the CNN for 4C/4D, a safetensors file from `run p3 --save-model` or the page.
        #[arg(long)]
        cnn: Option<PathBuf>,
        /// P4 without --cnn: train P3's CNN first for this many epochs (default: P3's 40).
        #[arg(long)]
        cnn_epochs: Option<usize>,
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

impl Printer {
    fn new(config: &RunConfig) -> Self {
        Self { epochs: config.epochs, steps: config.steps_per_epoch() }
    }
}

impl TrainObserver for Printer {
    fn progress(&mut self, _: &StepProgress) {}
    fn epoch_end(&mut self, m: &EpochMetrics) {
        println!("{}", m.keras_lines(self.epochs, self.steps));
    }
    fn phase(&mut self, description: &str) {
        println!("{description}");
    }
    fn stage(&mut self, _index: usize, _count: usize, name: &str, config: &RunConfig) {
        println!("{name} ({} epochs)", config.epochs);
        *self = Self::new(config);
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
    let mut printer = Printer::new(config);
    let result = pollster::block_on(run::run(config, mnist, &Device::flex(), BACKEND, &mut printer)).map_err(|e| e.to_string())?;
    println!("Test loss: {}, Test accuracy {}", result.test_loss, result.test_accuracy);
    println!("({:.1} s on {})", result.seconds, result.backend);
    Ok(result)
}

fn train_cnn(config: &RunConfig, mnist: &Mnist) -> Result<(RunResult, mnist_lab::model::cnn::Cnn), String> {
    let mut printer = Printer::new(config);
    let (result, cnn) = pollster::block_on(run_p3(config, mnist, &Device::flex(), BACKEND, &mut printer)).map_err(|e| e.to_string())?;
    println!("Test loss: {}, Test accuracy {}", result.test_loss, result.test_accuracy);
    println!("({:.1} s on {})", result.seconds, result.backend);
    Ok((result, cnn))
}

/// P4 through the same entry point the page's worker uses.
fn p4(config: &RunConfig, mnist: &Mnist, cnn: CnnInput) -> Result<P4Result, String> {
    let mut printer = Printer::new(config);
    let (result, _, _) = pollster::block_on(run_p4_pipeline(config, mnist, cnn, &Device::flex(), BACKEND, &mut printer)).map_err(|e| e.to_string())?;
    println!("val_loss {:.4} (seed 0.1199); {:.1} s of training on {}", result.val_loss, result.seconds, result.backend);
    if let Some(source) = &result.cnn {
        println!("4C with {source}\nnoise   noisy    denoised");
        for row in &result.denoising {
            println!("{:.1}     {:.4}   {:.4}", row.level, row.noisy_accuracy, row.denoised_accuracy);
        }
        match crossing_level(&result.denoising) {
            Some(level) => println!("denoising helps the CNN from noise {level:.2} on"),
            None => println!("denoising never helps the CNN here"),
        }
    }
    let labels: Vec<String> = result.sampled.digits.iter().map(|d| d.label.map_or("?".into(), |l| l.to_string())).collect();
    println!("4D: the CNN reads the {} sampled digits as {}", labels.len(), labels.join(" "));
    Ok(result)
}

fn write_json<T: serde::Serialize>(path: Option<PathBuf>, value: &T) -> Result<(), String> {
    let Some(path) = path else { return Ok(()) };
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn execute(cli: Cli) -> Result<(), String> {
    let Command::Run { experiment, epochs, batch_size, lr, seed, train_size, test_size, save_model, cnn, cnn_epochs, factors, replicates, data, json } = cli.command;
    let id = ExperimentId::parse(&experiment).ok_or_else(|| format!("unknown experiment '{experiment}' (this build runs: p2, p2d, p3, p4)"))?;
    let mut config = RunConfig::for_experiment(id);
    config.epochs = epochs.unwrap_or(config.epochs);
    config.batch_size = batch_size.unwrap_or(config.batch_size);
    config.lr = lr.unwrap_or(config.lr);
    config.seed = seed.unwrap_or(config.seed);
    config.train_size = train_size.unwrap_or(config.train_size);
    config.test_size = test_size.unwrap_or(config.test_size);
    config.validate().map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))?;
    let mnist = Mnist::load_dir(&data, true).map_err(|e| e.to_string())?;

    match id {
        ExperimentId::P2 => write_json(json, &train(&config, &mnist)?),
        ExperimentId::P3 => {
            let (result, cnn) = train_cnn(&config, &mnist)?;
            if let Some(path) = save_model {
                let bytes = pollster::block_on(export_cnn(&cnn, &result)).map_err(|e| e.to_string())?;
                std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                println!("CNN written to {}", path.display());
            }
            write_json(json, &result)
        }
        ExperimentId::P4 => {
            let cnn = match cnn {
                Some(path) => {
                    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                    let (cnn, source) = import_cnn(&bytes, &Device::flex()).map_err(|e| format!("{}: {e}", path.display()))?;
                    CnnInput::Given(cnn, source)
                }
                None => CnnInput::Train(cnn_stage_config(&config, cnn_epochs)),
            };
            let result = p4(&config, &mnist, cnn)?;
            write_json(json, &result)
        }
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
