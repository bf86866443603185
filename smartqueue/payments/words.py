"""Amounts in French words, as an invoice states them ("cinquante mille francs CFA")."""

from num2words import num2words

CURRENCY = "francs CFA"


def amount_in_words(amount_fcfa: int) -> str:
    """15000 -> 'quinze mille francs CFA'; 1000000 -> 'un million de francs CFA'."""
    if amount_fcfa < 0:
        return "moins " + amount_in_words(-amount_fcfa)
    if amount_fcfa in (0, 1):
        return f"{num2words(amount_fcfa, lang='fr')} franc CFA"
    words = num2words(amount_fcfa, lang="fr")
    # French puts "de" between a number ending in millions or milliards and its noun.
    if words.endswith(("million", "millions", "milliard", "milliards")):
        return f"{words} de {CURRENCY}"
    return f"{words} {CURRENCY}"
