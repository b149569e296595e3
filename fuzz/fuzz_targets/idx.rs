//! The IDX parser: any bytes, at each rank MNIST uses, give an array whose dimensions
//! account for every payload byte, or an error; never a panic or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mnist_lab::data::idx::{MAX_PAYLOAD_BYTES, encode_u8, parse_u8};

fuzz_target!(|bytes: &[u8]| {
    for rank in 1..=3 {
        if let Ok(array) = parse_u8(bytes, rank) {
            assert_eq!(array.dims.len(), rank);
            assert_eq!(array.dims.iter().product::<usize>(), array.data.len());
            assert!(array.data.len() <= MAX_PAYLOAD_BYTES);
            // What was read is what the file says: encoding it again gives the same bytes.
            assert_eq!(encode_u8(&array.dims, &array.data), bytes);
        }
    }
});
