"""GSM-7 folding and the number of SMS a text is billed as (smartqueue/notifications/gsm.py)."""

import pytest

from smartqueue.notifications.gsm import is_gsm7, segments, to_gsm7


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ça", "ca"),
        ("fenêtre", "fenetre"),
        ("Noël", "Noel"),
        ("âge, île, hôtel, dû, naïf", "age, ile, hotel, du, naif"),
        ("cœur, Œuvre", "coeur, OEuvre"),
        ("l’heure", "l'heure"),
        ("« Guichet 3 »", '" Guichet 3 "'),
        ("9h–12h — fermé", "9h-12h - fermé"),
        ("Votre tour\u00a0: A-042\u202f!", "Votre tour : A-042 !"),
        ("Patientez…", "Patientez..."),
        ("ÊTRE À L’HEURE", "ETRE A L'HEURE"),  # À: only à is in GSM-7,
    ],
)
def test_to_gsm7_folds_french_to_its_closest_gsm7(text, folded):
    assert to_gsm7(text) == folded
    assert is_gsm7(to_gsm7(text))


def test_to_gsm7_keeps_what_the_gsm7_alphabet_has():
    kept = (
        "é è ù ì ò à É Ç Ñ ñ ü Ü ä ö Ä Ö Å å Ø ø Æ æ ß ¿ ¡ £ $ ¥ § € [ ] { } ~ | ^ \\"
    )
    assert to_gsm7(kept) == kept


def test_to_gsm7_folds_wolof_to_gsm7():
    # ë and ó are not in GSM-7, ñ, à and é are; ŋ becomes "ng" as French spellings have it.
    assert to_gsm7("Jërëjëf, sa ñoñ ngi ñów. Ŋaan la?") == (
        "Jerejef, sa ñoñ ngi ñow. Ngaan la?"
    )
    assert segments(to_gsm7("Jërëjëf, ñów à Yoff.")) == ("gsm7", 1)


def test_to_gsm7_composes_a_decomposed_accent_first():
    # "e" + combining acute, as some keyboards type it, is GSM-7's "é", not a plain "e".
    assert to_gsm7("caf\u0065\u0301") == "café"
    assert to_gsm7("e\u0302") == "e"  # ê, decomposed, folds as ê does


def test_to_gsm7_keeps_what_has_no_gsm7_form():
    assert to_gsm7("Merci 🙏 ça") == "Merci 🙏 ca"
    assert to_gsm7("مرحبا") == "مرحبا"


@pytest.mark.parametrize(
    ("length", "parts"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_segments_gsm7_boundaries(length, parts):
    assert segments("a" * length) == ("gsm7", parts)


def test_segments_extension_characters_count_two():
    assert segments("€" * 80) == ("gsm7", 1)
    assert segments("€" * 81) == ("gsm7", 2)
    assert segments("a" * 159 + "[") == ("gsm7", 2)
    assert segments("a" * 158 + "{") == ("gsm7", 1)


def test_segments_never_split_an_escape_across_parts():
    # 306 septets: two full parts if they could be cut anywhere, but the € (ESC + code)
    # cannot start at the 153rd septet of part one, so it opens part two.
    text = "a" * 152 + "€" + "a" * 152
    assert segments(text) == ("gsm7", 3)
    assert segments("a" * 151 + "€" + "a" * 153) == ("gsm7", 2)


def test_segments_ucs2_for_what_gsm7_lacks():
    assert segments("😀") == ("ucs2", 1)
    assert segments("ы" * 70) == ("ucs2", 1)
    assert segments("ы" * 71) == ("ucs2", 2)
    assert segments("ы" * 134) == ("ucs2", 2)
    assert segments("ы" * 135) == ("ucs2", 3)


def test_segments_an_emoji_takes_two_ucs2_units():
    assert segments("a" * 68 + "😀") == ("ucs2", 1)
    assert segments("a" * 69 + "😀") == ("ucs2", 2)
    # 66 + a surrogate pair would straddle part one's end: it goes to part two.
    assert segments("a" * 66 + "😀" + "a" * 65) == ("ucs2", 2)
    assert segments("a" * 66 + "😀" + "a" * 66) == ("ucs2", 3)


def test_segments_folding_first_saves_parts():
    text = "Votre ticket A-042 sera appelé bientôt. Présentez-vous au guichet, "
    text = (text * 2)[:140] + "ç"
    assert segments(text) == ("ucs2", 3)
    assert segments(to_gsm7(text)) == ("gsm7", 1)


def test_segments_empty_text_is_one_sms():
    assert segments("") == ("gsm7", 1)
