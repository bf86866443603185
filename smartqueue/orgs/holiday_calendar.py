"""Senegal's public holidays as the `holidays` library lists them (PyPI `holidays`,
country SN), with their names in the page's language.

The library marks the moving Muslim holidays (Korité, Tabaski, Tamkharit, Maouloud, the
Grand Magal) "(estimated)" until their dates are confirmed in its own tables, and adds
"(observed)" for the Monday after a Korité or Tabaski falling on a Sunday.
"""

import re
from datetime import date
from functools import cache
from typing import NamedTuple

import holidays as holidays_lib
from flask_babel import lazy_gettext as _l

COUNTRY = "SN"
# The library's English names (stable, unlike labels) give the keys; the names shown
# come from our catalogs so they follow the page's language.
NAMES = {
    "new_year_s_day": _l("Jour de l'an"),
    "eid_al_fitr": _l("Korité"),
    "independence_day": _l("Fête de l'Indépendance"),
    "easter_monday": _l("Lundi de Pâques"),
    "labor_day": _l("Fête du Travail"),
    "ascension_day": _l("Ascension"),
    "pentecost_monday": _l("Lundi de Pentecôte"),
    "eid_al_adha": _l("Tabaski"),
    "ashura": _l("Tamkharit"),
    "grand_magal_of_touba": _l("Grand Magal de Touba"),
    "assumption_day": _l("Assomption"),
    "prophet_s_birthday": _l("Maouloud"),
    "all_saints_day": _l("Toussaint"),
    "christmas_day": _l("Noël"),
}
OBSERVED = "_observed"
_TAGS = re.compile(r" \((observed|estimated|observed, estimated)\)$")
_TAGS_FR = re.compile(r" \((observé|estimé|observé, estimé)\)$")


class ListedHoliday(NamedTuple):
    key: str  # "eid_al_adha"; "eid_al_adha_observed" for the Monday after a Sunday one
    name: str  # the library's French name
    day: date
    is_estimated: bool


@cache
def list_public_holidays(year: int) -> tuple[ListedHoliday, ...]:
    """Senegal's public holidays of a year as the library lists them, by date."""
    english = holidays_lib.country_holidays(
        COUNTRY, years=year, language="en_US", islamic_show_estimated=True
    )
    french = holidays_lib.country_holidays(COUNTRY, years=year, language="fr_SN")
    listed = []
    for day in sorted(english):
        # Two holidays may share a day (Tabaski's Monday and Whit Monday in 2027).
        for en, fr in zip(english.get_list(day), french.get_list(day), strict=True):
            tags = _TAGS.search(en)
            tags = tags.group(1) if tags else ""
            key = re.sub(r"[^a-z0-9]+", "_", _TAGS.sub("", en).lower()).strip("_")
            if "observed" in tags:
                key += OBSERVED
            name = _TAGS_FR.sub("", fr)
            if "observed" in tags:
                name = f"{name} (observé)"
            listed.append(ListedHoliday(key, name[:120], day, "estimated" in tags))
    return tuple(listed)


def holiday_name(key: str, fallback: str) -> str:
    """A holiday's name in the current language (the library's French for unknown keys)."""
    if key.endswith(OBSERVED) and key.removesuffix(OBSERVED) in NAMES:
        return str(_l("%(name)s : lundi chômé", name=NAMES[key.removesuffix(OBSERVED)]))
    return str(NAMES.get(key, fallback))


def prefill_years(today: date) -> tuple[int, int]:
    """The years a branch is pre-filled for: this one and the next."""
    return today.year, today.year + 1
