//! Paragraphs a reader view keeps that no story holds: timestamps and
//! datelines standing alone, photo captions and credits, "Read more" and
//! "Related" lines, share and print buttons, newsletter prompts,
//! contributor and copyright lines, consent placeholders, data left in the
//! page for machines. Each is told from its own text, in the languages the
//! archive meets most (English, German, French, Spanish, Portuguese,
//! Italian, Russian, Indonesian and a few more), or by being repeated:
//! a short line the page shows twice is a label, not a sentence of the story.

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
    "opinion",
    "learn more",
    "about the author",
    "video transcript",
    "top stories",
    "join the conversation",
    "sign in",
    "log in",
    "register",
    "publicidade",
    "pubblicità",
    "реклама",
    "продолжение после рекламы",
    "berita terkait",
    "baca juga",
    "leia também",
    "leia mais",
    "veja também",
    "saiba mais",
    "leggi anche",
    "читайте также",
    "по теме",
    "lees ook",
    "zobacz także",
    "czytaj także",
    "citește și",
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
    "read or share this story",
    "video keywords",
    "automatically generated transcript",
    ">>",
    "watch:",
    "video:",
    "videos:",
    "vídeo:",
    "vídeos:",
    "baca juga",
    "simak juga",
    "yuk, simak",
    "silakan baca",
    "berita terkait",
    "leia também",
    "leia mais",
    "veja também",
    "veja mais",
    "saiba mais",
    "ver también",
    "leggi anche",
    "leggi tutto",
    "читайте также",
    "смотрите также",
    "lees ook",
    "lees meer",
    "zobacz także",
    "czytaj także",
    "citește și",
    "citeste si",
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
    "image credit",
    "фото:",
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
    "article by",
    "contributing:",
    "from staff reports",
    "this document is subject to copyright",
    "this story was published",
    "this article was published",
    "dieser beitrag stammt aus",
    "dieser artikel stammt aus",
    "redaktur",
    "editor:",
    "reporter:",
    "penulis:",
];

/// What contributor and copyright lines say anywhere in them.
const NOTES_WITHIN: &[&str] = &[
    "contributed to this report",
    "contributed reporting",
    "this document is subject to copyright",
    "all rights reserved",
    "can be reached at",
    "does not necessarily reflect the opinion",
    "staff reports",
    "photo courtesy of",
    "sign up for the newsletter",
    "sign up for our newsletter",
    "enable advertisement tracking",
    "ctrl+enter",
    "ctrl + enter",
    "di google news",
    "— foto:",
    "– foto:",
    " - foto:",
    "(foto:",
    "— photo:",
    "(photo:",
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
    // Portuguese, Italian
    "atualizado",
    "atualizada",
    "janeiro",
    "fevereiro",
    "março",
    "maio",
    "junho",
    "julho",
    "setembro",
    "outubro",
    "dezembro",
    "aggiornato",
    "pubblicato",
    "gennaio",
    "febbraio",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "settembre",
    "ottobre",
    "dicembre",
    "ore",
    // Indonesian
    "wib",
    "wita",
    "wit",
    "senin",
    "selasa",
    "rabu",
    "kamis",
    "jumat",
    "sabtu",
    "minggu",
    "januari",
    "februari",
    "maret",
    "mei",
    "agustus",
    "desember",
    // Russian
    "обновлено",
    "опубликовано",
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
    "г",
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
    if is_data(text) {
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
        || is_captioned(text, &lower)
        || is_byline(text)
}

/// Words that follow an author's name in a note about the author, not in
/// the story: "Max Rivlin-Nadler is an investigative journalist…".
const BIO_VERBS: &[&str] = &[
    "is",
    "was",
    "has",
    "currently",
    "writes",
    "covers",
    "reports",
    "joined",
    "ist",
    "war",
    "arbeitet",
    "schreibt",
    "est",
    "es",
    "é",
    "è",
];

/// A note about one of the story's `authors` ("Alexia Tsotsis currently
/// works for TechCrunch as a writer…"): a paragraph of at most five short
/// ones' length (a career told in full) that opens with the author's full
/// name and a verb that describes a person. Only the second half of a body
/// holds them; the caller decides where it looks.
pub fn is_author_bio(paragraph: &str, authors: &[String]) -> bool {
    let text = paragraph.trim();
    text.chars().count() <= 5 * SHORT
        && authors.iter().any(|author| {
            author.contains(' ')
                && text.strip_prefix(author.as_str()).is_some_and(|rest| {
                    let next = rest.split_whitespace().next().unwrap_or_default();
                    rest.starts_with(' ') && BIO_VERBS.contains(&next)
                })
        })
}

/// Short paragraphs the page shows more than once, in every place: labels
/// ("More Business", "Image credit : AFP", a consent placeholder), never
/// the story's own sentences, which it tells once.
pub fn drop_repeated(paragraphs: &mut Vec<String>) {
    let mut seen: rustc_hash::FxHashMap<&str, usize> = rustc_hash::FxHashMap::default();
    for p in paragraphs.iter().filter(|p| p.chars().count() <= SHORT) {
        *seen.entry(p.as_str()).or_default() += 1;
    }
    let repeated: rustc_hash::FxHashSet<String> = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(p, _)| p.to_owned())
        .collect();
    paragraphs.retain(|p| !repeated.contains(p));
}

/// Text left in the page for machines: a JSON object, a lone web or mail
/// address, a path into the page's markup, `true`.
fn is_data(text: &str) -> bool {
    let single_word = !text.contains(char::is_whitespace);
    (text.starts_with('{') && text.ends_with('}') && text.contains("\":"))
        || (single_word
            && (text.starts_with("http://")
                || text.starts_with("https://")
                || text.starts_with("/html/")
                || (text.contains('@') && text.contains('.') && !text.starts_with('@'))
                || text == "true"
                || text == "false"))
}

/// "By Anna Smith", "Von Markus Balser, Berlin", "Par Jean Dupont": a
/// byline standing as a paragraph.
fn is_byline(text: &str) -> bool {
    let mut words = text.split_whitespace();
    let Some(first) = words.next() else {
        return false;
    };
    let rest: Vec<&str> = words.collect();
    ["by", "von", "par", "por", "oleh"].contains(&first.to_lowercase().as_str())
        && (1..=8).contains(&rest.len())
        && rest.iter().all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                // "/ Speak City Heights Reporter", "g1 PI"
                || w.chars().next().is_some_and(|c| !c.is_alphabetic())
                || w.chars().any(|c| c.is_ascii_digit())
                || ["and", "und", "et", "e", "y", "&", "dan"].contains(w)
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
                "просмотров",
                "просмотра",
                "просмотр",
                "visualizações",
                "dilihat",
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

/// A photo caption that ends in its credit after the caption's sentence:
/// "… from the air. SIA/EFAK/YPPOA", "… in Crown Heights. (Scott
/// Heins/Gothamist)", "… on June 18, 2015. hide caption" (NPR's
/// button text). A story's sentence does not end in a name in brackets.
fn is_captioned(text: &str, lower: &str) -> bool {
    if ["hide caption", "toggle caption", "enlarge this image"]
        .iter()
        .any(|button| lower.ends_with(button))
    {
        return true;
    }
    let after_sentence = |before: &str| {
        before
            .trim_end()
            .ends_with(['.', '!', '?', '"', '\u{201d}', '\u{2019}'])
    };
    let capitalised = |word: &str| word.chars().next().is_some_and(char::is_uppercase);
    if let Some(inner) = text.strip_suffix(')')
        && let Some(open) = inner.rfind('(')
    {
        let credit = &inner[open + 1..];
        let words: Vec<&str> = credit.split_whitespace().collect();
        let names = words.iter().all(|w| capitalised(w) || w.starts_with('/'));
        // Names: a reporter's initials ("(boy/jpnn)") end story text.
        let credit_like =
            names && ((credit.contains('/') && words.len() <= 6) || (2..=5).contains(&words.len()));
        return open > 0 && credit_like && after_sentence(&inner[..open]);
    }
    // An agency's credit in capitals: "SIA/EFAK/YPPOA", "AFP/GETTY".
    let (before, last) = text.rsplit_once(' ').unwrap_or(("", text));
    last.contains('/')
        && last.chars().any(char::is_alphabetic)
        && last
            .chars()
            .all(|c| c == '/' || c == '-' || c.is_uppercase())
        && after_sentence(before)
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
            "Baca Juga:",
            "Leia também: Governo anuncia novo plano",
            "Читайте также",
            "Image credit : AFP",
            "720 просмотров",
            "13:38 09.03.2021 (обновлено: 14:22 09.03.2021)",
            "Minggu, 18 Juli 2021 – 18:52 WIB",
            "02/01/2023 18h58 Atualizado 02/01/2023",
            "Por Catarina Costa, g1 PI",
            "By Max Rivlin-Nadler / Speak City Heights Reporter",
            "Hospital Regional Justino Luz, em Picos — Foto: Antônio Rocha/TV Clube",
            "To display this content from , you must enable advertisement tracking and audience measurement.",
            "https://ria.ru/20210309/kiberataka-1600454403.html",
            "/html/head/meta[@name='og:title']/@content",
            "internet-group@rian.ru",
            "true",
            "{ \"author_name\": \"Таня Боброва\", \"comments\": 3 }",
            "Fortress walls and towers are clearly visible from the air. SIA/EFAK/YPPOA",
            "The basement at 80 New York. (Scott Heins/Gothamist)",
            "A still from the 1957 TV movie A Day Called X. (Boing Boing)",
            "Dylann Roof is escorted from the police station on June 18, 2015. hide caption",
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
            "Por fin, el gobierno anunció el plan.",
            "Di Jakarta, polisi menangkap dua orang.",
            "»Wir schaffen das«, sagte die Kanzlerin.",
            "« Nous avons tenu », a dit le maire.",
            "Email the mayor at mayor@example.org, residents were told.",
            "{This} is how the poet wrote it.",
            "The law covers people living with HIV/AIDS",
            "The vote was close (52/48).",
            "He left the room. (He came back an hour later.)",
            "The agency said so. (Reuters was told the same.)",
            "“Karena rakyat merasa lebih terjamin,” tegasnya. (boy/jpnn)",
        ] {
            assert!(!is_clutter(line), "{line}");
        }
    }

    #[test]
    fn short_lines_shown_twice_are_labels() {
        let mut paragraphs: Vec<String> = [
            "More Business",
            "The council met on Tuesday.",
            "It voted to close the bridge.",
            "More Business",
        ]
        .map(String::from)
        .to_vec();
        drop_repeated(&mut paragraphs);
        assert_eq!(
            paragraphs,
            [
                "The council met on Tuesday.",
                "It voted to close the bridge."
            ]
        );
    }

    #[test]
    fn a_note_about_the_author_is_known_by_the_name_it_opens_with() {
        let authors = ["Max Rivlin-Nadler".to_owned(), "Cher".to_owned()];
        assert!(is_author_bio(
            "Max Rivlin-Nadler is an investigative journalist based in San Diego.",
            &authors
        ));
        for story in [
            "Max Rivlin-Nadler said the court would rule in May.",
            "Max Rivlin-Nadlers is not a name.",
            "Cher is on tour.",
            "The mayor is an investigative journalist by training.",
        ] {
            assert!(!is_author_bio(story, &authors), "{story}");
        }
    }

    #[test]
    fn a_long_paragraph_is_never_furniture() {
        let long = format!("Read more about it: {}", "the story goes on. ".repeat(20));
        assert!(!is_clutter(&long));
    }
}
