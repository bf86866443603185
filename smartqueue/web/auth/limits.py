"""Rate limits of the account forms: narrow per account, wide per client address.

One person's wrong passwords must not lock out everyone behind the same address (a
carrier's NAT, a branch's Wi-Fi: hundreds of people can share one), so each form has a
tight limit on the account being tried and a loose one on the address that only stops a
single machine hammering many accounts. Where a success is harmless (signing in), only
failures count. Account keys are keyed hashes: the limiter's storage holds no addresses
in clear.
"""

from flask import request, session

from ...accounts.operations import normalize_email
from ...accounts.secrets import keyed_hash
from ...extensions import limiter
from ..limits import client_address

PENDING = "verify_user_id"  # the account waiting for its code (auth.views)
PHANTOM = "verify_phantom"  # a sign-up with an address already taken (auth.views)


def _address() -> str:
    return "addr:" + client_address()


def _email_key() -> str:
    """The account named in the form; without one, the address."""
    email = normalize_email(request.form.get("email", ""))[:254]
    return "acct:" + keyed_hash(email)[:32] if email else _address()


def _pending_key() -> str:
    """The account waiting for its code (or the taken address of a phantom sign-up)."""
    pending = session.get(PENDING) or (session.get(PHANTOM) or {}).get("email")
    return "acct:" + keyed_hash(str(pending))[:32] if pending else _address()


def _invitation_key() -> str:
    return "invitation:" + keyed_hash(request.view_args.get("token", ""))[:32]


def _failed(response) -> bool:
    return response.status_code != 302  # every success here redirects


def _accepted(response) -> bool:
    return response.status_code == 302


def _limits(account, per_account, per_address, counts=None, account_counts=None):
    """Both limits on a view's POST; `counts` picks the answers that use them up."""

    def decorate(view):
        view = limiter.limit(
            per_address, key_func=_address, methods=["POST"], deduct_when=counts
        )(view)
        return limiter.limit(
            per_account,
            key_func=account,
            methods=["POST"],
            deduct_when=account_counts or counts,
        )(view)

    return decorate


# Figures: an account is tried by one person (a few typos, then 15 minutes' wait); an
# address may be a NAT of hundreds, so its figures are twenty to a hundred times wider.
login = _limits(_email_key, "10 per 15 minutes", "200 per 15 minutes", _failed)
# An accepted sign-up or reset request emails the address: a few an hour per address,
# while mistyped forms (answered 422) cost nothing but the address's wide budget.
register = _limits(_email_key, "3 per hour", "300 per hour", account_counts=_accepted)
forgot = _limits(_email_key, "5 per hour", "300 per hour", account_counts=_accepted)
reset = _limits(_email_key, "10 per 15 minutes", "200 per 15 minutes", _failed)
verify = _limits(_pending_key, "10 per 15 minutes", "200 per 15 minutes", _failed)
resend = _limits(_pending_key, "5 per hour", "300 per hour")
invitation = _limits(_invitation_key, "10 per 15 minutes", "60 per minute", _failed)
