"""Every text a page can show is translated: extracted from templates and code, found in each catalogue."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import gateway
from gateway.i18n import LANGUAGES, LOCALES_DIR

PACKAGE_DIR = Path(gateway.__file__).parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
_METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
_OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")

MessageId = str | tuple[str, ...]


def _extracted() -> dict[MessageId, str]:
    """Message id → where it is used, as `pybabel extract -F babel.cfg` finds them."""
    found: dict[MessageId, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE_DIR), _METHOD_MAP, _OPTIONS
    ):
        if isinstance(message, tuple):
            message = tuple(part for part in message if part)
        found.setdefault(message, f"{filename}:{lineno}")
    return found


EXTRACTED = _extracted()


def _catalogue(language: str) -> Catalog:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return read_po(po_file, locale=language)


def _key(message_id: MessageId) -> str:
    return message_id[0] if isinstance(message_id, tuple) else message_id


def test_extraction_finds_the_pages_texts() -> None:
    assert "Completing registration" in EXTRACTED  # a template
    assert "Wrong login or password." in EXTRACTED  # an error code's message in code
    assert len(EXTRACTED) > 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_has_a_translation(language: str) -> None:
    catalogue = _catalogue(language)
    missing = []
    for message_id, where in EXTRACTED.items():
        entry = catalogue.get(_key(message_id))
        strings = entry.string if entry is not None else None
        forms = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(forms):
            missing.append(f"{where}: {message_id!r}")
    assert not missing, f"untranslated in {language}:\n" + "\n".join(missing)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogues_hold_no_texts_the_pages_no_longer_use(language: str) -> None:
    used = {_key(message_id) for message_id in EXTRACTED}
    stale = [entry.id for entry in _catalogue(language) if entry.id and _key(entry.id) not in used]
    assert not stale, f"unused in {language}: {stale}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language: str) -> None:
    wrong = []
    for entry in _catalogue(language):
        if not entry.id:
            continue
        expected = sorted(_PLACEHOLDER.findall(_key(entry.id)))
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wrong += [f"{entry.id!r} → {form!r}" for form in forms if sorted(_PLACEHOLDER.findall(form)) != expected]
    assert not wrong, "\n".join(wrong)


def test_ukrainian_texts_from_the_manual() -> None:
    uk = _catalogue("uk")
    assert uk["Completing registration"].string == "Завершення реєстрації"
    assert uk["Activation code"].string == "Код активації"
    assert uk["Login"].string == "Логін"
    assert uk["Minimum 6 characters"].string == "Мінімум 6 символів"
    assert uk["Check whether the login is free"].string == "Перевірити, чи вільний логін"
    assert uk["Password confirmation"].string == "Підтвердження пароля"
    assert uk["Register"].string == "Зареєструватися"
    assert uk["Settings"].string == "Налаштування"
    assert uk["Log out"].string == "Вихід"
    assert uk["Cancel the change"].string == "Скасувати зміну"


class _VisibleText(HTMLParser):
    """Text nodes and the attributes people read (labels for screen readers, tooltips, placeholders)."""

    _READ_ATTRIBUTES = frozenset({"title", "alt", "aria-label", "placeholder", "data-error-message"})

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.texts += [value or "" for name, value in attrs if name in self._READ_ATTRIBUTES]


_JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES_DIR.glob("*.html")))
def test_templates_write_no_text_outside_gettext(template: str) -> None:
    source = (TEMPLATES_DIR / template).read_text(encoding="utf-8")
    parser = _VisibleText()
    parser.feed(_JINJA.sub(" ", source))
    hard_coded = [text.strip() for text in parser.texts if any(ch.isalpha() for ch in text)]
    assert not hard_coded, f"{template} shows text that is not translated: {hard_coded}"
