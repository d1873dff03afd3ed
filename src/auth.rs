//! API tokens: made from the operating system's random source, shown once,
//! stored only as a hash, checked in constant time; what each may do (its
//! scopes) and until when (its expiry). No I/O here.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A newly made token: the secret to show once, and what the store keeps.
pub struct NewToken {
    /// `na_<prefix>_<secret>`: what the client sends as `Authorization: Bearer …`.
    pub secret: String,
    /// `na_<prefix>`: the public part, to find and name the token.
    pub prefix: String,
    /// sha256 of `secret`, hex.
    pub hash: String,
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source works");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes a new token.
pub fn new_token() -> NewToken {
    let prefix = format!("na_{}", random_hex(4));
    let secret = format!("{prefix}_{}", random_hex(32));
    let hash = hash(&secret);
    NewToken {
        secret,
        prefix,
        hash,
    }
}

/// sha256 of a token, hex.
pub fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The public prefix of a presented token, if it has the token's shape.
pub fn prefix_of(presented: &str) -> Option<&str> {
    let rest = presented.strip_prefix("na_")?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 8 && secret.len() == 64).then(|| &presented[..11])
}

/// Whether `presented` is the token whose hash is `stored_hash`, in constant time.
pub fn verify(presented: &str, stored_hash: &str) -> bool {
    hash(presented)
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

/// What a token may do. `admin` may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read what is not public: the followed feeds (`GET /api/v1/feeds`).
    Read,
    /// Create, change, delete and import articles.
    Articles,
    /// Follow, unfollow and list feeds.
    Feeds,
    /// Read `/metrics`, for a monitoring scraper.
    Metrics,
    /// Everything the others allow.
    Admin,
}

/// The scope `token create` gives without `--scope`: articles, the work
/// most programs that hold a token do.
pub const DEFAULT_SCOPE: Scope = Scope::Articles;

impl Scope {
    /// Every scope, in the order `--help` and errors list them.
    pub const ALL: [Scope; 5] = [
        Scope::Read,
        Scope::Articles,
        Scope::Feeds,
        Scope::Metrics,
        Scope::Admin,
    ];

    /// The scope's name, as `--scope` takes it and the store keeps it.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Articles => "articles",
            Scope::Feeds => "feeds",
            Scope::Metrics => "metrics",
            Scope::Admin => "admin",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A scope name that is not one of [`Scope::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a scope; the scopes are read, articles, feeds, metrics and admin")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.name() == s.trim())
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

/// The scopes of one token.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    /// A token with only `admin`: may do everything.
    pub fn admin() -> Scopes {
        Scopes::from_iter([Scope::Admin])
    }

    /// Whether these scopes allow what needs any one of `needed`
    /// (`admin` allows everything).
    pub fn allow(&self, needed: &[Scope]) -> bool {
        self.0.contains(&Scope::Admin) || needed.iter().any(|s| self.0.contains(s))
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Scopes(iter.into_iter().collect())
    }
}

/// Space-separated names: `articles feeds`.
impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Scope::name).collect();
        f.write_str(&names.join(" "))
    }
}

/// Reads what [`Scopes`]' `Display` writes (names separated by spaces or commas).
impl FromStr for Scopes {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split([' ', ','])
            .filter(|name| !name.is_empty())
            .map(str::parse)
            .collect()
    }
}

/// "`read` or `feeds`": the scopes of which a request needs one, for messages.
pub fn describe_needed(needed: &[Scope]) -> String {
    let names: Vec<String> = needed.iter().map(|s| format!("`{s}`")).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// When a token stops working, as `--expires` gives it: a time from now
/// (`90d`, `12h`, `2w`) or a moment (`2026-12-31`, `2026-12-31T18:00:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    After(std::time::Duration),
    At(DateTime<Utc>),
}

/// An `--expires` value that is neither a duration nor a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{value}` is neither a duration (such as 30d, 12h or 2w) nor an RFC 3339 date \
     (such as 2026-12-31 or 2026-12-31T18:00:00Z): {why}"
)]
pub struct BadExpiry {
    pub value: String,
    pub why: String,
}

impl FromStr for Expiry {
    type Err = BadExpiry;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let value = s.trim();
        let bad = |why: String| BadExpiry {
            value: s.to_owned(),
            why,
        };
        // A date starts with four digits and a dash; anything else is a duration.
        let looks_like_date = value.len() >= 5
            && value.as_bytes()[..4].iter().all(u8::is_ascii_digit)
            && value.as_bytes()[4] == b'-';
        if looks_like_date {
            return crate::article::parse_iso_date(value)
                .map(Expiry::At)
                .ok_or_else(|| bad("not a valid date".to_owned()));
        }
        match humantime::parse_duration(value) {
            Ok(d) if d.is_zero() => Err(bad("a token must last longer than that".to_owned())),
            Ok(d) => Ok(Expiry::After(d)),
            Err(e) => Err(bad(e.to_string())),
        }
    }
}

/// `90days` or `2026-12-31T00:00:00Z`.
impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expiry::After(d) => write!(f, "{}", humantime::format_duration(*d)),
            Expiry::At(at) => f.write_str(&crate::article::format_date(at)),
        }
    }
}

impl Expiry {
    /// The moment the token expires, for one made at `now`; None when that
    /// is not after `now`, or is past what a date can hold.
    pub fn at(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let at = match self {
            Expiry::After(d) => now.checked_add_signed(chrono::Duration::from_std(d).ok()?)?,
            Expiry::At(at) => at,
        };
        (at > now).then_some(at)
    }
}

/// Whether a token that expires at `expires_at` still works at `now`.
pub fn expired(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    expires_at.is_some_and(|at| at <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_against_its_hash_only() {
        let token = new_token();
        assert_eq!(prefix_of(&token.secret), Some(token.prefix.as_str()));
        assert!(verify(&token.secret, &token.hash));
        let other = new_token();
        assert!(!verify(&other.secret, &token.hash));
        assert_ne!(token.secret, other.secret);
        assert_eq!(prefix_of("na_short_x"), None);
        assert_eq!(prefix_of("Bearer"), None);
    }

    fn scopes(text: &str) -> Scopes {
        text.parse().unwrap()
    }

    #[test]
    fn a_scope_allows_only_its_own_work_and_admin_allows_all() {
        let articles = scopes("articles");
        assert!(articles.allow(&[Scope::Articles]));
        assert!(!articles.allow(&[Scope::Feeds]));
        assert!(!articles.allow(&[Scope::Read, Scope::Feeds]));
        assert!(!articles.allow(&[Scope::Metrics]));
        let read = scopes("read");
        assert!(read.allow(&[Scope::Read, Scope::Feeds]));
        assert!(!read.allow(&[Scope::Articles]));
        let admin = Scopes::admin();
        for scope in Scope::ALL {
            assert!(admin.allow(&[scope]), "admin allows {scope}");
        }
        assert!(!Scopes::default().allow(&[Scope::Read]));
    }

    #[test]
    fn scopes_read_back_what_they_write_and_name_a_bad_one() {
        let both = scopes("feeds, articles feeds");
        assert_eq!(both.to_string(), "articles feeds");
        assert_eq!(scopes(&both.to_string()), both);
        let err = "articles bogus".parse::<Scopes>().unwrap_err();
        assert_eq!(err, UnknownScope("bogus".into()));
        let message = err.to_string();
        for scope in Scope::ALL {
            assert!(message.contains(scope.name()), "{message} lists {scope}");
        }
        assert_eq!(describe_needed(&[Scope::Feeds]), "`feeds`");
        assert_eq!(
            describe_needed(&[Scope::Read, Scope::Feeds]),
            "`read` or `feeds`"
        );
    }

    #[test]
    fn an_expiry_is_a_duration_from_now_or_a_date() {
        let now = crate::article::parse_date("2026-01-01T00:00:00Z").unwrap();
        let day = |text: &str| crate::article::parse_date(text).unwrap();
        let at = |text: &str| text.parse::<Expiry>().unwrap().at(now);
        assert_eq!(at("90d"), Some(day("2026-04-01T00:00:00Z")));
        assert_eq!(at("12h"), Some(day("2026-01-01T12:00:00Z")));
        assert_eq!(at("2w"), Some(day("2026-01-15T00:00:00Z")));
        assert_eq!(at("2026-12-31"), Some(day("2026-12-31T00:00:00Z")));
        assert_eq!(
            at("2026-06-30T18:00:00+02:00"),
            Some(day("2026-06-30T16:00:00Z"))
        );
        // Not after now: no expiry to give.
        assert_eq!(at("2025-12-31"), None);
        for bad in ["5x", "soon", "0d", "2026-13-01", "2026-12-31 18:00", ""] {
            let err = bad.parse::<Expiry>().unwrap_err();
            assert_eq!(err.value, bad);
            assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
        }
    }

    #[test]
    fn a_token_expires_at_its_moment() {
        let at = crate::article::parse_date("2026-01-01T00:00:00Z").unwrap();
        let second = chrono::Duration::seconds(1);
        assert!(!expired(None, at));
        assert!(!expired(Some(at), at - second));
        assert!(expired(Some(at), at));
        assert!(expired(Some(at), at + second));
    }
}
