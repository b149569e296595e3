//! Strict parser for the IDX format MNIST ships in.
//!
//! Layout (big-endian): two zero bytes, a type byte (0x08 = unsigned byte), the number of
//! dimensions, one `u32` per dimension, then the payload. Every length is checked before
//! anything is allocated, so a file that lies about its dimensions gives an error, never a
//! panic or a huge allocation.

use thiserror::Error;

/// Upper bound on the payload a single IDX file may claim (MNIST's largest is 47 MB).
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum IdxError {
    #[error("file too short for an IDX header ({0} bytes)")]
    TooShort(usize),
    #[error("bad IDX magic {0:02x?}: expected 00 00 08 <dims> (unsigned bytes)")]
    BadMagic([u8; 4]),
    #[error("expected {expected} dimensions, file has {found}")]
    WrongRank { expected: usize, found: usize },
    #[error("dimension {index} is {found}, expected {expected}")]
    WrongDimension { index: usize, expected: usize, found: usize },
    #[error("dimensions {dims:?} claim {claimed} bytes, more than the {limit}-byte limit")]
    TooLarge { dims: Vec<usize>, claimed: u128, limit: usize },
    #[error("dimensions {dims:?} need {expected} payload bytes, file has {found}")]
    WrongLength { dims: Vec<usize>, expected: usize, found: usize },
}

/// A parsed IDX array of unsigned bytes, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// Parses an IDX file of unsigned bytes with exactly `rank` dimensions.
pub fn parse_u8(bytes: &[u8], rank: usize) -> Result<IdxArray, IdxError> {
    if bytes.len() < 4 {
        return Err(IdxError::TooShort(bytes.len()));
    }
    let magic = [bytes[0], bytes[1], bytes[2], bytes[3]];
    if magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 {
        return Err(IdxError::BadMagic(magic));
    }
    let found_rank = usize::from(magic[3]);
    if found_rank != rank {
        return Err(IdxError::WrongRank { expected: rank, found: found_rank });
    }
    let header_len = 4 + 4 * rank;
    if bytes.len() < header_len {
        return Err(IdxError::TooShort(bytes.len()));
    }
    let dims: Vec<usize> = bytes[4..header_len]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let claimed: u128 = dims.iter().map(|&d| d as u128).product();
    if claimed > MAX_PAYLOAD_BYTES as u128 {
        return Err(IdxError::TooLarge { dims, claimed, limit: MAX_PAYLOAD_BYTES });
    }
    let expected = claimed as usize;
    let payload = &bytes[header_len..];
    if payload.len() != expected {
        return Err(IdxError::WrongLength { dims, expected, found: payload.len() });
    }
    Ok(IdxArray { dims, data: payload.to_vec() })
}

/// Encodes an IDX file of unsigned bytes (used by tests and tools that write subsets).
pub fn encode_u8(dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for &d in dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_valid_image_file() {
        let bytes = encode_u8(&[2, 2, 3], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        let array = parse_u8(&bytes, 3).expect("valid");
        assert_eq!(array.dims, vec![2, 2, 3]);
        assert_eq!(array.data[11], 12);
    }

    #[test]
    fn rejects_a_truncated_payload() {
        let mut bytes = encode_u8(&[3], &[1, 2, 3]);
        bytes.pop();
        assert_eq!(
            parse_u8(&bytes, 1),
            Err(IdxError::WrongLength { dims: vec![3], expected: 3, found: 2 })
        );
    }

    #[test]
    fn rejects_a_truncated_header() {
        let bytes = encode_u8(&[3, 28, 28], &[]);
        assert_eq!(parse_u8(&bytes[..9], 3), Err(IdxError::TooShort(9)));
        assert_eq!(parse_u8(&bytes[..2], 3), Err(IdxError::TooShort(2)));
    }

    #[test]
    fn rejects_wrong_magic_and_rank() {
        let mut bytes = encode_u8(&[1], &[7]);
        bytes[2] = 0x0D; // float payload: not what MNIST ships
        assert!(matches!(parse_u8(&bytes, 1), Err(IdxError::BadMagic(_))));
        let bytes = encode_u8(&[1], &[7]);
        assert_eq!(parse_u8(&bytes, 3), Err(IdxError::WrongRank { expected: 3, found: 1 }));
        let gzip_header = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0];
        assert!(matches!(parse_u8(&gzip_header, 1), Err(IdxError::BadMagic(_))));
    }

    #[test]
    fn lying_dimensions_are_refused_before_allocating() {
        // Claims 4e9 x 4e9 x 4e9 bytes with a 4-byte payload.
        let mut bytes = vec![0, 0, 8, 3];
        for _ in 0..3 {
            bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        }
        bytes.extend_from_slice(&[0; 4]);
        assert!(matches!(parse_u8(&bytes, 3), Err(IdxError::TooLarge { .. })));
        // Plausible dimensions, too little payload.
        let bytes = encode_u8(&[60000, 28, 28], &[0; 100]);
        assert!(matches!(parse_u8(&bytes, 3), Err(IdxError::WrongLength { expected: 47_040_000, .. })));
    }
}
