//! Writes the fuzz targets' seed corpora (`fuzz/fuzz_targets/`) from real files: the
//! committed MNIST (subsets, raw and gzip), a P2 run trained here (its weights file, its
//! record, a bundle of both, its shared link, the old P2D localStorage form), kept class
//! names and the README's links. Run by `.ci/fuzz`: `cargo run --release --example
//! fuzz_seeds -- <dir>` writes `<dir>/<target>/<seed>`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use mnist_lab::burn::tensor::Device;
use mnist_lab::data::class_names::FASHION_MNIST;
use mnist_lab::data::idx::{encode_u8, parse_u8};
use mnist_lab::data::mnist::gunzip;
use mnist_lab::data::{ClassNames, DatasetId, Mnist, MnistFile};
use mnist_lab::experiment::record::{Bundle, Outcome, RunRecord, share};
use mnist_lab::experiment::run::run_mlp_from;
use mnist_lab::experiment::{PageQuery, RunConfig};
use mnist_lab::train::Silent;

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let folder = dir.join(target);
    fs::create_dir_all(&folder)?;
    fs::write(folder.join(name), bytes)
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// The first `count` items of an IDX file (its first dimension cut to `count`).
fn first(raw: &[u8], rank: usize, count: usize) -> Vec<u8> {
    let Ok(array) = parse_u8(raw, rank) else { return raw.to_vec() };
    let mut dims = array.dims.clone();
    let per_item: usize = dims[1..].iter().product();
    dims[0] = count.min(dims[0]);
    encode_u8(&dims, &array.data[..dims[0] * per_item])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: fuzz_seeds <dir>")?);
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/mnist");

    // MNIST's own files, cut to a few digits so the fuzzer's inputs stay small.
    let mut small = Vec::new();
    for file in MnistFile::ALL {
        let raw = gunzip(file, &fs::read(assets.join(file.gz_name()))?)?;
        let rank = if file.gz_name().contains("labels") { 1 } else { 3 };
        let cut = first(&raw, rank, 3);
        write(&dir, "idx", file.gz_name().trim_end_matches(".gz"), &cut)?;
        small.push(cut);
    }
    // dataset_files: six bytes of lengths (u16 LE) for the first three files, then the four.
    for (name, files) in [("raw", small.clone()), ("gzip", small.iter().map(|f| gzip(f)).collect::<Result<_, _>>()?)] {
        let mut seed = Vec::new();
        for f in &files[..3] {
            seed.extend_from_slice(&u16::try_from(f.len())?.to_le_bytes());
        }
        for f in &files {
            seed.extend_from_slice(f);
        }
        write(&dir, "dataset_files", name, &seed)?;
    }

    // A real run: P2 for one epoch on 1,000 digits, on the CPU backend.
    let data = Mnist::load_dir(&assets, false)?;
    let config = RunConfig::p2().with_epochs(1).with_train_size(1000).with_test_size(200);
    let (result, weights) = pollster::block_on(run_mlp_from(&config, &data, &Device::flex(), "cpu", &mut Silent, None))?;
    write(&dir, "weights", "p2-mlp.safetensors", &weights)?;
    let record = RunRecord::new(DatasetId::embedded_mnist(), 1.0, Outcome::Classifier(result.clone()));
    write(&dir, "records", "p2-record.json", record.encode()?.as_bytes())?;
    let mut bundle = Bundle::new(vec![record.clone()]);
    bundle.add_model(record.key(), &weights[..weights.len().min(4096)]);
    write(&dir, "records", "bundle.json", bundle.encode()?.as_bytes())?;
    if let Some(link) = share::encode(&record)? {
        write(&dir, "records", "shared-link.txt", link.as_bytes())?;
    }
    let mut p2d = result;
    p2d.config = RunConfig::p2d();
    write(&dir, "records", "legacy-p2d.json", serde_json::to_string(&p2d)?.as_bytes())?;
    write(&dir, "records", "class-names.json", serde_json::to_string(&ClassNames::parse(&FASHION_MNIST.join(","))?)?.as_bytes())?;
    // The page's links: the defaults of each experiment and the README's examples.
    for (i, link) in [
        PageQuery::default().to_query_string(),
        "experiment=p2&epochs=10&batch_size=128&lr=0.1&seed=1&train_size=60000&autostart=1".to_string(),
        "experiment=p2d&factors=0.000001,0.00001,0.0001,0.001,0.01&replicates=3&workers=2".to_string(),
        "experiment=p3&epochs=3&train_size=12000&backend=cpu&keep_cnn=1".to_string(),
        "experiment=p4&epochs=1&cnn_epochs=2&report=quick&data=user-data/0123456789abcdef".to_string(),
    ]
    .iter()
    .enumerate()
    {
        write(&dir, "page_query", &format!("link-{i}"), link.trim_start_matches('?').as_bytes())?;
    }
    println!("seeds written to {}", dir.display());
    Ok(())
}
