"""What a short message asks for: the keywords a customer writes by SMS (and later
types on USSD), in French and Wolof. Pure: no database, no channel.

Grammar, after folding (upper case, accents and Wolof letters to plain ASCII, every
character that is not a letter or a digit turned into a space, spaces collapsed):

    message  = ticket | command
    ticket   = TICKET-WORD code [letter]
    code     = words of letters and digits    a branch's short code (Branch.sms_code),
                                              its words joined: "GRAND YOFF" and
                                              "Grand-Yoff" are GRANDYOFF, as the manage
                                              area stores it; 12 characters at most
    letter   = one letter, the last word      a service's prefix; optional when the
                                              branch has one open service
    command  = KEYWORD [anything]             the rest is ignored ("OUI merci")

    TICKET   TICKET  TIKET* JEL*              take a ticket
    STATUS   STATUT  ETAT   STATUS  NAKA*     where is my ticket
    CANCEL   ANNULER CANCEL BAYI*  DINDI*    cancel my ticket (also NEENAL*)
    HELP     AIDE    HELP   NDIMBAL*          how to write
    STOP     STOP    ARRET  ARRETER           no more SMS
    START    START   REPRENDRE                SMS again
    YES      OUI     YES    WAAW* WAW*        I am coming (an appointment's reminder)
    NO       NON     NO     DEDET* DEEDEET*   I am not coming

    * Wolof: the answer is in Wolof.

So "ticket plateau a", "Ticket: Plateau, A." and "TIKET  PLATEAU-A" ask for service A of
the branch PLATEAU, "TICKET GRAND YOFF B" for service B of GRANDYOFF, "TICKET PLATEAU"
for PLATEAU's one open service. "TICKETPLATEAU A", "TICKET" alone and a code longer than
12 characters ("TICKET PLATEAU OUVERTURE") are not understood: the help answers them.
"""

import enum
import re
import unicodedata
from dataclasses import dataclass


class Kind(enum.Enum):
    TICKET = "ticket"
    STATUS = "status"
    CANCEL = "cancel"
    HELP = "help"
    STOP = "stop"
    START = "start"
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Command:
    """One message understood: what it asks, in which language to answer, and for a
    ticket, where (a branch's code, a service's letter or None)."""

    kind: Kind
    locale: str = "fr"
    branch_code: str | None = None
    service_letter: str | None = None


FRENCH = {
    "TICKET": Kind.TICKET,
    "STATUT": Kind.STATUS,
    "ETAT": Kind.STATUS,
    "STATUS": Kind.STATUS,  # the English texts name these two
    "ANNULER": Kind.CANCEL,
    "CANCEL": Kind.CANCEL,
    "AIDE": Kind.HELP,
    "HELP": Kind.HELP,
    "STOP": Kind.STOP,
    "ARRET": Kind.STOP,
    "ARRETER": Kind.STOP,
    "START": Kind.START,
    "REPRENDRE": Kind.START,
    "OUI": Kind.YES,
    "YES": Kind.YES,
    "NON": Kind.NO,
    "NO": Kind.NO,
}
WOLOF = {
    "TIKET": Kind.TICKET,
    "JEL": Kind.TICKET,  # "take"
    "NAKA": Kind.STATUS,  # "how is it"
    "BAYI": Kind.CANCEL,  # "leave it"
    "DINDI": Kind.CANCEL,  # "remove"
    "NEENAL": Kind.CANCEL,  # "cancel", as the Wolof pages write it
    "NDIMBAL": Kind.HELP,  # "help"
    "WAAW": Kind.YES,
    "WAW": Kind.YES,
    "DEDET": Kind.NO,
    "DEEDEET": Kind.NO,  # déedéet, as the orthography writes it
}
CODE = re.compile(r"^[A-Z0-9]{1,12}$")  # Branch.sms_code is at most 12 characters
LETTER = re.compile(r"^[A-Z]$")
# Letters that lose more than an accent when folded (Wolof's eng, ligatures).
_FOLDS = str.maketrans({"ŋ": "ng", "Ŋ": "NG", "œ": "oe", "Œ": "OE", "æ": "ae"})


def fold(text: str) -> str:
    """Upper case ASCII words separated by single spaces: accents, case, punctuation
    and extra spaces are not what a message means."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_FOLDS))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", plain.upper()).split())


def parse(text: str) -> Command:
    """What a message asks for (module docstring: the grammar)."""
    words = fold(text).split()
    if not words:
        return Command(Kind.UNKNOWN)
    keyword, rest = words[0], words[1:]
    kind = FRENCH.get(keyword) or WOLOF.get(keyword)
    if kind is None:
        return Command(Kind.UNKNOWN)
    locale = "wo" if keyword in WOLOF else "fr"
    if kind is not Kind.TICKET:
        return Command(kind, locale)
    letter = rest[-1] if len(rest) >= 2 and LETTER.match(rest[-1]) else None
    code = "".join(rest[:-1] if letter else rest)
    if not CODE.match(code):
        return Command(Kind.UNKNOWN, locale)
    return Command(Kind.TICKET, locale, branch_code=code, service_letter=letter)
