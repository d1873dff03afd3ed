//! An article's language: the tag it carries, or one detected from its
//! text, and the primary language a tag names (`en-GB` is `en`).

use whatlang::Lang;

/// How much of an article detection reads: the headline and the start of
/// the body. Detection is reliable well before this, and an article's first
/// paragraphs are in its language.
const SAMPLE_CHARS: usize = 1_000;

/// The least confidence at which a detected language is taken. whatlang's
/// own "reliable" (0.9) refused a plain German sentence of 100 characters
/// (0.55, its next guess Dutch); a headline alone gives about 0.2.
const MIN_CONFIDENCE: f64 = 0.5;

/// The language of an article's text as an ISO 639-1 code (`fr`), or the
/// 639-3 code of a language that has none; None when the text is too short
/// or too mixed to tell.
pub fn detect(headline: &str, paragraphs: &[String]) -> Option<&'static str> {
    let mut sample = String::with_capacity(SAMPLE_CHARS + 64);
    for part in std::iter::once(headline).chain(paragraphs.iter().map(String::as_str)) {
        if sample.len() >= SAMPLE_CHARS {
            break;
        }
        let room = part
            .char_indices()
            .nth(SAMPLE_CHARS)
            .map_or(part.len(), |(i, _)| i);
        sample.push_str(&part[..room]);
        sample.push('\n');
    }
    let info = whatlang::detect(&sample)?;
    (info.confidence() >= MIN_CONFIDENCE).then(|| code(info.lang()))
}

/// The primary language of a tag, lowercase: `en-GB` and `EN` are `en`.
pub fn primary(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The shortest standard code of a detected language (BCP 47 asks for the
/// two-letter ISO 639-1 code where there is one).
fn code(lang: Lang) -> &'static str {
    use Lang::*;
    match lang {
        Epo => "eo",
        Eng => "en",
        Rus => "ru",
        Cmn => "zh",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Ben => "bn",
        Fra => "fr",
        Deu => "de",
        Ukr => "uk",
        Kat => "ka",
        Ara => "ar",
        Hin => "hi",
        Jpn => "ja",
        Heb => "he",
        Yid => "yi",
        Pol => "pl",
        Amh => "am",
        Jav => "jv",
        Kor => "ko",
        Nob => "nb",
        Dan => "da",
        Swe => "sv",
        Fin => "fi",
        Tur => "tr",
        Nld => "nl",
        Hun => "hu",
        Ces => "cs",
        Ell => "el",
        Bul => "bg",
        Bel => "be",
        Mar => "mr",
        Kan => "kn",
        Ron => "ro",
        Slv => "sl",
        Hrv => "hr",
        Srp => "sr",
        Mkd => "mk",
        Lit => "lt",
        Lav => "lv",
        Est => "et",
        Tam => "ta",
        Vie => "vi",
        Urd => "ur",
        Tha => "th",
        Guj => "gu",
        Uzb => "uz",
        Pan => "pa",
        Aze => "az",
        Ind => "id",
        Tel => "te",
        Pes => "fa",
        Mal => "ml",
        Ori => "or",
        Mya => "my",
        Nep => "ne",
        Sin => "si",
        Khm => "km",
        Tuk => "tk",
        Aka => "ak",
        Zul => "zu",
        Sna => "sn",
        Afr => "af",
        Lat => "la",
        Slk => "sk",
        Cat => "ca",
        Tgl => "tl",
        Hye => "hy",
        Cym => "cy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detected(text: &str) -> Option<&'static str> {
        detect("", &[text.to_owned()])
    }

    #[test]
    fn real_sentences_are_told_apart() {
        let cases = [
            (
                "en",
                "The finance minister said on Tuesday that the budget would be presented to parliament next month.",
            ),
            (
                "fr",
                "Le ministre des Finances a déclaré mardi que le budget serait présenté au Parlement le mois prochain.",
            ),
            (
                "de",
                "Der Finanzminister sagte am Dienstag, der Haushalt werde im nächsten Monat dem Parlament vorgelegt.",
            ),
            (
                "es",
                "El ministro de Hacienda dijo el martes que el presupuesto se presentará al Parlamento el próximo mes.",
            ),
            (
                "ru",
                "Министр финансов заявил во вторник, что бюджет будет представлен парламенту в следующем месяце.",
            ),
            (
                "ar",
                "قال وزير المالية يوم الثلاثاء إن الميزانية ستقدم إلى البرلمان الشهر المقبل.",
            ),
            ("zh", "财政部长周二表示，预算将于下个月提交议会审议。"),
            (
                "ja",
                "財務大臣は火曜日、予算案を来月国会に提出すると述べた。",
            ),
        ];
        for (code, text) in cases {
            assert_eq!(detected(text), Some(code), "{text}");
        }
    }

    #[test]
    fn too_little_text_says_nothing() {
        assert_eq!(detected(""), None);
        assert_eq!(detected("1234 5678"), None);
    }

    #[test]
    fn a_long_article_is_read_only_in_part() {
        let long = "Le ministre a parlé au Parlement. ".repeat(2_000);
        assert_eq!(detect("Budget", &[long]), Some("fr"));
    }

    #[test]
    fn tags_have_a_primary_language() {
        assert_eq!(primary("en-GB"), "en");
        assert_eq!(primary("FR"), "fr");
        assert_eq!(primary("zh_Hant"), "zh");
    }
}
