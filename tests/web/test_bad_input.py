"""Bad input anywhere gets a clear 4xx, never a 500, and writes nothing half-done."""

import pytest
from sqlalchemy import func, select

from smartqueue.models import Branch, Counter, Organization, Service
from tests.web.conftest import with_invoice
from tests.web.test_manage_access import ROUTES

JUNK = [
    {},
    {"name": "", "number": "-3", "estimated_minutes": "9999", "price_fcfa": "abc"},
    {
        "region_id": "abc",
        "department_id": "999999",
        "commune_id": "x",
        "latitude": "north",
    },
    {
        "date": "2026-13-45",
        "prefix": "ÉÉ",
        "service_ids": ["abc", "99999"],
        "role": "boss",
    },
    {"day_0_opens": "25:99", "day_0_closes": "xx", "email": "@@", "phone": "+33 1 23"},
    {"name": "x" * 5000, "address": "\x00", "type": "spaceship", "plan": "gold"},
]


@pytest.fixture
def world(world, db):
    """The shared world, with the invoice the billing routes name."""
    return with_invoice(world, db)


@pytest.mark.parametrize("payload", JUNK, ids=[f"junk{i}" for i in range(len(JUNK))])
def test_manage_posts_answer_junk_with_4xx_and_change_nothing(
    client, auth, db, world, payload
):
    users, ids = world
    auth.login(users["platform"])

    def counts():
        return [
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Organization, Branch, Service, Counter)
        ]

    before = counts()
    for endpoint, method, template, _rule in ROUTES:
        if method != "POST" or endpoint.endswith(("delete_closure", "delete_counter")):
            continue
        if endpoint.endswith("remove_member"):
            continue
        response = client.post(template.format(**ids), data=payload)
        assert response.status_code < 500, (endpoint, payload, response.status_code)
        if response.status_code == 200:
            pytest.fail(f"{endpoint} accepted junk silently")
    db.session.expire_all()
    assert counts() == before


@pytest.mark.parametrize(
    "path",
    [
        "/auth/register",
        "/auth/login",
        "/auth/forgot",
        "/auth/reset",
        "/auth/verify",
        "/account/",
        "/account/password",
        "/account/delete",
        "/language",
    ],
)
@pytest.mark.parametrize("payload", JUNK, ids=[f"junk{i}" for i in range(len(JUNK))])
def test_public_and_account_posts_never_500(client, auth, make_user, path, payload):
    auth.login(make_user())
    response = client.post(path, data=payload)
    assert response.status_code < 500, (path, payload)


@pytest.mark.parametrize(
    "query", ["?region=-1", "?region=1&commune=-5", "?region=" + "9" * 40, "?next=//x"]
)
def test_get_pages_with_junk_query_never_500(client, query):
    assert client.get("/" + query).status_code == 200
    assert client.get("/auth/reset" + query + "&email=" + "a" * 400).status_code == 200


@pytest.mark.parametrize(
    "path", ["/branches/{n}", "/manage/branches/{n}", "/manage/services/{n}"]
)
def test_huge_ids_in_urls_are_404(client, auth, make_user, path):
    auth.login(make_user(role="platform_admin"))
    assert client.get(path.format(n=10**30)).status_code == 404
