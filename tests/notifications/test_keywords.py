"""The SMS keywords: what a message asks for, whatever its case, accents and spacing."""

import pytest

from smartqueue.notifications.keywords import Command, Kind, fold, parse

T = Kind.TICKET


@pytest.mark.parametrize(
    "text,expected",
    [
        ("TICKET PLATEAU A", Command(T, "fr", "PLATEAU", "A")),
        ("ticket plateau a", Command(T, "fr", "PLATEAU", "A")),
        ("  Ticket:  Plateau,  A. ", Command(T, "fr", "PLATEAU", "A")),
        ("TICKET PLATEAU-A", Command(T, "fr", "PLATEAU", "A")),
        ("TICKET PLATEAU", Command(T, "fr", "PLATEAU", None)),
        ("TICKET PIKINE2 b", Command(T, "fr", "PIKINE2", "B")),
        ("ticket thiès a", Command(T, "fr", "THIES", "A")),
        ("tiket plateau a", Command(T, "wo", "PLATEAU", "A")),
        ("Jël Plateau A", Command(T, "wo", "PLATEAU", "A")),
        ("TICKETPLATEAU A", Command(Kind.UNKNOWN)),
        ("TICKET", Command(Kind.UNKNOWN)),
        ("TIKET", Command(Kind.UNKNOWN, "wo")),
        ("TICKET PLATEAU OUVERTURE", Command(Kind.UNKNOWN)),
        ("TICKET GRAND YOFF B", Command(T, "fr", "GRANDYOFF", "B")),
        ("Ticket Grand-Yoff", Command(T, "fr", "GRANDYOFF", None)),
        ("TICKET PLATEAU A B", Command(T, "fr", "PLATEAUA", "B")),
        ("TICKET PLATEAU 1", Command(T, "fr", "PLATEAU1", None)),
        ("TICKET UNCODEBIENTROPLONG A", Command(Kind.UNKNOWN)),
        ("statut", Command(Kind.STATUS)),
        ("État ?", Command(Kind.STATUS)),
        ("naka", Command(Kind.STATUS, "wo")),
        ("Annuler svp", Command(Kind.CANCEL)),
        ("bàyi", Command(Kind.CANCEL, "wo")),
        ("DINDI", Command(Kind.CANCEL, "wo")),
        ("neenal", Command(Kind.CANCEL, "wo")),
        ("aide", Command(Kind.HELP)),
        ("HELP", Command(Kind.HELP)),
        ("Ndimbal", Command(Kind.HELP, "wo")),
        ("STOP", Command(Kind.STOP)),
        ("arrêt", Command(Kind.STOP)),
        ("Arrêter", Command(Kind.STOP)),
        ("start", Command(Kind.START)),
        ("reprendre", Command(Kind.START)),
        ("Oui merci", Command(Kind.YES)),
        ("yes", Command(Kind.YES)),
        ("waaw", Command(Kind.YES, "wo")),
        ("Non.", Command(Kind.NO)),
        ("no", Command(Kind.NO)),
        ("dédét", Command(Kind.NO, "wo")),
        ("Déedéet", Command(Kind.NO, "wo")),
        ("", Command(Kind.UNKNOWN)),
        ("   ", Command(Kind.UNKNOWN)),
        ("Bonjour, je voudrais un ticket", Command(Kind.UNKNOWN)),
        ("…", Command(Kind.UNKNOWN)),
    ],
)
def test_parse_reads_french_and_wolof_keywords(text, expected):
    assert parse(text) == expected


def test_fold_drops_case_accents_punctuation_and_extra_spaces():
    assert fold("  Ñaari   ŋoor, ÉTÉ!! ") == "NAARI NGOOR ETE"


def test_parse_never_fails_on_odd_input():
    for text in (None, "\x00\x1b", "🙂 TICKET", "TICKET " + "A" * 500):
        assert parse(text).kind is Kind.UNKNOWN
