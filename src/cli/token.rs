//! `token create|list|revoke`: the API tokens, their scopes and expiry.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;

use super::open_store;
use crate::archive::Location;

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Make a new token. Its secret is printed once and stored only as a hash.
    ///
    /// A token may do only what its scopes allow: `read` (list the followed
    /// feeds), `articles` (create, change, delete and import articles),
    /// `feeds` (follow, unfollow and list feeds), `metrics` (read /metrics)
    /// and `admin` (everything). Without `--scope` a token gets `articles`.
    Create {
        /// Who or what the token is for, e.g. "newsroom-cms".
        #[arg(long)]
        name: String,
        /// What the token may do: read, articles, feeds, metrics or admin;
        /// repeat for several (`--scope articles --scope feeds`). Default: articles.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<crate::auth::Scope>,
        /// When the token stops working: a time from now (`90d`, `12h`,
        /// `2w`) or an RFC 3339 date (`2026-12-31`, `2026-12-31T18:00:00Z`).
        /// Default: never.
        #[arg(long, value_name = "WHEN")]
        expires: Option<crate::auth::Expiry>,
    },
    /// List the tokens (never their secrets) with their scopes and expiry.
    List,
    /// Revoke a token by its id, prefix (na_…) or name; requests with it then get 403.
    Revoke {
        /// The token's id, prefix or name.
        token: String,
    },
}

/// Runs one `token` action on the archive's database.
pub(super) async fn token(at: &Location, action: TokenAction) -> anyhow::Result<ExitCode> {
    let store = open_store(at).await?;
    let code = token_action(&store, action).await;
    store.close().await;
    code
}

async fn token_action(
    store: &crate::store::Store,
    action: TokenAction,
) -> anyhow::Result<ExitCode> {
    let code = match action {
        TokenAction::Create {
            name,
            scopes,
            expires,
        } => {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                anyhow::bail!("--name must be 1 to 100 characters");
            }
            let scopes: crate::auth::Scopes = if scopes.is_empty() {
                crate::auth::Scopes::from_iter([crate::auth::DEFAULT_SCOPE])
            } else {
                scopes.into_iter().collect()
            };
            let now = chrono::Utc::now();
            let expires_at = expires
                .map(|e| {
                    e.at(now)
                        .with_context(|| format!("--expires: `{e}` is not in the future"))
                })
                .transpose()?;
            let token = crate::auth::new_token();
            store
                .create_token(&crate::store::NewTokenRecord {
                    name,
                    prefix: &token.prefix,
                    secret_hash: &token.hash,
                    scopes: &scopes,
                    expires_at,
                })
                .await?;
            println!("{}", token.secret);
            let until = expires_at.map_or_else(
                || "does not expire".to_owned(),
                |at| format!("expires {}", crate::article::format_date(&at)),
            );
            eprintln!(
                "Token {} created for {name} with scope(s) {scopes}; it {until}. Keep the line \
                 above secret: it is shown only once. Send it as `Authorization: Bearer <token>`.",
                token.prefix
            );
            ExitCode::SUCCESS
        }
        TokenAction::List => {
            let tokens = store.tokens().await?;
            if tokens.is_empty() {
                println!("No tokens. Make one with `newsarchive token create --name NAME`.");
            }
            let now = chrono::Utc::now();
            for t in tokens {
                let state = match (t.revoked_at, t.expires_at) {
                    (Some(at), _) => format!("revoked {}", crate::article::format_date(&at)),
                    (None, Some(at)) if crate::auth::expired(Some(at), now) => {
                        format!("expired {}", crate::article::format_date(&at))
                    }
                    _ => "active".to_owned(),
                };
                let expires = t.expires_at.map_or_else(
                    || "never expires".to_owned(),
                    |at| format!("expires {}", crate::article::format_date(&at)),
                );
                let scopes = if t.scopes.is_empty() {
                    "none".to_owned()
                } else {
                    t.scopes.to_string().replace(' ', ",")
                };
                println!(
                    "{}\t{}\t{}\tscopes {scopes}\tcreated {}\t{expires}\t{state}",
                    t.id,
                    t.prefix,
                    t.name,
                    crate::article::format_date(&t.created_at)
                );
            }
            ExitCode::SUCCESS
        }
        TokenAction::Revoke { token } => {
            if store.revoke_token(&token).await? {
                println!("Revoked {token}.");
                ExitCode::SUCCESS
            } else {
                eprintln!("error: no active token has the id, prefix or name `{token}`");
                ExitCode::FAILURE
            }
        }
    };
    Ok(code)
}
