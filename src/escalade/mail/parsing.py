"""Parse one inbound mail (raw RFC 5322 bytes) into a `ParsedMail`.

Pure Python, no Django: the ingest service calls `parse_message` and stores the result.
Whatever arrives, the parser either returns a `ParsedMail` or raises `UnparseableMail`
with a short reason, so the caller can quarantine the raw bytes; it never crashes on
bad input. The rules are described in docs/mail-parsing.md.
"""

import base64
import binascii
import codecs
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.utils import collapse_rfc2231_value, getaddresses, parsedate_to_datetime

from escalade.core.html import html_to_text, sanitize_html
from escalade.mail.quoting import trim_reply

__all__ = [
    "DEFAULT_TICKET_TOKEN_PATTERN",
    "BounceInfo",
    "MailLimitExceeded",
    "MailLimits",
    "ParsedAttachment",
    "ParsedMail",
    "UnparseableMail",
    "parse_message",
]

DEFAULT_TICKET_TOKEN_PATTERN = r"\[#(\d+)\]"
# message/rfc822 parts nested deeper than this are kept as .eml attachments.
MAX_FORWARD_DEPTH = 3
# Deeper MIME trees are hostile (or broken beyond use); they go to quarantine.
MAX_MIME_DEPTH = 30
# Longer ids (RFC 5322 allows up to 998 characters) are replaced by a hash of
# themselves, so they fit an indexed column and still match across a thread.
MAX_MESSAGE_ID_LENGTH = 255
# Ticket numbers beyond a 64-bit id are not ours.
_MAX_TICKET_DIGITS = 18


@dataclass(frozen=True)
class MailLimits:
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_message_bytes: int = 25 * 1024 * 1024
    max_attachments: int = 50


class UnparseableMail(Exception):
    """The mail cannot be turned into a ticket message; quarantine the raw bytes."""

    def __init__(self, reason: str) -> None:
        # The reason quotes mail content; keep it storable (no lone surrogates).
        reason = reason.encode("utf-8", "backslashreplace").decode("utf-8")
        super().__init__(reason)
        self.reason = reason


class MailLimitExceeded(UnparseableMail):
    """The mail is readable but larger than `MailLimits` allows."""


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str | None  # without angle brackets; the HTML refers to it as "cid:<id>"
    inline: bool


@dataclass(frozen=True)
class BounceInfo:
    """What a delivery status notification (RFC 3464) says about a mail we sent."""

    original_message_id: str | None
    recipient: str | None
    action: str | None  # "failed", "delayed", "delivered", "relayed", "expanded"
    status: str | None  # RFC 3463 code such as "5.1.1"
    diagnostic: str | None

    @property
    def permanent(self) -> bool:
        return self.action == "failed" or (self.status or "").startswith("5")


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    from_name: str
    from_address: str
    to: list[str]
    cc: list[str]
    reply_to: str | None
    date: datetime | None
    text: str
    html: str
    reply_text: str
    attachments: list[ParsedAttachment]
    forwarded: list["ParsedMail"]
    auto_submitted: str | None
    bounce: BounceInfo | None
    defects: list[str]
    ticket_token: int | None


def parse_message(
    raw: bytes,
    limits: MailLimits = MailLimits(),
    *,
    ticket_token_pattern: str | re.Pattern[str] = DEFAULT_TICKET_TOKEN_PATTERN,
) -> ParsedMail:
    """Parse raw mail bytes; raise `UnparseableMail` for anything that must be quarantined.

    `ticket_token_pattern` finds the ticket number in the subject; its first group
    must capture the digits.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise TypeError(f"raw mail must be bytes, not {type(raw).__name__}")
    token_pattern = re.compile(ticket_token_pattern)
    if token_pattern.groups < 1:
        raise ValueError("ticket_token_pattern needs a group that captures the number")
    raw = bytes(raw)
    if not raw.strip():
        raise UnparseableMail("empty message")
    if len(raw) > limits.max_message_bytes:
        raise MailLimitExceeded(f"message is {len(raw)} bytes, limit {limits.max_message_bytes}")
    context = _Context(limits, token_pattern)
    try:
        try:
            message = _PARSER.parsebytes(raw)
        except Exception:
            # The default policy's header parser crashes on some malformed parameters
            # (e.g. "Content-Type: text/plain; x*" on Python 3.11); compat32 reads them.
            message = _LENIENT_PARSER.parsebytes(raw)
            context.notes.append("default email policy failed; parsed with compat32")
        return _build_mail(message, raw, context, forward_depth=0)
    except UnparseableMail:
        raise
    except Exception as error:
        # The stdlib email package has bugs on hostile input; such a mail is
        # quarantined with its raw bytes rather than lost.
        raise UnparseableMail(f"parser error: {type(error).__name__}: {error}"[:200]) from error


# ---------------------------------------------------------------------------------------
# Building a ParsedMail

_PARSER = BytesParser(policy=policy.default)
_LENIENT_PARSER = BytesParser(policy=policy.compat32)


@dataclass
class _Context:
    limits: MailLimits
    ticket_token_pattern: re.Pattern[str]
    attachment_count: int = 0  # across forwarded messages too
    notes: list[str] = field(default_factory=list)  # parser-level defects of the outer mail


def _build_mail(
    message: Message, raw: bytes | None, context: _Context, forward_depth: int
) -> ParsedMail:
    headers = _Headers(message)
    if not headers:
        raise UnparseableMail("not an email message: no headers")
    defects: list[str] = [] if forward_depth else list(context.notes)
    charset_hint = _first_text_charset(message)

    def id_list(name: str) -> list[str]:
        return _message_ids(_repair_8bit(" ".join(headers.all(name)), charset_hint))

    def header_text(name: str) -> str | None:
        value = headers.first(name)
        if value is None:
            return None
        return _single_line(_decode_rfc2047(_repair_8bit(value, charset_hint), defects))

    senders = _addresses(headers.all("from"), charset_hint, defects, "From")
    if not senders:
        raw_from = headers.first("from")
        if raw_from is None:
            raise UnparseableMail("no From header")
        shown = _single_line(_repair_8bit(raw_from, charset_hint))[:100]
        raise UnparseableMail(f"invalid From address: {shown!r}")
    if len(senders) > 1:
        defects.append("more than one From address; the first is used")
    from_name, from_address = senders[0]

    body = _BodyWalker(context, forward_depth, charset_hint)
    body.walk(message, mime_depth=0)
    defects.extend(body.defects)

    message_ids = id_list("message-id")
    if message_ids:
        message_id = message_ids[0]
    else:
        message_id = _synthetic_message_id(raw if raw is not None else _message_bytes(message))
    subject = header_text("subject") or ""
    text = _clean_body("\n\n".join(body.texts))
    html = "\n".join(body.htmls)
    if not text and html:
        text = _clean_body(html_to_text(html))
    reply_to = _addresses(headers.all("reply-to"), charset_hint, defects, "Reply-To")
    to = _addresses(headers.all("to"), charset_hint, defects, "To")
    cc = _addresses(headers.all("cc"), charset_hint, defects, "Cc")

    return ParsedMail(
        message_id=message_id,
        in_reply_to=id_list("in-reply-to"),
        references=id_list("references"),
        subject=subject,
        from_name=from_name,
        from_address=from_address,
        to=_unique(address for _, address in to),
        cc=_unique(address for _, address in cc),
        reply_to=reply_to[0][1] if reply_to else None,
        date=_date(headers.first("date"), defects),
        text=text,
        html=sanitize_html(html).strip() if html else "",
        reply_text=trim_reply(text),
        attachments=body.attachments,
        forwarded=body.forwarded,
        auto_submitted=_auto_submitted(header_text, from_address, _mime_headers(message, defects)),
        bounce=_bounce(body.delivery_status, body.returned_message_ids),
        defects=_unique(defects),
        ticket_token=_ticket_token(subject, context.ticket_token_pattern),
    )


class _Headers:
    """Raw header values by lower-cased name, unfolded.

    Reading raw values (rather than the policy's parsed header objects) keeps full
    control of decoding and avoids the stdlib header parser's crashes on hostile input.
    """

    def __init__(self, message: Message) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in message.raw_items():
            unfolded = re.sub(r"\r?\n(?=[ \t])", "", str(value)).strip()
            self._values.setdefault(name.strip().lower(), []).append(unfolded)

    def __bool__(self) -> bool:
        return bool(self._values)

    def first(self, name: str) -> str | None:
        values = self._values.get(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return self._values.get(name, [])


def _unique(items) -> list:
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------------------------------
# Header fields

_SURROGATE_ESCAPES = re.compile("[\udc80-\udcff]")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?]*)\?=")
_MESSAGE_ID_TOKEN = re.compile(r"<([^<>\s]+)>")
_EMAIL_ADDRESS = re.compile(
    r"^[^\s@<>()\[\],;:\"\\]+@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)*[^\W_](?:[\w-]{0,61}[^\W_])?$"
)
_MAX_ADDRESS_LENGTH = 254


def _single_line(text: str) -> str:
    """Control characters (CR, LF, NUL, ...) become spaces: no header injection downstream."""
    return " ".join(_CONTROL_CHARACTERS.sub(" ", text).split())


def _repair_8bit(value: str, charset_hint: str | None) -> str:
    """Decode raw 8-bit header bytes, which the parser keeps as surrogate escapes.

    UTF-8 (RFC 6532) is tried first, then the charset of the body, as old clients
    write headers in the body's charset without encoding them.
    """
    if not _SURROGATE_ESCAPES.search(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    hint = _python_codec(charset_hint)
    fit = _first_fit(data, ["utf-8", hint]) or _lossy_decode(data, hint)
    return fit[0]


def _decode_rfc2047(value: str, defects: list[str]) -> str:
    """Decode RFC 2047 encoded words, leniently (any charset, broken base64)."""
    pieces: list[str] = []
    # Adjacent words in one charset are decoded together: some mailers split a
    # multibyte character across two words.
    pending_charset: str | None = None
    pending_bytes = b""
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        charset, encoding, payload = match.groups()
        data = _decode_word_payload(encoding, payload)
        adjacent = pending_charset is not None and not gap.strip()
        if adjacent and charset.lower() == pending_charset.lower():
            pending_bytes += data
        else:
            if pending_charset is not None:
                pieces.append(_decode_text(pending_bytes, pending_charset, defects))
            if not adjacent:  # whitespace between two encoded words is not text
                pieces.append(gap)
            pending_charset, pending_bytes = charset, data
        position = match.end()
    if pending_charset is not None:
        pieces.append(_decode_text(pending_bytes, pending_charset, defects))
    pieces.append(value[position:])
    return "".join(pieces)


def _decode_word_payload(encoding: str, payload: str) -> bytes:
    data = payload.encode("utf-8", "surrogateescape")
    if encoding in "bB":
        return _lenient_b64decode(data)
    return binascii.a2b_qp(data, header=True)


def _lenient_b64decode(data: bytes) -> bytes:
    data = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    if len(data) % 4 == 1:  # a lone trailing character cannot encode a byte
        data = data[:-1]
    return base64.b64decode(data + b"=" * (-len(data) % 4))


def _addresses(
    values: list[str], charset_hint: str | None, defects: list[str], field_name: str
) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs; invalid addresses are noted and skipped."""
    repaired = [_repair_8bit(value, charset_hint) for value in values]
    result = []
    for name, address in getaddresses(repaired):
        if not name and not address:
            continue
        normalized = _normalize_address(address)
        if normalized is None:
            defects.append(f"invalid {field_name} address {_single_line(address)[:100]!r}")
            continue
        result.append((_single_line(_decode_rfc2047(name, defects)), normalized))
    return result


def _normalize_address(address: str) -> str | None:
    address = address.strip().lower()
    valid = (
        len(address) <= _MAX_ADDRESS_LENGTH
        and address.isprintable()
        and _EMAIL_ADDRESS.match(address) is not None
    )
    return address if valid else None


def _message_ids(value: str | None) -> list[str]:
    if not value:
        return []
    tokens = _MESSAGE_ID_TOKEN.findall(value)
    bare = value.strip()
    if not tokens and "@" in bare and not any(char.isspace() for char in bare):
        tokens = [bare]  # some mailers leave out the angle brackets
    ids = []
    for token in tokens:
        if not token.isprintable():
            continue
        if len(token) + 2 > MAX_MESSAGE_ID_LENGTH:
            digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
            token = f"{digest}@long-id.escalade.invalid"
        ids.append(f"<{token}>")
    return _unique(ids)


# Headers each hop adds on the way in; a second delivery of the same mail differs
# only in these, so they are left out of the synthetic Message-ID.
_TRACE_HEADER = re.compile(
    rb"(?i)(?:received|return-path|delivered-to|x-original-to|x-received|"
    rb"authentication-results|arc-[\w-]+|x-spam-[\w-]+)[ \t]*:"
)


def _synthetic_message_id(raw: bytes) -> str:
    """A Message-ID for a mail without one, the same for every delivery of that mail."""
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    lines = re.split(rb"\n(?![ \t])", head)
    kept = [line for line in lines if not _TRACE_HEADER.match(line)]
    digest = hashlib.sha256(b"\n".join(kept) + b"\n\n" + body).hexdigest()
    return f"<{digest}@synthetic.escalade.invalid>"


def _date(value: str | None, defects: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append(f"unparseable Date {_single_line(value)[:100]!r}")
        return None
    # "-0000" means "time zone unknown"; UTC is the honest reading.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _auto_submitted(header_text, from_address: str, top: "_MimeHeaders") -> str | None:
    """Why this mail was sent by a machine (so it must not trigger auto-replies), or None."""
    auto_submitted = (header_text("auto-submitted") or "").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"auto-submitted: {auto_submitted}"
    precedence = (header_text("precedence") or "").lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"precedence: {precedence}"
    for name in ("x-autoreply", "x-autorespond", "list-id"):
        value = header_text(name)
        if value is not None:
            return f"{name}: {value}"[:200]
    local_part = from_address.split("@", 1)[0]
    if local_part in {"mailer-daemon", "postmaster"}:
        return f"from {local_part}"
    if top.content_type == "multipart/report":
        return f"report: {top.report_type or 'unknown'}"
    return None


def _ticket_token(subject: str, pattern: re.Pattern[str]) -> int | None:
    match = pattern.search(subject)
    if match is None:
        return None
    digits = match.group(1) or ""
    if not digits.isdecimal() or len(digits) > _MAX_TICKET_DIGITS:
        return None
    return int(digits)


# ---------------------------------------------------------------------------------------
# Charsets

# Labels Python does not know, mapped to ones it does.
_CHARSET_LABELS = {
    "x-gbk": "gbk",
    "csgb2312": "gb2312",
    "big-5": "big5",
    "x-sjis": "shift_jis",
    "iso-8859-8-i": "iso-8859-8",
    "x-mac-roman": "mac-roman",
}
# Codecs replaced by the superset mail clients actually write (as browsers do).
_SUPERSET_CODECS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "iso2022_jp": "iso2022_jp_2",
    "tis-620": "cp874",
    "iso8859-11": "cp874",
}
# Text codecs that are not charsets; a label naming one is treated as unknown.
_NOT_CHARSETS = {"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined"}


def _python_codec(label: str | None) -> str | None:
    """The Python codec for a MIME charset label; None if the label is unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        info = codecs.lookup(_CHARSET_LABELS.get(label, label))
    except (LookupError, ValueError):  # ValueError: a NUL in the label
        return None
    if not info._is_text_encoding or info.name in _NOT_CHARSETS:
        return None
    return _SUPERSET_CODECS.get(info.name, info.name)


def _first_fit(data: bytes, candidates: list[str | None]) -> tuple[str, str] | None:
    """(text, codec) for the first codec that decodes the bytes without error."""
    for codec in candidates:
        if codec:
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:
                continue
    return None


def _lossy_decode(data: bytes, codec: str | None) -> tuple[str, str]:
    """(text, codec used) when no codec fits: some characters will be replaced."""
    if codec not in {None, "ascii", "utf-8"}:
        return data.decode(codec, "replace"), codec  # a real charset label beats a guess
    as_utf8 = data.decode("utf-8", "replace")
    if any(ord(char) > 0x7F and char != "\ufffd" for char in as_utf8):
        return as_utf8, "utf-8"  # mostly UTF-8 with a few broken bytes
    return data.decode("cp1252", "replace"), "cp1252"


def _decode_text(data: bytes, declared: str | None, defects: list[str]) -> str:
    """Bytes to text: the declared charset, else UTF-8, else a lossy decode; never fails."""
    codec = _python_codec(declared)
    label = repr(_single_line(declared)[:40]) if declared else "(none)"
    if declared and codec is None:
        defects.append(f"unknown charset {label}")
    fit = _first_fit(data, [codec, "utf-8"])
    text, used = fit if fit is not None else _lossy_decode(data, codec)
    if fit is None or (codec and used != codec):
        replaced = " with replacement characters" if "\ufffd" in text else ""
        defects.append(f"charset {label} did not fit the bytes; decoded as {used}{replaced}")
    return text


def _first_text_charset(message: Message) -> str | None:
    for part in message.walk():
        headers = _mime_headers(part, [])
        if headers.maintype == "text" and headers.charset:
            return headers.charset
    return None


# ---------------------------------------------------------------------------------------
# Body: text, HTML, attachments, forwarded messages, delivery reports

_FORWARD_TYPES = {"message/rfc822", "message/global"}
_DELIVERY_STATUS_TYPES = {"message/delivery-status", "message/global-delivery-status"}
_RETURNED_MESSAGE_TYPES = {"message/rfc822", "message/global", "text/rfc822-headers"}
_BODY_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HTML_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
_BOUNDARY_LINE = re.compile(rb"^--([0-9A-Za-z'()+_,./:=?-]{1,70})[ \t]*\r?$", re.MULTILINE)
_CONTENT_TYPE = re.compile(r"^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$")
_MIME_TYPES = mimetypes.MimeTypes()  # built-in table only: the same names on every machine
_MAX_FILENAME_LENGTH = 200


@dataclass(frozen=True)
class _MimeHeaders:
    """The MIME headers of one part, read once."""

    content_type: str
    disposition: str | None
    charset: str | None
    filename: str | None
    report_type: str | None

    @property
    def maintype(self) -> str:
        return self.content_type.partition("/")[0]


def _mime_headers(
    part: Message, defects: list[str], charset_hint: str | None = None
) -> _MimeHeaders:
    """Content type and parameters, read by the compat32 parameter parser.

    It splits the raw values as strings: several times faster than the default policy's
    header objects, which are rebuilt on every access, and more lenient with malformed
    parameters.
    """
    legacy = Message(policy=policy.compat32)
    legacy.set_default_type(part.get_default_type())  # message/rfc822 in a digest
    for name, value in part.raw_items():
        if name.lower() in {"content-type", "content-disposition"}:
            # compat32 would turn raw 8-bit bytes (RFC 6532 filenames) into U+FFFD.
            legacy[name] = _repair_8bit(str(value), charset_hint)

    def read(getter, *args):
        try:
            return getter(*args)
        except Exception:  # compat32 has rarer bugs of its own (RFC 2231 continuations)
            defects.append("unreadable MIME parameter; ignored")
            return None

    content_type = read(legacy.get_content_type) or ""
    if not _CONTENT_TYPE.match(content_type):
        content_type = "text/plain"  # RFC 2045: an invalid Content-Type means text/plain
    report_type = read(legacy.get_param, "report-type")
    return _MimeHeaders(
        content_type=content_type,
        disposition=read(legacy.get_content_disposition),
        charset=read(legacy.get_content_charset),
        filename=read(legacy.get_filename),
        report_type=collapse_rfc2231_value(report_type).lower() if report_type else None,
    )


class _BodyWalker:
    def __init__(self, context: _Context, forward_depth: int, charset_hint: str | None) -> None:
        self.context = context
        self.forward_depth = forward_depth
        self.charset_hint = charset_hint
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.attachments: list[ParsedAttachment] = []
        self.forwarded: list[ParsedMail] = []
        self.delivery_status: list[Message] = []
        self.returned_message_ids: list[str] = []
        self.defects: list[str] = []
        self.recovered_boundary = False

    def walk(self, part: Message, mime_depth: int) -> None:
        if mime_depth > MAX_MIME_DEPTH:
            raise MailLimitExceeded(f"MIME parts nested deeper than {MAX_MIME_DEPTH} levels")
        headers = _mime_headers(part, self.defects, self.charset_hint)
        if part.is_multipart():
            if headers.content_type in _FORWARD_TYPES:
                self._forwarded(part, headers)
            elif headers.content_type in _DELIVERY_STATUS_TYPES:
                self.delivery_status.extend(part.get_payload())
            elif headers.maintype == "message":
                self._message_attachment(part, headers)
            elif headers.content_type == "multipart/alternative":
                self._alternative(part, mime_depth)
            elif headers.content_type == "multipart/report":
                self._report(part, mime_depth)
            else:
                for child in part.get_payload():
                    self.walk(child, mime_depth + 1)
        elif headers.maintype == "multipart":
            self._broken_multipart(part, headers, mime_depth)
        else:
            self._leaf(part, headers)
        # Decoding the payload adds defects, so they are read last.
        self.defects.extend(type(defect).__name__ for defect in part.defects)

    def _alternative(self, part: Message, mime_depth: int) -> None:
        """Keep the first plain version and the last rich one (RFC 2046 orders them)."""
        outer_texts, outer_htmls = self.texts, self.htmls
        chosen_texts: list[str] = []
        chosen_htmls: list[str] = []
        for child in part.get_payload():
            self.texts, self.htmls = [], []
            self.walk(child, mime_depth + 1)
            if self.texts and not chosen_texts:
                chosen_texts = self.texts
            if self.htmls:
                chosen_htmls = self.htmls
        self.texts = outer_texts + chosen_texts
        self.htmls = outer_htmls + chosen_htmls

    def _report(self, part: Message, mime_depth: int) -> None:
        """A DSN or read receipt: the returned original is evidence, not a forward."""
        for child in part.get_payload():
            child_headers = _mime_headers(child, self.defects, self.charset_hint)
            if child_headers.content_type in _RETURNED_MESSAGE_TYPES:
                self.returned_message_ids.extend(_returned_message_ids(child, child_headers))
            else:
                self.walk(child, mime_depth + 1)

    def _broken_multipart(self, part: Message, headers: _MimeHeaders, mime_depth: int) -> None:
        """A multipart whose boundary never appears: find the one actually used."""
        body = _payload_bytes(part)
        # Once per mail: each re-parse reads the whole body again.
        recovered = None
        if not self.recovered_boundary:
            recovered = _reparse_with_used_boundary(headers.content_type, body)
        if recovered is not None:
            self.recovered_boundary = True
            self.defects.append("MIME boundary did not match the body; recovered")
            self.walk(recovered, mime_depth + 1)
        else:
            self.defects.append("MIME structure unreadable; body kept as plain text")
            self.texts.append(_decode_text(body, headers.charset, self.defects))

    def _leaf(self, part: Message, headers: _MimeHeaders) -> None:
        filename = self._filename(headers)
        data = _payload_bytes(part)
        is_body = (
            headers.content_type in {"text/plain", "text/html"}
            and headers.disposition != "attachment"
            and not filename
        )
        if not is_body:
            self._attach(part, headers, headers.content_type, data, filename)
        elif headers.content_type == "text/plain":
            self.texts.append(_decode_text(data, headers.charset, self.defects))
        else:
            charset = headers.charset
            if charset is None:
                sniffed = _HTML_META_CHARSET.search(data[:4096])
                charset = sniffed.group(1).decode("ascii") if sniffed else None
            self.htmls.append(_decode_text(data, charset, self.defects))

    def _forwarded(self, part: Message, headers: _MimeHeaders) -> None:
        if self.forward_depth >= MAX_FORWARD_DEPTH:
            self.defects.append("forwarded messages nested too deep; kept as attachment")
            self._message_attachment(part, headers)
            return
        try:
            inner = _build_mail(part.get_payload(0), None, self.context, self.forward_depth + 1)
        except MailLimitExceeded:
            raise
        except UnparseableMail as error:
            self.defects.append(f"forwarded message kept as attachment: {error.reason}")
            self._message_attachment(part, headers)
            return
        self.forwarded.append(inner)

    def _message_attachment(self, part: Message, headers: _MimeHeaders) -> None:
        inner = part.get_payload(0)
        filename = self._filename(headers)
        if not filename:
            subject = _repair_8bit(_Headers(inner).first("subject") or "", self.charset_hint)
            subject = _decode_rfc2047(subject, self.defects)
            filename = f"{_safe_filename(subject) or 'message'}.eml"
        self._attach(part, headers, "message/rfc822", _message_bytes(inner), filename)

    def _attach(
        self,
        part: Message,
        headers: _MimeHeaders,
        content_type: str,
        content: bytes,
        filename: str | None,
    ) -> None:
        limits = self.context.limits
        self.context.attachment_count += 1
        if self.context.attachment_count > limits.max_attachments:
            raise MailLimitExceeded(f"more than {limits.max_attachments} attachments")
        if not filename:
            extension = _MIME_TYPES.guess_extension(content_type) or ".bin"
            filename = f"attachment-{len(self.attachments) + 1}{extension}"
        if len(content) > limits.max_attachment_bytes:
            raise MailLimitExceeded(
                f"attachment '{filename}' is {len(content)} bytes,"
                f" limit {limits.max_attachment_bytes}"
            )
        content_id = self._content_id(part)
        self.attachments.append(
            ParsedAttachment(
                filename=filename,
                content_type=content_type,
                content=content,
                content_id=content_id,
                inline=headers.disposition == "inline"
                or (headers.disposition is None and content_id is not None),
            )
        )

    def _content_id(self, part: Message) -> str | None:
        value = _Headers(part).first("content-id")
        if not value:
            return None
        return _single_line(_repair_8bit(value, self.charset_hint)).strip("<> ") or None

    def _filename(self, headers: _MimeHeaders) -> str | None:
        if not headers.filename:
            return None
        # Outlook and Gmail put RFC 2047 words in quoted filenames.
        name = _decode_rfc2047(headers.filename, self.defects)
        return _safe_filename(name) or None


def _payload_bytes(part: Message) -> bytes:
    """The decoded payload (base64, quoted-printable, ...); broken encodings decode best effort."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _safe_filename(name: str) -> str:
    """One line, no directories, no hidden-file dot, bounded length."""
    name = _single_line(name).replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    if len(name) > _MAX_FILENAME_LENGTH:
        _, dot, extension = name.rpartition(".")
        keep = extension if dot and len(extension) <= 10 else ""
        name = name[: _MAX_FILENAME_LENGTH - len(keep) - 1].rstrip() + (f".{keep}" if keep else "")
    return name


def _message_bytes(message: Message) -> bytes:
    """A nested message as bytes, rebuilt from its raw header values and payloads.

    The stdlib generator re-folds headers, invents boundaries and fails on some
    damaged input; this keeps what arrived.
    """
    head = "".join(f"{name}: {value}\n" for name, value in message.raw_items())
    return _raw_bytes(head) + b"\n" + _raw_payload(message)


def _raw_payload(message: Message) -> bytes:
    payload = message.get_payload()
    if isinstance(payload, str):
        return _raw_bytes(payload)
    if not message.is_multipart() or message.get_content_maintype() == "message":
        return b"".join(_message_bytes(part) for part in payload)
    boundary = _raw_bytes(message.get_boundary() or "")
    pieces = [_raw_bytes(message.preamble or "")]
    pieces += [b"--" + boundary + b"\n" + _message_bytes(part) + b"\n" for part in payload]
    pieces.append(b"--" + boundary + b"--\n" + _raw_bytes(message.epilogue or ""))
    return b"".join(pieces)


def _raw_bytes(text: str) -> bytes:
    """Parsed text back to the bytes it came from (8-bit bytes are surrogate escapes)."""
    return text.encode("utf-8", "surrogateescape")


def _reparse_with_used_boundary(content_type: str, body: bytes) -> Message | None:
    """The body re-parsed with the first boundary-like line it contains, if that works."""
    match = _BOUNDARY_LINE.search(body)
    if match is None:
        return None
    boundary = match.group(1)
    if boundary.endswith(b"--"):  # the first line found was a closing delimiter
        boundary = boundary[:-2]
    if len(re.findall(rb"(?m)^--" + re.escape(boundary), body)) < 2:
        return None  # one dashed line is not a MIME structure
    subtype = re.sub(r"[^a-z0-9.+-]", "", content_type.partition("/")[2]) or "mixed"
    header = f'Content-Type: multipart/{subtype}; boundary="{boundary.decode("ascii")}"\r\n\r\n'
    recovered = _PARSER.parsebytes(header.encode("ascii") + body)
    return recovered if recovered.is_multipart() and recovered.get_payload() else None


def _returned_message_ids(part: Message, headers: _MimeHeaders) -> list[str]:
    if part.is_multipart():  # message/rfc822: the returned mail itself
        return _message_ids(_Headers(part.get_payload(0)).first("message-id"))
    headers_text = _decode_text(_payload_bytes(part), headers.charset, [])
    returned = HeaderParser(policy=policy.compat32).parsestr(headers_text)
    return _message_ids(_Headers(returned).first("message-id"))


def _bounce(delivery_status: list[Message], returned_message_ids: list[str]) -> BounceInfo | None:
    recipient_blocks = [
        _Headers(block)
        for block in delivery_status
        if any(name in block for name in ("final-recipient", "original-recipient"))
    ]
    if not recipient_blocks:
        return None
    failed = [block for block in recipient_blocks if _field(block, "action") == "failed"]
    block = (failed or recipient_blocks)[0]
    recipient = _field(block, "final-recipient") or _field(block, "original-recipient")
    if recipient:
        # "rfc822; bob@example.org": the address follows the address type
        recipient = recipient.rpartition(";")[2].strip().strip("<>").lower()
    status = _field(block, "status")
    return BounceInfo(
        original_message_id=returned_message_ids[0] if returned_message_ids else None,
        recipient=recipient or None,
        action=_field(block, "action"),
        status=status.split()[0] if status else None,
        diagnostic=_single_line(_repair_8bit(block.first("diagnostic-code") or "", None)) or None,
    )


def _field(headers: _Headers, name: str) -> str | None:
    value = headers.first(name)
    return _single_line(_repair_8bit(value, None)).lower() if value else None


def _clean_body(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _BODY_CONTROL_CHARACTERS.sub("", text).strip()
