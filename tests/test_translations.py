"""The Simplified Chinese and Russian catalogues are complete, well-formed and compiled.

Needs no gettext tools: CI and `make run` have none, which is why the compiled .mo files
are committed. The catalogue is parsed here with a small PO reader; the strings the code
marks for translation are found the way `makemessages` finds them (Django's own
`templatize` for templates, the Python AST for .py files), so a string marked after the
last `makemessages` run fails here instead of showing up in English on a Chinese page.

To update the catalogues after adding or changing UI strings (needs GNU gettext):

    python manage.py makemessages -l zh_Hans -l ru -l en --ignore=.venv --ignore=tests \
        --ignore=staticfiles --ignore=media --no-obsolete
    # translate the new / fuzzy entries in locale/{zh_Hans,ru}/LC_MESSAGES/django.po
    python manage.py compilemessages --ignore=.venv
"""

from __future__ import annotations

import ast
import gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.translation.template import templatize

BASE = Path(settings.BASE_DIR)
ZH_PO = BASE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
RU_PO = BASE / "locale" / "ru" / "LC_MESSAGES" / "django.po"
EN_PO = BASE / "locale" / "en" / "LC_MESSAGES" / "django.po"
EN_MO = EN_PO.with_suffix(".mo")

# What `makemessages` is run with: see the module docstring.
IGNORED_DIRS = {".venv", "tests", "staticfiles", "media", "locale", "node_modules"}
TEMPLATE_SUFFIXES = {".html", ".txt"}


# --- a small PO reader ----------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_n: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is None:
            return [self.msgstr]
        return [self.msgstr_n[i] for i in sorted(self.msgstr_n)] or [""]

    @property
    def translated(self) -> bool:
        return all(self.translations)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")\s*$')


def _unquote(text: str) -> str:
    body = text.strip()
    assert body.startswith('"') and body.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body[1:-1])


def parse_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """The header's fields and the live (non-obsolete) entries, in file order."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):  # obsolete: not in the compiled catalogue
            continue
        if line.startswith("#"):
            if target is not None and target[0] == "msgstr":
                finish()  # a comment after a msgstr starts the next entry
            if line.startswith("#,"):
                current = current or Entry(line=number)
                current.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, value = match.group(1), match.group(2), _unquote(match.group(3))
            if keyword in ("msgctxt", "msgid") and target is not None and target[0] == "msgstr":
                finish()
            current = current or Entry(line=number)
            if keyword == "msgstr" and index is not None:
                current.msgstr_n[int(index)] = value
                target = ("msgstr", int(index))
            else:
                setattr(current, keyword, value)
                target = (keyword, None)
            continue
        assert line.startswith('"') and current is not None and target is not None, (
            f"{path}:{number}: unexpected line {raw!r}"
        )
        keyword, index = target
        value = _unquote(line)
        if index is not None:
            current.msgstr_n[index] += value
        else:
            setattr(current, keyword, getattr(current, keyword) + value)
    finish()

    header_entries = [e for e in entries if e.msgid == "" and e.msgctxt is None]
    assert len(header_entries) == 1, f"{path}: expected one header entry"
    header = dict(
        line.split(": ", 1) for line in header_entries[0].msgstr.splitlines() if ": " in line
    )
    return header, [e for e in entries if e is not header_entries[0]]


# --- what the code marks for translation --------------------------------------------------

# gettext keyword -> (index of the context argument or None, index of msgid, of msgid_plural)
_PY_KEYWORDS: dict[str, tuple[int | None, int, int | None]] = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
_LITERAL = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_TEMPLATE_CALL = re.compile(r"\b(n?p?gettext)\(((?:\s*" + _LITERAL + r"\s*,?)+)")
_TEMPLATE_STRING = re.compile(_LITERAL)


def _source_files() -> list[Path]:
    found = []
    for path in sorted(BASE.rglob("*")):
        parts = path.relative_to(BASE).parts
        if any(p in IGNORED_DIRS or p.startswith(".") for p in parts[:-1]):
            continue
        if path.is_file() and (path.suffix == ".py" or path.suffix in TEMPLATE_SUFFIXES):
            found.append(path)
    return found


def marked_strings() -> dict[tuple[str | None, str], str]:
    """(context, msgid) -> where it is marked, for every literal string marked in the code."""
    marked: dict[tuple[str | None, str], str] = {}
    for path in _source_files():
        where = str(path.relative_to(BASE))
        text = path.read_text(encoding="utf-8")
        if path.suffix in TEMPLATE_SUFFIXES:
            for match in _TEMPLATE_CALL.finditer(templatize(text, origin=str(path))):
                strings = [ast.literal_eval(s) for s in _TEMPLATE_STRING.findall(match.group(2))]
                context = strings.pop(0) if "pgettext" in match.group(1) else None
                marked.setdefault((context, strings[0]), where)
            continue
        for node in ast.walk(ast.parse(text, filename=where)):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in _PY_KEYWORDS:
                continue
            ctx_at, msgid_at, _plural_at = _PY_KEYWORDS[name]
            args = node.args
            if len(args) <= msgid_at:
                continue
            literal = [isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args]
            if not literal[msgid_at] or (ctx_at is not None and not literal[ctx_at]):
                continue
            context = args[ctx_at].value if ctx_at is not None else None
            marked.setdefault((context, args[msgid_at].value), f"{where}:{node.lineno}")
    return marked


# --- placeholders -------------------------------------------------------------------------

_PERCENT = re.compile(r"%(?:\((\w+)\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?([diouxXeEfFgGcrsa%])")
_BRACE = re.compile(r"(?<!\{)\{(\w*)(?:[:!][^{}]*)?\}(?!\})")
_TAG = re.compile(r"</?([a-zA-Z][\w-]*)")


def placeholders(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for name, conversion in _PERCENT.findall(text):
        if conversion != "%":
            found[f"%({name}){conversion}" if name else f"%{conversion}"] += 1
    for name in _BRACE.findall(text):
        found["{" + name + "}"] += 1
    for tag in _TAG.findall(text):
        found["<" + tag.lower() + ">"] += 1
    return found


# --- the catalogue ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zh() -> tuple[dict[str, str], list[Entry]]:
    return parse_po(ZH_PO)


@dataclass
class Catalogue:
    po: Path
    plurals: int
    header: dict[str, str]
    entries: list[Entry]


# Each translated UI language: its catalogue and its number of plural forms.
CATALOGUES = {"zh_Hans": (ZH_PO, 1), "ru": (RU_PO, 4)}


@pytest.fixture(scope="module", params=sorted(CATALOGUES))
def catalogue(request) -> Catalogue:
    po, plurals = CATALOGUES[request.param]
    return Catalogue(po, plurals, *parse_po(po))


def _describe(entries: list[Entry]) -> str:
    return "\n".join(f"  line {e.line}: {e.msgid!r}" for e in entries)


def test_header_declares_chinese_with_one_plural_form(zh):
    header, _entries = zh
    assert header["Plural-Forms"].replace(" ", "").rstrip(";") == "nplurals=1;plural=0"
    assert header["Content-Type"] == "text/plain; charset=UTF-8"


def test_header_declares_russian_with_four_plural_forms():
    header, _entries = parse_po(RU_PO)
    assert header["Plural-Forms"].replace(" ", "").startswith("nplurals=4;")
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    assert header["Language"] == "ru"


def test_catalogue_is_not_empty(catalogue):
    entries = catalogue.entries
    assert len(entries) > 300


def test_every_entry_is_translated(catalogue):
    entries = catalogue.entries
    untranslated = [e for e in entries if not e.translated]
    assert not untranslated, "untranslated entries in django.po:\n" + _describe(untranslated)


def test_no_entry_is_fuzzy(catalogue):
    entries = catalogue.entries
    fuzzy = [e for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, "fuzzy entries (Django ignores them) in django.po:\n" + _describe(fuzzy)


def test_plural_entries_have_the_languages_forms(catalogue):
    entries = catalogue.entries
    forms = set(range(catalogue.plurals))
    wrong = [e for e in entries if e.msgid_plural is not None and set(e.msgstr_n) != forms]
    assert not wrong, f"{catalogue.po}: {len(forms)} plural form(s) expected:\n" + _describe(wrong)


def test_placeholders_and_tags_survive_translation(catalogue):
    entries = catalogue.entries
    broken = []
    for e in entries:
        # Every form follows the plural source (Chinese has one form for every count).
        source = placeholders(e.msgid_plural if e.msgid_plural is not None else e.msgid)
        for text in e.translations:
            if text and placeholders(text) != source:
                broken.append(f"  line {e.line}: {e.msgid!r} -> {text!r}")
    assert not broken, "placeholders or HTML tags differ from the source:\n" + "\n".join(broken)


def test_every_marked_string_is_in_the_catalogue(catalogue):
    entries = catalogue.entries
    in_catalogue = {e.key for e in entries}
    missing = [
        f"  {where}: {msgid!r}" + (f" (context {ctx!r})" if ctx else "")
        for (ctx, msgid), where in sorted(marked_strings().items(), key=lambda kv: kv[1])
        if (ctx, msgid) not in in_catalogue
    ]
    assert not missing, (
        "strings marked for translation but not in the catalogue; run makemessages, "
        "translate and compilemessages (see this module's docstring):\n" + "\n".join(missing)
    )


def test_compiled_catalogue_matches_the_po(catalogue):
    """The committed .mo is what the .po says: same messages, same translations."""
    entries = catalogue.entries
    with catalogue.po.with_suffix(".mo").open("rb") as fp:
        catalog = gettext.GNUTranslations(fp)._catalog  # noqa: SLF001
    expected: dict[object, str] = {}
    for e in entries:
        key = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        if e.msgid_plural is None:
            expected[key] = e.msgstr
        else:
            for i, text in e.msgstr_n.items():
                expected[(key, i)] = text
    compiled = {k: v for k, v in catalog.items() if k != ""}
    stale = sorted(
        repr(k) for k in expected.keys() | compiled.keys() if expected.get(k) != compiled.get(k)
    )
    assert not stale, (
        f"{catalogue.po.with_suffix('.mo')} is out of date with its .po (run compilemessages): "
        + ", ".join(stale[:20])
    )


def test_english_catalogue_lists_the_same_messages(zh):
    """English is the source language: its catalogue exists, compiled, with empty msgstrs."""
    _header, zh_entries = zh
    _en_header, en_entries = parse_po(EN_PO)
    assert {e.key for e in en_entries} == {e.key for e in zh_entries}
    assert {e.key for e in parse_po(RU_PO)[1]} == {e.key for e in zh_entries}
    with EN_MO.open("rb") as fp:
        gettext.GNUTranslations(fp)


# --- the catalogue in use -----------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_in_chinese_for_a_chinese_browser(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    page = response.content.decode()
    for text in ("登录", "用户名", "密码", "仲裁台"):
        assert text in page
    assert "Username" not in page


@pytest.mark.django_db
def test_login_page_is_in_russian_for_a_russian_browser(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ru")
    assert response["Content-Language"] == "ru"
    page = response.content.decode()
    for text in ("Войти", "Имя пользователя", "Пароль", "Арбитраж"):
        assert text in page
    assert "Username" not in page


@pytest.mark.django_db
def test_login_page_stays_english_for_an_english_browser(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "Log in" in page and "Username" in page
    assert "登录" not in page


# --- the stored content shipped with the app ----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh_hans", "ru"])
def test_the_shipped_stored_content_is_translated(language):
    """Every translated field (cases/translation.py) of every row the migrations ship (the
    rulebook, canned replies, penalty notes) that has an English text has it in Chinese
    and Russian too: a party or an arbitrator never reads English by omission."""
    from modeltranslation.translator import translator

    missing, checked = [], 0
    for model in translator.get_registered_models():
        fields = translator.get_options_for_model(model).fields
        for row in model.objects.all():
            for name in fields:
                if not getattr(row, f"{name}_en"):
                    continue
                checked += 1
                if not (getattr(row, f"{name}_{language}") or "").strip():
                    missing.append(f"  {model.__name__} {row}: {name}_{language}")
    assert checked >= 36, "the migrations ship the rulebook, replies and penalty notes"
    assert not missing, f"shipped stored texts without a {language} text:\n" + "\n".join(missing)
