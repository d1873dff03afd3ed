//! The shape of HTML from outside, measured before any tree is built: how
//! deep its elements nest and how many there are. One linear pass of
//! html5ever's tokenizer; pages deeper or larger than browsers build are
//! refused, because building and reading their tree costs super-linear time
//! and deep recursion in the parsing and extraction libraries.

use std::cell::{Cell, RefCell};

use html5ever::TokenizerResult;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer};
use html5ever::{LocalName, local_name};

use super::ParseError;

/// The deepest nesting we build: Chromium's parser stops nesting at 512.
pub const MAX_DEPTH: usize = 512;
/// The most elements one page or one feed item may have.
pub const MAX_ELEMENTS: usize = 100_000;

/// Elements that never hold others.
fn is_void(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("area")
            | local_name!("base")
            | local_name!("basefont")
            | local_name!("bgsound")
            | local_name!("br")
            | local_name!("col")
            | local_name!("embed")
            | local_name!("frame")
            | local_name!("hr")
            | local_name!("image")
            | local_name!("img")
            | local_name!("input")
            | local_name!("keygen")
            | local_name!("link")
            | local_name!("meta")
            | local_name!("param")
            | local_name!("source")
            | local_name!("track")
            | local_name!("wbr")
    )
}

/// Elements a browser closes by itself when the next one of the kind opens.
fn closes_its_kind(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("p")
            | local_name!("li")
            | local_name!("dt")
            | local_name!("dd")
            | local_name!("option")
            | local_name!("optgroup")
            | local_name!("tr")
            | local_name!("td")
            | local_name!("th")
            | local_name!("tbody")
            | local_name!("thead")
            | local_name!("tfoot")
            | local_name!("rb")
            | local_name!("rt")
            | local_name!("rp")
    )
}

/// The most attributes one tag may have. html5ever looks for a duplicate
/// among the attributes read so far at each new one, so a tag's cost grows
/// with the square of their number (200,000 took 25 s to tokenize).
pub const MAX_ATTRIBUTES: usize = 1_000;

/// The most attributes any one tag has, counted by a byte scan that needs
/// no tokenizer. Hand-written because no library counts them without the
/// quadratic check this guards against. Text that merely looks like a tag
/// (in a script, say) can only add to the count, never hide a real tag's.
fn most_attributes(html: &[u8]) -> usize {
    let mut most = 0;
    let mut i = 0;
    while i < html.len() {
        if html[i] == b'<' && html.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            // A tag: its name, then attributes until `>`, values quoted or not.
            i += 1;
            while i < html.len()
                && !matches!(
                    html[i],
                    b'>' | b'/' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' '
                )
            {
                i += 1;
            }
            let mut count = 0;
            while i < html.len() && html[i] != b'>' {
                match html[i] {
                    b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' => i += 1,
                    b'=' => {
                        i += 1;
                        while i < html.len()
                            && matches!(html[i], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
                        {
                            i += 1;
                        }
                        match html.get(i) {
                            Some(&q @ (b'"' | b'\'')) => {
                                i += 1;
                                while i < html.len() && html[i] != q {
                                    i += 1;
                                }
                                i += 1;
                            }
                            _ => {
                                while i < html.len()
                                    && !matches!(
                                        html[i],
                                        b'>' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' '
                                    )
                                {
                                    i += 1;
                                }
                            }
                        }
                    }
                    _ => {
                        count += 1;
                        while i < html.len()
                            && !matches!(
                                html[i],
                                b'>' | b'=' | b'/' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' '
                            )
                        {
                            i += 1;
                        }
                    }
                }
            }
            most = most.max(count);
        }
        i += 1;
    }
    most
}

/// How far down the open elements an end tag or a self-closing sibling
/// looks for its match. Past it, or past a boundary, nothing is closed:
/// the count can then only be too deep, never too shallow.
const LOOK_BACK: usize = 16;

/// Elements an end tag or a sibling never closes across (the HTML
/// standard's scope boundaries, roughly), because a tree builder does not.
fn is_boundary(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("html")
            | local_name!("table")
            | local_name!("td")
            | local_name!("th")
            | local_name!("caption")
            | local_name!("template")
            | local_name!("select")
            | local_name!("object")
            | local_name!("applet")
            | local_name!("marquee")
            | local_name!("svg")
            | local_name!("math")
            | local_name!("button")
            | local_name!("ul")
            | local_name!("ol")
            | local_name!("dl")
    )
}

/// Inline elements a starting sibling may close across (`<p><b>x<p>`).
fn is_inline(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("a")
            | local_name!("b")
            | local_name!("i")
            | local_name!("u")
            | local_name!("s")
            | local_name!("em")
            | local_name!("strong")
            | local_name!("span")
            | local_name!("small")
            | local_name!("big")
            | local_name!("code")
            | local_name!("font")
            | local_name!("tt")
            | local_name!("strike")
            | local_name!("nobr")
    )
}

#[derive(Default)]
struct Shape {
    open: RefCell<Vec<LocalName>>,
    /// Open `<svg>` and `<math>`, inside which `<x/>` closes itself.
    foreign: Cell<usize>,
    elements: Cell<usize>,
    deepest: Cell<usize>,
}

impl Shape {
    /// Closes the nearest open `name` and everything opened after it, if
    /// it is found before a boundary (or, for a starting sibling, before
    /// anything but an inline element).
    fn close_to(&self, name: &LocalName, sibling: bool) {
        let mut open = self.open.borrow_mut();
        let mut found = None;
        for (back, n) in open.iter().rev().take(LOOK_BACK).enumerate() {
            if n == name {
                found = Some(back);
                break;
            }
            if is_boundary(n) || (sibling && !is_inline(n)) {
                break;
            }
        }
        if let Some(back) = found {
            let from = open.len() - back - 1;
            for closed in open.drain(from..) {
                if matches!(closed, local_name!("svg") | local_name!("math")) {
                    self.foreign.set(self.foreign.get().saturating_sub(1));
                }
            }
        }
    }
}

impl TokenSink for Shape {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let Token::TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        if tag.kind == TagKind::EndTag {
            self.close_to(&tag.name, false);
            return TokenSinkResult::Continue;
        }
        self.elements.set(self.elements.get() + 1);
        if is_void(&tag.name) || (tag.self_closing && self.foreign.get() > 0) {
            return TokenSinkResult::Continue;
        }
        if closes_its_kind(&tag.name) {
            self.close_to(&tag.name, true);
        }
        // The text inside these is not markup: tell the tokenizer, as a
        // tree builder would.
        let raw = match tag.name {
            local_name!("script") => Some(RawKind::ScriptData),
            local_name!("style")
            | local_name!("xmp")
            | local_name!("iframe")
            | local_name!("noembed")
            | local_name!("noframes")
            | local_name!("noscript") => Some(RawKind::Rawtext),
            local_name!("title") | local_name!("textarea") => Some(RawKind::Rcdata),
            _ => None,
        };
        if matches!(tag.name, local_name!("svg") | local_name!("math")) {
            self.foreign.set(self.foreign.get() + 1);
        }
        let mut open = self.open.borrow_mut();
        open.push(tag.name);
        self.deepest.set(self.deepest.get().max(open.len()));
        match raw {
            Some(kind) => TokenSinkResult::RawData(kind),
            None if open.last() == Some(&local_name!("plaintext")) => TokenSinkResult::Plaintext,
            None => TokenSinkResult::Continue,
        }
    }
}

/// Refuses HTML with a tag of more than [`MAX_ATTRIBUTES`] attributes,
/// nested deeper than [`MAX_DEPTH`] or holding more than [`MAX_ELEMENTS`]
/// elements, naming which.
pub fn check(html: &str) -> Result<(), ParseError> {
    let attributes = most_attributes(html.as_bytes());
    if attributes > MAX_ATTRIBUTES {
        return Err(ParseError::whole(format!(
            "a tag in the page has {attributes} attributes, more than the {MAX_ATTRIBUTES} a tag may have"
        )));
    }
    let input = BufferQueue::default();
    input.push_back(html.into());
    let tokenizer = Tokenizer::new(Shape::default(), Default::default());
    while !matches!(tokenizer.feed(&input), TokenizerResult::Done) {}
    tokenizer.end();
    let shape = &tokenizer.sink;
    if shape.deepest.get() > MAX_DEPTH {
        return Err(ParseError::whole(format!(
            "the page nests its elements more than {MAX_DEPTH} deep, deeper than browsers build"
        )));
    }
    if shape.elements.get() > MAX_ELEMENTS {
        return Err(ParseError::whole(format!(
            "the page has more than {MAX_ELEMENTS} elements ({})",
            shape.elements.get()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(tag: &str, depth: usize) -> String {
        format!("<{tag}>").repeat(depth) + "text" + &format!("</{tag}>").repeat(depth)
    }

    #[test]
    fn ordinary_pages_pass() {
        let page = "<!doctype html><html><head><title>a < b</title><script>if (a<b) {}</script>\
            <style>p>b{}</style></head><body><p>one<p>two<ul><li>a<li>b</ul><br><img src=x>\
            <svg><path d=''/><path/></svg><table><tr><td>1<td>2<tr><td>3</table></body></html>";
        check(page).unwrap();
        // Thousands of siblings, each closed or closing itself, are flat.
        check(&"<p>paragraph".repeat(5_000)).unwrap();
        check(&"<div>block</div>".repeat(5_000)).unwrap();
        check(&"<br>".repeat(50_000)).unwrap();
        check(&nested("div", MAX_DEPTH - 10)).unwrap();
    }

    #[test]
    fn deep_nesting_is_refused_whatever_the_element() {
        for tag in ["div", "blockquote", "span", "b", "table"] {
            let err = check(&nested(tag, 40_000)).unwrap_err();
            assert!(err.message.contains("more than 512 deep"), "{tag}: {err}");
        }
        // Unclosed, or closed in a way that matches nothing, is deep too.
        assert!(check(&"<div>".repeat(1_000)).is_err());
        assert!(check(&"<div/>".repeat(1_000)).is_err());
        assert!(check(&"<svg>".repeat(1_000)).is_err());
        // Tables, lists and formatting nest even where their end tags or
        // siblings would close them elsewhere.
        assert!(check(&"<table><tr><td>".repeat(300)).is_err());
        assert!(check(&"<ul><li>".repeat(300)).is_err());
        assert!(check(&"<div><table></div>".repeat(600)).is_err());
        assert!(check(&"<b><i><u><font>".repeat(200)).is_err());
    }

    #[test]
    fn markup_inside_scripts_and_comments_is_not_counted() {
        let hidden = "<div>".repeat(2_000);
        check(&format!("<script>{hidden}</script><p>story")).unwrap();
        check(&format!("<!-- {hidden} --><p>story")).unwrap();
        check(&format!("<textarea>{hidden}</textarea><p>story")).unwrap();
    }

    #[test]
    fn too_many_elements_are_refused() {
        let err = check(&"<br>".repeat(MAX_ELEMENTS + 1)).unwrap_err();
        assert!(err.message.contains("more than 100000 elements"), "{err}");
    }

    #[test]
    fn attributes_are_counted_per_tag() {
        assert_eq!(most_attributes(b"<p>text</p>"), 0);
        assert_eq!(
            most_attributes(b"<a href='x > y' class=c data-x = \"1\" hidden>x</a><br/>"),
            4
        );
        assert_eq!(most_attributes(b"<img src=a.png alt=\"a b c\"/><i a b>"), 2);
        assert_eq!(most_attributes(b"a < b and c<d e f>"), 2);
        let many: String = (0..5_000).map(|i| format!(" a{i}")).collect();
        let err = check(&format!("<p{many}>x</p>")).unwrap_err();
        assert!(err.message.contains("5000 attributes"), "{err}");
        let fine: String = (0..MAX_ATTRIBUTES)
            .map(|i| format!(" a{i}=\"v\""))
            .collect();
        check(&format!("<p{fine}>x</p>")).unwrap();
    }
}
