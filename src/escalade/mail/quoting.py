"""Trim quoted history and signatures from the plain text of a reply.

Pure Python (no Django). The rules are line based and deliberately conservative: a
line must look unmistakably like a mail client's quote header before anything below
it is dropped, because cutting a customer's own words is worse than showing a quote.
"""

import re

# A quote header names a date or an address; requiring one of them keeps
# sentences such as "On Monday I wrote:" from cutting the reply.
_HAS_DATE_OR_ADDRESS = re.compile(r"\d|@")

# "<attribution> <marker>" lines written by mail clients, one per language.
_ATTRIBUTION_LINES = [
    re.compile(r"^On\s.{0,300}\swrote:$"),  # en
    re.compile(r"^(?:Den\s|.{0,200}\bkl\.\s?\d).{0,300}\bskrev\b.{0,200}:$"),  # nb, da
    re.compile(r"^.{0,300}\btarihinde\b.{0,200}\byazdı:$"),  # tr
    re.compile(r"^(?:Il|In data)\s.{0,300}\sha scritto:$"),  # it
    re.compile(r"^.{0,300}\bnapisał(?:\(a\)|a)?:$"),  # pl (Gmail)
    re.compile(r"^W dniu\s.{0,300}\spisze:$"),  # pl (Thunderbird)
    re.compile(r"^.{0,300}写道[：:]$"),  # zh ("在 ... 写道：" and "... 于 ... 写道：")
]

# Every attribution line ends with one of these, just before the colon.
_ATTRIBUTION_MARKERS = ("wrote", "skrev", "yazdı", "scritto", "napisał", "pisze", "写道")

# "-----Original Message-----" and its translations (Outlook, Thunderbird, Gmail).
_ORIGINAL_MESSAGE = re.compile(
    r"^-{3,}\s*(?:Original Message|Opprinnelig melding|Originalmelding|Özgün İleti|"
    r"Orijinal İleti|Orijinal Mesaj|Messaggio originale|Oryginalna wiadomość|"
    r"Wiadomość oryginalna|原始邮件|原始郵件)\s*-{3,}$",
    re.IGNORECASE,
)

# Outlook quotes the previous mail as a block of "From: / Sent: / To: / Subject:" lines.
_OUTLOOK_FROM = re.compile(r"^\*?(?:From|Fra|Kimden|Gönderen|Da|Od|发件人)\s*\*?\s*[:：]")
_OUTLOOK_SENT = re.compile(
    r"^\*?(?:Sent|Date|Sendt|Dato|Gönderildi|Tarih|Inviato|Data|Wysłano|Wysłane|"
    r"发送时间|日期|時間)\s*\*?\s*[:：]"
)
_OUTLOOK_LOOKAHEAD_LINES = 4
_OUTLOOK_RULE = re.compile(r"^_{10,}$")  # the line Outlook draws above the block

_SIGNATURE_SEPARATOR = re.compile(r"^--\s?$")  # RFC 3676 "-- ", often stripped to "--"
_MOBILE_SIGNATURE = re.compile(
    r"^(?:Sent from my\b|Get Outlook for\b|Sendt fra min\b|Inviato da\b|Wysłane z\b|"
    r".{0,40}(?:'?umdan|'?imden|cihazımdan) gönderildi$|发自我的)",
    re.IGNORECASE,
)

# Quoted history starts within the first lines of a reply; scanning further would only
# cost time on huge bodies.
MAX_SCANNED_LINES = 5000
# Clients wrap a long attribution over up to three lines.
_MAX_ATTRIBUTION_LINES = 3
_MAX_ATTRIBUTION_CHARS = 500


def trim_reply(text: str) -> str:
    """Return only what the sender wrote: no quoted history, no signature.

    Falls back to the whole text when trimming would leave nothing, so a mail that is
    all quote (or a bare forward) still shows its content.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[: _history_start(lines)]
    lines = lines[: _signature_start(lines)]
    lines = _without_trailing_quote(lines)
    reply = "\n".join(lines).strip()
    return reply or text.strip()


def _history_start(lines: list[str]) -> int:
    for index, line in enumerate(lines[:MAX_SCANNED_LINES]):
        stripped = line.strip()
        if not stripped or stripped.startswith(">"):
            continue
        if _ORIGINAL_MESSAGE.match(stripped):
            return index
        attribution_start = _attribution_start(lines, index)
        if attribution_start is not None:
            return attribution_start
        if _is_outlook_block(lines, index):
            after_rule = index > 0 and _OUTLOOK_RULE.match(lines[index - 1].strip())
            return index - 1 if after_rule else index
    return len(lines)


def _attribution_start(lines: list[str], end: int) -> int | None:
    """First line of an attribution that ends on line `end`, using as few lines as possible.

    Growing the window backwards (rather than forwards) keeps a short reply line that
    sits right above the attribution, such as "Thanks", out of the cut.
    """
    end_line = lines[end].rstrip()
    if not end_line.endswith((":", "：")) or not any(
        marker in end_line for marker in _ATTRIBUTION_MARKERS
    ):
        return None  # cheap test before the regular expressions
    for start in range(end, max(end - _MAX_ATTRIBUTION_LINES, -1), -1):
        window = [line.strip() for line in lines[start : end + 1]]
        if any(not line or line.startswith(">") for line in window):
            return None
        joined = " ".join(window)
        if len(joined) > _MAX_ATTRIBUTION_CHARS:
            return None
        if _HAS_DATE_OR_ADDRESS.search(joined) and any(
            pattern.match(joined) for pattern in _ATTRIBUTION_LINES
        ):
            return start
    return None


def _is_outlook_block(lines: list[str], index: int) -> bool:
    if not _OUTLOOK_FROM.match(lines[index].strip()):
        return False
    following = lines[index + 1 : index + 1 + _OUTLOOK_LOOKAHEAD_LINES]
    return any(_OUTLOOK_SENT.match(line.strip()) for line in following)


def _signature_start(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        if index == 0:
            continue  # a separator on the first line would leave no reply at all
        if _SIGNATURE_SEPARATOR.match(line) or _MOBILE_SIGNATURE.match(line.strip()):
            return index
    return len(lines)


def _without_trailing_quote(lines: list[str]) -> list[str]:
    """Drop a block of "> " lines at the end; quotes interleaved with answers stay."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
        end -= 1
    return lines[:end]
