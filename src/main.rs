//! The `porttivahti` command: serve the gateway, and the few operations an
//! operator needs before the admin UI exists.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use porttivahti::clock::{Clock, SystemClock};
use porttivahti::config::Settings;
use porttivahti::domain::AccountStatus;
use porttivahti::identity::password::{Hasher, PasswordPolicy};
use porttivahti::startup::{Application, open_directory, shutdown_signal};
use porttivahti::store::AuditEvent;

#[derive(Parser)]
#[command(
    name = "porttivahti",
    version,
    about = "Identity and access broker for social- and health-care professionals"
)]
struct Cli {
    /// Configuration file (TOML). Every key can be overridden by an
    /// environment variable PORTTIVAHTI__SECTION__KEY.
    #[arg(
        long,
        global = true,
        env = "PORTTIVAHTI_CONFIG",
        default_value = "config/porttivahti.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the gateway (the default).
    Serve,
    /// Check the configuration and exit.
    CheckConfig,
    /// Create or upgrade the directory's schema (also done at every start)
    /// and exit.
    Migrate,
    /// Account operations for the service desk.
    Account {
        #[command(subcommand)]
        op: AccountOp,
    },
    /// The regional service desk's operators.
    Operator {
        #[command(subcommand)]
        op: OperatorOp,
    },
    /// Signing keys.
    Keys {
        #[command(subcommand)]
        op: KeysOp,
    },
    /// Print the current code of an authenticator key (base32), for trying
    /// the demo without an authenticator app.
    TotpCode { secret: String },
    /// Generate a client secret and print it with the SHA-256 digest to put
    /// in the configuration (`secret_sha256`).
    ClientSecret,
    /// Tokens, as a relying service sees them.
    Token {
        #[command(subcommand)]
        op: TokenOp,
    },
    /// Portal access policy.
    Policy {
        #[command(subcommand)]
        op: PolicyOp,
    },
}

#[derive(Subcommand)]
enum TokenOp {
    /// Verify an access token offline against a JWKS (no configuration
    /// needed): signature, `typ: at+jwt`, issuer, audience, times, and
    /// with `--portal` that the `portals` claim names it. Prints the
    /// claims; exits 1 when the token is not valid.
    Verify {
        /// The JWKS: an http(s) URL (`…/jwks`) or a file.
        #[arg(long)]
        jwks: String,
        /// The gateway's issuer (its public URL).
        #[arg(long)]
        issuer: String,
        /// The portal that must be in the `portals` claim.
        #[arg(long)]
        portal: Option<String>,
        /// The expected `aud`.
        #[arg(long)]
        audience: Option<String>,
        /// Allowed clock skew, seconds.
        #[arg(long, default_value_t = 60)]
        leeway: i64,
        /// The access token (`-` reads it from standard input).
        token: String,
    },
}

#[derive(Subcommand)]
enum PolicyOp {
    /// Why this person can or cannot reach this portal, rule by rule, for a
    /// login with the given source, methods and level.
    Explain {
        /// Username of the account.
        #[arg(long)]
        account: String,
        /// Portal id.
        #[arg(long)]
        portal: String,
        /// The login's identity source.
        #[arg(long, default_value = "password")]
        source: String,
        /// The login's methods (amr values), comma-separated.
        #[arg(long, default_value = "pwd", value_delimiter = ',')]
        methods: Vec<porttivahti::domain::AuthMethod>,
        /// The login's level of assurance.
        #[arg(long, default_value = "low")]
        loa: porttivahti::domain::LoA,
    },
}

#[derive(Subcommand)]
enum OperatorOp {
    /// Make an existing account an operator of the service desk (the first
    /// one is bootstrapped this way; the account needs a second factor or
    /// strong identification to use the admin UI).
    Add {
        username: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum KeysOp {
    /// List the keys with their activation and retirement times.
    List,
    /// Add a new signing key. It is published at once and signs after
    /// `--activate-in` seconds (give relying parties time to fetch it).
    Rotate {
        #[arg(long, default_value_t = 0)]
        activate_in: i64,
    },
    /// Retire a key: it leaves the JWKS (and stops verifying) after
    /// `--in` seconds — 0 after a compromise; otherwise at least the
    /// longest token lifetime, so tokens it signed expire first.
    Retire {
        kid: String,
        #[arg(long = "in", default_value_t = 0)]
        after: i64,
    },
}

#[derive(Subcommand)]
enum AccountOp {
    /// Lift a lock (after too many failed logins).
    Unlock {
        username: String,
        /// Why, e.g. a ticket number: goes into the audit trail.
        #[arg(long)]
        reason: String,
    },
    /// Set a one-time password read from standard input; it must be
    /// changed at the next login.
    ResetPassword {
        username: String,
        #[arg(long)]
        reason: String,
    },
    /// Show an account's status.
    Show { username: String },
}

fn main() -> ExitCode {
    // Argon2 works in a 19 MiB block per hash. glibc's dynamic mmap
    // threshold would keep such blocks in the heap after the first one is
    // freed, so an idle server would hold ~20 MiB more after one login;
    // a fixed threshold returns each block to the system when freed.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called once before any other thread exists; mallopt only
    // changes the allocator's parameters.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
    let cli = Cli::parse();
    // Commands of relying services, and the authenticator code, need no
    // configuration.
    match cli.command {
        Some(Command::Token { op }) => return offline(op),
        Some(Command::TotpCode { secret }) => return totp_code(&secret),
        _ => {}
    }
    let settings = match Settings::load(Some(&cli.config), std::env::vars()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("porttivahti: {e}");
            return ExitCode::from(2);
        }
    };
    porttivahti::telemetry::init(&settings.server.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("porttivahti: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings, &cli.config).await,
            Command::Migrate => {
                open_directory(&settings).await.map_err(|e| e.to_string())?;
                println!("the directory at store.database_url is up to date");
                Ok(())
            }
            Command::CheckConfig => {
                println!("configuration {} is valid", cli.config.display());
                Ok(())
            }
            Command::Account { op } => account(settings, op).await,
            Command::Keys { op } => keys(settings, op).await,
            Command::Operator {
                op: OperatorOp::Add { username, reason },
            } => {
                let dir = open_directory(&settings).await.map_err(|e| e.to_string())?;
                let (a, _) = dir
                    .credentials(&username)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("no account with username {username:?}"))?;
                if dir.is_operator(&a.id).await.map_err(|e| e.to_string())? {
                    println!("{} is already an operator", a.username);
                    return Ok(());
                }
                let audit = AuditEvent::new(SystemClock.now(), "cli", "admin.operator.added")
                    .subject(a.id.clone())
                    .reason(reason);
                dir.add_operator(&a.id, &audit)
                    .await
                    .map_err(|e| e.to_string())?;
                println!("{} is now an operator of the service desk", a.username);
                Ok(())
            }
            Command::Token { .. } | Command::TotpCode { .. } => Ok(()),
            Command::Policy {
                op:
                    PolicyOp::Explain {
                        account,
                        portal,
                        source,
                        methods,
                        loa,
                    },
            } => {
                let dir = open_directory(&settings).await.map_err(|e| e.to_string())?;
                let (a, _) = dir
                    .credentials(&account)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("no account with username {account:?}"))?;
                let text = porttivahti::admin::explain::explain_account(
                    &*dir,
                    &settings.portals,
                    &a.id,
                    &portal,
                    &source,
                    &methods,
                    loa,
                )
                .await
                .map_err(|e| e.to_string())?;
                print!("{text}");
                Ok(())
            }
            Command::ClientSecret => {
                let secret = porttivahti::tokens::random_token(32);
                let digest = porttivahti::tokens::hex(&porttivahti::tokens::sha256(&secret));
                println!("client secret (give to the portal): {secret}");
                println!("secret_sha256 (put in configuration): {digest}");
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("porttivahti: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `porttivahti token verify`: offline, against a JWKS.
fn offline(op: TokenOp) -> ExitCode {
    let TokenOp::Verify {
        jwks,
        issuer,
        portal,
        audience,
        leeway,
        token,
    } = op;
    let token = if token == "-" {
        let mut s = String::new();
        if std::io::stdin().read_to_string(&mut s).is_err() {
            eprintln!("porttivahti: cannot read the token from standard input");
            return ExitCode::from(2);
        }
        s.trim().to_string()
    } else {
        token
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("porttivahti: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    use porttivahti::verifier::{Verifier, VerifierConfig, load_jwks};
    let result = runtime.block_on(async {
        let set = load_jwks(&jwks).await?;
        let mut cfg = VerifierConfig::new(issuer).leeway_secs(leeway);
        if let Some(a) = audience {
            cfg = cfg.audience(a);
        }
        let v = Verifier::from_jwks(cfg, &set)?;
        match &portal {
            Some(p) => v.verify_for_portal(&token, p).await,
            None => v.verify(&token).await,
        }
    });
    match result {
        Ok(claims) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&claims).unwrap_or_default()
            );
            eprintln!("porttivahti: the token is valid");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("porttivahti: the token is not valid: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `totp-code SECRET`: the current authenticator code for a base32 key.
fn totp_code(secret: &str) -> ExitCode {
    let Some(key) = porttivahti::identity::totp::base32_decode(secret) else {
        eprintln!("porttivahti: the key is not base32 (letters A-Z and digits 2-7)");
        return ExitCode::from(2);
    };
    match porttivahti::identity::totp::code_at(&key, SystemClock.now()) {
        Some(code) => {
            println!("{code}");
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("porttivahti: the clock is before 1970");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings, config: &std::path::Path) -> Result<(), String> {
    let app = Application::build(settings, Arc::new(SystemClock))
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("{}", app.banner(config));
    app.run_until(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

async fn keys(settings: Settings, op: KeysOp) -> Result<(), String> {
    let dir = open_directory(&settings).await.map_err(|e| e.to_string())?;
    let now = SystemClock.now();
    match op {
        KeysOp::List => {
            for k in dir.signing_keys().await.map_err(|e| e.to_string())? {
                println!(
                    "{}  {}  created {}  signs from {}  retires {}",
                    k.kid,
                    k.alg,
                    k.created_at,
                    k.activate_at,
                    k.retire_at.map_or("never".to_string(), |r| r.to_string())
                );
            }
        }
        KeysOp::Retire { kid, after } => {
            let keys = dir.signing_keys().await.map_err(|e| e.to_string())?;
            if !keys.iter().any(|k| k.kid == kid) {
                return Err(format!(
                    "no signing key {kid:?} (see `porttivahti keys list`)"
                ));
            }
            let others_active = keys.iter().any(|k| {
                k.kid != kid && k.activate_at <= now && k.retire_at.is_none_or(|r| r > now + after)
            });
            if !others_active {
                return Err("retiring it would leave no key to sign with: rotate first".into());
            }
            let audit = AuditEvent::new(now, "cli", "keys.retired")
                .detail(serde_json::json!({ "kid": kid, "at": now + after.max(0) }));
            dir.retire_signing_key(&kid, now + after.max(0), &audit)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "signing key {kid} retires at {} (unix time); nodes drop it at their next reload",
                now + after.max(0)
            );
        }
        KeysOp::Rotate { activate_in } => {
            let kek =
                porttivahti::tokens::b64_std_decode(settings.secrets.key_encryption_key.expose())
                    .map_err(|e| format!("secrets.key_encryption_key: {e}"))?;
            let ring = porttivahti::tokens::Keyring::load_or_create(&*dir, &kek, now)
                .await
                .map_err(|e| e.to_string())?;
            let kid = ring
                .rotate(&*dir, now, now + activate_in.max(0))
                .await
                .map_err(|e| e.to_string())?;
            let activates = dir
                .signing_keys()
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .find(|k| k.kid == kid)
                .map_or(now, |k| k.activate_at);
            let audit = AuditEvent::new(now, "cli", "keys.rotated")
                .detail(serde_json::json!({ "kid": kid }));
            dir.append_audit(&audit).await.map_err(|e| e.to_string())?;
            println!(
                "new signing key {kid}: each node publishes it within tokens.key_reload_secs and signs with it from {activates} (unix time)"
            );
        }
    }
    Ok(())
}

async fn account(settings: Settings, op: AccountOp) -> Result<(), String> {
    let dir = open_directory(&settings).await.map_err(|e| e.to_string())?;
    let now = SystemClock.now();
    let find = |u: String| {
        let dir = dir.clone();
        async move {
            dir.credentials(&u)
                .await
                .map_err(|e| e.to_string())?
                .map(|(a, _)| a)
                .ok_or_else(|| format!("no account with username {u:?}"))
        }
    };
    match op {
        AccountOp::Unlock { username, reason } => {
            let a = find(username).await?;
            if a.status != AccountStatus::Locked {
                return Err(format!(
                    "{} is not locked (status: {}); a disabled account is re-enabled by its liaison person",
                    a.username, a.status
                ));
            }
            let audit = AuditEvent::new(now, "cli", "account.unlocked")
                .subject(a.id.clone())
                .reason(reason);
            dir.set_status(&a.id, AccountStatus::Active, None, &audit)
                .await
                .map_err(|e| e.to_string())?;
            println!("{} is active again", a.username);
        }
        AccountOp::ResetPassword { username, reason } => {
            let a = find(username).await?;
            let mut pw = String::new();
            std::io::stdin()
                .read_to_string(&mut pw)
                .map_err(|e| e.to_string())?;
            let pw = pw.trim_end_matches(['\r', '\n']);
            let policy = PasswordPolicy::new(
                settings.password.min_length,
                settings.password.blocklist_file.as_deref(),
            )
            .map_err(|e| e.to_string())?;
            policy
                .check(&a.username, pw, pw)
                .map_err(|v| format!("the password is not acceptable: {v:?}"))?;
            let hash = Hasher::new(&settings.password)
                .map_err(|e| e.to_string())?
                .hash(pw)
                .await
                .map_err(|e| e.to_string())?;
            let audit = AuditEvent::new(now, "cli", "account.password.reset")
                .subject(a.id.clone())
                .reason(reason);
            dir.set_password(&a.id, &hash, true, &audit)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{}: one-time password set; it must be changed at the next login",
                a.username
            );
        }
        AccountOp::Show { username } => {
            let a = find(username).await?;
            println!(
                "{} ({}): status {}{}, failed logins {}, must change password: {}",
                a.username,
                a.display_name(),
                a.status,
                a.status_reason
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default(),
                a.failed_logins,
                a.must_change_password
            );
        }
    }
    Ok(())
}
