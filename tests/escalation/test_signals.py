import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalade.escalation.signals import asks_for_manager, negativity


@pytest.mark.parametrize(
    "text",
    [
        # en
        "I want to speak to a manager.",
        "Can I talk to your supervisor please?",
        "Get me your manager now",
        "Please escalate this to a manager",
        # nb
        "Jeg vil snakke med en leder",
        "Kan jeg få snakke med sjefen deres?",
        "Sett meg over til en overordnet.",
        # tr, with and without Turkish letters, in capitals with dotted İ
        "Yöneticiyle görüşmek istiyorum",
        "YÖNETİCİNİZLE GÖRÜŞMEK İSTİYORUM",
        "yoneticinizle gorusmek istiyorum",
        "Müdürünüzle",
        "Yetkili biriyle görüşebilir miyim?",
        # it
        "Vorrei parlare con il responsabile",
        "Mi passi il suo superiore, per favore",
        "Voglio un supervisore",
        # pl
        "Chcę rozmawiać z kierownikiem",
        "chce rozmawiac z przelozonym",
        "Proszę o połączenie z przełożonym",
        "Poproszę kierownika",
        # zh-hans
        "我要找你们经理",
        "找主管",
        "叫你们领导来！",
        "请让负责人联系我",
    ],
)
def test_requests_for_a_manager_are_recognised(text):
    assert asks_for_manager(text)


@pytest.mark.parametrize(
    "text",
    [
        "Our manager approved the invoice.",
        "I will talk to my manager about the renewal.",
        "Lederen min godkjente fakturaen.",
        "Müdürümüzle görüştük, sorun yok.",
        "Ho parlato con il responsabile ieri, grazie.",
        "Devo parlare con il mio capo prima.",
        "Rozmawiałem z kierownikiem działu.",
        "Chcę rozmawiać z konsultantem",  # a human agent, not a manager
        "我们经理批准了发票",
        "The invoice is wrong, please fix it.",
    ],
)
def test_mentions_of_a_manager_are_not_requests(text):
    assert not asks_for_manager(text)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("This is unacceptable, third time I write. I want a refund or I call my lawyer.", "en"),
        ("Dette er helt uakseptabelt, tredje gang jeg skriver!", "nb"),
        ("Bu tam bir REZALET, üçüncü kez yazıyorum, iptal edin!", "tr"),
        ("È inaccettabile, è la terza volta che scrivo. Voglio un rimborso.", "it"),
        ("To skandal, piszę trzeci raz i nadal nie ma odpowiedzi.", "pl"),
        ("这已经是我第三次联系你们了，问题还是没解决，太差了！我要投诉", "zh-hans"),
    ],
)
def test_negative_messages_score_high(text, language):
    assert negativity(text) >= 0.6
    assert negativity(text, language) >= 0.6


@pytest.mark.parametrize(
    "text",
    [
        "Hi, could you send me a copy of my invoice? Thanks!",
        "Hei, kan dere sende meg fakturaen på nytt? Takk.",
        "Merhaba, faturamın bir kopyasını alabilir miyim?",
        "Buongiorno, potete inviarmi la fattura? Grazie.",
        "Dzień dobry, proszę o przesłanie faktury.",
        "你好，请把发票再发给我一次，谢谢。",
        "Sınırlı süreli kampanya hakkında bilgi alabilir miyim?",  # sınırlı ≠ sinirli
        "",
    ],
)
def test_neutral_messages_score_zero(text):
    assert negativity(text) == 0.0


def test_more_negative_wording_scores_higher():
    mild = negativity("I am disappointed.")
    worse = negativity("I am disappointed. This is unacceptable.")
    worst = negativity("I am disappointed. This is unacceptable. My lawyer will call.")
    assert 0 < mild < worse < worst < 1


def test_a_repeated_term_counts_once():
    assert negativity("terrible") == negativity("terrible, terrible, terrible")


def test_shouting_and_exclamations_add_a_little():
    calm = negativity("this is unacceptable")
    assert calm < negativity("this is unacceptable!!") < negativity("THIS IS UNACCEPTABLE!!")


def test_a_language_limits_the_lexicons():
    assert negativity("Bu rezalet", "tr") == 0.5
    assert negativity("Bu rezalet", "it") == 0.0
    assert negativity("Bu rezalet, unacceptable", "it") > 0  # English is always read


PHRASES = [
    "hello",
    "the invoice",
    "unacceptable",
    "third time",
    "rezalet",
    "太差了",
    "skandal",
    "refund",
    "thanks",
    "inaccettabile",
]


@given(st.lists(st.sampled_from(PHRASES)), st.sampled_from(PHRASES))
def test_adding_words_never_lowers_negativity(phrases, extra):
    text = " ".join(phrases)
    assert negativity(f"{text} {extra}") >= negativity(text)


@given(st.text())
def test_negativity_stays_between_zero_and_one(text):
    assert 0.0 <= negativity(text) <= 1.0
    asks_for_manager(text)  # never raises on any input
