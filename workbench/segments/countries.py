"""Country filters: ``Location.Country`` holds ISO 3166-1 alpha-2 codes (``US``, ``DE``), as Pinpoint stores them.

A filter written otherwise (``usa``, ``United States``, ``uk``) would match nothing and show an empty chart;
:func:`country_code` reads it as the code meant (from CLDR's territory names and aliases, through ``babel``) and
says so, and refuses a value it cannot place, naming close codes.
"""

from __future__ import annotations

import warnings
from functools import cache

from ..errors import InputError, suggest


class CountryCodeWarning(UserWarning):
    """A country was not written as an ISO 3166-1 alpha-2 code; the code meant was used instead."""


@cache
def _codes() -> tuple[frozenset[str], dict[str, str]]:
    """The alpha-2 codes, and a lowercased name, alias or alpha-3 code -> the alpha-2 code it stands for."""
    from babel import Locale
    from babel.core import get_global

    names = Locale("en").territories
    codes = frozenset(c for c in names if len(c) == 2 and c.isalpha() and c not in ("ZZ", "XA", "XB"))
    meant: dict[str, str] = {}
    for code, name in names.items():
        if code in codes:
            meant[name.lower()] = code
    for alias, replacements in get_global("territory_aliases").items():
        if replacements and replacements[0] in codes and alias not in codes:
            meant.setdefault(alias.lower(), replacements[0])  # USA -> US, GBR -> GB, UK -> GB
    meant.update({"usa": "US", "america": "US", "england": "GB", "britain": "GB", "great britain": "GB"})
    return codes, meant


def code_meant(value: str) -> str | None:
    """The ISO 3166-1 alpha-2 code ``value`` stands for (itself upper-cased when it is one; the code of a name,
    alias or alpha-3 code), or None when it stands for no country. Says nothing (:func:`country_code` warns)."""
    text = str(value).strip()
    codes, meant = _codes()
    if text.upper() in codes:
        return text.upper()
    return meant.get(text.lower())


def country_name(code: str) -> str:
    """The English name of an alpha-2 code ("US" -> "United States")."""
    return _name(code)


def country_code(value: str, *, field: str = "country") -> str:
    """The ISO 3166-1 alpha-2 code for ``value``: itself when it is one (any case), else the code a name, alias
    or alpha-3 code stands for, with a :class:`CountryCodeWarning` naming it ("usa" -> "US"). An InputError
    when nothing matches."""
    text = str(value).strip()
    codes, meant = _codes()
    if text.upper() in codes:
        if text != text.upper():
            warnings.warn(
                f"{text!r} is not an ISO 3166-1 alpha-2 code as Location.Country holds them; using {text.upper()!r}",
                CountryCodeWarning,
                stacklevel=2,
            )
        return text.upper()
    code = meant.get(text.lower())
    if code is None:
        raise InputError(
            f"{text!r} is not a country code{suggest(text.lower(), meant)}: Location.Country holds ISO 3166-1 "
            "alpha-2 codes such as US, GB, DE, FR, JP",
            field=field,
        )
    warnings.warn(
        f"{text!r} is not an ISO 3166-1 alpha-2 code; Location.Country holds codes such as {code!r}: using "
        f"{code!r} ({_name(code)})",
        CountryCodeWarning,
        stacklevel=2,
    )
    return code


def _name(code: str) -> str:
    from babel import Locale

    return Locale("en").territories.get(code, code)


def country_filter(value: str) -> str:
    """SQL over ``endpoints`` for one country (see :func:`country_code` for what is accepted)."""
    return f"\"Location.Country\" = '{country_code(value)}'"
