"""The shipped translation catalogues: complete, compiled, and loaded by Django.

The catalogues live in src/escalade/locale/<locale>/LC_MESSAGES/django.po, with the compiled .mo
next to them (committed, so a deployment needs no gettext tools). ``bash scripts/i18n.sh``
re-extracts the strings from the sources and recompiles; every entry it adds must then be
translated. The .po files are read with a small parser below (no polib needed); the .mo files with
the standard library's ``gettext``. Only the optional msgfmt cross-check needs GNU gettext.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(__file__).resolve().parents[1] / "src" / "escalade" / "locale"

# Django language code -> locale directory, with the standard gettext Plural-Forms of each.
LANGUAGES = {
    "nb": ("nb", "nplurals=2; plural=(n != 1);"),
    "tr": ("tr", "nplurals=2; plural=(n != 1);"),
    "it": ("it", "nplurals=2; plural=(n != 1);"),
    "pl": (
        "pl",
        "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    ),
    "zh-hans": ("zh_Hans", "nplurals=1; plural=0;"),
}

# Strings every agent sees; each must come back translated in every language.
UI_STRINGS = ["Queue", "Sign in", "Internal note", "Your message", "Sign out", "Audit trail"]

FIX = "run `bash scripts/i18n.sh`, translate"
# %(name)s with optional flags, width and precision: %(m)02d, %(hours).1f, %(value)r ...
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +\-]*(?:\d+)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


# --- a small .po reader ---------------------------------------------------------------------------

_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


def _unquote(text: str, where: str) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"{where}: expected a quoted string, got {text!r}")
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def translations(self) -> list[str]:
        return [self.msgstr[i] for i in sorted(self.msgstr)]

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"

    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, header first; obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # which field continuation lines extend
    pending_flags: set[str] = set()

    def finish() -> None:
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        where = f"{path}:{number}"
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if current is not None and current.msgstr:
                finish()
            pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr:
                finish()
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            if current is None or target is None:
                raise ValueError(f"{where}: continuation line outside an entry")
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += _unquote(line, where)
            else:
                setattr(current, name, getattr(current, name) + _unquote(line, where))
            continue
        if keyword in ("msgctxt", "msgid") and (current is None or current.msgstr):
            finish()
            current = Entry(line=number, flags=pending_flags)
            pending_flags = set()
        if current is None:
            raise ValueError(f"{where}: {keyword} before msgid")
        if keyword in ("msgctxt", "msgid", "msgid_plural"):
            setattr(current, keyword, _unquote(rest, where))
            target = (keyword, 0)
        elif keyword == "msgstr":
            current.msgstr[0] = _unquote(rest, where)
            target = ("msgstr", 0)
        elif (match := re.fullmatch(r"msgstr\[(\d+)\]", keyword)) is not None:
            index = int(match.group(1))
            current.msgstr[index] = _unquote(rest, where)
            target = ("msgstr", index)
        else:
            raise ValueError(f"{where}: cannot read {line!r}")
    finish()
    return entries


def header_fields(entries: list[Entry]) -> dict[str, str]:
    header = next((entry for entry in entries if entry.is_header), None)
    if header is None:
        return {}
    pairs = (line.partition(":") for line in header.msgstr.get(0, "").splitlines())
    return {name.strip(): value.strip() for name, _, value in pairs if name.strip()}


def po_path(lang: str) -> Path:
    return LOCALE_DIR / LANGUAGES[lang][0] / "LC_MESSAGES" / "django.po"


def load_po(lang: str) -> list[Entry]:
    path = po_path(lang)
    if not path.is_file():
        pytest.fail(f"{path} is missing: {FIX} every entry and commit it")
    return parse_po(path)


def messages_of(entries: list[Entry]) -> dict:
    """The catalogue as the gettext module holds it: msgid -> msgstr, (msgid, n) for plurals."""
    catalog: dict = {}
    for entry in entries:
        if entry.is_header or "fuzzy" in entry.flags:
            continue  # msgfmt leaves fuzzy entries out of the .mo
        if entry.msgid_plural is None:
            if entry.msgstr.get(0):
                catalog[entry.key] = entry.msgstr[0]
        elif all(entry.translations):
            for index, text in entry.msgstr.items():
                catalog[(entry.key, index)] = text
    return catalog


def mo_messages(path: Path) -> dict:
    with path.open("rb") as handle:
        catalog = dict(gettext.GNUTranslations(handle)._catalog)
    catalog.pop("", None)  # the header
    return catalog


def placeholders(text: str) -> set[str]:
    return {match.group(0) for match in PLACEHOLDER.finditer(text)}


language_params = pytest.mark.parametrize("lang", list(LANGUAGES))


# --- tests ----------------------------------------------------------------------------------------


def test_every_configured_language_has_a_catalogue():
    configured = {code for code, _name in settings.LANGUAGES} - {settings.LANGUAGE_CODE}
    assert configured == set(LANGUAGES), (
        "settings.LANGUAGES and tests/test_i18n.py disagree; add the language here and to "
        "LOCALES in scripts/i18n.sh"
    )
    for lang in LANGUAGES:
        assert translation.to_locale(lang) == LANGUAGES[lang][0]


def test_po_reader_handles_plurals_context_flags_and_continuations(tmp_path):
    sample = tmp_path / "django.po"
    sample.write_text(
        'msgid ""\nmsgstr ""\n"Language: pl\\n"\n"Plural-Forms: nplurals=3; plural=0;\\n"\n\n'
        '#: a.py\n#, python-format\nmsgid "%(n)d ticket"\nmsgid_plural "%(n)d tickets"\n'
        'msgstr[0] "%(n)d zgłoszenie"\nmsgstr[1] "%(n)d zgłoszenia"\nmsgstr[2] ""\n\n'
        '#, fuzzy\nmsgctxt "verb"\nmsgid "Open"\nmsgstr "Otwórz"\n\n'
        'msgid ""\n"Two "\n"lines \\"quoted\\""\nmsgstr "Dwie linie"\n\n'
        '#~ msgid "Gone"\n#~ msgstr "Nie ma"\n',
        encoding="utf-8",
    )
    header, plural, fuzzy, multi = parse_po(sample)
    assert header_fields([header])["Plural-Forms"] == "nplurals=3; plural=0;"
    assert plural.msgid_plural == "%(n)d tickets"
    assert plural.translations == ["%(n)d zgłoszenie", "%(n)d zgłoszenia", ""]
    assert plural.flags == {"python-format"}
    assert (fuzzy.msgctxt, fuzzy.flags, fuzzy.key) == ("verb", {"fuzzy"}, "verb\x04Open")
    assert multi.msgid == 'Two lines "quoted"'
    assert not multi.is_header


@language_params
def test_catalogue_is_fully_translated(lang):
    path = po_path(lang)
    entries = [entry for entry in load_po(lang) if not entry.is_header]
    assert entries, f"{path} has no entries: run `bash scripts/i18n.sh`"
    untranslated = [entry for entry in entries if not all(entry.translations)]
    fuzzy = [entry for entry in entries if "fuzzy" in entry.flags]
    todo = list({id(entry): entry for entry in untranslated + fuzzy}.values())
    if todo:
        examples = "\n".join(f"  {entry.label()}" for entry in todo[:15])
        more = f"\n  ... and {len(todo) - 15} more" if len(todo) > 15 else ""
        pytest.fail(
            f"{FIX} the {len(todo)} new entries in {path} "
            f"({len(untranslated)} untranslated, {len(fuzzy)} fuzzy: check those and drop the "
            f"fuzzy flag), then run the script again to compile:\n{examples}{more}",
            pytrace=False,
        )


@language_params
def test_header_declares_language_charset_and_plural_forms(lang):
    locale, plural_forms = LANGUAGES[lang]
    entries = load_po(lang)
    fields = header_fields(entries)
    path = po_path(lang)
    assert entries[0].is_header, f"{path}: the header entry must come first"
    assert "fuzzy" not in entries[0].flags, (
        f"{path}: the header is fuzzy, so msgfmt drops it (no charset, no plural rule)"
    )
    assert fields.get("Language") == locale, f"{path}: Language header"
    assert fields.get("Content-Type") == "text/plain; charset=UTF-8", f"{path}: Content-Type"
    assert fields.get("Plural-Forms") == plural_forms, f"{path}: Plural-Forms"
    nplurals = int(re.search(r"nplurals=(\d+)", plural_forms).group(1))
    for entry in entries:
        if entry.msgid_plural is not None:
            assert sorted(entry.msgstr) == list(range(nplurals)), (
                f"{path} {entry.label()}: needs exactly {nplurals} plural forms"
            )


@language_params
def test_placeholders_survive_translation(lang):
    path = po_path(lang)
    damaged = []
    for entry in load_po(lang):
        if entry.is_header:
            continue
        source = placeholders(entry.msgid)
        if entry.msgid_plural is None:
            required = allowed = source
        else:
            plural = placeholders(entry.msgid_plural)
            required, allowed = source & plural, source | plural
        for text in entry.translations:
            if not text:
                continue  # reported by test_catalogue_is_fully_translated
            found = placeholders(text)
            if not required <= found or not found <= allowed:
                damaged.append(
                    f"  {entry.label()} -> {text!r}: missing {sorted(required - found)}, "
                    f"unexpected {sorted(found - allowed)}"
                )
    if damaged:
        pytest.fail(
            f"placeholders changed in {path}; keep every %(name)x of the msgid:\n"
            + "\n".join(damaged),
            pytrace=False,
        )


@language_params
def test_compiled_catalogue_matches_po(lang):
    """The committed .mo holds exactly what the .po says (content, not mtimes: git keeps none)."""
    po = po_path(lang)
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"{mo} is missing: run `bash scripts/i18n.sh` and commit the .mo"
    expected, compiled = messages_of(load_po(lang)), mo_messages(mo)
    stale = sorted(str(key) for key in expected.keys() ^ compiled.keys())
    stale += sorted(
        str(key) for key in expected.keys() & compiled.keys() if expected[key] != compiled[key]
    )
    if stale:
        pytest.fail(
            f"{mo} is out of date with {po.name} ({len(stale)} entries differ, e.g. "
            f"{stale[:5]}): run `bash scripts/i18n.sh` and commit the .mo",
            pytrace=False,
        )


@language_params
def test_msgfmt_compiles_po_to_the_committed_mo(lang, tmp_path):
    """The same check through GNU msgfmt, which also validates python-format strings."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip(
            "GNU gettext (msgfmt) is not installed; test_compiled_catalogue_matches_po covers the content"
        )
    po = po_path(lang)
    target = tmp_path / "django.mo"
    result = subprocess.run(
        [msgfmt, "--check-format", "-o", str(target), str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"msgfmt rejects {po}:\n{result.stderr}"
    assert mo_messages(target) == mo_messages(po.with_suffix(".mo")), (
        f"{po.with_suffix('.mo')} differs from a fresh compile of {po.name}: run `bash scripts/i18n.sh`"
    )


@language_params
def test_django_serves_the_translations(lang):
    translated = messages_of(load_po(lang))
    with translation.override(lang):
        assert translation.get_language() == lang
        for text in UI_STRINGS:
            assert text in translated, (
                f"{text!r} has no translation in {po_path(lang)}: {FIX} it, run the script again"
            )
            shown = translation.gettext(text)
            assert shown == translated[text], (
                f"Django shows {shown!r} for {text!r} in {lang}, the catalogue says "
                f"{translated[text]!r}: run `bash scripts/i18n.sh` to recompile"
            )
            assert shown != text, f"{text!r} is shown untranslated in {lang}"
            assert "%" not in shown, f"{shown!r}: placeholder damage"
            assert "{" not in shown, f"{shown!r}: placeholder damage"
        page = translation.gettext("Page %(n)s of %(total)s") % {"n": 2, "total": 7}
        assert "2" in page, page
        assert "7" in page, page
        assert "%" not in page, page
        late = translation.gettext("overdue by %(time)s") % {"time": "15 min"}
        assert "15 min" in late, late
        assert late != "overdue by 15 min", late


def test_chinese_catalogue_renders_cjk():
    with translation.override("zh-hans"):
        queue = translation.gettext("Queue")
        assert CJK.search(queue), f"gettext('Queue') in zh-hans gave {queue!r}"
        assert CJK.search(translation.gettext("Sign in"))
