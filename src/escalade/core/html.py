"""The one HTML sanitiser: HTML from the outside world is cleaned here before it is stored.

Pure Python (nh3 and the standard library, no Django), so the mail parser uses it too.

- ``sanitize_html``: nh3 with an allow-list. No ``script``/``style`` (their content goes too),
  no ``on*`` attributes, no ``javascript:`` or ``data:`` URLs; links get
  ``rel="noopener noreferrer nofollow"``; ``img src`` only ``cid:`` (an inline part of the
  mail) or ``https:`` (remote ``http:`` images are trackers and mixed content); a few harmless
  ``style`` properties are kept; comments are dropped.
- ``html_to_text``: readable plain text; ``<blockquote>`` becomes ``> `` lines, so quoted
  history in HTML-only mail is trimmed like quoted plain text.
- ``text_to_html``: plain text as escaped paragraphs.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

__all__ = ["html_to_text", "sanitize_html", "text_to_html"]

_ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) | {"font"}
_ALLOWED_ATTRIBUTES = {
    **{tag: set(attributes) for tag, attributes in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"title", "lang", "dir", "style"},
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "title", "width", "height", "align"},
    "font": {"color", "face", "size"},
}
_ALLOWED_STYLE_PROPERTIES = {
    "color",
    "background-color",
    "font-weight",
    "font-style",
    "font-size",
    "text-decoration",
    "text-align",
}
_IMAGE_SOURCE_SCHEMES = ("cid:", "https:")


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Remote http: images are trackers and mixed content; data: images are not allowed.
    if tag == "img" and attribute == "src":
        return value if value.strip().lower().startswith(_IMAGE_SOURCE_SCHEMES) else None
    return value


def sanitize_html(markup: str) -> str:
    """Safe HTML to store and show as it is; idempotent."""
    return nh3.clean(
        markup,
        tags=_ALLOWED_TAGS,
        clean_content_tags={"script", "style", "title"},
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        filter_style_properties=_ALLOWED_STYLE_PROPERTIES,
    )


class _HtmlTextExtractor(HTMLParser):
    """Plain text from HTML; <blockquote> becomes "> " lines so quote trimming works."""

    _SKIPPED = {"script", "style", "head", "title"}
    _BLOCKS = {
        "p", "div", "br", "tr", "li", "ul", "ol", "table", "blockquote", "pre", "hr",
        "h1", "h2", "h3", "h4", "h5", "h6",
    }  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, list[str]]] = [(0, [])]
        self.skip_depth = 0
        self.quote_depth = 0
        self.pre_depth = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self._SKIPPED:
            self.skip_depth += 1
        elif tag in self._BLOCKS:
            if tag == "blockquote":
                self.quote_depth += 1
            elif tag == "pre":
                self.pre_depth += 1
            self._new_line()
            if tag == "li":
                self.lines[-1][1].append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in self._BLOCKS:
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)
            self._new_line()

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:
            first, *rest = data.split("\n")
            self.lines[-1][1].append(first)
            for line in rest:
                self._new_line()
                self.lines[-1][1].append(line)
        else:
            self.lines[-1][1].append(re.sub(r"\s+", " ", data))

    def _new_line(self) -> None:
        self.lines.append((self.quote_depth, []))

    def text(self) -> str:
        rendered = []
        for quote_depth, pieces in self.lines:
            line = "".join(pieces).strip()
            rendered.append(("> " * quote_depth + line).rstrip())
        return re.sub(r"\n{3,}", "\n\n", "\n".join(rendered))


def html_to_text(markup: str) -> str:
    """Plain text of (possibly unsafe) HTML: blocks become lines, quotes become "> " lines."""
    extractor = _HtmlTextExtractor()
    extractor.feed(markup)
    extractor.close()
    return extractor.text().strip()


def text_to_html(text: str) -> str:
    paragraphs = [p for p in re.split(r"\n{2,}", text.strip()) if p]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
