"""Checking files customers upload in the portal (pure Python, no Django).

The browser's declared content type is not trusted: the type is taken from the file name's
extension, and the first bytes must agree with it (a ``.png`` must start like a PNG). Programs,
scripts and active documents (HTML, SVG) are refused whatever they are called. The ticket
service then applies the size limit and the allow-list of types (``ESCALADE_ATTACHMENT_TYPES``),
and downloads are served as attachments with ``nosniff`` and a sandboxing CSP.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

MAX_FILES = 5

# Extensions that run code or render active content when opened.
REFUSED_EXTENSIONS = frozenset(
    {
        "apk", "app", "bat", "cmd", "com", "cpl", "dll", "exe", "gadget", "hta", "htm", "html",
        "jar", "js", "jse", "lnk", "mjs", "msi", "msp", "php", "pif", "ps1", "py", "reg", "scr",
        "sh", "shtml", "svg", "svgz", "vb", "vbe", "vbs", "ws", "wsf", "xht", "xhtml", "xml",
    }
)  # fmt: skip

_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
    "application/zip": _ZIP,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _ZIP,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _ZIP,
}
TEXT_TYPES = frozenset({"text/plain", "text/csv", "application/json", "message/rfc822"})
# Executables and scripts, whatever their name says.
_PROGRAMS = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa")


class UploadRejected(ValueError):
    """The file is refused; ``code`` says why (the caller words it in the reader's language):
    ``no_name``, ``refused_type``, ``empty``, ``program`` or ``mismatch``."""

    def __init__(self, code: str, filename: str, content_type: str = "") -> None:
        self.code = code
        self.filename = filename
        self.content_type = content_type
        super().__init__(f"{filename}: {code}")


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str


def _extension(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def content_type_for(filename: str) -> str:
    guessed = mimetypes.guess_type(filename, strict=False)[0]
    if _extension(filename) == "webp":
        guessed = "image/webp"
    return (guessed or "application/octet-stream").lower()


def _looks_like(content_type: str, content: bytes) -> bool:
    if content_type == "image/webp":
        return content[:4] == b"RIFF" and content[8:12] == b"WEBP"
    signatures = SIGNATURES.get(content_type)
    if signatures is not None:
        return content.startswith(signatures)
    if content_type in TEXT_TYPES:
        return b"\x00" not in content[:8192]
    return True


def check(filename: str, content: bytes) -> CheckedFile:
    """The file's content type if it may be stored; raises ``UploadRejected`` otherwise."""
    name = (filename or "").strip()
    if not name:
        raise UploadRejected("no_name", filename)
    if _extension(name) in REFUSED_EXTENSIONS:
        raise UploadRejected("refused_type", name)
    if not content:
        raise UploadRejected("empty", name)
    if content.startswith(_PROGRAMS):
        raise UploadRejected("program", name)
    content_type = content_type_for(name)
    if not _looks_like(content_type, content):
        raise UploadRejected("mismatch", name, content_type)
    return CheckedFile(filename=name, content_type=content_type)
