//! The config codec and the URL contract.

use super::*;
use crate::experiment::p2d::SweepSpec;
use super::run_config::{AdamConfig, SgdConfig};

#[test]
fn the_contract_example_parses() {
    let (q, errors) = PageQuery::parse([
        ("experiment", "p2"), ("epochs", "1"), ("batch_size", "128"), ("lr", "0.1"), ("seed", "1"),
        ("train_size", "6000"), ("backend", "auto"), ("autostart", "1"),
    ]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(q.config.schedule.epochs, 1);
    assert_eq!(q.config.data.train_size, 6000);
    assert_eq!(q.backend, BackendChoice::Auto);
    assert!(q.autostart);
    assert_eq!(q.config.steps_per_epoch(), 47);
}

#[test]
fn no_query_means_the_seed_setup() {
    let (q, errors) = PageQuery::parse(Vec::<(String, String)>::new());
    assert!(errors.is_empty());
    assert_eq!(q.config, RunConfig::p2());
    assert_eq!(q.config.steps_per_epoch(), 469);
    assert!(!q.autostart);
}

#[test]
fn bad_values_are_reported_not_silently_defaulted() {
    let (q, errors) = PageQuery::parse([("epochs", "0"), ("lr", "abc"), ("backend", "tpu"), ("colour", "red"), ("train_size", "70000"), ("seed", "9007199254740992")]);
    let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 6, "{messages:?}");
    assert!(messages.iter().any(|m| m.starts_with("'seed=9007199254740992' is out of range")));
    assert!(messages.iter().any(|m| m.contains("unknown URL parameter 'colour'")));
    assert!(messages.iter().any(|m| m.contains("'backend=tpu'")));
    assert!(messages.iter().any(|m| m.contains("'lr=abc' is not a valid number")));
    assert!(messages.iter().any(|m| m.starts_with("'epochs=0' is out of range")));
    assert!(messages.iter().any(|m| m.starts_with("'train_size=70000' is out of range")));
    // What is shown as running stays valid.
    assert_eq!(q.config.schedule.epochs, 10);
    assert_eq!(q.config.data.train_size, 60_000);
    assert!(q.config.validate().is_ok());
}

#[test]
fn a_batch_larger_than_the_models_activations_allow_is_refused_with_the_reason() {
    // P3's CNN at batch 8192 would ask for several GB of activations; the MLP takes it.
    let (q, errors) = PageQuery::parse([("experiment", "p3"), ("batch_size", "8192")]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let message = errors[0].to_string();
    assert!(message.starts_with("'batch_size=8192' is out of range (1 to ") && message.contains("MB per image"), "{message}");
    assert_eq!(q.config.schedule.batch_size, 128);
    let max = max_batch_size(ExperimentId::P3);
    assert!(PageQuery::parse([("experiment", "p3"), ("batch_size", max.to_string().as_str())]).1.is_empty());
    assert!(PageQuery::parse([("experiment", "p2"), ("batch_size", "8192")]).1.is_empty());
}

#[test]
fn p2d_sweep_parameters() {
    let (q, errors) = PageQuery::parse([("experiment", "p2d"), ("factors", "1e-6,1e-4"), ("replicates", "2"), ("epochs", "1"), ("train_size", "6000"), ("seed", "1"), ("autostart", "1")]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(q.config.experiment, ExperimentId::P2d);
    assert_eq!(q.sweep.factors, vec![1e-6, 1e-4]);
    assert_eq!(q.sweep.replicates, 2);
    let (again, errors) = PageQuery::parse(q.to_query_string().split('&').filter_map(|kv| kv.split_once('=')));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(again, q);
    // Seed defaults when the URL says nothing.
    let (q, _) = PageQuery::parse([("experiment", "p2d")]);
    assert_eq!(q.config.schedule.epochs, 40);
    assert_eq!(q.sweep.factors, vec![1e-6, 1e-5, 1e-4, 5e-4, 1e-3]);
    assert_eq!(q.sweep.replicates, 3);
    // Refused: bad factors, replicates out of range, sweep keys on P2.
    let (_, errors) = PageQuery::parse([("experiment", "p2d"), ("factors", "1e-4,abc"), ("replicates", "0")]);
    assert_eq!(errors.len(), 2, "{errors:?}");
    let (_, errors) = PageQuery::parse([("factors", "1e-4")]);
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn p4_parameters() {
    let (q, errors) = PageQuery::parse([("experiment", "p4"), ("epochs", "1"), ("train_size", "6000"), ("seed", "1"), ("autostart", "1"), ("test_size", "1000"), ("cnn_epochs", "2"), ("keep_cnn", "1")]);
    assert!(q.keep_cnn);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!((q.config.schedule.epochs, q.config.schedule.batch_size, q.config.optimizer.lr()), (1, 64, 1e-3));
    assert_eq!((q.config.data.test_size, q.cnn_epochs), (1000, Some(2)));
    let (again, errors) = PageQuery::parse(q.to_query_string().split('&').filter_map(|kv| kv.split_once('=')));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(again, q);
    let (q, _) = PageQuery::parse([("experiment", "p4")]);
    assert_eq!(q.config, RunConfig::p4());
    assert_eq!((q.config.schedule.epochs, q.config.data.test_size, q.cnn_epochs), (32, 10_000, None));
    let (_, errors) = PageQuery::parse([("experiment", "p3"), ("cnn_epochs", "2")]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let (q, errors) = PageQuery::parse([("experiment", "p4"), ("test_size", "0"), ("cnn_epochs", "999")]);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!((q.config.data.test_size, q.cnn_epochs), (10_000, None));
}

#[test]
fn duplicate_keys_are_refused_by_name() {
    let (q, errors) = PageQuery::parse([("epochs", "3"), ("epochs", "7"), ("lr", "0.05")]);
    assert_eq!(errors, vec![ParamError::Duplicate("epochs".into())]);
    assert_eq!(q.config.schedule.epochs, 3);
    assert_eq!(q.config.optimizer.lr(), 0.05);
}

#[test]
fn workers_and_report_keys() {
    let (q, errors) = PageQuery::parse([("experiment", "p2d"), ("workers", "3"), ("report", "quick")]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!((q.workers, q.report), (Some(3), Some(super::super::report::ReportPreset::Quick)));
    let (again, errors) = PageQuery::parse(q.to_query_string().split('&').filter_map(|kv| kv.split_once('=')));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(again, q);
    let (_, errors) = PageQuery::parse([("experiment", "p2d"), ("workers", "9")]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let (_, errors) = PageQuery::parse([("workers", "2")]);
    assert_eq!(errors.len(), 1, "workers belongs to p2d: {errors:?}");
    let (q, errors) = PageQuery::parse([("experiment", "p3"), ("threads", "8")]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(q.threads, Some(8));
    assert!(q.to_query_string().contains("threads=8"));
    for bad in ["0", "17", "many"] {
        let (q, errors) = PageQuery::parse([("threads", bad)]);
        assert_eq!((q.threads, errors.len()), (None, 1), "{bad}");
    }
    let (_, errors) = PageQuery::parse([("report", "everything")]);
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn query_string_round_trips() {
    // Found by fuzzing (fuzz/fuzz_targets/page_query.rs): "x\t/" once became "x\t",
    // whose URL form read back as "x". Now both normalise at once, and control
    // characters are refused.
    for (raw, base) in [("x/ /", "x"), ("x \t/", "x"), (" http://h/a/b// ", "http://h/a/b")] {
        let (q, errors) = PageQuery::parse([("data", raw)]);
        assert!(errors.is_empty(), "{raw:?}: {errors:?}");
        assert_eq!(q.data.as_deref(), Some(base), "{raw:?}");
    }
    for raw in ["a\tb", "a\0b", "/ /", "\u{7f}"] {
        let (q, errors) = PageQuery::parse([("data", raw)]);
        assert_eq!((q.data, errors.len()), (None, 1), "{raw:?}");
    }
    let (q, _) = PageQuery::parse([("epochs", "3"), ("seed", "7"), ("backend", "cpu"), ("autostart", "1"), ("data", "http://127.0.0.1:8000/m nist/")]);
    let s = q.to_query_string();
    assert!(s.contains("data=http://127.0.0.1:8000/m%20nist"), "{s}");
    let pairs: Vec<(String, String)> = s.split('&').map(|kv| {
        let (k, v) = kv.split_once('=').unwrap();
        (k.to_string(), v.replace("%20", " "))
    }).collect();
    let (again, errors) = PageQuery::parse(pairs);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(again, q);
}

/// Every valid setup of every experiment survives the one codec: `to_pairs` then
/// `parse` gives the same query back, with no error; so do the encoded query string
/// and its decoding.
#[cfg(not(target_arch = "wasm32"))]
mod codec {
    use super::*;
    use crate::experiment::report::ReportPreset;
    use proptest::prelude::*;

    const FACTORS: [f64; 8] = [1e-6, 1e-5, 1e-4, 5e-4, 1e-3, 0.01, 0.25, 1.0];

    fn query() -> impl Strategy<Value = PageQuery> {
        (
            prop_oneof![Just(ExperimentId::P2), Just(ExperimentId::P2d), Just(ExperimentId::P3), Just(ExperimentId::P4)],
            (1usize..=200, 1usize..=MAX_BATCH_SIZE, 1u32..=100_000, 0u64..=MAX_SEED, 1usize..=TRAIN_IMAGES, 1usize..=TEST_IMAGES),
            prop_oneof![Just(BackendChoice::Auto), Just(BackendChoice::Webgpu), Just(BackendChoice::Cpu)],
            (any::<bool>(), proptest::option::of("[a-z]{1,8}(/[a-z0-9._-]{1,8}){0,2}"), proptest::option::of(prop_oneof![Just(ReportPreset::Full), Just(ReportPreset::Quick)])),
            (proptest::sample::subsequence(FACTORS.to_vec(), 1..=FACTORS.len()), 1usize..=10, proptest::option::of(1usize..=MAX_SWEEP_WORKERS)),
            (proptest::option::of(1usize..=200), any::<bool>(), proptest::option::of(1usize..=MAX_THREADS)),
        )
            .prop_map(|(experiment, (epochs, batch_size, lr_millis, seed, train_size, test_size), backend, (autostart, data, report), (factors, replicates, workers), (cnn_epochs, keep_cnn, threads))| {
                let batch_size = batch_size.min(max_batch_size(experiment));
                let config = RunConfig::for_experiment(experiment).with_epochs(epochs).with_batch_size(batch_size).with_lr(f64::from(lr_millis) / 10_000.0).with_seed(seed).with_train_size(train_size).with_test_size(test_size);
                let p2d = experiment == ExperimentId::P2d;
                let p4 = experiment == ExperimentId::P4;
                PageQuery {
                    config,
                    backend,
                    autostart,
                    data: data.map(|d| format!("https://example.org/{d}")),
                    sweep: if p2d { SweepSpec { factors, replicates } } else { SweepSpec::default() },
                    cnn_epochs: cnn_epochs.filter(|_| p4),
                    keep_cnn: keep_cnn && p4,
                    workers: workers.filter(|_| p2d),
                    report,
                    threads,
                }
            })
    }

    fn decode(value: &str) -> String {
        let bytes = value.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
                out.push(u8::from_str_radix(&value[i + 1..i + 3], 16).expect("hex"));
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("utf-8")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn every_valid_query_round_trips(q in query()) {
            prop_assert!(q.config.validate().is_ok());
            let (again, errors) = PageQuery::parse(q.to_pairs());
            prop_assert!(errors.is_empty(), "{errors:?}");
            prop_assert_eq!(&again, &q);
            let encoded = q.to_query_string();
            let pairs = encoded.split('&').map(|kv| {
                let (k, v) = kv.split_once('=').expect("key=value");
                (k.to_string(), decode(v))
            });
            let (from_string, errors) = PageQuery::parse(pairs);
            prop_assert!(errors.is_empty(), "{errors:?}");
            prop_assert_eq!(from_string, q);
        }

        /// One run's config (a sweep's network with its factor included) survives the
        /// config codec and serde, which goes through it.
        #[test]
        fn every_valid_config_round_trips(q in query(), factor in proptest::sample::select(FACTORS.to_vec())) {
            let config = if q.config.experiment == ExperimentId::P2d { q.config.with_l2(factor) } else { q.config };
            prop_assert!(config.validate().is_ok());
            prop_assert_eq!(RunConfig::from_pairs(&config.to_pairs()), Ok(config.clone()));
            let json = serde_json::to_string(&config).expect("serialises");
            prop_assert_eq!(serde_json::from_str::<RunConfig>(&json).expect("reads back"), config);
        }
    }
}

#[test]
fn configs_are_nested_and_each_experiment_has_its_optimizer() {
    let p2 = RunConfig::p2();
    assert_eq!(p2.optimizer, OptimizerConfig::Sgd(SgdConfig { lr: 0.1 }));
    assert_eq!(p2.model, ModelConfig::Mlp { l2: 0.0 });
    assert_eq!((p2.schedule.epochs, p2.schedule.batch_size, p2.data.train_size), (10, 128, 60_000));
    let p4 = RunConfig::p4();
    assert_eq!(p4.optimizer, OptimizerConfig::Adam(AdamConfig { lr: 1e-3 }));
    assert_eq!(p4.model, ModelConfig::Autoencoder);
    // An Adam rate set on an SGD experiment (or the reverse) is refused, not trained.
    let wrong = RunConfig { optimizer: OptimizerConfig::Adam(AdamConfig { lr: 0.1 }), ..RunConfig::p3() };
    let errors = wrong.validate().unwrap_err();
    assert!(errors.iter().any(|e| e.to_string().contains("optimizer for experiment p3")), "{errors:?}");
    let wrong = RunConfig { model: ModelConfig::Mlp { l2: 0.0 }, ..RunConfig::p4() };
    assert!(wrong.validate().is_err());
    // Only the MLPs have an L2 factor.
    assert_eq!(RunConfig::p3().with_l2(0.5).model, ModelConfig::Cnn);
    let errors = RunConfig::from_pairs(&[("experiment", "p3"), ("l2", "1e-4")]).unwrap_err();
    assert!(errors[0].to_string().contains("only the MLPs have an L2 factor"), "{errors:?}");
}

#[test]
fn the_config_codec_is_strict_and_serde_goes_through_it() {
    let network = RunConfig::p2d().with_epochs(3).with_l2(5e-4).with_seed(77).with_test_size(2000);
    let pairs = network.to_pairs();
    assert_eq!(RunConfig::from_pairs(&pairs), Ok(network.clone()));
    // serde writes the codec's pairs, and reads them back.
    let json = serde_json::to_string(&network).unwrap();
    assert_eq!(json, r#"{"experiment":"p2d","epochs":"3","batch_size":"128","lr":"0.1","seed":"77","train_size":"60000","test_size":"2000","l2":"5e-4"}"#);
    assert_eq!(serde_json::from_str::<RunConfig>(&json).unwrap(), network);
    // Records kept by older versions wrote the flat struct, numbers and all.
    let old = r#"{"experiment":"p2d","epochs":3,"batch_size":128,"lr":0.1,"seed":77,"train_size":60000,"test_size":2000,"l2":0.0005}"#;
    assert_eq!(serde_json::from_str::<RunConfig>(old).unwrap(), network);
    let old_p3 = r#"{"experiment":"p3","epochs":40,"batch_size":128,"lr":0.1,"seed":1,"train_size":60000,"l2":0.0}"#;
    assert_eq!(serde_json::from_str::<RunConfig>(old_p3).unwrap(), RunConfig::p3());
    // Strict: unknown or repeated keys, out-of-range values, no experiment.
    for bad in [
        r#"{"experiment":"p2","epochs":"3","colour":"red"}"#,
        r#"{"experiment":"p2","epochs":"3","epochs":"4"}"#,
        r#"{"experiment":"p2","epochs":"0"}"#,
        r#"{"epochs":"3"}"#,
        r#"{"experiment":"p4","lr":"NaN"}"#,
    ] {
        assert!(serde_json::from_str::<RunConfig>(bad).is_err(), "{bad}");
    }
}
