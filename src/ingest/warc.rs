//! Web-archive crawls (WARC 1.0/1.1, `.warc` or `.warc.gz`), read record by
//! record in constant memory: each HTML `response` (or `resource`) record
//! becomes a page to extract, with its `WARC-Target-URI` and `WARC-Date`;
//! every other record is skipped with a reason; a damaged record fails
//! alone, named by its offset, and reading goes on with the next one.
//!
//! The `warc` crate parses each record's header and bounds its body; what
//! it does not do is told here: where each record starts (for the offset),
//! finding the next record after a damaged one, gzip member by member
//! (`flate2`), a cap on header size, and the HTTP message inside a record
//! (`httparse`: status, content type, chunked and compressed payloads).

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use chrono::{DateTime, Utc};
use warc::{RecordType, WarcHeader, WarcReader};

use super::MAX_PAGE_BYTES;

/// Longest record header (WARC or HTTP) read.
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Largest record body read: a page and its HTTP header; larger ones are skipped unread.
const MAX_RECORD_BYTES: u64 = (MAX_PAGE_BYTES + MAX_HEADER_BYTES) as u64;
/// Bytes buffered from the file (and from each gzip member's output).
const BUFFER: usize = 256 * 1024;

/// A page found in a crawl, ready for extraction.
#[derive(Debug, Clone)]
pub struct WarcPage {
    /// The record's number in the file, from 1.
    pub record: usize,
    /// Where the record starts in the file (its gzip member's start when compressed).
    pub offset: u64,
    /// `WARC-Target-URI`: the page's address.
    pub url: String,
    /// `WARC-Date`: when it was captured.
    pub captured: DateTime<Utc>,
    /// The HTML, decoded from the HTTP payload.
    pub html: Vec<u8>,
}

/// Why a record holds no page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    /// `warcinfo`, `request`, `metadata`, `conversion`, `continuation` records.
    NotAResponse,
    /// A capture that points at an earlier identical one.
    Revisit,
    /// A 3xx answer.
    Redirect,
    /// A 1xx, 4xx or 5xx answer (or 2xx other than 200 and 203).
    NotOk,
    /// Images, scripts, style sheets, PDFs…
    NotHtml,
    /// A body larger than a page may be.
    TooLarge,
    /// A payload compressed in a way not read here (e.g. `br`).
    Encoding,
    /// HTML whose extraction found no article (a section front, an index page).
    NotAnArticle,
}

impl Skip {
    pub fn name(self) -> &'static str {
        match self {
            Skip::NotAResponse => "not a response",
            Skip::Revisit => "revisit",
            Skip::Redirect => "redirect",
            Skip::NotOk => "not a 200 answer",
            Skip::NotHtml => "not HTML",
            Skip::TooLarge => "too large",
            Skip::Encoding => "unreadable encoding",
            Skip::NotAnArticle => "not an article",
        }
    }
}

/// What one record of a crawl holds.
#[derive(Debug)]
pub enum WarcItem {
    Page(WarcPage),
    Skipped {
        record: usize,
        reason: Skip,
    },
    /// A record that cannot be read; `message` names its offset.
    Damaged {
        record: usize,
        message: String,
    },
}

/// Reads a crawl, plain or gzip-compressed (told by its first bytes),
/// handing each record's item to `each` until it returns false. Errors
/// are the file's own (it cannot be read at all); damaged records are items.
pub fn read_warc(input: impl Read, mut each: impl FnMut(WarcItem) -> bool) -> io::Result<()> {
    let mut file = BufReader::with_capacity(BUFFER, Counted::new(input));
    let mut numbers = 0usize;
    let compressed = file.fill_buf()?.starts_with(&GZIP_MAGIC);
    if !compressed {
        let mut stream = Guarded::new(file);
        is_warc(&mut stream)?;
        records(&mut stream, None, &mut numbers, &mut each);
        return Ok(());
    }
    // One gzip member per record is the norm (and what lets a reader start
    // anywhere); a whole file in one member works too.
    loop {
        if file.fill_buf()?.is_empty() {
            return Ok(());
        }
        let member = file.get_ref().position() - file.buffer().len() as u64;
        let decoder = flate2::bufread::GzDecoder::new(&mut file);
        let mut stream = Guarded::new(BufReader::with_capacity(BUFFER, decoder));
        if member == 0 {
            // A first member that does not inflate is a damaged record, told below.
            if let Err(e) = is_warc(&mut stream)
                && e.kind() == io::ErrorKind::InvalidData
            {
                return Err(e);
            }
        }
        let outcome = records(&mut stream, Some(member), &mut numbers, &mut each);
        if outcome == Outcome::Stopped {
            return Ok(());
        }
        drop(stream);
        if outcome == Outcome::Broken && !skip_to_next_member(&mut file, member)? {
            return Ok(());
        }
    }
}

const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// Refuses a stream that does not start with a WARC record.
fn is_warc(stream: &mut impl BufRead) -> io::Result<()> {
    let start = stream.fill_buf()?;
    if start.is_empty() || start.starts_with(b"WARC/") {
        return Ok(());
    }
    let shown: String = String::from_utf8_lossy(&start[..start.len().min(20)])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "not a WARC file: it starts with “{shown}”, not with a WARC/1.0 or WARC/1.1 record"
        ),
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The stream ended.
    Ended,
    /// The stream cannot be read further (bad compressed data).
    Broken,
    /// `each` asked to stop.
    Stopped,
}

/// Reads the records of one stream (a plain file, or one gzip member's
/// output), numbering them on from `numbers`. After a damaged record it
/// goes on at the next line that starts a record.
fn records<R: BufRead>(
    stream: &mut Guarded<R>,
    member: Option<u64>,
    numbers: &mut usize,
    each: &mut impl FnMut(WarcItem) -> bool,
) -> Outcome {
    loop {
        let position = stream.position.clone();
        let mut reader = WarcReader::new(&mut *stream);
        let mut records = reader.stream_records();
        // Unread bytes of the record before, and its closing CRLF CRLF.
        let mut left = 0u64;
        let mut first = true;
        let intact = loop {
            let start = position.get() + left + if first { 0 } else { 4 };
            let at = match member {
                Some(m) if start == 0 => format!("the gzip member at byte {m}"),
                Some(m) => format!("byte {start} of the gzip member at byte {m}"),
                None => format!("byte {start}"),
            };
            let offset = member.unwrap_or(start);
            let Some(next) = records.next_item() else {
                return Outcome::Ended;
            };
            *numbers += 1;
            let number = *numbers;
            first = false;
            match next {
                Ok(mut record) => {
                    let item = read_record(&mut record, number, offset, &at);
                    left = record.content_length();
                    // A body that could not be read to its end leaves the
                    // stream somewhere inside it.
                    let cut = left > 0 && matches!(item, WarcItem::Damaged { .. });
                    if !each(item) {
                        return Outcome::Stopped;
                    }
                    if cut {
                        break true;
                    }
                }
                Err(e) => {
                    let item = WarcItem::Damaged {
                        record: number,
                        message: format!("record {number} at {at} is damaged: {}", describe(&e)),
                    };
                    if !each(item) {
                        return Outcome::Stopped;
                    }
                    // Bad bytes under the WARC layer (compressed data that
                    // does not inflate, a failing disk) end this stream.
                    break !matches!(&e, warc::Error::ReadData(io) if io.kind() != io::ErrorKind::InvalidData);
                }
            }
        };
        if !intact {
            return Outcome::Broken;
        }
        match stream.skip_to_next_record() {
            Ok(true) => continue,
            Ok(false) => return Outcome::Ended,
            Err(_) => return Outcome::Broken,
        }
    }
}

fn describe(e: &warc::Error) -> String {
    match e {
        warc::Error::ParseHeaders(_) => "its header is not a WARC header".to_owned(),
        warc::Error::MissingHeader(h) => format!("it has no {h} header"),
        warc::Error::MalformedHeader(h, v) => format!("its {h} header is malformed ({v})"),
        warc::Error::ReadData(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
            "the file ends inside it".to_owned()
        }
        warc::Error::ReadData(io) => format!("it cannot be read ({io})"),
        warc::Error::UnexpectedEOB => "the file ends inside it".to_owned(),
        other => other.to_string(),
    }
}

/// The item of one record whose header was read.
fn read_record<R: Read>(
    record: &mut warc::Record<warc::StreamingBody<'_, R>>,
    number: usize,
    offset: u64,
    at: &str,
) -> WarcItem {
    let skipped = |reason| WarcItem::Skipped {
        record: number,
        reason,
    };
    let damaged = |why: String| WarcItem::Damaged {
        record: number,
        message: format!("record {number} at {at} is damaged: {why}"),
    };
    let with_http = match record.warc_type() {
        RecordType::Response => true,
        RecordType::Resource => false,
        RecordType::Revisit => return skipped(Skip::Revisit),
        _ => return skipped(Skip::NotAResponse),
    };
    if !with_http {
        let html = record
            .header(WarcHeader::ContentType)
            .is_some_and(|t| is_html(&t));
        if !html {
            return skipped(Skip::NotHtml);
        }
    }
    let Some(url) = record
        .header(WarcHeader::TargetURI)
        .map(|u| u.trim().to_owned())
    else {
        return damaged("it has no WARC-Target-URI".to_owned());
    };
    let captured = *record.date();
    if record.content_length() > MAX_RECORD_BYTES {
        return skipped(Skip::TooLarge);
    }
    let mut body = Vec::new();
    if let Err(e) = record.take(MAX_RECORD_BYTES).read_to_end(&mut body) {
        return damaged(if e.kind() == io::ErrorKind::UnexpectedEof {
            "the file ends inside it".to_owned()
        } else {
            format!("it cannot be read ({e})")
        });
    }
    let html = if with_http {
        match http_payload(&body) {
            Ok(html) => html,
            Err(Payload::Skip(reason)) => return skipped(reason),
            Err(Payload::Bad(why)) => return damaged(why),
        }
    } else {
        body
    };
    WarcItem::Page(WarcPage {
        record: number,
        offset,
        url,
        captured,
        html,
    })
}

fn is_html(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or_default().trim();
    media.eq_ignore_ascii_case("text/html") || media.eq_ignore_ascii_case("application/xhtml+xml")
}

enum Payload {
    Skip(Skip),
    Bad(String),
}

/// The HTML an HTTP response carries: a 200 (or 203) with an HTML type,
/// de-chunked and decompressed, at most a page's size.
fn http_payload(message: &[u8]) -> Result<Vec<u8>, Payload> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut response = httparse::Response::new(&mut headers);
    let head = match response.parse(message) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            return Err(Payload::Bad("its HTTP header is cut short".to_owned()));
        }
        Err(e) => return Err(Payload::Bad(format!("its HTTP header is malformed ({e})"))),
    };
    match response.code.unwrap_or(0) {
        200 | 203 => {}
        300..=399 => return Err(Payload::Skip(Skip::Redirect)),
        _ => return Err(Payload::Skip(Skip::NotOk)),
    }
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
    };
    if !header("content-type").is_some_and(|t| is_html(&t)) {
        return Err(Payload::Skip(Skip::NotHtml));
    }
    let mut payload = message[head..].to_vec();
    if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        payload = dechunk(&payload)
            .ok_or_else(|| Payload::Bad("its chunked HTTP payload is malformed".to_owned()))?;
    }
    let limit = MAX_PAGE_BYTES as u64 + 1;
    let decoded = match header("content-encoding").as_deref() {
        None | Some("" | "identity" | "none") => Ok(payload),
        Some("gzip" | "x-gzip") => {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(&payload[..])
                .take(limit)
                .read_to_end(&mut out)
                .map(|_| out)
        }
        Some("deflate") => {
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(&payload[..])
                .take(limit)
                .read_to_end(&mut out)
                .map(|_| out)
        }
        Some(_) => return Err(Payload::Skip(Skip::Encoding)),
    };
    let html = decoded
        .map_err(|e| Payload::Bad(format!("its compressed HTTP payload cannot be read ({e})")))?;
    if html.len() > MAX_PAGE_BYTES {
        return Err(Payload::Skip(Skip::TooLarge));
    }
    Ok(html)
}

/// A chunked payload's data (`Transfer-Encoding: chunked`, as recorded by
/// crawlers that keep the bytes as sent); None when it is malformed.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(rest.len());
    loop {
        let httparse::Status::Complete((start, size)) = httparse::parse_chunk_size(rest).ok()?
        else {
            return None;
        };
        let size = usize::try_from(size).ok()?;
        if size == 0 {
            return Some(out);
        }
        let end = start.checked_add(size)?;
        out.extend_from_slice(rest.get(start..end)?);
        rest = rest.get(end..)?.strip_prefix(b"\r\n")?;
    }
}

/// Passes over bytes until the next gzip member's start (not the broken
/// one's, at `broken`); false at the end.
fn skip_to_next_member<R: Read>(file: &mut BufReader<Counted<R>>, broken: u64) -> io::Result<bool> {
    loop {
        let position = file.get_ref().position() - file.buffer().len() as u64;
        let buffer = file.fill_buf()?;
        if buffer.len() < GZIP_MAGIC.len() {
            return Ok(false);
        }
        let start = buffer
            .windows(GZIP_MAGIC.len())
            .enumerate()
            .position(|(i, w)| w == GZIP_MAGIC && position + i as u64 != broken);
        match start {
            Some(i) => {
                file.consume(i);
                return Ok(true);
            }
            None => {
                let n = buffer.len() - (GZIP_MAGIC.len() - 1);
                file.consume(n);
            }
        }
    }
}

/// A reader that counts the bytes read from it.
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R> Counted<R> {
    fn new(inner: R) -> Self {
        Counted { inner, read: 0 }
    }

    fn position(&self) -> u64 {
        self.read
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// A buffered stream that knows how far it has been read and refuses a
/// header longer than [`MAX_HEADER_BYTES`]: the crate reads a record's
/// header line by line through `fill_buf`/`consume` (and its body through
/// `read`), with no limit of its own.
struct Guarded<R> {
    inner: R,
    /// Bytes consumed so far.
    position: Rc<Cell<u64>>,
    /// Bytes consumed line by line since the last body read.
    in_header: usize,
}

impl<R: BufRead> Guarded<R> {
    fn new(inner: R) -> Self {
        Guarded {
            inner,
            position: Rc::new(Cell::new(0)),
            in_header: 0,
        }
    }

    /// Passes over lines until one that starts a WARC record (left
    /// unread); false at the end of the stream.
    fn skip_to_next_record(&mut self) -> io::Result<bool> {
        loop {
            let buffer = self.inner.fill_buf()?;
            if buffer.is_empty() {
                return Ok(false);
            }
            if buffer.starts_with(b"WARC/1.") {
                self.in_header = 0;
                return Ok(true);
            }
            let line = buffer
                .iter()
                .position(|b| *b == b'\n')
                .map_or(buffer.len(), |i| i + 1);
            self.inner.consume(line);
            self.position.set(self.position.get() + line as u64);
        }
    }
}

impl<R: BufRead> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.position.set(self.position.get() + n as u64);
        self.in_header = 0;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Guarded<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.in_header > MAX_HEADER_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a record header longer than {MAX_HEADER_BYTES} bytes"),
            ));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
        self.in_header += amount;
        self.position.set(self.position.get() + amount as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_payloads_are_joined_and_bad_ones_refused() {
        assert_eq!(
            dechunk(b"4\r\nRust\r\n6\r\n news!\r\n0\r\n\r\n").as_deref(),
            Some(&b"Rust news!"[..])
        );
        assert_eq!(dechunk(b"9\r\nshort\r\n"), None);
        assert_eq!(dechunk(b"zz\r\n"), None);
    }

    #[test]
    fn http_answers_are_told_apart() {
        let page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>hi</p>";
        assert_eq!(http_payload(page).ok().as_deref(), Some(&b"<p>hi</p>"[..]));
        let moved = b"HTTP/1.1 301 Moved\r\nLocation: /x\r\n\r\n";
        assert!(matches!(
            http_payload(moved),
            Err(Payload::Skip(Skip::Redirect))
        ));
        let image = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG";
        assert!(matches!(
            http_payload(image),
            Err(Payload::Skip(Skip::NotHtml))
        ));
        let brotli =
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: br\r\n\r\n..";
        assert!(matches!(
            http_payload(brotli),
            Err(Payload::Skip(Skip::Encoding))
        ));
        assert!(matches!(
            http_payload(b"HTTP/1.1 200"),
            Err(Payload::Bad(_))
        ));
    }
}
