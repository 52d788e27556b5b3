//! Usernames by the region's rule: `etunimi.sukunimi` in lower-case ASCII,
//! with a number added when taken.

/// Folds Finnish and other Latin letters to ASCII and keeps only
/// `a-z`, `0-9` and `-`.
fn fold(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().to_lowercase().chars() {
        let mapped = match c {
            'ä' | 'å' | 'á' | 'à' | 'â' | 'ã' => "a",
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' | 'õ' => "o",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'ü' | 'ú' | 'ù' | 'û' => "u",
            'í' | 'ì' | 'î' | 'ï' => "i",
            'š' => "s",
            'ž' => "z",
            'ç' => "c",
            'ñ' => "n",
            'ß' => "ss",
            ' ' | '-' => "-",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "",
        };
        out.push_str(mapped);
    }
    let mut collapsed = String::new();
    for part in out.split('-').filter(|p| !p.is_empty()) {
        if !collapsed.is_empty() {
            collapsed.push('-');
        }
        collapsed.push_str(part);
    }
    collapsed
}

/// The username for a person before any number is added; `None` when the
/// names fold to nothing usable.
pub fn base(given: &str, family: &str) -> Option<String> {
    // The calling name is the first given name.
    let first = fold(given.split_whitespace().next().unwrap_or(""));
    let last = fold(family);
    (!first.is_empty() && !last.is_empty()).then(|| format!("{first}.{last}"))
}

/// The candidates in order: the base, then base2, base3, …
pub fn candidates(base: &str) -> impl Iterator<Item = String> + '_ {
    std::iter::once(base.to_string()).chain((2..).map(move |n| format!("{base}{n}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finnish_names_fold_to_ascii() {
        assert_eq!(
            base("Anna-Liisa Maria", "Mäkelä").as_deref(),
            Some("anna-liisa.makela")
        );
        assert_eq!(base("Åsa", "Öhman").as_deref(), Some("asa.ohman"));
        assert_eq!(
            base("Jean-Éric", "von Würst").as_deref(),
            Some("jean-eric.von-wurst")
        );
        assert_eq!(base("  ", "Virtanen"), None);
        assert_eq!(base("李", "Virtanen"), None);
        let c: Vec<String> = candidates("anna.mäkelä").take(3).collect();
        assert_eq!(c, vec!["anna.mäkelä", "anna.mäkelä2", "anna.mäkelä3"]);
    }
}
