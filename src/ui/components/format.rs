//! Small text formatters shared by the components.

/// `55050` -> `55,050`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes as `9.9 MB` / `28.2 KB` / `512 B`.
pub fn bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1_000_000.0 {
        format!("{:.1} MB", n / 1_000_000.0)
    } else if n >= 1_000.0 {
        format!("{:.1} KB", n / 1_000.0)
    } else {
        format!("{n:.0} B")
    }
}

/// A duration for humans: `42 s`, `3 min 05 s`, `1 h 02 min`.
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    }
}

/// `1 epoch`, `3 epochs`.
pub fn epochs(n: usize) -> String {
    if n == 1 { "1 epoch".to_string() } else { format!("{n} epochs") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(55_050), "55,050");
        assert_eq!(thousands(60_000), "60,000");
        assert_eq!(thousands(650), "650");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(bytes(9_912_422), "9.9 MB");
        assert_eq!(duration(65.2), "1 min 05 s");
        assert_eq!(epochs(1), "1 epoch");
    }
}
