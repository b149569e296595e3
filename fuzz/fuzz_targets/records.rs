//! Every stored or shared record decoder: a kept run (IndexedDB), a bundle file, a shared
//! link's fragment, an old P2D localStorage entry, kept class names. Each reads text from
//! outside (another version of the page, another person, a damaged store) strictly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mnist_lab::data::ClassNames;
use mnist_lab::experiment::record::{Bundle, RunRecord, legacy, share};

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    if let Ok(record) = RunRecord::read(text) {
        // A record that reads is one the page can key and show: it decodes under its key.
        let key = record.key();
        let encoded = record.encode().expect("a read record encodes");
        assert!(RunRecord::decode(&key, &encoded).is_ok());
    }
    let _ = RunRecord::decode("v1/0000000000000000/experiment=p2", text);
    if let Ok(bundle) = Bundle::decode(text) {
        let _ = bundle.decoded_models();
    }
    let _ = share::decode(text);
    let _ = legacy::migrate_p2d_v1(&format!("{}experiment=p2d&l2=0.001", legacy::P2D_V1_PREFIX), text, 0.0);
    let _ = serde_json::from_str::<ClassNames>(text);
    let _ = ClassNames::parse(text);
});
