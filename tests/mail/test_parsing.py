"""The inbound mail parser against the .eml corpus in tests/mail/fixtures.

The corpus is written by fixtures/make_fixtures.py; the few mails that would be too big
for git (30 MB attachment, hostile nesting) are generated here.
"""

import base64
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalade.mail.parsing import (
    BounceInfo,
    MailLimitExceeded,
    MailLimits,
    ParsedMail,
    UnparseableMail,
    parse_message,
)
from escalade.mail.quoting import trim_reply

FIXTURES = Path(__file__).parent / "fixtures"
CET = timezone(timedelta(hours=1))
PDF_SIZE = 77
PNG_SIZE = 69


def raw(name: str) -> bytes:
    return (FIXTURES / f"{name}.eml").read_bytes()


def parse(name: str) -> ParsedMail:
    return parse_message(raw(name))


def test_every_fixture_parses_or_is_refused_with_a_reason():
    refused = {"no_from", "invalid_from", "not_a_mail"}
    names = sorted(path.stem for path in FIXTURES.glob("*.eml"))
    assert len(names) >= 50
    for name in names:
        if name in refused:
            with pytest.raises(UnparseableMail):
                parse(name)
        else:
            mail = parse(name)
            assert mail.message_id.startswith("<")
            assert mail.message_id.endswith(">")
            assert mail.from_address


# --- charsets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "from_name", "subject", "text", "defects"),
    [
        (
            "charset_utf8",
            "Jørn Ødegård",
            "Order not delivered — blåbær, ødelagt",
            "Hello,\nmy order has not arrived — could you check? Ærlig talt, ødelagt.",
            [],
        ),
        (
            "charset_iso8859_2",
            "Paweł Żółkiewski",
            "Błędna faktura, źle naliczona",
            "Dzień dobry,\nmoja faktura jest błędna. Chcę rozmawiać z kierownikiem.",
            [],
        ),
        (
            "charset_iso8859_9",
            "Ayşe Yılmaz",
            "Siparişim gelmedi, ödeme yapıldı",
            "Merhaba,\nsiparişim hâlâ gelmedi. Yöneticiyle görüşmek istiyorum.",
            [],
        ),
        (
            "charset_windows1250",
            "Łukasz Wiśniewski",
            "Podziękowanie – „szybka” odpowiedź",
            "Zażółć gęślą jaźń – „dziękuję” za szybką odpowiedź.",
            [],
        ),
        (
            "charset_windows1252",
            "Niccolò Rossi",
            "Prezzo sbagliato: 49 € non “49,90 €”",
            "Buongiorno,\nil prezzo è di 49 € e non “49,90 €” come indicato.",
            [],
        ),
        ("charset_gb2312", "张伟", "订单还没有到", "您好，我的订单还没有到。我要找你们经理。", []),
        ("charset_gbk", "王喆", "王喆的订单", "您好，我是王喆，我的订单还没有到。", []),
        (
            "charset_gb2312_holding_gbk",
            "王喆",
            "王喆的订单",
            "您好，我是王喆，我的订单还没有到。",
            [],
        ),
        (
            "charset_gb18030",
            "李娜",
            "名字里的𠮷字",
            "您好，我的名字里有生僻字𠮷，系统显示不出来。",
            [],
        ),
        ("charset_big5", "陳美", "訂單還沒有到", "您好，我的訂單還沒有到。我要找你們經理。", []),
        (
            "charset_iso2022jp",
            "山田太郎",
            "注文について",
            "お問い合わせありがとうございます。注文がまだ届いていません。",
            [],
        ),
        ("charset_koi8r", "Иван Петров", "Заказ", "Здравствуйте, мой заказ ещё не пришёл.", []),
        (
            "charset_utf8_labelled_ascii",
            "Kari Nordmann",
            "Mislabelled",
            "Hei, blåbærsyltetøy er på vei?",
            ["charset 'us-ascii' did not fit the bytes; decoded as utf-8"],
        ),
        (
            "charset_latin1_labelled_utf8",
            "Mario Rossi",
            "Mislabelled",
            "Perché il caffè è freddo?",
            ["charset 'utf-8' did not fit the bytes; decoded as cp1252"],
        ),
        (
            "charset_unknown",
            "Kari Nordmann",
            "Unknown charset",
            "Hei, blåbær!",
            ["unknown charset 'x-klingon'"],
        ),
        (
            "invalid_utf8_bytes",
            "Kari Nordmann",
            "Broken bytes",
            "Hei, blåbær \ufffd\ufffd og jordbær.",
            ["charset 'utf-8' did not fit the bytes; decoded as utf-8 with replacement characters"],
        ),
    ],
)
def test_charsets(name, from_name, subject, text, defects):
    mail = parse(name)
    assert mail.message_id == f"<{name}@kunde.example>"
    assert mail.from_name == from_name
    assert mail.subject == subject
    assert mail.text == text
    assert mail.reply_text == text
    assert mail.defects == defects
    assert mail.date == datetime(2025, 11, 3, 10, 0, tzinfo=CET)


# --- headers ----------------------------------------------------------------------------


def test_rfc2047_headers_in_several_charsets():
    mail = parse("rfc2047_headers")
    assert mail.subject == "Zamówienie – 订单 ödeme"
    assert mail.from_name == "Żaneta Wójcik"
    assert mail.from_address == "zaneta.wojcik@kunde.example"
    assert mail.to == ["blabaer@kunde.example", "unal@kunde.example"]
    assert mail.cc == ["zhang@kunde.example"]
    assert mail.date == datetime(2025, 11, 4, 8, 15, tzinfo=UTC)
    assert mail.defects == []


def test_rfc2231_and_rfc2047_filenames():
    mail = parse("rfc2231_filename")
    assert mail.subject == "Faktura w załączniku"
    assert mail.text == "W załączniku faktura."
    assert [(a.filename, a.content_type, len(a.content)) for a in mail.attachments] == [
        ("faktura_źółć.pdf", "application/pdf", PDF_SIZE),
        ("zamówienia_łódź.csv", "text/csv", 12),
        ("żołędzie.pdf", "application/pdf", PDF_SIZE),
    ]
    assert all(not attachment.inline for attachment in mail.attachments)


def test_header_injection_is_neutralised():
    mail = parse("header_injection")
    assert mail.subject == "Invoice Bcc: all@escalade.example <script>"
    assert mail.from_name == "Mallory Bcc: victim@kunde.example"
    assert mail.from_address == "mallory@kunde.example"
    assert mail.to == ["support@escalade.example"]
    assert mail.cc == []
    # No line breaks, no directories, no hidden files.
    assert [a.filename for a in mail.attachments] == ["html", "evil.exe", "htaccess"]
    for value in [mail.subject, mail.from_name, *(a.filename for a in mail.attachments)]:
        assert "\r" not in value
        assert "\n" not in value


def test_unicode_in_every_field():
    mail = parse("unicode_everywhere")
    assert mail.message_id == "<unicode-everywhere@exämple.com>"
    assert mail.subject == "Ünïcödé everywhere: ØÆÅ, ğüşıöç, àèìòù, żółć, 汉字, 🎉"
    assert mail.from_name == "Zoë Çelik-Ødegård 🌍"
    assert mail.from_address == "zoë@exämple.com"
    assert mail.to == ["support@escalade.example"]
    assert mail.cc == ["łukasz@kunde.example"]
    assert mail.reply_to == "zoe.reply@exämple.com"
    assert mail.date == datetime(2025, 11, 5, 12, 0, tzinfo=timezone(timedelta(hours=9)))
    assert mail.text == "Hei! Merhaba! Ciao! Cześć! 你好! 🎉"
    [attachment] = mail.attachments
    assert (attachment.filename, attachment.content) == ("notatki_żółć_汉字.txt", b"notater")


# --- transfer encodings -----------------------------------------------------------------


def test_quoted_printable_with_soft_line_breaks_and_crlf():
    mail = parse("quoted_printable")
    assert mail.text == (
        "Hei, dette er en lang linje som er brutt med en myk linjeskift her "
        "og fortsetter på neste linje. Likhetstegn: a=b."
    )


def test_base64_body():
    assert parse("base64_body").text == "Hei fra base64 – blåbær."


def test_broken_base64_is_decoded_best_effort():
    mail = parse("base64_broken")
    assert mail.text == "Broken base64 still readable, ødelagt."
    assert mail.defects == ["InvalidBase64CharactersDefect"]


# --- MIME structure ---------------------------------------------------------------------


def test_multipart_alternative_keeps_both_versions():
    mail = parse("multipart_alternative")
    assert mail.from_name == "Mario Rossi"
    assert mail.text == "Plain version of the message."
    assert mail.html == "<p>HTML <b>version</b> of the message.</p>"
    assert mail.attachments == []


def test_html_only_mail_is_sanitised_and_text_derived():
    mail = parse("html_only")
    assert mail.text == (
        "Hello, the invoice link here is broken – søk.\n\n"
        "See the FAQ.\n\n"
        "On Mon, 3 Nov 2025 at 09:00, Support <support@escalade.example> wrote:\n\n"
        "> Old quoted text"
    )
    assert mail.reply_text == "Hello, the invoice link here is broken – søk.\n\nSee the FAQ."
    html = mail.html
    for forbidden in ["<script", "onclick", "onerror", "javascript:", "tracker.example",
                      "data:image", "position", "Ignored title", "<style"]:  # fmt: skip
        assert forbidden not in html
    assert '<p style="color:blue">' in html
    assert '<a href="https://help.example/faq" rel="noopener noreferrer nofollow">' in html
    assert "<blockquote>Old quoted text</blockquote>" in html


def test_related_inline_image_keeps_its_cid_reference():
    mail = parse("multipart_related_inline_image")
    assert mail.text == "See the screenshot:\n[image: skjermbilde.png]"
    assert mail.html == (
        '<p>See the screenshot:</p><img src="cid:skjerm@kunde.example" alt="skjermbilde">'
    )
    [image] = mail.attachments
    assert image.filename == "skjermbilde.png"
    assert image.content_type == "image/png"
    assert image.content_id == "skjerm@kunde.example"
    assert image.inline is True
    assert image.content.startswith(b"\x89PNG")
    assert len(image.content) == PNG_SIZE


def test_mixed_attachments():
    mail = parse("multipart_mixed_attachments")
    assert mail.text == "Three files attached."
    assert mail.cc == ["anna.nowak@kunde.example"]
    assert [(a.filename, a.content_type, len(a.content), a.inline) for a in mail.attachments] == [
        ("invoice.pdf", "application/pdf", PDF_SIZE, False),
        ("orders.csv", "text/csv", 10, False),
        ("attachment-3.png", "image/png", PNG_SIZE, False),  # it came without a name
    ]
    assert mail.attachments[0].content.startswith(b"%PDF-1.4")


def test_forwarded_message_is_parsed_recursively():
    mail = parse("forwarded_rfc822")
    assert mail.text == "Forwarding the invoice our accountant received."
    assert mail.attachments == []
    [forwarded] = mail.forwarded
    assert forwarded.message_id == "<invoice-117@vendor.example>"
    assert forwarded.subject == "Invoice 2025-117 – due"
    assert forwarded.from_name == "Billing"
    assert forwarded.from_address == "billing@vendor.example"
    assert forwarded.date == datetime(2025, 11, 5, 16, 0, tzinfo=UTC)
    assert forwarded.text == "Please find invoice 2025-117 attached."
    assert [(a.filename, len(a.content)) for a in forwarded.attachments] == [
        ("invoice-2025-117.pdf", PDF_SIZE)
    ]


def test_broken_boundary_is_recovered():
    mail = parse("broken_boundary")
    assert mail.text == "Text behind a boundary that was never declared."
    assert [(a.filename, a.content) for a in mail.attachments] == [("data.csv", b"a,b")]
    assert "MIME boundary did not match the body; recovered" in mail.defects
    assert "StartBoundaryNotFoundDefect" in mail.defects


def test_missing_closing_boundary_is_tolerated():
    mail = parse("missing_close_boundary")
    assert mail.text == "The closing boundary never came."
    assert mail.defects == ["CloseBoundaryNotFoundDefect"]


def test_unrecoverable_multipart_keeps_the_body_as_text():
    mail = parse_message(
        b"From: kari@kunde.example\n"
        b"Content-Type: multipart/mixed; boundary=declared\n\n"
        b"No MIME parts at all, just words.\n"
    )
    assert mail.text == "No MIME parts at all, just words."
    assert "MIME structure unreadable; body kept as plain text" in mail.defects


# --- threading and duplicates -----------------------------------------------------------


def test_reply_thread():
    first, second, third = (
        parse("thread_1_customer"),
        parse("thread_2_agent_reply"),
        parse("thread_3_customer_reply"),
    )
    assert first.message_id == "<thread-1@kunde.example>"
    assert (first.in_reply_to, first.references, first.ticket_token) == ([], [], None)
    assert second.message_id == "<thread-2@escalade.example>"
    assert second.in_reply_to == ["<thread-1@kunde.example>"]
    assert second.references == ["<thread-1@kunde.example>"]
    assert second.ticket_token == 1042
    assert second.reply_text == "We are looking into it."
    assert second.auto_submitted is None  # "Auto-Submitted: no"
    assert third.message_id == "<thread-3@kunde.example>"
    assert third.in_reply_to == ["<thread-2@escalade.example>"]  # the comment is dropped
    assert third.references == ["<thread-1@kunde.example>", "<thread-2@escalade.example>"]
    assert third.subject == "Re: Re: Order 5521 not delivered [#1042]"
    assert third.ticket_token == 1042
    assert third.reply_text == "Thanks"


def test_duplicate_delivery_has_the_same_message_id():
    assert parse("duplicate_delivery_1").message_id == "<twice@kunde.example>"
    assert parse("duplicate_delivery_2").message_id == "<twice@kunde.example>"


def test_mail_without_message_id_gets_a_synthetic_id_stable_across_deliveries():
    first = parse("duplicate_no_message_id_1")
    second = parse("duplicate_no_message_id_2")
    assert raw("duplicate_no_message_id_1") != raw("duplicate_no_message_id_2")
    assert first.message_id == second.message_id
    assert first.message_id.endswith("@synthetic.escalade.invalid>")
    other = parse_message(raw("duplicate_no_message_id_1").replace(b"Same mail.", b"Other."))
    assert other.message_id != first.message_id


def test_overlong_message_ids_are_hashed_consistently():
    long_id = "<" + "x" * 400 + "@kunde.example>"
    mail = parse_message(
        f"From: kari@kunde.example\nMessage-ID: {long_id}\nIn-Reply-To: {long_id}\n\nHi\n".encode()
    )
    assert len(mail.message_id) <= 255
    assert mail.in_reply_to == [mail.message_id]


# --- automatic mail and bounces ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto_replied", "auto-submitted: auto-replied"),
        ("precedence_bulk", "precedence: bulk"),
        ("list_id", "list-id: Developers <dev.lists.example>"),
        ("x_autoreply", "x-autoreply: yes"),
        ("bounce_dsn", "auto-submitted: auto-replied"),
        ("bounce_dsn_headers_only", "from postmaster"),
        ("thread_1_customer", None),
        ("lang_nb", None),
    ],
)
def test_auto_submitted(name, reason):
    assert parse(name).auto_submitted == reason


def test_auto_reply_still_carries_its_ticket_token():
    mail = parse("auto_replied")
    assert mail.subject == "Fravær: Order 5521 [#1042]"
    assert mail.ticket_token == 1042


def test_mailer_daemon_bounce_names_the_original_message():
    mail = parse("bounce_dsn")
    assert mail.from_address == "mailer-daemon@mx.kunde.example"
    assert mail.bounce == BounceInfo(
        original_message_id="<reply-77@escalade.example>",
        recipient="nobody@kunde.example",
        action="failed",
        status="5.1.1",
        diagnostic=(
            "smtp; 550 5.1.1 <nobody@kunde.example>: Recipient address rejected: User unknown"
        ),
    )
    assert mail.bounce.permanent
    assert mail.forwarded == []  # the returned original is evidence, not a forward
    assert mail.attachments == []
    assert mail.text.startswith("I'm sorry to have to inform you")


def test_delay_notification_with_returned_headers_only():
    mail = parse("bounce_dsn_headers_only")
    assert mail.bounce == BounceInfo(
        original_message_id="<reply-78@escalade.example>",
        recipient="slow@kunde.example",
        action="delayed",
        status="4.4.1",
        diagnostic=None,
    )
    assert not mail.bounce.permanent


def test_ordinary_mail_is_not_a_bounce():
    assert parse("thread_1_customer").bounce is None


# --- missing and invalid headers, not a mail --------------------------------------------


def test_missing_date():
    mail = parse("no_date")
    assert mail.date is None
    assert mail.defects == []


def test_unreadable_date_is_noted():
    mail = parse("bad_date")
    assert mail.date is None
    assert mail.defects == ["unparseable Date 'someday soon'"]


def test_date_without_zone_is_read_as_utc():
    mail = parse_message(b"From: kari@kunde.example\nDate: Mon, 3 Nov 2025 10:00:00 -0000\n\nx")
    assert mail.date == datetime(2025, 11, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (raw("no_from"), "no From header"),
        (raw("invalid_from"), "invalid From address: 'Kari Nordmann <kari at kunde dot example>'"),
        (raw("not_a_mail"), "not an email message: no headers"),
        (b"", "empty message"),
        (b"\r\n \n", "empty message"),
        (
            b"From: undisclosed-recipients:;\n\nHi\n",
            "invalid From address: 'undisclosed-recipients:;'",
        ),
        (
            b"From: J\xf8rn <not an address\xff>\n\nHi\n",
            "invalid From address: 'Jørn <not an addressÿ>'",
        ),
    ],
)
def test_unparseable_mail_names_the_reason(data, reason):
    with pytest.raises(UnparseableMail) as caught:
        parse_message(data)
    assert caught.value.reason == reason


def test_raw_must_be_bytes():
    with pytest.raises(TypeError):
        parse_message("From: kari@kunde.example\n\nHi")  # type: ignore[arg-type]


# --- limits -----------------------------------------------------------------------------


def mail_with_attachment(size: int) -> bytes:
    content = base64.encodebytes(b"\0" * size)
    return (
        b"From: kari@kunde.example\nSubject: big\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\nSee attachment.\n"
        b"--b\nContent-Type: application/octet-stream\n"
        b"Content-Disposition: attachment; filename=big.bin\n"
        b"Content-Transfer-Encoding: base64\n\n" + content + b"--b--\n"
    )


def test_30_mb_attachment_is_refused():
    data = mail_with_attachment(30 * 1024 * 1024)
    with pytest.raises(MailLimitExceeded) as caught:
        parse_message(data)
    assert caught.value.reason == f"message is {len(data)} bytes, limit 26214400"
    with pytest.raises(MailLimitExceeded) as caught:
        parse_message(data, MailLimits(max_message_bytes=64 * 1024 * 1024))
    assert caught.value.reason == "attachment 'big.bin' is 31457280 bytes, limit 10485760"


def test_attachment_at_the_limit_is_accepted():
    mail = parse_message(mail_with_attachment(1000), MailLimits(max_attachment_bytes=1000))
    assert [(a.filename, len(a.content)) for a in mail.attachments] == [("big.bin", 1000)]


def test_too_many_attachments_are_refused():
    parts = b"".join(
        b"--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=f%d.txt\n\nx\n"
        % index
        for index in range(4)
    )
    data = b"From: kari@kunde.example\nContent-Type: multipart/mixed; boundary=b\n\n" + parts
    assert len(parse_message(data, MailLimits(max_attachments=4)).attachments) == 4
    with pytest.raises(MailLimitExceeded, match="more than 3 attachments"):
        parse_message(data, MailLimits(max_attachments=3))


def test_hostile_mime_nesting_is_refused():
    depth = 40
    opening = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (level, level)
        for level in range(depth)
    )
    data = b"From: kari@kunde.example\n" + opening + b"Content-Type: text/plain\n\ndeep\n"
    with pytest.raises(MailLimitExceeded, match="nested deeper than 30 levels"):
        parse_message(data)


def test_deeply_forwarded_messages_end_as_eml_attachments():
    inner = b"From: a0@kunde.example\nSubject: level 0\n\ninnermost\n"
    for level in range(1, 6):
        inner = (
            b"From: a%d@kunde.example\nSubject: level %d\n"
            b"Content-Type: message/rfc822\n\n" % (level, level)
        ) + inner
    mail = parse_message(inner)
    chain = [mail]
    while chain[-1].forwarded:
        chain.append(chain[-1].forwarded[0])
    assert [m.subject for m in chain] == ["level 5", "level 4", "level 3", "level 2"]
    [attachment] = chain[-1].attachments
    assert attachment.filename == "level 1.eml"
    assert attachment.content_type == "message/rfc822"
    assert b"innermost" in attachment.content


# --- language samples and reply trimming ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reply_text"),
    [
        (
            "lang_en",
            "Hello,\n\nmy order 5521 has been stuck for two weeks and nobody answers my "
            "questions. I want to speak to a manager.\n\nJane",
        ),
        (
            "lang_nb",
            "Hei,\n\npakken min har ikke kommet enda, og ingen svarer meg. "
            "Jeg vil snakke med en leder.\n\nMvh Ola",
        ),
        (
            "lang_tr",
            "Merhaba,\n\nsiparişim iki haftadır gelmedi ve kimse sorularıma cevap vermiyor. "
            "Yöneticiyle görüşmek istiyorum.\n\nAyşe",
        ),
        (
            "lang_it",
            "Buongiorno,\n\nil mio ordine non è ancora arrivato e nessuno risponde alle mie "
            "domande. Vorrei parlare con il responsabile.\n\nMario",
        ),
        (
            "lang_pl",
            "Dzień dobry,\n\nmoje zamówienie nie dotarło od dwóch tygodni i nikt nie odpowiada "
            "na moje pytania. Chcę rozmawiać z kierownikiem.\n\nJan",
        ),
        (
            "lang_zh",
            "您好，\n\n我的订单两个星期了还没有到，也没有人回答我的问题。我要找你们经理。\n\n张伟",
        ),
    ],
)
def test_reply_text_trims_history_in_each_language(name, reply_text):
    mail = parse(name)
    assert mail.reply_text == reply_text
    assert mail.text.startswith(reply_text)
    assert len(mail.text) > len(reply_text)


def test_outlook_reply_block_is_trimmed():
    mail = parse("outlook_reply")
    assert mail.subject == "RE: Order 5521 [#1042]"
    assert mail.reply_text == "Thanks, that works."
    assert mail.text.endswith("Please try again – it’s fixed.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes.\n\n> Did it work?\n> Tell us.\n", "Yes."),
        (
            "> Did it work?\nYes.\n> And the invoice?\nPaid.",
            "> Did it work?\nYes.\n> And the invoice?\nPaid.",
        ),
        ("On Monday I wrote:\nthe order is late.", "On Monday I wrote:\nthe order is late."),
        ("Jeg skrev til dere i går:\nordren er sen.", "Jeg skrev til dere i går:\nordren er sen."),
        ("Ok\n-- \nKari\n+47 000 00 000", "Ok"),
        ("-- \nonly a signature", "-- \nonly a signature"),
        ("> everything\n> is quoted", "> everything\n> is quoted"),
        ("Hi\r\n\r\nIl giorno lun 3 nov 2025 alle ore 10:00 Mario ha scritto:\r\n> x", "Hi"),
        ("Hi\n\npon., 3 lis 2025 o 10:00 Jan <jan@kunde.example> napisał(a):\n> x", "Hi"),
        ("Hi\n\nW dniu 3.11.2025 o 10:00, Jan pisze:\n> x", "Hi"),
        ("Hi\n\nDen 03.11.2025 10:00, skrev Ola Nordmann:\n> x", "Hi"),
        ("好的\n\n张伟 <zhang@kunde.example> 于2025年11月3日周一 10:00写道：\n> x", "好的"),
        ("Hi\n\n-----Original Message-----\nFrom: x\n", "Hi"),
        ("Tamam\n\niPhone'umdan gönderildi", "Tamam"),
    ],
)
def test_trim_reply(text, expected):
    assert trim_reply(text) == expected


# --- ticket tokens ----------------------------------------------------------------------


def test_custom_ticket_token_pattern():
    data = b"From: kari@kunde.example\nSubject: Re: Order [ESC-77]\n\nHi\n"
    assert parse_message(data).ticket_token is None
    assert parse_message(data, ticket_token_pattern=r"\[ESC-(\d+)\]").ticket_token == 77


def test_ticket_token_beyond_64_bits_is_ignored():
    data = b"From: kari@kunde.example\nSubject: Re: [#12345678901234567890]\n\nHi\n"
    assert parse_message(data).ticket_token is None


def test_ticket_token_pattern_needs_a_group():
    with pytest.raises(ValueError, match="group"):
        parse_message(raw("thread_1_customer"), ticket_token_pattern=r"\[#\d+\]")


# --- robustness -------------------------------------------------------------------------


def test_mail_that_crashes_the_default_policy_is_read_with_compat32():
    data = (
        b"From: Kari <kari@kunde.example>\n"
        b"Subject: =?utf-8?q?bl=C3=A5b=C3=A6r?=\n"
        b"Content-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: text/plain; charset=utf-8; x*\n\nhei bl\xc3\xa5\n"
        b'--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="x.pdf"\n\n'
        b"pdf\n--b--\n"
    )
    mail = parse_message(data)
    assert mail.subject == "blåbær"
    assert mail.text == "hei blå"
    assert [(a.filename, a.content) for a in mail.attachments] == [("x.pdf", b"pdf")]
    assert mail.defects == ["default email policy failed; parsed with compat32"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(path.stem for path in FIXTURES.glob("*.eml"))),
    cuts=st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=8)), max_size=6),
)
def test_damaged_mail_never_crashes_the_parser(name, cuts):
    data = bytearray(raw(name))
    for position, replacement in cuts:
        position %= len(data) + 1
        data[position : position + len(replacement)] = replacement
    try:
        mail = parse_message(bytes(data))
    except UnparseableMail:
        return  # refused with a reason: the caller quarantines it
    for value in [mail.subject, mail.from_name, mail.text, mail.html, mail.reply_text]:
        value.encode("utf-8")  # storable: no lone surrogates
        assert "\x00" not in value
    assert "\n" not in mail.subject
