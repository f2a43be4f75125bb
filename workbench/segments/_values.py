"""Set-dimension values written otherwise than the endpoint import stores them.

The import stores ``Location.Country`` as ISO 3166-1 alpha-2 codes (``US``) and ``ChannelType`` upper-cased
(``EMAIL``), and a segment compares values exactly, as Pinpoint does. A value that can only mean one stored value
(``usa``, ``United States``, ``us`` -> ``US``; ``email`` -> ``EMAIL``) is therefore rewritten to it, in the
condition and in the saved request, with a warning naming both; everything else in the request stays as given.
A value that means nothing certain (``Narnia``; a ``Platform`` of ``ios`` when the data has ``iOS``: platforms are
free text) stays as written, and saving warns about it (``segment.warn_about_names``).
"""

from __future__ import annotations

from ..store.schema import CHANNEL_TYPES
from .countries import CountryCodeWarning, code_meant, country_name

COUNTRY = "Location.Country"
CHANNEL = "Demographic.Channel"


class SegmentValueWarning(UserWarning):
    """A segment value is written otherwise than the endpoint data holds it (``email`` for ``EMAIL``, ``ios`` for
    ``iOS``): either the value the data holds is used instead (the warning says so), or the value matches no
    endpoint as written."""


def stored_form(dimension: str, value: str) -> tuple[str, type[Warning], str] | None:
    """``(the value as the import stores it, warning class, message)`` when ``value`` of set dimension
    ``dimension`` is written otherwise and can mean only that value; None when it stands as written."""
    if dimension == COUNTRY:
        code = code_meant(value)
        if code is None or code == value:
            return None
        return (
            code,
            CountryCodeWarning,
            f"{value!r} is not an ISO 3166-1 alpha-2 code as Location.Country holds them: using {code!r} "
            f"({country_name(code)})",
        )
    if dimension == CHANNEL:
        upper = value.strip().upper()
        if upper == value or upper not in CHANNEL_TYPES:
            return None
        return (
            upper,
            SegmentValueWarning,
            f"{value!r} is not a channel type as ChannelType holds them: using {upper!r}",
        )
    return None
