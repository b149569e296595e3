//! Names for a dataset's ten classes: MNIST's are its digits; a dataset the visitor brings
//! (Fashion-MNIST, KMNIST…) may name its classes, and the page then labels its bars, digit
//! grids and confusion matrix with them. Presentation only: the dataset's hash, and so
//! which results belong to it, does not depend on them.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::CLASSES;

/// The longest name kept: room for "T-shirt/top" and "Ankle boot", not for a paragraph.
pub const MAX_NAME_CHARS: usize = 24;

/// Fashion-MNIST's classes, in its label order (Xiao et al., 2017).
pub const FASHION_MNIST: [&str; CLASSES] = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
/// KMNIST's classes: the ten hiragana, romanised (Clanuwat et al., 2018).
pub const KMNIST: [&str; CLASSES] = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"];

/// Why a list of names was refused.
#[derive(Debug, Error, PartialEq)]
pub enum ClassNamesError {
    #[error("{CLASSES} names are needed, one per label 0–9; {0} given")]
    Count(usize),
    #[error("the name for label {0} is empty")]
    Empty(usize),
    #[error("the name for label {0} is longer than {MAX_NAME_CHARS} characters")]
    TooLong(usize),
    #[error("the name for label {0} holds a control character")]
    Control(usize),
}

/// Ten checked names, one per label (stored as a JSON list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct ClassNames(Vec<String>);

impl ClassNames {
    /// "0" … "9".
    pub fn digits() -> Self {
        Self((0..CLASSES).map(|c| c.to_string()).collect())
    }

    /// Ten names separated by commas or new lines (blank lines and surrounding space
    /// ignored), e.g. "T-shirt/top, Trouser, …".
    pub fn parse(text: &str) -> Result<Self, ClassNamesError> {
        let separator = if text.contains('\n') { '\n' } else { ',' };
        let names: Vec<String> = text.split(separator).map(str::trim).filter(|n| !n.is_empty()).map(String::from).collect();
        Self::try_from(names)
    }

    /// The name of label `class` (its number where out of range).
    pub fn name(&self, class: usize) -> String {
        self.0.get(class).cloned().unwrap_or_else(|| class.to_string())
    }

    /// Whether these are the plain digits (nothing to say beside a number).
    pub fn is_digits(&self) -> bool {
        *self == Self::digits()
    }

    /// "3 (Dress)" where the class has a name, "3" for a digit.
    pub fn label(&self, class: usize) -> String {
        let name = self.name(class);
        if name == class.to_string() { name } else { format!("{class} ({name})") }
    }

    /// The names joined by ", ", as [`Self::parse`] reads them back.
    pub fn to_text(&self) -> String {
        self.0.join(", ")
    }
}

impl TryFrom<Vec<String>> for ClassNames {
    type Error = ClassNamesError;

    fn try_from(names: Vec<String>) -> Result<Self, Self::Error> {
        if names.len() != CLASSES {
            return Err(ClassNamesError::Count(names.len()));
        }
        for (class, name) in names.iter().enumerate() {
            if name.trim().is_empty() {
                return Err(ClassNamesError::Empty(class));
            }
            if name.chars().count() > MAX_NAME_CHARS {
                return Err(ClassNamesError::TooLong(class));
            }
            if name.chars().any(char::is_control) {
                return Err(ClassNamesError::Control(class));
            }
        }
        Ok(Self(names.into_iter().map(|n| n.trim().to_string()).collect()))
    }
}

impl From<ClassNames> for Vec<String> {
    fn from(names: ClassNames) -> Self {
        names.0
    }
}

impl Default for ClassNames {
    fn default() -> Self {
        Self::digits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_names_by_commas_or_lines() {
        let fashion = ClassNames::parse(&FASHION_MNIST.join(", ")).unwrap();
        assert_eq!(fashion.name(9), "Ankle boot");
        assert_eq!(fashion.label(3), "3 (Dress)");
        assert_eq!(ClassNames::parse(&FASHION_MNIST.join("\n")).unwrap(), fashion);
        // Commas inside names survive when names come one per line.
        let lines = ClassNames::parse("a, b\nc\nd\ne\nf\ng\nh\ni\nj\nk\n").unwrap();
        assert_eq!(lines.name(0), "a, b");
        assert_eq!(ClassNames::parse(&fashion.to_text()).unwrap(), fashion);
        assert!(ClassNames::digits().is_digits());
        assert_eq!(ClassNames::digits().label(7), "7");
        assert_eq!(fashion.name(10), "10");
    }

    #[test]
    fn bad_lists_are_refused_with_the_reason() {
        assert_eq!(ClassNames::parse("a, b, c"), Err(ClassNamesError::Count(3)));
        assert_eq!(ClassNames::parse(""), Err(ClassNamesError::Count(0)));
        let mut long = KMNIST.map(String::from).to_vec();
        long[4] = "x".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(ClassNames::try_from(long), Err(ClassNamesError::TooLong(4)));
        let mut control = KMNIST.map(String::from).to_vec();
        control[2] = "s\u{7}u".into();
        assert_eq!(ClassNames::try_from(control), Err(ClassNamesError::Control(2)));
        let mut empty = KMNIST.map(String::from).to_vec();
        empty[0] = "  ".into();
        assert_eq!(ClassNames::try_from(empty), Err(ClassNamesError::Empty(0)));
    }

    #[test]
    fn stored_names_are_checked_when_read() {
        let json = serde_json::to_string(&ClassNames::parse(&KMNIST.join(",")).unwrap()).unwrap();
        assert_eq!(serde_json::from_str::<ClassNames>(&json).unwrap().name(1), "ki");
        assert!(serde_json::from_str::<ClassNames>(r#"["a","b"]"#).is_err());
        assert!(serde_json::from_str::<ClassNames>(r#"{"a":1}"#).is_err());
    }
}
