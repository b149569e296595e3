use super::*;
use crate::experiment::EpochMetrics;
use crate::experiment::result::{Analysis, Mistake};

pub(crate) fn classifier(config: RunConfig) -> RunResult {
    let epochs = (1..=config.schedule.epochs.min(3))
        .map(|epoch| EpochMetrics { epoch, loss: 0.5 / epoch as f64, accuracy: 0.9, val_loss: 0.3, val_accuracy: 0.91, seconds: 1.5 })
        .collect();
    RunResult {
        backend: "cpu (flex)".into(),
        model: crate::model::summary::mlp_summary(&[64, 64]),
        history: epochs,
        test_loss: 0.3,
        test_accuracy: 0.91,
        seconds: 4.5,
        analysis: Some(Analysis {
            confusion: vec![vec![1; 10]; 10],
            mistakes: vec![Mistake { index: 3, label: 1, predicted: 7, pixels: vec![9; 784] }],
            filters: vec![],
        }),
        config,
    }
}

#[test]
fn round_trip_and_key() {
    let config = RunConfig::p2().with_epochs(3).with_train_size(6000);
    let record = RunRecord::new(DatasetId::embedded_mnist(), 1.7e12, Outcome::Classifier(classifier(config)));
    let key = record.key();
    assert!(key.starts_with(&format!("v{RECORD_SCHEMA}/{}/experiment=p2&epochs=3&", DatasetId::embedded_mnist().short())), "{key}");
    let text = record.encode().unwrap();
    assert_eq!(RunRecord::decode(&key, &text).unwrap(), record);
}

#[test]
fn keys_separate_what_trains_differently() {
    let mnist = DatasetId::embedded_mnist();
    let base = RunConfig::p2d().with_l2(1e-4);
    let key = |c: &RunConfig, d: &DatasetId| record_key(c, d);
    // The old P2D key left out test_size: two setups that differ only there collided.
    assert_ne!(key(&base, &mnist), key(&base.clone().with_test_size(2000), &mnist));
    assert_ne!(key(&base, &mnist), key(&base.clone().with_l2(1e-3), &mnist));
    assert_ne!(key(&base, &mnist), key(&base, &DatasetId::of_files("mine", &[b"a", b"b", b"c", b"d"])));
    assert_eq!(key(&base, &mnist), key(&base.clone(), &DatasetId::embedded_mnist()));
}

#[test]
fn decode_refuses_what_is_not_a_readable_record_of_its_key() {
    let config = RunConfig::p3().with_epochs(2);
    let record = RunRecord::new(DatasetId::embedded_mnist(), 0.0, Outcome::Classifier(classifier(config)));
    let key = record.key();
    let text = record.encode().unwrap();
    assert!(matches!(RunRecord::decode("v1/other", &text), Err(RecordError::WrongKey { .. })));
    assert!(matches!(RunRecord::decode(&key, &text.replace("\"schema\":1", "\"schema\":0")), Err(RecordError::Schema { found: 0 })));
    assert!(matches!(RunRecord::decode(&key, &text[..text.len() / 2]), Err(RecordError::Unreadable(_))));
    assert!(matches!(RunRecord::decode(&key, "null"), Err(RecordError::Unreadable(_))));
    assert!(matches!(RunRecord::decode(&key, &" ".repeat(MAX_RECORD_BYTES + 1)), Err(RecordError::TooLarge(_))));
    // NaN is written as null by JSON and cannot be read back as a number.
    let mut diverged = record.clone();
    if let Outcome::Classifier(r) = &mut diverged.outcome {
        r.test_loss = f64::NAN;
    }
    assert!(RunRecord::decode(&key, &diverged.encode().unwrap()).is_err());
    // A P3 config with P4's outcome kind, or an epoch count beyond the config's.
    let mut long = record.clone();
    if let Outcome::Classifier(r) = &mut long.outcome {
        r.config.schedule.epochs = 1;
    }
    assert!(matches!(RunRecord::decode(&long.key(), &long.encode().unwrap()), Err(RecordError::Invalid(_))));
    let mut bad_pixels = record;
    if let Outcome::Classifier(r) = &mut bad_pixels.outcome {
        r.analysis.as_mut().unwrap().mistakes[0].pixels.truncate(10);
    }
    assert!(matches!(RunRecord::decode(&key, &bad_pixels.encode().unwrap()), Err(RecordError::Invalid(_))));
}

fn denoiser() -> P4Result {
    use crate::experiment::p4::{DenoiseRow, Generated, GeneratedDigit, Generation, LossEpoch, NoiseGrid};
    let digit = |v: u8| GeneratedDigit { pixels: vec![v; 784], label: Some(3), confidence: Some(0.9) };
    P4Result {
        config: RunConfig::p4().with_epochs(2),
        backend: "cpu (flex)".into(),
        model: crate::model::summary::autoencoder_summary(),
        history: vec![LossEpoch { epoch: 1, loss: 0.2, val_loss: 0.19, seconds: 3.0 }, LossEpoch { epoch: 2, loss: 0.15, val_loss: 0.14, seconds: 3.0 }],
        val_loss: 0.14,
        seconds: 6.5,
        grid: NoiseGrid {
            digits: vec![1],
            labels: vec![0],
            levels: vec![0.0, 0.5],
            noisy: vec![vec![serde_bytes::ByteBuf::from(vec![1u8; 784]), serde_bytes::ByteBuf::from(vec![2u8; 784])]],
            denoised: vec![vec![serde_bytes::ByteBuf::from(vec![3u8; 784]), serde_bytes::ByteBuf::from(vec![4u8; 784])]],
        },
        cnn: Some("P3's CNN".into()),
        denoising: vec![DenoiseRow { level: 0.0, noisy_accuracy: 0.99, denoised_accuracy: 0.95 }],
        sampled: Generated { how: Generation::Sampled { seed: 1 }, digits: vec![digit(7)] },
        interpolated: Generated { how: Generation::Interpolated { from: 1, to: 2, from_label: 0, to_label: 4 }, digits: vec![digit(8), digit(9)] },
    }
}

#[test]
fn a_bundle_round_trips_every_run_type() {
    let mnist = DatasetId::embedded_mnist();
    let mut network = classifier(RunConfig::p2d().with_epochs(3).with_l2(1e-4).with_seed(99));
    network.analysis = None;
    let records = vec![
        RunRecord::new(mnist.clone(), 1.0, Outcome::Classifier(classifier(RunConfig::p2().with_epochs(3)))),
        RunRecord { part_of: Some("experiment=p2d&epochs=3&factors=1e-4&replicates=1".into()), ..RunRecord::new(mnist.clone(), 2.0, Outcome::Classifier(network)) },
        RunRecord::new(mnist.clone(), 3.0, Outcome::Classifier(classifier(RunConfig::p3().with_epochs(3)))),
        RunRecord::new(mnist, 4.0, Outcome::Denoiser(Box::new(denoiser()))),
    ];
    let text = Bundle::new(records.clone()).encode().unwrap();
    let back = Bundle::decode(&text).unwrap();
    assert_eq!(back.records.len(), 4);
    for (ours, theirs) in records.iter().zip(&back.records) {
        assert_eq!(theirs.origin, Origin::Imported);
        assert_eq!(RunRecord { origin: Origin::ThisBrowser, ..theirs.clone() }, *ours);
    }
    // A bundle with one damaged run is refused, naming the run; so is another file.
    let damaged = text.replacen("\"test_accuracy\":0.91", "\"test_accuracy\":7", 1);
    assert!(matches!(Bundle::decode(&damaged), Err(RecordError::Invalid(m)) if m.starts_with("run 1 of the bundle")));
    assert!(Bundle::decode("{\"format\":\"something else\",\"records\":[]}").is_err());
    assert!(Bundle::decode("[1, 2, 3]").is_err());
}

/// A safetensors file naming `model`, with one small tensor.
fn model_file(model: &str) -> Vec<u8> {
    let data = [0u8; 16];
    let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![2, 2], &data).unwrap();
    let header = std::collections::HashMap::from([(crate::model::weights::MODEL_KEY.to_string(), model.to_string())]);
    safetensors::serialize(vec![("w".to_string(), view)], Some(header)).unwrap()
}

#[test]
fn a_bundle_carries_the_runs_models_and_refuses_a_stray_or_wrong_one() {
    let record = RunRecord::new(DatasetId::embedded_mnist(), 1.0, Outcome::Classifier(classifier(RunConfig::p2().with_epochs(3))));
    let mut bundle = Bundle::new(vec![record.clone()]);
    let p2 = model_file("mnist-lab/p2-mlp");
    bundle.add_model(record.key(), &p2);
    let back = Bundle::decode(&bundle.encode().unwrap()).unwrap();
    assert_eq!(back.decoded_models(), vec![(record.key(), p2)]);
    // Another run's network, a model for no run of the bundle, and garbage are refused.
    let mut wrong = Bundle::new(vec![record.clone()]);
    wrong.add_model(record.key(), &model_file("mnist-lab/p3-cnn"));
    assert!(matches!(Bundle::decode(&wrong.encode().unwrap()), Err(RecordError::Invalid(m)) if m.contains("not mnist-lab/p2-mlp")));
    let mut stray = Bundle::new(vec![record.clone()]);
    stray.add_model("v1/0000/experiment=p2".into(), &model_file("mnist-lab/p2-mlp"));
    assert!(Bundle::decode(&stray.encode().unwrap()).is_err());
    let mut garbage = Bundle::new(vec![record.clone()]);
    garbage.models.insert(record.key(), "not base64!".into());
    assert!(Bundle::decode(&garbage.encode().unwrap()).is_err());
    // A bundle from before models were kept still reads.
    assert!(Bundle::decode(&Bundle::new(vec![record]).encode().unwrap()).unwrap().models.is_empty());
}

#[test]
fn a_shared_link_carries_a_run_and_refuses_what_is_not_one() {
    let record = RunRecord::new(DatasetId::embedded_mnist(), 9.0, Outcome::Classifier(classifier(RunConfig::p3().with_epochs(3))));
    let fragment = share::encode(&record).unwrap().expect("a P3 run fits a link");
    assert!(fragment.starts_with("run=") && fragment.len() < 20_000, "{} characters", fragment.len());
    let back = share::decode(&format!("#{fragment}")).unwrap();
    assert_eq!(back.origin, Origin::SharedLink);
    assert_eq!(RunRecord { origin: Origin::ThisBrowser, ..back }, record);
    let p4 = RunRecord::new(DatasetId::embedded_mnist(), 9.0, Outcome::Denoiser(Box::new(denoiser())));
    assert!(share::decode(&share::encode(&p4).unwrap().unwrap()).is_ok());

    assert!(share::decode("#other=1").is_err());
    assert!(share::decode("#run=***").is_err());
    assert!(share::decode("#run=AAAA").is_err());
    assert!(matches!(share::decode(&format!("#run={}", "A".repeat(share::MAX_FRAGMENT + 1))), Err(RecordError::TooLarge(_))));
    // A deflate bomb (64 MB of spaces in a short link) stops at the record cap.
    use std::io::Write;
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    deflate.write_all(&vec![b' '; 64 << 20]).unwrap();
    let bomb = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, deflate.finish().unwrap());
    assert!(bomb.len() < share::MAX_FRAGMENT);
    assert!(matches!(share::decode(&format!("run={bomb}")), Err(RecordError::TooLarge(_))));
}

#[test]
fn old_p2d_local_storage_entries_migrate() {
    // An entry exactly as the first page wrote it (key format of `ui::sweep_store` v1).
    let network = RunConfig::p2d().with_epochs(2).with_train_size(1000).with_l2(1e-4).with_seed(77);
    let mut result = classifier(network.clone());
    result.analysis = None;
    let key = format!("{}epochs=2&batch_size=128&lr=0.1&seed=1&train_size=1000&l2=1e-4&network_seed=77", legacy::P2D_V1_PREFIX);
    let value = serde_json::to_string(&result).unwrap();
    let record = legacy::migrate_p2d_v1(&key, &value, 5.0).expect("migrates");
    assert_eq!(record.dataset, DatasetId::embedded_mnist());
    assert_eq!(record.outcome, Outcome::Classifier(result.clone()));
    assert_eq!(record.saved_at_ms, 5.0);
    // Its new key reads back.
    assert_eq!(RunRecord::decode(&record.key(), &record.encode().unwrap()).unwrap(), record);
    // Another dataset's entry, an unreadable one, another experiment's: none.
    assert!(legacy::migrate_p2d_v1(&format!("{key}&data=https://x.test/m"), &value, 0.0).is_none());
    assert!(legacy::migrate_p2d_v1(&key, "{\"config\":", 0.0).is_none());
    assert!(legacy::migrate_p2d_v1(&key, "null", 0.0).is_none());
    let p2 = serde_json::to_string(&classifier(RunConfig::p2())).unwrap();
    assert!(legacy::migrate_p2d_v1(&key, &p2, 0.0).is_none());
    assert!(legacy::migrate_p2d_v1("other/key", &value, 0.0).is_none());
}
