"""Language names and fixed chart colours for the language codes provaudit's detector emits.

Data with three lookups, no I/O. The codes are langdetect's 55 profile names plus ``und``
(undetermined, :data:`provaudit.core.language.UNDETERMINED`), the BCP 47 ``zh-Hans``,
``zh-Hant`` and ``zh`` the ledger writes for Chinese (langdetect's ``zh-cn``/``zh-tw`` stay
for older ledgers, with the same colours); the names are their English names (ISO 639-1), with the two
Chinese scripts told apart.

Colours are fixed per code so that a language keeps its colour in every chart of every run,
whatever else the run holds and however its series are sorted:

* the 40 codes in :data:`FIXED_COLOURS` (the languages most common in web-scale corpora) have
  a fixed entry of :data:`PALETTE`; the first 20 of them all differ;
* any other code gets ``PALETTE[crc32(code) % len(PALETTE)]`` (CRC-32, not Python's salted
  ``hash``, so it is the same in every process);
* "other" buckets are grey and ``und`` a lighter grey, so neither reads as a language.

Two shown series can still share a colour (20 colours, 56 codes); the renderer then lets the
language earlier in :data:`FIXED_COLOURS` keep it and gives the other the first palette colour
unused in that chart, so a chart never shows one colour twice, the common languages keep theirs
in every chart, and the name and code always sit beside the swatch.

Why a bundled table before Babel: the table fixes the names charts have always shown for
langdetect's codes; a test holds it to langdetect's profile list.

Series labels have the form ``"<code> · <name>"`` (:func:`language_label`); the renderer reads
the code back with :func:`language_code` to pick the colour. Codes outside the table (the
languages fastText's lid.176 names where langdetect has no profile: eo, ga, sr, ...) take
their English name from CLDR through Babel.
"""

from __future__ import annotations

import re
import zlib

__all__ = [
    "FIXED_COLOURS",
    "LANGUAGE_NAMES",
    "OTHER_COLOUR",
    "PALETTE",
    "UNDETERMINED_COLOUR",
    "language_code",
    "language_colour",
    "language_label",
    "language_name",
]

LANGUAGE_NAMES: dict[str, str] = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali", "ca": "Catalan",
    "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "et": "Estonian", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "gu": "Gujarati", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian",
    "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "ja": "Japanese", "kn": "Kannada",
    "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian", "ml": "Malayalam",
    "mr": "Marathi", "ne": "Nepali", "nl": "Dutch", "no": "Norwegian", "pa": "Punjabi",
    "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak",
    "sl": "Slovenian", "so": "Somali", "sq": "Albanian", "sv": "Swedish", "sw": "Swahili",
    "ta": "Tamil", "te": "Telugu", "th": "Thai", "tl": "Tagalog", "tr": "Turkish",
    "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese",
    "zh-cn": "Chinese (Simplified)", "zh-tw": "Chinese (Traditional)",
    # the BCP 47 codes provaudit.core.language.LanguageIdentifier writes for Chinese
    "zh-Hans": "Chinese (Simplified)", "zh-Hant": "Chinese (Traditional)", "zh": "Chinese",
    "und": "undetermined",
}

# Okabe-Ito (the first seven, black left out) followed by Paul Tol's muted and extra hues:
# twenty hues far enough apart to tell side by side; each shown with its name in the legend.
PALETTE: tuple[str, ...] = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
    "#332288", "#117733", "#882255", "#44AA99", "#999933", "#AA4499", "#DDCC77",
    "#6699CC", "#661100", "#88CCEE", "#CC6677", "#4B0092", "#7F7F00",
)
OTHER_COLOUR = "#98A2B3"
UNDETERMINED_COLOUR = "#D0D5DD"

# code -> index into PALETTE. The first 20 take every colour once; the next 20 reuse them,
# each paired with a language of a different script or region where possible.
FIXED_COLOURS: dict[str, int] = {
    "en": 0, "zh-Hans": 1, "es": 2, "de": 3, "fr": 4, "ja": 5, "ru": 6, "pt": 7, "it": 8,
    "ar": 9, "ko": 10, "nl": 11, "pl": 12, "tr": 13, "vi": 14, "id": 15, "fa": 16, "sv": 17,
    "cs": 18, "hi": 19,
    "zh-Hant": 14, "uk": 13, "el": 10, "ro": 9, "hu": 5, "da": 15, "fi": 6, "no": 19, "he": 12,
    "th": 18, "bg": 17, "sk": 16, "hr": 0, "ca": 1, "lt": 2, "sl": 3, "lv": 4, "et": 7,
    "bn": 8, "ta": 11,
    "zh-cn": 1, "zh-tw": 14,  # langdetect's spelling, in ledgers written before zh-Hans/zh-Hant
}

_LABEL = re.compile(r"^([a-z]{2,3}(?:-[A-Za-z]{2,4})?) · ")


def language_name(code: str) -> str:
    """The English name of a language code: the table's, else CLDR's (Babel), else the code."""
    name = LANGUAGE_NAMES.get(code)
    if name is None:
        from babel import Locale  # CLDR names for the languages fastText adds (eo, ga, sr, ...)

        name = Locale("en").languages.get(code.replace("-", "_"), code)
    return name


def language_label(code: str) -> str:
    """The label a chart series or table column shows for a language: ``"en · English"``."""
    return f"{code} · {language_name(code)}"


def language_code(label: str) -> str | None:
    """The code of a label made by :func:`language_label`; None for any other text."""
    match = _LABEL.match(label)
    return match.group(1) if match else None


def language_colour(code: str) -> str:
    """The fixed colour of a language code (the same in every chart and every run)."""
    if code == "und":
        return UNDETERMINED_COLOUR
    if code in FIXED_COLOURS:
        return PALETTE[FIXED_COLOURS[code]]
    return PALETTE[zlib.crc32(code.encode("utf-8")) % len(PALETTE)]
