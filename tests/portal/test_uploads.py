"""Checking uploaded files (pure): the name decides the type, the first bytes must agree, and
programs, scripts and web pages are refused whatever they are called."""

import pytest

from escalade.portal.uploads import UploadRejected, check

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("screen.PNG", PNG, "image/png"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 8, "image/jpeg"),
        ("anim.gif", b"GIF89a....", "image/gif"),
        ("pic.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        ("invoice.pdf", b"%PDF-1.7\n", "application/pdf"),
        ("notes.txt", b"Merhaba, fatura iki kez kesildi.", "text/plain"),
        ("data.csv", b"a,b\n1,2\n", "text/csv"),
        (
            "report.docx",
            b"PK\x03\x04rest",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("logs.zip", b"PK\x03\x04rest", "application/zip"),
        ("dump.bin", b"\x01\x02\x03", "application/octet-stream"),
    ],
)
def test_accepted_files_get_the_type_of_their_name(name, content, content_type):
    assert check(name, content).content_type == content_type


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("setup.exe", b"MZ\x90\x00", "refused_type"),
        ("page.html", b"<html></html>", "refused_type"),
        ("image.svg", b"<svg/>", "refused_type"),
        ("script.js", b"alert(1)", "refused_type"),
        ("invoice.pdf", b"MZ\x90\x00 program", "program"),
        ("run.txt", b"#!/bin/sh\nrm -rf /", "program"),
        ("linux.bin", b"\x7fELF\x02\x01", "program"),
        ("photo.png", b"<html><script>alert(1)</script>", "mismatch"),
        ("doc.pdf", b"not a pdf", "mismatch"),
        ("text.txt", b"binary\x00data", "mismatch"),
        ("empty.txt", b"", "empty"),
        ("", b"data", "no_name"),
    ],
)
def test_dangerous_and_disguised_files_are_refused(name, content, code):
    with pytest.raises(UploadRejected) as refused:
        check(name, content)
    assert refused.value.code == code
