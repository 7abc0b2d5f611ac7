"""Languages, message catalogues and the cabinet's date and money formats.

Ukrainian is the default; Russian and English are switchable (`/lang/{code}` sets a cookie). Message ids are
English. The catalogues are the `.po` files under `locales/`, read once at start-up, so editing a translation
needs no compile step.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from pathlib import Path
from typing import Final

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import parse_pattern
from babel.support import Translations
from babel.units import format_unit
from starlette.requests import Request

from shared.business_calendar import BUSINESS_TIME_ZONE

LANGUAGES: Final = ("uk", "ru", "en")
DEFAULT_LANGUAGE: Final = "uk"
LANGUAGE_COOKIE: Final = "lang"
#: each language's name as its speakers write it, for the switcher
LANGUAGE_NAMES: Final = {"uk": "Українська", "ru": "Русский", "en": "English"}
LOCALES_DIR: Final = Path(__file__).parent / "locales"

_KOPECK = Decimal("0.01")
#: a billing month as the services write it: `2013-08` (there is no year 0)
PERIOD_PATTERN: Final = re.compile(r"(?!0000)(\d{4})-(0[1-9]|1[0-2])")
_SIZE_UNITS: Final = ("digital-kilobyte", "digital-megabyte", "digital-gigabyte")
#: babel's locales parsed once: formatting with a locale's name parses it again for every amount and date of a page
_LOCALES: Final = {language: Locale.parse(language) for language in LANGUAGES}
#: money and quantities are grouped the English way, then the comma becomes a space; their patterns parsed once too
_GROUPING: Final = Locale.parse("en")
_MONEY_PATTERN: Final = parse_pattern("#,##0.00")
_QUANTITY_PATTERN: Final = parse_pattern("#,##0.######")


def N_(message: str) -> str:
    """Marks a message id for extraction where it is defined; it is translated where it is shown."""
    return message


def load_catalogues(locales_dir: Path = LOCALES_DIR) -> dict[str, Translations]:
    """Every language's catalogue, compiled in memory from its `.po` file (fuzzy entries are left out)."""
    catalogues: dict[str, Translations] = {}
    for language in LANGUAGES:
        with (locales_dir / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
            catalogue = read_po(po_file, locale=language)
        compiled = BytesIO()
        write_mo(compiled, catalogue)
        compiled.seek(0)
        catalogues[language] = Translations(compiled)
    return catalogues


def language_of(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def format_date(value: date) -> str:
    """`dd.mm.yyyy`, the same in every language, as in the manual (25.08.2013); datetimes as Kyiv dates."""
    if isinstance(value, datetime):
        value = value.astimezone(BUSINESS_TIME_ZONE).date()
    return babel_format_date(value, "dd.MM.yyyy", locale=_LOCALES[DEFAULT_LANGUAGE])


def format_datetime(value: datetime) -> str:
    """`dd.mm.yyyy hh:mm` in Kyiv time."""
    if value.tzinfo is None:
        raise ValueError("a naive datetime cannot be shown in Kyiv time")
    return babel_format_datetime(value, "dd.MM.yyyy HH:mm", tzinfo=BUSINESS_TIME_ZONE,
                                 locale=_LOCALES[DEFAULT_LANGUAGE])


def format_money(amount: Decimal | int) -> str:
    """Hryvnias the way the manual prints them in every language: `1 238.88` (space groups, point, kopecks).

    The space is a plain one; pages keep amounts on one line with CSS (`.money { white-space: nowrap }`).
    """
    if not isinstance(amount, Decimal | int):
        raise TypeError(f"money must be Decimal, not {type(amount).__name__}")
    kopecks = Decimal(amount).quantize(_KOPECK, rounding=ROUND_HALF_UP)
    # English symbols give "1,238.88"; only the group separator differs from the cabinet's format
    return _MONEY_PATTERN.apply(kopecks, _GROUPING).replace(",", " ")


def format_iban(iban: str) -> str:
    """An IBAN in groups of four, as it is printed for people to read (`UA21 3223 1300 …`): a list's narrow column
    wraps it between the groups."""
    compact = "".join(iban.split())
    return " ".join(compact[start:start + 4] for start in range(0, len(compact), 4))


def format_quantity(value: Decimal | int) -> str:
    """A reading, volume, ratio, price or coefficient as exact as it came (up to 6 decimals, no trailing zeros),
    grouped like money: `12 345.6`, `4.32165`."""
    if not isinstance(value, Decimal | int):
        raise TypeError(f"quantities must be Decimal, not {type(value).__name__}")
    return _QUANTITY_PATTERN.apply(value, _GROUPING).replace(",", " ")


def format_period(period: str, language: str) -> str:
    """A billing month `2013-08` as people say it: «серпень 2013», «август 2013», «August 2013»."""
    match = PERIOD_PATTERN.fullmatch(period)
    if match is None:
        return period
    month = date(int(match.group(1)), int(match.group(2)), 1)
    return babel_format_date(month, "LLLL yyyy", locale=_LOCALES.get(language, language))


def format_size(size: int, language: str) -> str:
    """A file size in the language's units, to one decimal above a kilobyte: «312 кБ», «1,5 МБ»."""
    if size < 1024:
        return format_unit(size, "digital-byte", length="short", locale=_LOCALES.get(language, language))
    value = Decimal(size)
    for unit in _SIZE_UNITS:
        value /= 1024
        if value < 1024 or unit == _SIZE_UNITS[-1]:
            break
    return format_unit(value, unit, length="short", format="#,##0.#", locale=_LOCALES.get(language, language))
