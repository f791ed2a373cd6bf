"""Text signals read from customer messages in the six first-class languages.

`asks_for_manager` spots a customer asking for a manager or supervisor (a customer_request
escalation); `negativity` scores negative wording for the proactive risk score. Both work on
folded text (lower case, no diacritics, Turkish ı = i), so "YÖNETİCİYLE" and "yoneticiyle"
read the same. Patterns want a request verb next to the manager noun, so a sentence that
merely mentions a manager ("our manager approved the invoice") does not count.
"""

from __future__ import annotations

import re

from escalade.core.conditions import fold_text, keyword_in

# Up to two words between the verb and the noun ("the", "your", "someone more senior"),
# none of them a possessive that makes the manager the customer's own ("my manager").
_FILLER = (
    r"(?:(?!(?:my|our|his|her|their|min|mi|mitt|var|mio|mia|miei|nostro|nostra|"
    r"moim|moja|mojego|naszym|naszego)\b)\w+\s+){0,2}"
)

_MANAGER_REQUESTS = {
    "en": [
        r"\b(?:speak|talk|chat)\s+(?:to|with)\s+"
        + _FILLER
        + r"(?:manager|supervisor|superior|boss|team\s*lead|management|someone\s+in\s+charge)",
        r"\bescalate\s+(?:\w+\s+){0,2}to\s+" + _FILLER + r"(?:manager|supervisor|management)",
        r"\b(?:want|need|demand|request|ask\s+for|asking\s+for|get\s+me|give\s+me|"
        r"put\s+me\s+through\s+to|connect\s+me\s+(?:to|with)|transfer\s+me\s+to|where\s+is)\s+"
        r"(?:to\s+see\s+)?(?:a|an|the|your)\s+(?:manager|supervisor|superior|boss)",
        r"\b(?:manager|supervisor)\s*,?\s+please\b",
    ],
    "nb": [
        r"\b(?:snakke|prate|tale|fa\s+tak\s+i)\s+(?:med\s+)?"
        + _FILLER
        + r"(?:leder|sjef|overordnet|ansvarlig|noen\s+hoyere\s+opp)",
        r"\b(?:sett|sette|koble|send|sende|overfor)\s+meg\s+(?:over\s+|videre\s+)?til\s+"
        + _FILLER
        + r"(?:leder|sjef|overordnet|ansvarlig)",
        r"\b(?:vil|onsker|krever|kan\s+jeg\s+fa|far\s+jeg)\s+(?:ha\s+)?(?:en|din|deres)\s+"
        r"(?:leder|sjef|overordnet)",
    ],
    "tr": [
        # Noun stem with its case suffix, then "to speak/meet" as a wish or a question,
        # never a past tense ("görüştük" = we spoke).
        r"\b(?:yonetici|mudur|amir|patron|yetkili|sorumlu|ust\s+yonetim)\w*\s+"
        r"(?:(?:biri|kisi)\w*\s+)?(?:ile\s+)?"
        r"(?:gorus|konus)(?:mek|mak|me[km]|ma[km]|ebilir|abilir|eyim|ayim)",
        # "müdürünüzle", "yöneticinizle": with *your* manager.
        r"\b(?:yonetici|mudur|amir|patron)\w*(?:nizle|nuzle|niz\s+ile|nuz\s+ile)\b",
        r"\b(?:yonetici|mudur|amir|patron|yetkili)\w*\s+"
        r"(?:istiyorum|isterim|cagir|bagla|aktar|yonlendir|verin)",
    ],
    "it": [
        r"\b(?:parlare|parlo|conferire)\s+con\s+"
        + _FILLER
        + r"(?:responsabil|supervisor|superior|direttor|dirigent|manager|capo)",
        r"\b(?:passi|passa|passate|passarmi|mettermi\s+in\s+contatto\s+con|"
        r"metta\s+in\s+contatto\s+con)\s+"
        + _FILLER
        + r"(?:responsabil|supervisor|superior|direttor|manager|capo)",
        r"\b(?:voglio|vorrei|chiedo|esigo|pretendo)\s+(?:il|un|una|la|lo|del|di)\s+"
        r"(?:suo\s+|vostro\s+)?(?:responsabil|supervisor|superior|direttor|manager)",
    ],
    "pl": [
        r"\b(?:rozmawiac|porozmawiac|rozmowy|rozmowe|mowic|pomowic|polaczenie|polaczyc|"
        r"przekazac|przelaczyc|skontaktowac\s+sie)\s+(?:mnie\s+)?(?:z|ze|do)\s+"
        + _FILLER
        + r"(?:kierownik|przelozon|menedzer|menadzer|manager|szef|dyrektor|zwierzchnik)",
        r"\b(?:prosze|poprosze|zadam|chce)\s+(?:o\s+)?(?:\w+\s+)?"
        r"(?:kierownika|przelozonego|szefa|menedzera|managera|dyrektora)",
    ],
    "zh": [
        r"(?:找|叫|请|让|转接|转给|转|联系|见|和|跟|与)(?:一下)?(?:你们|您们|你|您|贵公司|公司)?的?"
        r"(?:经理|主管|领导|上级|负责人|老板|上司)",
    ],
}
_MANAGER_PATTERNS = [
    re.compile(pattern) for patterns in _MANAGER_REQUESTS.values() for pattern in patterns
]


def asks_for_manager(text: str) -> bool:
    """Whether the customer asks to be put through to a manager or supervisor."""
    folded = fold_text(text)
    return any(pattern.search(folded) for pattern in _MANAGER_PATTERNS)


# Negative wording and its weight (0..1): how strongly the term alone signals an unhappy
# customer. Terms are stems: they match at the start of a word (CJK anywhere).
_NEGATIVE_TERMS: dict[str, dict[str, float]] = {
    "en": {
        "unacceptable": 0.5, "outrageous": 0.5, "disgusting": 0.5, "furious": 0.5,
        "incompetent": 0.5, "scam": 0.5, "fraud": 0.45, "worst": 0.45, "chargeback": 0.45,
        "ridiculous": 0.4, "terrible": 0.4, "awful": 0.4, "horrible": 0.4, "useless": 0.4,
        "angry": 0.4, "fed up": 0.4, "sick of": 0.4, "never again": 0.4, "rip off": 0.4,
        "third time": 0.4, "fourth time": 0.45, "hopeless": 0.35, "frustrat": 0.3,
        "disappointed": 0.3, "annoyed": 0.3, "many times": 0.3, "several times": 0.3,
        "still waiting": 0.3, "cancel": 0.3, "complain": 0.3, "waste of": 0.3,
        "refund": 0.25, "still not": 0.25, "lawyer": 0.6, "legal action": 0.6, "sue you": 0.6,
    },
    "nb": {
        "uakseptabel": 0.5, "skandal": 0.5, "svindel": 0.5, "forbrukerrådet": 0.5,
        "verste": 0.45, "fjerde gang": 0.45, "elendig": 0.4, "forferdelig": 0.4,
        "ubrukelig": 0.4, "er sint": 0.4, "ble sint": 0.4, "lei av": 0.4, "tredje gang": 0.4,
        "håpløs": 0.35,
        "irritert": 0.3, "skuffet": 0.3, "flere ganger": 0.3, "si opp": 0.3,
        "kanseller": 0.3, "pengene tilbake": 0.3, "klage": 0.3, "refusjon": 0.25,
        "fortsatt ikke": 0.25, "advokat": 0.6,
    },
    "tr": {
        "rezalet": 0.5, "kabul edilemez": 0.5, "dolandırıc": 0.5, "tüketici hakem": 0.5,
        "en kötü": 0.45, "dördüncü kez": 0.45, "berbat": 0.4, "kızgın": 0.4, "öfkeli": 0.4,
        "işe yaramaz": 0.4, "bıktım": 0.4, "üçüncü kez": 0.4, "üçüncü defa": 0.4,
        "sinirlen": 0.35, "saçma": 0.35, "defalarca": 0.35,
        "hayal kırıklığı": 0.3, "iptal": 0.3, "şikayet": 0.3, "para iade": 0.3,
        "iade": 0.25, "avukat": 0.6, "dava açaca": 0.6,
    },
    "it": {
        "inaccettabil": 0.5, "scandalos": 0.5, "furios": 0.5, "truffa": 0.5, "denunc": 0.5,
        "vergogn": 0.45, "pessim": 0.45, "quarta volta": 0.45, "terribil": 0.4,
        "orribil": 0.4, "arrabbiat": 0.4, "stufo": 0.4, "sono stufa": 0.4, "terza volta": 0.4,
        "ridicol": 0.4, "assurd": 0.4, "inutil": 0.35, "delus": 0.3, "più volte": 0.3,
        "disdett": 0.3, "reclamo": 0.3, "rimborso": 0.25, "annull": 0.25,
        "ancora non": 0.25, "avvocat": 0.6,
    },
    "pl": {
        "skandal": 0.5, "nie do przyjęcia": 0.5, "niedopuszczaln": 0.5, "oszust": 0.5,
        "żenując": 0.45, "wściekł": 0.45, "najgorsz": 0.45, "fataln": 0.4, "okropn": 0.4,
        "beznadziejn": 0.4, "mam dość": 0.4, "trzeci raz": 0.4, "po raz trzeci": 0.4,
        "zdenerwowan": 0.35, "rozczarowan": 0.3, "kolejny raz": 0.3, "wielokrotnie": 0.3,
        "anul": 0.3, "rezygn": 0.3, "zwrot pieniędzy": 0.3, "reklamacj": 0.3, "skarg": 0.3,
        "nadal nie": 0.25, "wciąż nie": 0.25, "prawnik": 0.6, "adwokat": 0.6, "pozew": 0.6,
    },
    "zh": {
        "不可接受": 0.5, "无法接受": 0.5, "骗子": 0.5, "欺诈": 0.5, "12315": 0.5,
        "太差": 0.45, "气死": 0.45, "愤怒": 0.45, "垃圾": 0.45, "最差": 0.45, "太烂": 0.45,
        "第四次": 0.45, "投诉": 0.4, "生气": 0.4, "糟糕": 0.4, "受够了": 0.4, "第三次": 0.4,
        "失望": 0.3, "好几次": 0.3, "多次": 0.3, "还是没": 0.25, "仍然没": 0.25,
        "退款": 0.25, "取消": 0.25, "律师": 0.6, "起诉": 0.6,
    },
}  # fmt: skip
_REPEATED_EXCLAMATION = re.compile(r"![!?]*!")
_EXCLAMATION_WEIGHT = 0.1
_SHOUTING_WEIGHT = 0.15
_SHOUTING_MIN_LETTERS = 12


def _primary_language(language: str) -> str:
    return language.lower().split("-")[0]


def _is_shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha() and (c.isupper() or c.islower())]
    if len(letters) < _SHOUTING_MIN_LETTERS:
        return False
    return sum(c.isupper() for c in letters) >= 0.6 * len(letters)


def negativity(text: str, language: str | None = None) -> float:
    """How negative the wording is, 0 (neutral) to 1 (furious).

    Each distinct term found adds its weight as independent evidence (1 - product of
    (1 - weight)), so more terms always raise the score and it never exceeds 1.
    With `language` only that lexicon and English are used (English is mixed into many
    messages); without it every lexicon is, at a small risk of cross-language false hits.
    """
    if language is None:
        lexicons = _NEGATIVE_TERMS.values()
    else:
        lexicons = [_NEGATIVE_TERMS["en"], _NEGATIVE_TERMS.get(_primary_language(language), {})]
    terms: dict[str, float] = {}
    for lexicon in lexicons:
        terms.update(lexicon)
    folded = fold_text(text)
    weights = [weight for term, weight in terms.items() if keyword_in(term, folded)]
    if _REPEATED_EXCLAMATION.search(folded):
        weights.append(_EXCLAMATION_WEIGHT)
    if _is_shouting(text):
        weights.append(_SHOUTING_WEIGHT)
    calm = 1.0
    for weight in weights:
        calm *= 1.0 - weight
    return round(1.0 - calm, 4)
