//! A dataset the visitor uploads (or a `data=` source serves): four files, raw IDX or
//! gzip, through the same checks as the page's (`data::uploaded::read`: names, gzip with
//! its size cap, IDX shapes, labels 0-9, counts). The input is split into four files at
//! the lengths its first six bytes give, so the fuzzer can grow each file on its own.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mnist_lab::data::mnist::{COLS, ROWS};
use mnist_lab::data::{CLASSES, MnistFile, uploaded};

fuzz_target!(|bytes: &[u8]| {
    if bytes.len() < 6 {
        return;
    }
    let (lengths, mut rest) = bytes.split_at(6);
    let mut files = Vec::with_capacity(4);
    for (i, file) in MnistFile::ALL.iter().enumerate() {
        // The last file takes what is left; the others 16-bit lengths.
        let take = if i == 3 { rest.len() } else { usize::from(u16::from_le_bytes([lengths[2 * i], lengths[2 * i + 1]])).min(rest.len()) };
        let (this, next) = rest.split_at(take);
        rest = next;
        files.push((file.gz_name().to_string(), this.to_vec()));
    }
    if let Ok((mnist, raw)) = uploaded::read(files) {
        for split in [&mnist.train, &mnist.test] {
            assert_eq!(split.images.len(), split.labels.len() * ROWS * COLS);
            assert!(split.labels.iter().all(|&l| usize::from(l) < CLASSES));
        }
        assert!(raw.iter().zip(MnistFile::ALL).all(|(r, f)| r.len() <= f.max_raw_len() + 16));
    }
});
