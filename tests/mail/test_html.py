"""`escalade.core.html`: the one sanitiser, used by the mail parser and the ticket service."""

from __future__ import annotations

import pytest

from escalade.core.html import html_to_text, sanitize_html, text_to_html
from escalade.mail import parsing


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p onclick='x()'>hi</p>", "<p>hi</p>"),
        ("<script>alert(1)</script><p>ok</p>", "<p>ok</p>"),
        ("<style>p{color:red}</style><p>ok</p>", "<p>ok</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        (
            '<a href="https://example.com" target="_blank">x</a>',
            '<a href="https://example.com" rel="noopener noreferrer nofollow">x</a>',
        ),
        ('<img src="http://tracker.example/p.gif">', "<img>"),
        ('<img src="data:image/png;base64,AAAA">', "<img>"),
        ('<img src="cid:logo@x" alt="logo">', '<img src="cid:logo@x" alt="logo">'),
        ('<img src="https://cdn.example/a.png">', '<img src="https://cdn.example/a.png">'),
        (
            '<p style="color: red; position: fixed">x</p>',
            '<p style="color:red">x</p>',
        ),
        ("<!-- secret --><b>x</b>", "<b>x</b>"),
        ("<iframe src='https://evil.example'></iframe>", ""),
        ('<font color="red">x</font>', '<font color="red">x</font>'),
    ],
)
def test_sanitize_html(dirty, clean):
    assert sanitize_html(dirty) == clean
    assert sanitize_html(clean) == clean  # idempotent


def test_html_to_text_quotes_blockquotes_and_keeps_lines():
    html = (
        "<p>Hello &amp; welcome</p><ul><li>one</li><li>two</li></ul>"
        "<div>On Monday Ann wrote:</div><blockquote><p>old</p><blockquote>older</blockquote>"
        "</blockquote><script>x()</script><pre>a\n  b</pre>"
    )
    assert html_to_text(html) == (
        "Hello & welcome\n\n- one\n\n- two\n\nOn Monday Ann wrote:\n\n"
        ">\n> old\n>\n> > older\n>\n\na\nb"
    )


def test_text_to_html_escapes():
    assert text_to_html("a < b\nc\n\nd") == "<p>a &lt; b<br>c</p><p>d</p>"


def test_the_parser_uses_the_same_sanitiser():
    assert parsing.sanitize_html is sanitize_html
    assert parsing.html_to_text is html_to_text
    assert not hasattr(parsing, "_sanitize_html")
