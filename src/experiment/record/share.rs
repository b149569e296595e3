//! A finished run in a link: `#run=<base64url of the deflated record>`, after the page's own
//! query. The fragment never reaches a server; the page that opens it shows the run in its
//! tab, marked as computed in the sender's browser, without training.

use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;

use super::*;

/// The fragment's key.
pub const PREFIX: &str = "run=";
/// The longest fragment a shared link may carry: browsers keep URLs of a few MB, chat
/// and mail programs much less; a longer run is shared as a bundle file.
pub const MAX_FRAGMENT: usize = 200_000;

/// The fragment (without `#`) that shares `record`; `None` if it is too long for a link.
pub fn encode(record: &RunRecord) -> Result<Option<String>, RecordError> {
    let text = record.encode()?;
    let mut deflate = DeflateEncoder::new(Vec::new(), Compression::best());
    deflate.write_all(text.as_bytes()).map_err(|e| RecordError::Unreadable(e.to_string()))?;
    let bytes = deflate.finish().map_err(|e| RecordError::Unreadable(e.to_string()))?;
    let fragment = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    Ok((fragment.len() <= MAX_FRAGMENT).then_some(fragment))
}

/// Reads a shared run from a fragment (with or without `#`): capped before and after
/// inflating, then decoded as strictly as a kept record, and marked [`Origin::SharedLink`].
pub fn decode(fragment: &str) -> Result<RunRecord, RecordError> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    let data = fragment.strip_prefix(PREFIX).ok_or_else(|| RecordError::Unreadable("the link carries no run".into()))?;
    if data.len() > MAX_FRAGMENT {
        return Err(RecordError::TooLarge(data.len()));
    }
    let bytes = URL_SAFE_NO_PAD.decode(data.trim_end_matches('=')).map_err(|e| RecordError::Unreadable(format!("the link's run is not base64url ({e})")))?;
    let mut text = Vec::new();
    DeflateDecoder::new(bytes.as_slice())
        .take(MAX_RECORD_BYTES as u64 + 1)
        .read_to_end(&mut text)
        .map_err(|e| RecordError::Unreadable(format!("the link's run does not inflate ({e})")))?;
    if text.len() > MAX_RECORD_BYTES {
        return Err(RecordError::TooLarge(text.len()));
    }
    let text = String::from_utf8(text).map_err(|_| RecordError::Unreadable("the link's run is not UTF-8".into()))?;
    let mut record = RunRecord::read(&text)?;
    record.origin = Origin::SharedLink;
    Ok(record)
}
