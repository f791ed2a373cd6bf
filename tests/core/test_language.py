from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalade.core.language import detect_language
from escalade.mail.parsing import parse_message

FIXTURES = Path(__file__).parent.parent / "mail" / "fixtures"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("I want to speak to a manager", "en"),
        ("jeg vil snakke med en leder", "nb"),
        ("yöneticiyle görüşmek istiyorum", "tr"),
        ("vorrei parlare con il responsabile", "it"),
        ("chcę rozmawiać z kierownikiem", "pl"),
        ("我要找你们经理", "zh-hans"),
    ],
)
def test_manager_requests_in_each_language(text, code):
    assert detect_language(text) == code


@pytest.mark.parametrize(
    ("fixture", "code"),
    [
        ("lang_en", "en"),
        ("lang_nb", "nb"),
        ("lang_tr", "tr"),
        ("lang_it", "it"),
        ("lang_pl", "pl"),
        ("lang_zh", "zh-hans"),
        ("charset_big5", "zh-hans"),  # traditional script, still our Chinese
        ("charset_gb18030", "zh-hans"),
        ("charset_iso2022jp", "ja"),
        ("charset_koi8r", "ru"),
    ],
)
def test_customer_mails(fixture, code):
    mail = parse_message((FIXTURES / f"{fixture}.eml").read_bytes())
    assert detect_language(mail.reply_text) == code


@pytest.mark.parametrize(
    "text", ["", "   \n\t", "ok", "Thanks!", "12345 67890", "https://x.example/a/b/c"]
)
def test_short_or_empty_text_gives_the_default(text):
    assert detect_language(text) is None
    assert detect_language(text, default="nb") == "nb"


def test_one_chinese_name_does_not_make_english_text_chinese():
    text = "Hello, my colleague 张伟 will call you tomorrow about the order."
    assert detect_language(text) == "en"


def test_korean_is_not_mistaken_for_chinese():
    assert detect_language("안녕하세요 주문이 아직 도착하지 않았습니다") == "ko"


def test_detection_is_deterministic():
    text = "Hei, jeg har ikke fått pakken min ennå."
    assert {detect_language(text) for _ in range(5)} == {"nb"}


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_a_code_or_the_default(text):
    result = detect_language(text, default="xx")
    assert result == "xx" or (isinstance(result, str) and 2 <= len(result) <= 7)
