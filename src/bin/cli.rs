//! Native runner: the same experiment code as the page, on burn's CPU backend (or, built with
//! `--features native-wgpu`, on burn's wgpu runtime: `--backend wgpu`).
//!
//! `cargo run --release -- run p2 --epochs 10 --seed 1 --json out.json`
//! `cargo run --release -- run p2d --factors 1e-6,1e-4 --replicates 2 --epochs 1 --train-size 6000`
//! `cargo run --release -- run p3 --save-model cnn.safetensors`
//! `cargo run --release -- run p4 --cnn cnn.safetensors --json p4.json`
//! `cargo run --release --features native-wgpu,fusion -- --backend wgpu run p2` (the page's
//! WebGPU backend, natively: wgpu on the machine's Vulkan/Metal/DX12 GPU; without `fusion`,
//! one dispatch per operation)

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use mnist_lab::burn::tensor::Device;
use mnist_lab::data::Mnist;
use mnist_lab::experiment::p2d::SweepReport;
use mnist_lab::experiment::p4::{CnnInput, P4Result, cnn_stage_config, crossing_level, run_p4_pipeline};
use mnist_lab::experiment::run::{export_cnn, import_cnn, run_p3};
use mnist_lab::experiment::{EpochMetrics, ExperimentId, PageQuery, RunConfig, RunResult, run};
use mnist_lab::train::{StepProgress, TrainObserver};

const CPU_NAME: &str = "cpu (flex, native)";

#[derive(Parser)]
#[command(about = "mnist-lab: the MNIST assignment's experiments, natively")]
struct Cli {
    /// Threads a training step's batch is split across (default: one per core; the
    /// environment's RAYON_NUM_THREADS where set).
    #[arg(long, global = true)]
    threads: Option<usize>,
    /// Where to train.
    #[arg(long, global = true, value_enum, default_value_t = BackendKind::Cpu)]
    backend: BackendKind,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum BackendKind {
    /// burn's CPU backend (burn-flex).
    Cpu,
    /// burn's wgpu runtime on the machine's GPU (a build with `--features native-wgpu`).
    Wgpu,
}

/// The device the runner trains on, and its name in results.
struct Backend {
    device: Device,
    name: String,
}

impl Backend {
    fn open(kind: BackendKind) -> Result<Self, String> {
        match kind {
            BackendKind::Cpu => Ok(Self { device: Device::flex(), name: CPU_NAME.into() }),
            BackendKind::Wgpu => Self::wgpu(),
        }
    }

    /// burn's wgpu runtime on the default adapter (a GPU where there is one), with the
    /// graphics API wgpu picks; `fusion` as built.
    #[cfg(feature = "native-wgpu")]
    fn wgpu() -> Result<Self, String> {
        let (device, setup) = Device::wgpu_options().init_with_setup().map_err(|e| format!("no usable wgpu adapter: {e}"))?;
        let info = setup.adapter.get_info();
        let fusion = if cfg!(feature = "fusion") { "fusion" } else { "no fusion" };
        Ok(Self { device, name: format!("wgpu ({}, {:?}, {fusion}, native)", info.name, info.backend) })
    }

    #[cfg(not(feature = "native-wgpu"))]
    fn wgpu() -> Result<Self, String> {
        Err("this runner was built without wgpu: cargo run --release --features native-wgpu,fusion -- --backend wgpu ...".into())
    }
}

/// Prints Keras' epoch lines as the loop reports them.
struct Printer {
    epochs: usize,
    steps: usize,
}

impl Printer {
    fn new(config: &RunConfig) -> Self {
        Self { epochs: config.schedule.epochs, steps: config.steps_per_epoch() }
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
        println!("{name} ({} epochs)", config.schedule.epochs);
        *self = Self::new(config);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let threads = cli
        .threads
        .or_else(|| std::env::var("RAYON_NUM_THREADS").ok().and_then(|v| v.parse().ok()))
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    if let Err(e) = mnist_lab::train::parallel::start_pool(threads) {
        eprintln!("error: cannot start {threads} threads: {e}");
        return ExitCode::FAILURE;
    }
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn train(config: &RunConfig, mnist: &Mnist, backend: &Backend) -> Result<RunResult, String> {
    let mut printer = Printer::new(config);
    let result = pollster::block_on(run::run(config, mnist, &backend.device, &backend.name, &mut printer)).map_err(|e| e.to_string())?;
    println!("Test loss: {}, Test accuracy {}", result.test_loss, result.test_accuracy);
    println!("({:.1} s on {})", result.seconds, result.backend);
    Ok(result)
}

fn train_cnn(config: &RunConfig, mnist: &Mnist, backend: &Backend) -> Result<(RunResult, mnist_lab::model::cnn::Cnn), String> {
    let mut printer = Printer::new(config);
    let (result, cnn) = pollster::block_on(run_p3(config, mnist, &backend.device, &backend.name, &mut printer)).map_err(|e| e.to_string())?;
    println!("Test loss: {}, Test accuracy {}", result.test_loss, result.test_accuracy);
    println!("({:.1} s on {})", result.seconds, result.backend);
    Ok((result, cnn))
}

/// P4 through the same entry point the page's worker uses.
fn p4(config: &RunConfig, mnist: &Mnist, cnn: CnnInput, backend: &Backend) -> Result<P4Result, String> {
    let mut printer = Printer::new(config);
    let (result, _, _) = pollster::block_on(run_p4_pipeline(config, mnist, cnn, &backend.device, &backend.name, &mut printer, None)).map_err(|e| e.to_string())?;
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

/// The run's flags as the page's URL pairs, read by the page's codec (`PageQuery::parse`):
/// the CLI and the page share one set of defaults, one set of ranges and one set of messages.
fn query_of(command: &Command) -> Result<PageQuery, String> {
    let Command::Run { experiment, epochs, batch_size, lr, seed, train_size, test_size, cnn_epochs, factors, replicates, .. } = command;
    let text = |v: &Option<usize>| v.map(|v| v.to_string());
    let flags = [
        ("epochs", text(epochs)),
        ("batch_size", text(batch_size)),
        ("lr", lr.map(|v| v.to_string())),
        ("seed", seed.map(|v| v.to_string())),
        ("train_size", text(train_size)),
        ("test_size", text(test_size)),
        ("cnn_epochs", text(cnn_epochs)),
        ("factors", factors.clone()),
        ("replicates", text(replicates)),
    ];
    let mut pairs = vec![("experiment".to_string(), experiment.clone())];
    pairs.extend(flags.into_iter().filter_map(|(key, value)| value.map(|v| (key.to_string(), v))));
    let (query, errors) = PageQuery::parse(pairs);
    if errors.is_empty() {
        Ok(query)
    } else {
        Err(errors.iter().map(|e| e.to_string().replace("URL parameter", "flag")).collect::<Vec<_>>().join("; "))
    }
}

fn execute(cli: Cli) -> Result<(), String> {
    let query = query_of(&cli.command)?;
    let backend = Backend::open(cli.backend)?;
    let Command::Run { save_model, cnn, data, json, .. } = cli.command;
    let (config, spec, cnn_epochs) = (query.config, query.sweep, query.cnn_epochs);
    let id = config.experiment;
    let mnist = Mnist::load_dir(&data, true).map_err(|e| e.to_string())?;

    match id {
        ExperimentId::P2 => write_json(json, &train(&config, &mnist, &backend)?),
        ExperimentId::P3 => {
            let (result, cnn) = train_cnn(&config, &mnist, &backend)?;
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
                    let (cnn, source) = import_cnn(&bytes, &backend.device).map_err(|e| format!("{}: {e}", path.display()))?;
                    CnnInput::Given(cnn, source)
                }
                None => CnnInput::Train(cnn_stage_config(&config, cnn_epochs)),
            };
            let result = p4(&config, &mnist, cnn, &backend)?;
            write_json(json, &result)
        }
        ExperimentId::P2d => {
            let networks = spec.networks(&config);
            let mut finished = Vec::with_capacity(networks.len());
            for (i, network) in networks.iter().enumerate() {
                println!("Model with regularization factor: {:e}, network {} of {} (seed {})", network.model.l2(), i + 1, networks.len(), network.schedule.seed);
                finished.push(train(network, &mnist, &backend)?);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Result<PageQuery, String> {
        let cli = Cli::try_parse_from(["mnist-lab", "run"].iter().chain(args)).map_err(|e| e.to_string())?;
        query_of(&cli.command)
    }

    /// One table of defaults: the CLI without flags runs what the page runs without a query.
    #[test]
    fn the_cli_and_the_page_share_defaults_and_the_codec() {
        for id in ExperimentId::ALL {
            let cli = parsed(&[id.as_str()]).expect("defaults parse");
            let (page, errors) = PageQuery::parse([("experiment", id.as_str())]);
            assert!(errors.is_empty());
            assert_eq!(cli.config, page.config, "{id:?}");
            assert_eq!(cli.config, RunConfig::for_experiment(id));
            assert_eq!(cli.sweep, page.sweep);
        }
        let cli = parsed(&["p2d", "--epochs", "2", "--factors", "1e-6,1e-4", "--replicates", "2", "--test-size", "500"]).expect("parses");
        let (page, _) = PageQuery::parse([("experiment", "p2d"), ("epochs", "2"), ("factors", "1e-6,1e-4"), ("replicates", "2"), ("test_size", "500")]);
        assert_eq!((cli.config, cli.sweep), (page.config, page.sweep));
        // The same ranges and messages as the page's.
        let refused = parsed(&["p3", "--batch-size", "8192"]).unwrap_err();
        assert!(refused.starts_with("'batch_size=8192' is out of range"), "{refused}");
        assert!(parsed(&["p2", "--cnn-epochs", "3"]).unwrap_err().contains("belongs to experiment=p4"));
        assert!(parsed(&["p9"]).unwrap_err().contains("p2, p2d, p3, p4"));
    }

    #[test]
    fn backend_names_a_device_or_says_why_not() {
        let cpu = Backend::open(BackendKind::Cpu).expect("the CPU backend is always there");
        assert_eq!(cpu.name, CPU_NAME);
        #[cfg(not(feature = "native-wgpu"))]
        assert!(Backend::open(BackendKind::Wgpu).err().is_some_and(|e| e.contains("--features native-wgpu")));
        let cli = Cli::try_parse_from(["mnist-lab", "--backend", "wgpu", "run", "p2"]).expect("parses");
        assert_eq!(cli.backend, BackendKind::Wgpu);
        assert_eq!(Cli::try_parse_from(["mnist-lab", "run", "p2"]).expect("parses").backend, BackendKind::Cpu);
        let refused = Cli::try_parse_from(["mnist-lab", "--backend", "tpu", "run", "p2"]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(refused.contains("possible values: cpu, wgpu"), "{refused}");
    }
}
