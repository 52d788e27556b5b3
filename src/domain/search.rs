//! What a person types into a search box, made into words that find names
//! as people write them: case and diacritics do not matter ("jyvaskyla"
//! finds Jyväskylä), and a word's basic form finds its inflected forms
//! ("Keski-Suomi" finds "Keski-Suomen hyvinvointialue").
//!
//! The same folding runs in Rust (the login page's organisation logins)
//! and in SQL on both engines (the organisation register): [`sql_fold`]
//! writes it as nested `REPLACE`s over `LOWER`, from the one table
//! [`FOLDS`], so SQLite (whose `LOWER` folds only ASCII) and PostgreSQL
//! agree with Rust on every letter the table names.

/// Letters folded to a base letter: upper- and lower-case forms both, so
/// that SQLite's ASCII-only `LOWER` needs none of the non-ASCII ones.
pub const FOLDS: &[(char, char)] = &[
    ('ä', 'a'),
    ('Ä', 'a'),
    ('å', 'a'),
    ('Å', 'a'),
    ('á', 'a'),
    ('Á', 'a'),
    ('à', 'a'),
    ('À', 'a'),
    ('â', 'a'),
    ('Â', 'a'),
    ('æ', 'a'),
    ('Æ', 'a'),
    ('ö', 'o'),
    ('Ö', 'o'),
    ('ø', 'o'),
    ('Ø', 'o'),
    ('ó', 'o'),
    ('Ó', 'o'),
    ('ô', 'o'),
    ('Ô', 'o'),
    ('õ', 'o'),
    ('Õ', 'o'),
    ('ü', 'u'),
    ('Ü', 'u'),
    ('ú', 'u'),
    ('Ú', 'u'),
    ('é', 'e'),
    ('É', 'e'),
    ('è', 'e'),
    ('È', 'e'),
    ('ë', 'e'),
    ('Ë', 'e'),
    ('í', 'i'),
    ('Í', 'i'),
    ('š', 's'),
    ('Š', 's'),
    ('ž', 'z'),
    ('Ž', 'z'),
];

/// At most this many words of a query count (the rest are left out).
pub const MAX_WORDS: usize = 6;

/// `text` folded: the letters of [`FOLDS`] to their base letter, ASCII to
/// lower case; anything else as it is (as SQLite's `LOWER` leaves it).
pub fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match FOLDS.iter().find(|(from, _)| *from == c) {
            Some((_, to)) => *to,
            None => c.to_ascii_lowercase(),
        })
        .collect()
}

/// The SQL of [`fold`] over the expression `expr`: `REPLACE`s for the
/// table, then `LOWER` (the same on SQLite and PostgreSQL for ASCII; the
/// table's letters are gone by then).
pub fn sql_fold(expr: &str) -> String {
    let mut out = expr.to_string();
    for (from, to) in FOLDS {
        out = format!("REPLACE({out}, '{from}', '{to}')");
    }
    format!("LOWER({out})")
}

/// A search query as words that each must be found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchTerms(Vec<String>);

impl SearchTerms {
    /// Folds each word of `query` and cuts an ending vowel off a word of
    /// five letters or more, so that the basic form finds the inflected
    /// one: "suomi" finds "suomen", "jyvaskyla" "jyvaskylan".
    pub fn parse(query: &str) -> Self {
        let words = query
            .split_whitespace()
            .take(MAX_WORDS)
            .map(|w| {
                let mut w = fold(w);
                if w.chars().count() >= 5 && w.ends_with(['a', 'e', 'i', 'o', 'u', 'y']) {
                    w.pop();
                }
                w
            })
            .collect();
        Self(words)
    }

    pub fn words(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every word is found in `haystack` (folded here).
    pub fn find_in(&self, haystack: &str) -> bool {
        let hay = fold(haystack);
        self.0.iter().all(|w| hay.contains(w.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_diacritics_do_not_matter() {
        assert_eq!(fold("Jyväskylän TERVEYSKESKUS"), "jyvaskylan terveyskeskus");
        assert_eq!(fold("Åbo Ämbetsverk Öst"), "abo ambetsverk ost");
        let t = SearchTerms::parse("jyvaskyla");
        assert!(t.find_in("Jyväskylän terveyskeskus (demo)"));
        assert!(t.find_in("JYVÄSKYLÄ"));
        assert!(!t.find_in("Jämsä"));
    }

    #[test]
    fn a_basic_form_finds_the_inflected_one() {
        let t = SearchTerms::parse("Keski-Suomi");
        assert_eq!(t.words(), ["keski-suom"]);
        assert!(t.find_in("Keski-Suomen hyvinvointialue (demo)"));
        // Every word must be found, in any order.
        let t = SearchTerms::parse("hyvinvointialue keski-suomi");
        assert!(t.find_in("Keski-Suomen hyvinvointialue"));
        assert!(!t.find_in("Keski-Suomen sairaanhoitopiiri"));
        // Short words stay whole: "oy" does not become "o".
        assert_eq!(SearchTerms::parse("Oy ab").words(), ["oy", "ab"]);
    }

    #[test]
    fn the_sql_folds_every_letter_of_the_table() {
        let sql = sql_fold("name_fi");
        for (from, to) in FOLDS {
            assert!(sql.contains(&format!(", '{from}', '{to}')")), "{from}");
        }
        assert!(sql.starts_with("LOWER(") && sql.contains("(name_fi, "));
        assert!(SearchTerms::parse("  ").is_empty());
        assert_eq!(
            SearchTerms::parse("a b c d e f g h").words().len(),
            MAX_WORDS
        );
    }
}
