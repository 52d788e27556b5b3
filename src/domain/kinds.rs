use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Defines a closed set of values with one stable text form, used in
/// configuration, the database and tokens alike.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown {} {other:?}; expected one of: {}",
                        stringify!($name),
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// The regional networks whose accounts liaison persons administer.
    Network { Intermetso = "intermetso", Sonette = "sonette" }
);

text_enum!(
    /// What an organisation is; policy rules can name kinds.
    OrgKind {
        HospitalDistrict = "hospital_district",
        WellbeingArea = "wellbeing_area",
        HealthCentre = "health_centre",
        Municipality = "municipality",
        SocialServices = "social_services",
        PrivateProvider = "private_provider",
        School = "school",
        Ngo = "ngo",
        Other = "other",
    }
);

text_enum!(
    /// A person's role in an organisation's network.
    Role { Member = "member", Liaison = "liaison" }
);

text_enum!(
    /// Account status. A locked account is lifted only by a liaison person or
    /// the service desk; a disabled account is a leaver.
    AccountStatus { Active = "active", Locked = "locked", Disabled = "disabled" }
);

text_enum!(
    /// How a person authenticated, as published in `amr` (RFC 8176 values
    /// where one fits).
    AuthMethod {
        Password = "pwd",
        Otp = "otp",
        Smartcard = "sc",
        Saml = "saml",
        SuomiFi = "suomifi",
        MobileCertificate = "mca",
        Oidc = "oidc",
        // Passkeys: a key that stays on the device (not backup eligible),
        // one that may be synced (backup eligible), and the authenticator
        // having verified the person (PIN, biometrics).
        HardwareKey = "hwk",
        SoftwareKey = "swk",
        UserVerified = "user",
    }
);

text_enum!(
    /// Level of assurance, ordered low < substantial < high.
    LoA { Low = "low", Substantial = "substantial", High = "high" }
);

text_enum!(
    /// What a person may do for an organisation in a portal (Kanta
    /// Ekstranet: a trade-register position or the onboarding mandate
    /// gives `full`; the data-protection viewing mandate `read_only`).
    Right { Full = "full", ReadOnly = "read_only" }
);

impl AuthMethod {
    /// A second factor a session can show it used: an authenticator app's
    /// code or a passkey.
    pub fn is_second_factor(self) -> bool {
        matches!(
            self,
            AuthMethod::Otp | AuthMethod::HardwareKey | AuthMethod::SoftwareKey
        )
    }
}

impl LoA {
    /// The `acr` value published for this level.
    pub fn acr(self) -> &'static str {
        match self {
            LoA::Low => "urn:porttivahti:loa:low",
            LoA::Substantial => "http://eidas.europa.eu/LoA/substantial",
            LoA::High => "http://eidas.europa.eu/LoA/high",
        }
    }
}

text_enum!(
    /// The kinds of DVV social- and health-care certificate cards. Which
    /// certificate is which is configuration (`[[card.types]]`), because the
    /// policy OIDs are to be confirmed against DVV's profile.
    CardType {
        Professional = "professional",
        Staff = "staff",
        Operator = "operator",
        Substitute = "substitute",
        Temporary = "temporary",
        Test = "test",
    }
);

text_enum!(
    /// The languages of the user interface; Finnish is the default.
    Lang { Fi = "fi", Sv = "sv", En = "en" }
);

impl Lang {
    /// Picks the first supported language of an `Accept-Language` header,
    /// honouring q-values; Finnish when none is supported.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Ok(lang) = primary.parse::<Lang>()
                && q > 0.0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Fi, |(_, l)| l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        assert_eq!(
            Lang::from_accept_language("sv-FI,sv;q=0.9,en;q=0.8"),
            Lang::Sv
        );
        assert_eq!(Lang::from_accept_language("de, en;q=0.5"), Lang::En);
        assert_eq!(Lang::from_accept_language("de"), Lang::Fi);
        assert_eq!(Lang::from_accept_language("en;q=0.4, sv;q=0.6"), Lang::Sv);
        assert_eq!(Lang::from_accept_language(""), Lang::Fi);
    }

    #[test]
    fn text_forms_round_trip() {
        for n in Network::ALL {
            assert_eq!(n.as_str().parse::<Network>(), Ok(*n));
        }
        assert!("internet".parse::<Network>().is_err());
        assert!(LoA::High > LoA::Substantial && LoA::Substantial > LoA::Low);
    }
}
