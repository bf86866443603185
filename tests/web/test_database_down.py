"""PostgreSQL unreachable (restarting, failed over): pages say to try again in a moment,
with a 503 the load balancer understands, instead of the "something broke" 500."""

from smartqueue import create_app
from tests.services import free_port

TRY_AGAIN = "Le service est momentanément indisponible."


def _app_without_its_database(app_config):
    """The same app (same secret key) whose PostgreSQL server does not answer."""
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/smartqueue"
    return create_app(dict(app_config, SQLALCHEMY_DATABASE_URI=nowhere))


def test_a_visitor_gets_a_try_again_page(app_config):
    response = _app_without_its_database(app_config).test_client().get("/")
    assert response.status_code == 503
    assert TRY_AGAIN in response.get_data(as_text=True)


def test_a_signed_in_agent_gets_the_page_too(
    app_config, client, auth, make_branch, make_user
):
    auth.login(make_user(role="agent", branch=make_branch()))
    down = _app_without_its_database(app_config).test_client()
    session = client.get_cookie("session")
    down.set_cookie("session", session.value, domain=session.domain)

    response = down.get("/agent/")  # who is signed in cannot even be read

    assert response.status_code == 503
    assert TRY_AGAIN in response.get_data(as_text=True)
