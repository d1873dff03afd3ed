//! Paragraphs a reader view keeps that no story holds: timestamps and
//! datelines standing alone, photo captions and credits, "Read more" and
//! "Related" lines, share and print buttons, newsletter prompts,
//! contributor and copyright lines. Each is told from its own text, in the
//! languages the archive meets most (English, German, French, Spanish).

/// Whole paragraphs that are page furniture (compared without case and
/// punctuation).
const FURNITURE: &[&str] = &[
    "advertisement",
    "anzeige",
    "anzeigen",
    "publicite",
    "publicidad",
    "print",
    "email",
    "e mail",
    "share",
    "tweet",
    "recommend",
    "feedback",
    "transcript",
    "continue reading",
    "text size",
    "reset",
    "most popular",
    "most read",
    "trending articles",
    "recent articles",
    "popular this week",
    "more commentary",
    "video ad feedback",
    "mehr anzeigen",
    "jetzt mitmachen",
    "abo",
    "enlarge",
    "related coverage",
    "related stories",
    "related articles",
    "further reading",
    "mehr zum thema",
    "lesen sie auch",
    "a lire aussi",
    "lire aussi",
    "sur le meme sujet",
    "te puede interesar",
    "comments",
    "kommentare",
    "commentaires",
];

/// Beginnings of lines that point elsewhere: related stories, more of the site.
const POINTERS: &[&str] = &[
    "read more",
    "read also",
    "also read",
    "see also",
    "related:",
    "recommended:",
    "editors recommendations",
    "editors' recommendations",
    "editors’ recommendations",
    "more from",
    "a lire aussi",
    "à lire aussi",
    "lire aussi",
    "voir aussi",
    "mehr zum thema",
    "lesen sie auch",
    "lesen sie mehr",
    "auch interessant",
    "lee también",
    "leer más",
    "click here",
    "sign up for",
    "subscribe to",
    "devenez fan",
    "follow us",
];

/// Beginnings of caption credits and copyright lines.
const CREDITS: &[&str] = &[
    "photo:",
    "photos:",
    "photo by",
    "photograph:",
    "photograph by",
    "photographs by",
    "image:",
    "image by",
    "picture:",
    "foto:",
    "bild:",
    "(bild",
    "(foto",
    "(photo",
    "(credit",
    "credit:",
    "©",
    "(c) ",
    "copyright",
    "[+] enlarge",
];

/// How contributor, editing and origin lines begin.
const NOTES: &[&str] = &[
    "additional reporting by",
    "reporting by",
    "editing by",
    "writing by",
    "con información de",
    "this post originally appeared",
    "this article originally appeared",
    "this story originally appeared",
    "this story has been updated",
    "this article has been updated",
    "questions? comments?",
    "more information:",
    "citation:",
];

/// What contributor and copyright lines say anywhere in them.
const NOTES_WITHIN: &[&str] = &[
    "contributed to this report",
    "contributed reporting",
    "this document is subject to copyright",
    "all rights reserved",
    "can be reached at",
];

/// Words of a timestamp or dateline: "Updated: August 13, 2010, 5:02 PM ET".
const DATE_WORDS: &[&str] = &[
    "updated",
    "update",
    "published",
    "posted",
    "last",
    "modified",
    "on",
    "at",
    "am",
    "pm",
    "a",
    "m",
    "p",
    "et",
    "est",
    "edt",
    "ct",
    "cst",
    "cdt",
    "pt",
    "pst",
    "pdt",
    "gmt",
    "utc",
    "bst",
    "cet",
    "cest",
    "aest",
    "ist",
    "uhr",
    "um",
    "am",
    "le",
    "à",
    "a",
    "mis",
    "jour",
    "publié",
    "actualizado",
    "publicado",
    "de",
    "del",
    "el",
    "min",
    "read",
    "minute",
    "minutes",
    "mins",
    "aktualisiert",
    "veröffentlicht",
    "stand",
    "vom",
    "h",
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "januar",
    "februar",
    "märz",
    "mai",
    "juni",
    "juli",
    "oktober",
    "dezember",
    "janvier",
    "février",
    "mars",
    "avril",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
    "today",
    "yesterday",
    "ago",
    "hours",
    "hour",
    "days",
    "day",
];

/// Longest paragraph that may be furniture: real paragraphs run longer.
const SHORT: usize = 200;

/// True when `paragraph` is page furniture rather than part of the story.
pub fn is_clutter(paragraph: &str) -> bool {
    let text = paragraph.trim();
    let lower = text.to_lowercase();
    // Reference and citation notes run longer than other furniture.
    if text.chars().count() <= 2 * SHORT && NOTES.iter().any(|n| lower.starts_with(n)) {
        return true;
    }
    if text.chars().count() > SHORT {
        return false;
    }
    let bare = words(&lower).join(" ");
    if bare.is_empty() {
        return true;
    }
    FURNITURE.contains(&bare.as_str())
        || POINTERS.iter().any(|p| lower.starts_with(p))
        || CREDITS.iter().any(|c| lower.starts_with(c))
        || NOTES.iter().any(|n| lower.starts_with(n))
        || NOTES_WITHIN.iter().any(|n| lower.contains(n))
        || lower.ends_with("(end)")
        || is_timestamp(&lower)
        || is_counter(&lower)
        || is_picture_credit(&lower)
        || is_byline(text)
}

/// "By Anna Smith", "Von Markus Balser, Berlin", "Par Jean Dupont": a
/// byline standing as a paragraph.
fn is_byline(text: &str) -> bool {
    let mut words = text.split_whitespace();
    let Some(first) = words.next() else {
        return false;
    };
    let rest: Vec<&str> = words.collect();
    ["by", "von", "par", "por"].contains(&first.to_lowercase().as_str())
        && (1..=6).contains(&rest.len())
        && rest.iter().all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                || ["and", "und", "et", "y", "&"].contains(w)
        })
}

/// Letters-and-digits words of a lowercased text.
fn words(lower: &str) -> Vec<&str> {
    lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// "Updated: August 13, 2010, 5:02 PM ET", "14. Januar 2020, 9:21 Uhr",
/// "05/08/2019", "4 Min Read": dates, times and their words, nothing else.
fn is_timestamp(lower: &str) -> bool {
    let words = words(lower);
    let digits = words.iter().any(|w| w.chars().any(|c| c.is_ascii_digit()));
    let other = words
        .iter()
        .filter(|w| {
            !DATE_WORDS.contains(w)
                && !w.chars().all(|c| c.is_ascii_digit())
                // "18h58", "2010s", "5pm", "1st"
                && !w.chars().next().is_some_and(|c| c.is_ascii_digit())
        })
        .count();
    digits && other == 0
}

/// "Visto 314 veces", "10 réactions", "571 Kommentare": a count of readers or comments.
fn is_counter(lower: &str) -> bool {
    let words = words(lower);
    words.len() <= 4
        && words.iter().any(|w| w.chars().all(|c| c.is_ascii_digit()))
        && words.iter().any(|w| {
            [
                "veces",
                "views",
                "comments",
                "kommentare",
                "commentaires",
                "réactions",
                "reactions",
                "shares",
            ]
            .contains(w)
        })
}

/// "US Navy / Getty Images", "REUTERS/Benoit Tessier", "Stephen Chernin/Getty
/// Images…": a picture agency's credit, alone or leading a caption.
fn is_picture_credit(lower: &str) -> bool {
    const AGENCIES: &[&str] = &[
        "getty images",
        "reuters/",
        "/reuters",
        "ap photo",
        "afp/",
        "epa/",
        "dpa/",
        "icon smi",
        "shutterstock",
        "alamy",
    ];
    AGENCIES.iter().any(|a| lower.contains(a)) && lower.chars().count() <= SHORT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn furniture_is_known_by_its_own_text() {
        for line in [
            "Updated: August 13, 2010, 5:02 PM ET",
            "Published August 14, 2010",
            "Updated April 22, 2013 18:58:00",
            "05/08/2019",
            "18. June 2019",
            "14. Januar 2020, 9:21 Uhr",
            "4 Min Read",
            "Read more: Recognizing Germany colonial crimes: Work in progress",
            "A lire aussi : Notre récit du discours de Martine Aubry",
            "Mehr zum Thema",
            "Related Coverage",
            "Advertisement:",
            "Print",
            "___",
            "US Navy / Getty Images",
            "Photograph by Ed Marshall, Redonda Restoration Programme",
            "(Credit: Clayton Aldern / Grist)",
            "© 2019 Science X Network",
            "The Associated Press contributed to this report.",
            "Additional reporting by Steve Gorman; Editing by Marguerita Choy",
            "This post originally appeared on Grist.",
            "Subscribe to the HuffPost Money newsletter!",
            "Jemele Hill can be reached at jemeleespn@gmail.com.",
            "kokobj@yna.co.kr(END)",
            "Visto 314 veces",
            "[+] Enlarge",
            "Von Markus Balser, Berlin",
            "By Anna Smith and Lee Chen",
        ] {
            assert!(is_clutter(line), "{line}");
        }
    }

    #[test]
    fn story_paragraphs_stay() {
        for line in [
            "The council met on Tuesday to discuss the budget.",
            "On May 18, 2022, the minister arrived in New York.",
            "Read the full report, she said, before judging it.",
            "Print runs fell by half in 2019.",
            "“We are restoring what our grandparents built,” said the engineer.",
            "MONTGOMERY, Ala. -- Alabama's strict new immigration law may be backfiring.",
            "Photographers gathered outside the court from dawn.",
            "Comments from residents were mostly positive.",
            "A survey with reporting by the BBC found the same.",
            "The page at example.org/apple was taken down.",
            "By Tuesday the river had fallen.",
        ] {
            assert!(!is_clutter(line), "{line}");
        }
    }

    #[test]
    fn a_long_paragraph_is_never_furniture() {
        let long = format!("Read more about it: {}", "the story goes on. ".repeat(20));
        assert!(!is_clutter(&long));
    }
}
