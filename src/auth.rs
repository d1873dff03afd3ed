//! API tokens: made from the operating system's random source, shown once,
//! stored only as a hash, checked in constant time. No I/O here.

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
}
