"""GSM-7 (3GPP TS 23.038, "GSM 03.38"): what an SMS can carry at 160 characters, and
how many parts a text costs.

A text whose every character is in the GSM-7 default alphabet or its extension table
goes as GSM-7: 160 septets in one SMS, 153 per part once it is split (the other 7 carry
the concatenation header). An extension character (€, [, ] ...) is sent as ESC + its
code, two septets. One character outside both, and the whole message goes as UCS-2:
70 UTF-16 units in one SMS, 67 per part. So a French "ç" or "ê", or a Wolof "ë", would
cost more than twice as many SMS: `to_gsm7` folds such characters to their closest
GSM-7 form before anything is sent, and keeps those the alphabet has (é è ù ì ò à É Ç
Ñ ñ ü Ü ä ö ...).
"""

import unicodedata

# The default alphabet's printable characters (and LF, CR), in table order.
BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Reached through the escape code: two septets each. (The table's form feed is left
# out: `to_gsm7` turns it into a space, nobody means a page break in an SMS.)
EXTENSION = frozenset("^{}\\[]~|€")

SINGLE_GSM7, PART_GSM7 = 160, 153
SINGLE_UCS2, PART_UCS2 = 70, 67

# Characters outside GSM-7 and their closest form in it, where stripping the accent
# (below) would not give the right one or gives none.
_FOLDS = {
    "ç": "c",
    "œ": "oe",
    "Œ": "OE",
    "ŋ": "ng",  # Wolof's eng, as French-style spellings write it (Ngor, Ngoné)
    "Ŋ": "Ng",
    "’": "'",
    "‘": "'",
    "‚": "'",
    "′": "'",
    "`": "'",
    "´": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "«": '"',
    "»": '"',
    "″": '"',
    "‹": "'",
    "›": "'",
    "–": "-",
    "—": "-",
    "‑": "-",
    "‐": "-",
    "−": "-",
    "…": "...",
    "•": "-",
    "·": ".",
    "°": "o",
    "\u00a0": " ",  # no-break space (French typography before : ; ! ?)
    "\u202f": " ",  # narrow no-break space
    "\u2009": " ",  # thin space
    "\u2007": " ",
    "\t": " ",
    "\f": " ",
    "\u200b": "",  # zero-width space
    "\u00ad": "",  # soft hyphen
    "\ufeff": "",
}


def _fold(char: str) -> str:
    if char in BASIC or char in EXTENSION:
        return char
    if char in _FOLDS:
        return _FOLDS[char]
    # ê → e, ë → e, ô → o, ó → o, Ê → E ...: drop the accents, and take the result when
    # every character of it is GSM-7 (compatibility forms too: ﬁ → fi, ² → 2).
    bare = "".join(
        c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
    )
    if bare and all(c in BASIC or c in EXTENSION for c in bare):
        return bare
    return char  # no GSM-7 form (an emoji, Arabic script): the message goes as UCS-2


def to_gsm7(text: str) -> str:
    """The text with every character that has a close GSM-7 form folded to it; the
    others (emoji, non-Latin scripts) are kept, and `segments` then says UCS-2."""
    # Composed first: a keyboard's "e" + combining acute is the GSM-7 "é".
    return "".join(_fold(c) for c in unicodedata.normalize("NFC", text))


def is_gsm7(text: str) -> bool:
    return all(c in BASIC or c in EXTENSION for c in text)


def _parts(units: list[int], single: int, per_part: int) -> int:
    """How many SMS these characters take, each character's units kept in one part."""
    if sum(units) <= single:
        return 1
    parts, used = 1, 0
    for size in units:
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return parts


def segments(text: str) -> tuple[str, int]:
    """("gsm7" or "ucs2", the number of SMS the text is billed as), for the text as
    given (fold it first with `to_gsm7`). An empty text is still one SMS."""
    if is_gsm7(text):
        units = [2 if c in EXTENSION else 1 for c in text]
        return "gsm7", _parts(units, SINGLE_GSM7, PART_GSM7)
    # UCS-2 counts UTF-16 units: a character beyond the BMP (most emoji) takes two,
    # and a part never ends between them.
    units = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return "ucs2", _parts(units, SINGLE_UCS2, PART_UCS2)
