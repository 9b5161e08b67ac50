"""Specialist referral that fits where the person is (US, Canada, UK, elsewhere/unknown).

All contact details live in data/knowledge/contacts.yml.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Optional

from bot.knowledge import KnowledgeBase

REGIONS = ("us", "canada", "uk", "elsewhere")

# Channel metadata keys that may carry a country (ISO code or name).
METADATA_KEYS = ("region", "country", "country_code", "locale")
_COUNTRY_CODES = {
    "us": "us",
    "usa": "us",
    "en-us": "us",
    "en_us": "us",
    "ca": "canada",
    "can": "canada",
    "en-ca": "canada",
    "fr-ca": "canada",
    "en_ca": "canada",
    "gb": "uk",
    "uk": "uk",
    "gbr": "uk",
    "en-gb": "uk",
    "en_gb": "uk",
}


def normalise_region(value: Any) -> Optional[str]:
    if not isinstance(value, str):
        return None
    key = value.strip().lower().replace(".", "")
    if key in REGIONS:
        return key
    if key in _COUNTRY_CODES:
        return _COUNTRY_CODES[key]
    locale = re.fullmatch(r"[a-z]{2,3}[-_]([a-z]{2})", key)
    if locale:  # "fr_CA", "en-AU": the country part decides
        return normalise_region(locale.group(1))
    if key in ("united states", "america", "united states of america"):
        return "us"
    if key == "canada":
        return "canada"
    if key in ("united kingdom", "england", "scotland", "wales", "northern ireland", "britain", "great britain"):
        return "uk"
    return "elsewhere" if len(key) >= 2 else None


def region_from_metadata(metadata: Optional[Mapping[str, Any]]) -> Optional[str]:
    if not isinstance(metadata, Mapping):
        return None
    for key in METADATA_KEYS:
        if key in metadata:
            value = metadata[key]
            if key == "locale" and isinstance(value, str) and not any(sep in value for sep in "-_"):
                continue  # a language ("en", "fr") says nothing about where the person is
            region = normalise_region(value)
            if region:
                return region
    return None


def region_from_values(values: Iterable[str]) -> Optional[str]:
    """The region named in the message (entity values).

    Two different regions ("London, Ontario", "I'm British but live in Canada") leave it unknown
    rather than guessing: an unknown region gets every emergency number and all three referrals,
    a wrong guess would give the wrong country's emergency number.
    """
    named = {v for v in values if v in REGIONS}
    return named.pop() if len(named) == 1 else None


def referral_text(kb: Any, region: Optional[str], compact: bool = False) -> str:
    """The specialist referral for `region` (all three contacts, on one line, when unknown); `kb`
    is anything with the contacts (a KnowledgeBase, or bot.messages.FixedTexts). `compact`: the
    one-line form every reply after the first in a conversation carries."""
    contacts = kb.contacts["referral"]
    if region in ("us", "canada", "uk"):
        block = contacts[region]
        details = {k: v for k, v in block.items() if k not in ("text", "short")}
        return str(block["short" if compact else "text"]).format(**details).strip()
    return str(contacts["elsewhere"]).strip()


def emergency_text(kb: KnowledgeBase, region: Optional[str]) -> str:
    block = kb.contacts["emergency"]
    numbers = block["numbers"].get(region) if region else None
    return str(block["intro"]).format(numbers=numbers or block["unknown"]).strip()


def region_title(kb: KnowledgeBase, region: str) -> str:
    subject = kb.subjects.get(region)
    return subject.title if subject else region
