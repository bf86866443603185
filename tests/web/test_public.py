"""Home page branch finder, branch page, language choice, health check."""

from sqlalchemy import select

from smartqueue.models import Commune, Region


def _ids(db):
    dakar = db.session.scalar(select(Region).where(Region.name == "Dakar"))
    plateau = db.session.scalar(select(Commune).where(Commune.name == "Plateau"))
    pikine = db.session.scalar(select(Commune).where(Commune.name == "Pikine Est"))
    return dakar, plateau, pikine


def test_find_a_branch_by_region_and_commune(client, db, make_org, make_branch):
    org = make_org(name="Banque Teranga")
    make_branch(org, name="Agence Plateau", commune="Plateau")
    make_branch(org, name="Agence Pikine", commune="Pikine Est")
    dakar, plateau, _ = _ids(db)
    html = client.get(f"/?region={dakar.id}").get_data(as_text=True)
    assert "Agence Plateau" in html and "Agence Pikine" in html
    html = client.get(f"/?region={dakar.id}&commune={plateau.id}").get_data(
        as_text=True
    )
    assert "Agence Plateau" in html and "Agence Pikine" not in html


def test_finder_answers_htmx_with_just_the_fragment(client, db, make_branch):
    make_branch(name="Agence Plateau")
    dakar, _, _ = _ids(db)
    response = client.get(f"/?region={dakar.id}", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="branch-finder">') and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_finder_ignores_junk_parameters(client):
    assert client.get("/?region=abc&commune=xyz").status_code == 200
    assert client.get("/?region=99999").status_code == 200
    # Control characters are refused for every link, with a message (never a 500).
    response = client.get("/?region=abc&commune=%00")
    assert response.status_code == 400
    assert "Ce lien contient des caractères non autorisés." in response.get_data(
        as_text=True
    )


def test_branch_page_shows_services_and_hours(client, make_branch, make_service):
    branch = make_branch(name="Agence Plateau")
    make_service(branch, "A", "Ouverture de compte", price=2000)
    html = client.get(f"/branches/{branch.id}").get_data(as_text=True)
    assert (
        "Ouverture de compte" in html and "2\u202f000 FCFA" in html and "Lundi" in html
    )


def test_inactive_organization_branches_are_hidden(client, db, make_org, make_branch):
    org = make_org()
    branch = make_branch(org)
    org.is_active = False
    db.session.commit()
    assert client.get(f"/branches/{branch.id}").status_code == 404


def test_healthz_embedded(client):
    body = client.get("/healthz").get_json()
    assert body == {
        "status": "ok",
        "database": "ok",
        "redis": "not configured",
        "worker_heartbeat": "in-process",
        "outbox": {"pending": 0, "oldest_seconds": None, "failed": 0},
    }
