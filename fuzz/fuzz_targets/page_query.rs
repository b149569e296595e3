//! The page's URL query (every setting of a shared link): any pairs parse into a valid
//! query plus the refused keys, and a query that parsed without errors survives its own
//! URL form unchanged (what the address bar shows reproduces the setup).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mnist_lab::experiment::PageQuery;

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    let pairs: Vec<(String, String)> = text
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (pair.to_string(), String::new()),
        })
        .collect();
    let (query, errors) = PageQuery::parse(pairs);
    assert!(query.config.validate().is_ok(), "a parsed query is always valid: {:?}", query.config);
    if errors.is_empty() {
        let again = query.to_query_string();
        // As the browser's URLSearchParams reads the address bar: values percent-decoded.
        let pairs = again.split('&').filter_map(|p| p.split_once('=')).map(|(k, v)| (k.to_string(), percent_decode(v)));
        let (reparsed, errors) = PageQuery::parse(pairs);
        assert!(errors.is_empty(), "its own URL form is refused: {again} {errors:?}");
        assert_eq!(reparsed, query, "{again}");
    }
});

/// `%XX` to its byte, the rest as is (the values `to_query_string` writes are UTF-8).
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
