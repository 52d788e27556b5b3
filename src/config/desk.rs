//! `[service_desk]`: the regional service desk a page names when a person
//! has nobody else to ask.

use serde::Deserialize;

/// The regional service desk: the fallback contact on every page that
/// tells a person whom to ask.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDesk {
    /// The desk's name in Finnish; `name_sv`/`name_en` default to it.
    pub name: String,
    #[serde(default)]
    pub name_sv: Option<String>,
    #[serde(default)]
    pub name_en: Option<String>,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
}

impl ServiceDesk {
    /// The desk's name in `lang`, falling back to Finnish.
    pub fn name_in(&self, lang: crate::domain::Lang) -> &str {
        use crate::domain::Lang;
        let own = match lang {
            Lang::Fi => None,
            Lang::Sv => self.name_sv.as_deref(),
            Lang::En => self.name_en.as_deref(),
        };
        own.unwrap_or(&self.name)
    }
}
