//! One story, many copies: the normalised URL key that recognises the same
//! page under another address, and the MinHash signature that recognises the
//! same text published by another outlet or lightly edited. No I/O here.
//!
//! The rules, which README.md repeats for users:
//! - **Same page.** Two URLs are the same page when their keys are equal. The
//!   key ignores the scheme (`http`/`https`), a leading `www.`, `m.` or `amp.`
//!   host label, the port when it is the default, the fragment, a trailing
//!   slash, AMP variants (`/amp` or `/amp/` path segments, `.amp` before the
//!   extension, `amp=1`, `outputType=amp`) and tracking parameters (`utm_*`,
//!   `fbclid`, `gclid` and the others in [`TRACKING_PARAMETERS`]); the other
//!   query parameters are kept, sorted.
//! - **Same story.** Bodies are cut into lowercase word 4-grams ("shingles");
//!   each body gets [`SIGNATURE_LEN`] MinHash values. Two articles tell the
//!   same story when at least [`SAME_STORY`] of their MinHash values agree
//!   (an estimate of the Jaccard similarity of their shingle sets) and both
//!   have at least [`MIN_SHINGLES`] shingles. Candidates are found through
//!   [`BANDS`] bands of [`ROWS`] values (locality-sensitive hashing).

use url::Url;

/// Query parameters that only track where a reader came from.
pub const TRACKING_PARAMETERS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "ref",
    "ref_src",
    "cmpid",
    "ocid",
    "smid",
    "sr_share",
    "at_medium",
    "at_campaign",
    "at_custom1",
    "at_custom2",
    "taid",
    "mbid",
];

/// The key under which a URL is matched: host without `www.`, path and the
/// meaningful query, with every variant listed in the module rules folded.
/// `None` for something that is not an http(s) URL.
pub fn url_key(raw: &str) -> Option<String> {
    let url = Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let mut host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    for prefix in ["www.", "m.", "amp."] {
        if let Some(rest) = host.strip_prefix(prefix)
            && rest.contains('.')
        {
            host = rest.to_owned();
            break;
        }
    }
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let segments: Vec<String> = url
        .path_segments()
        .map(|s| {
            s.filter(|seg| !seg.is_empty() && !seg.eq_ignore_ascii_case("amp"))
                .map(|seg| match seg.rsplit_once(".amp.") {
                    Some((stem, ext)) => format!("{stem}.{ext}"),
                    None => seg.strip_suffix(".amp").unwrap_or(seg).to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut query: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, v)| {
            let k = k.to_ascii_lowercase();
            !(k.starts_with("utm_")
                || TRACKING_PARAMETERS.contains(&k.as_str())
                || (k == "amp" && (v.is_empty() || v == "1" || v == "true"))
                || (k == "outputtype" && v.eq_ignore_ascii_case("amp")))
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    query.sort();
    let mut key = format!("{host}{port}/{}", segments.join("/"));
    if !query.is_empty() {
        key.push('?');
        key.push_str(&serde_urlencoded::to_string(&query).ok()?);
    }
    Some(key)
}

/// The key an article's URL is matched by: [`url_key`], or the URL as
/// written when it cannot be parsed (it is then only equal to itself).
pub fn match_key(url: &str) -> String {
    url_key(url).unwrap_or_else(|| url.trim().to_owned())
}

/// MinHash values per signature.
pub const SIGNATURE_LEN: usize = 48;
/// Bands of the signature used to find candidates.
pub const BANDS: usize = 12;
/// MinHash values per band.
pub const ROWS: usize = SIGNATURE_LEN / BANDS;
/// Agreeing MinHash values from which two bodies are the same story (24 of
/// 48: an estimated Jaccard similarity of 0.5).
pub const SAME_STORY: usize = 24;
/// Shingles a body needs before it is compared at all (about 43 words):
/// shorter bodies (briefs, captions) share too many stock phrases to tell.
pub const MIN_SHINGLES: usize = 40;
/// Words per shingle.
const SHINGLE_WORDS: usize = 4;

/// A body's MinHash signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub [u32; SIGNATURE_LEN]);

impl Signature {
    /// The signature of a body, or `None` when it is too short to compare.
    pub fn of(paragraphs: &[String]) -> Option<Signature> {
        // Every word lowercased into one buffer (ends kept apart), so a
        // long body costs one allocation, not one per word.
        let mut text = String::new();
        let mut ends = Vec::new();
        for word in paragraphs
            .iter()
            .flat_map(|p| p.split(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty())
        {
            if word.is_ascii() {
                text.extend(word.chars().map(|c| c.to_ascii_lowercase()));
            } else {
                // `str::to_lowercase`, for its final sigma: stored signatures must not change.
                text.push_str(&word.to_lowercase());
            }
            ends.push(text.len());
        }
        if ends.len() < SHINGLE_WORDS + MIN_SHINGLES - 1 {
            return None;
        }
        let word = |i: usize| &text.as_bytes()[if i == 0 { 0 } else { ends[i - 1] }..ends[i]];
        let mut mins = [u32::MAX; SIGNATURE_LEN];
        for first in 0..=ends.len() - SHINGLE_WORDS {
            let mut h = FNV_OFFSET;
            for i in first..first + SHINGLE_WORDS {
                h = fnv(h, word(i));
                h = fnv(h, b" ");
            }
            // Without a branch, so the compiler can work on several at once.
            for (min, seed) in mins.iter_mut().zip(SEEDS) {
                *min = (*min).min((mix(h ^ seed) >> 32) as u32);
            }
        }
        Some(Signature(mins))
    }

    /// How many MinHash values agree (0 to [`SIGNATURE_LEN`]).
    pub fn agreement(&self, other: &Signature) -> usize {
        self.0
            .iter()
            .zip(other.0)
            .filter(|(a, b)| **a == *b)
            .count()
    }

    /// Whether two signatures tell the same story.
    pub fn same_story(&self, other: &Signature) -> bool {
        self.agreement(other) >= SAME_STORY
    }

    /// One key per band; two bodies sharing any band key are candidates.
    pub fn band_keys(&self) -> [i64; BANDS] {
        let mut keys = [0; BANDS];
        for (band, key) in keys.iter_mut().enumerate() {
            let mut h = fnv(FNV_OFFSET, &(band as u32).to_le_bytes());
            for v in &self.0[band * ROWS..(band + 1) * ROWS] {
                h = fnv(h, &v.to_le_bytes());
            }
            *key = mix(h) as i64;
        }
        keys
    }

    /// The signature as stored: little-endian values.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// Reads a stored signature; `None` when the bytes are not one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Signature> {
        if bytes.len() != SIGNATURE_LEN * 4 {
            return None;
        }
        let mut values = [0; SIGNATURE_LEN];
        for (v, chunk) in values.iter_mut().zip(bytes.chunks_exact(4)) {
            *v = u32::from_le_bytes(chunk.try_into().ok()?);
        }
        Some(Signature(values))
    }
}

// Stored signatures must not change between releases, so the hashes are
// spelled out here (FNV-1a and the SplitMix64 finaliser) rather than taken
// from std, whose hasher may change.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// The FNV-1a hash of `bytes`: stable across releases, so fit to be stored.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    fnv(FNV_OFFSET, bytes)
}

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const SEEDS: [u64; SIGNATURE_LEN] = {
    let mut seeds = [0; SIGNATURE_LEN];
    let mut i = 0;
    while i < SIGNATURE_LEN {
        seeds[i] = mix(0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(i as u64 + 1));
        i += 1;
    }
    seeds
};

/// The story an article with `signature` joins among `candidates` (each an
/// article's story and its signature): the story of the most similar one
/// that tells the same story, the first such on a tie; None when none does.
pub fn choose<'a>(
    signature: &Signature,
    candidates: impl IntoIterator<Item = (i64, &'a Signature)>,
) -> Option<i64> {
    let mut best: Option<(usize, i64)> = None;
    for (story, theirs) in candidates {
        let agreement = signature.agreement(theirs);
        if signature.same_story(theirs) && best.is_none_or(|(b, _)| agreement > b) {
            best = Some((agreement, story));
        }
    }
    best.map(|(_, story)| story)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_variants_share_a_key() {
        let key = url_key("https://www.dawn.com/news/1690132/pakistan-us-talks").unwrap();
        assert_eq!(key, "dawn.com/news/1690132/pakistan-us-talks");
        for variant in [
            "http://dawn.com/news/1690132/pakistan-us-talks/",
            "https://WWW.Dawn.com:443/news/1690132/pakistan-us-talks#comments",
            "https://www.dawn.com/news/1690132/pakistan-us-talks?utm_source=twitter&utm_medium=social",
            "https://www.dawn.com/news/1690132/pakistan-us-talks?fbclid=abc",
            "https://www.dawn.com/news/1690132/pakistan-us-talks/amp/",
            "https://amp.dawn.com/news/1690132/pakistan-us-talks",
            "https://m.dawn.com/news/1690132/pakistan-us-talks?amp=1",
            "https://www.dawn.com/amp/news/1690132/pakistan-us-talks",
        ] {
            assert_eq!(url_key(variant).as_deref(), Some(key.as_str()), "{variant}");
        }
        assert_eq!(
            url_key("https://example.com/story.amp.html").unwrap(),
            "example.com/story.html"
        );
    }

    #[test]
    fn meaningful_differences_keep_keys_apart() {
        let a = url_key("https://example.com/article?id=1").unwrap();
        assert_ne!(a, url_key("https://example.com/article?id=2").unwrap());
        assert_eq!(
            url_key("https://example.com/article?page=2&id=1&utm_campaign=x").unwrap(),
            "example.com/article?id=1&page=2"
        );
        assert_ne!(
            url_key("https://example.com/a").unwrap(),
            url_key("https://example.org/a").unwrap()
        );
        assert_ne!(
            url_key("https://example.com:8080/a").unwrap(),
            url_key("https://example.com/a").unwrap()
        );
        assert_eq!(url_key("ftp://example.com/a"), None);
        assert_eq!(url_key("not a url"), None);
    }

    fn body(text: &str) -> Vec<String> {
        text.split("\n\n").map(str::to_owned).collect()
    }

    const WIRE: &str = "Pakistan and the US will start attempts to restore bilateral relations this week in New York, with a series of discussions between respective foreign policy officials.\n\nForeign Minister Bilawal Bhutto-Zardari arrives in New York on Tuesday for a UN summit on food security convened by the United States, as well as a bilateral discussion with Secretary of State Antony Blinken.\n\nMr Blinken had invited Mr Bhutto-Zardari to the May 18 ministerial conference on Global Food Security Call to Action.";

    #[test]
    fn a_lightly_edited_copy_is_the_same_story() {
        let a = Signature::of(&body(WIRE)).unwrap();
        assert_eq!(a.agreement(&a), SIGNATURE_LEN);
        let edited = WIRE.replace("this week", "on Monday") + "\n\nReporting by Staff.";
        let b = Signature::of(&body(&edited)).unwrap();
        assert!(a.same_story(&b), "agreement {}", a.agreement(&b));
        assert_eq!(Signature::from_bytes(&a.to_bytes()), Some(a));
    }

    #[test]
    fn another_story_on_the_same_event_is_not() {
        let a = Signature::of(&body(WIRE)).unwrap();
        let other = "Foreign Minister Bilawal Bhutto-Zardari met Antony Blinken in New York, where the two discussed food security, trade and the floods, officials in Islamabad said on Wednesday after the UN summit ended.\n\nThe talks were the first at this level in four years, and analysts said relations between Pakistan and the United States may yet be restored despite the diplomatic letter incident.";
        let b = Signature::of(&body(other)).unwrap();
        assert!(!a.same_story(&b), "agreement {}", a.agreement(&b));
    }

    /// The signature as the first release computed it, word by word:
    /// stored signatures must never change.
    fn first_release_signature(paragraphs: &[String]) -> Option<Signature> {
        let words: Vec<String> = paragraphs
            .iter()
            .flat_map(|p| p.split(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        if words.len() < SHINGLE_WORDS + MIN_SHINGLES - 1 {
            return None;
        }
        let mut mins = [u32::MAX; SIGNATURE_LEN];
        for shingle in words.windows(SHINGLE_WORDS) {
            let mut h = FNV_OFFSET;
            for word in shingle {
                h = fnv(h, word.as_bytes());
                h = fnv(h, b" ");
            }
            for (i, min) in mins.iter_mut().enumerate() {
                let v = (mix(h ^ SEEDS[i]) >> 32) as u32;
                if v < *min {
                    *min = v;
                }
            }
        }
        Some(Signature(mins))
    }

    #[test]
    fn signatures_are_those_of_the_first_release() {
        let greek = "ΟΔΥΣΣΕΥΣ ΚΑΙ ΑΧΙΛΛΕΥΣ ΣΤΗΝ ΤΡΟΙΑ. ".repeat(20);
        let mixed = format!("{WIRE} Ärger über Straße İstanbul ΣΟΦΟΣ café NAÏVE. {WIRE}");
        for text in [WIRE, &greek, &mixed, "Too short to tell."] {
            let paragraphs = body(text);
            assert_eq!(
                Signature::of(&paragraphs),
                first_release_signature(&paragraphs),
                "{text}"
            );
        }
        assert!(Signature::of(&body(&greek)).is_some());
    }

    #[test]
    fn short_bodies_are_not_compared() {
        assert_eq!(Signature::of(&body("Too short to tell.")), None);
    }

    #[test]
    fn an_article_joins_the_most_similar_story_that_tells_the_same() {
        let mine = Signature([7; SIGNATURE_LEN]);
        let mut close = mine.clone();
        close.0[0] = 1;
        let mut closer_still = mine.clone();
        let mut far = Signature([9; SIGNATURE_LEN]);
        far.0[0] = 7;
        assert_eq!(choose(&mine, [(3, &far)]), None, "too different");
        assert_eq!(choose(&mine, [(3, &close), (5, &far)]), Some(3));
        closer_still.0[1] = 7;
        assert_eq!(choose(&mine, [(3, &close), (4, &closer_still)]), Some(4));
        assert_eq!(
            choose(&mine, [(4, &closer_still), (6, &closer_still)]),
            Some(4),
            "the first on a tie"
        );
    }
}
