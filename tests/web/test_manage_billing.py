"""The billing pages: an organization's plan, the plans, a change of plan, its invoices
and paying one through the Wave simulator; the platform's invoices and revenue by month;
and a look at each page in Chromium (1280x800)."""

import html as htmllib
import re
import urllib.request
from datetime import date, datetime, timedelta, timezone

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from smartqueue.models import (
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceStatus,
    Organization,
    Payment,
    PaymentStatus,
    Plan,
)
from tests.payments.callbacks import CallbackRecorder
from tests.payments.simulator import Simulator
from tests.payments.test_wave import API_KEY, WEBHOOK_SECRET, press, settings

DESKTOP = {"width": 1280, "height": 800}


def make_invoice(db, org, month: date, total: int, status=InvoiceStatus.ISSUED):
    """An invoice of `org` for `month` (its plan's line), due on the 15th after it."""
    following = date(month.year + month.month // 12, month.month % 12 + 1, 15)
    invoice = Invoice(
        number=f"FACT-{month:%Y%m}-{org.id:03d}",
        organization_id=org.id,
        period_start=month,
        period_end=date(following.year, following.month, 1) - timedelta(days=1),
        plan=org.plan,
        total_fcfa=total,
        status=status,
        due_on=following,
        paid_at=datetime(following.year, following.month, 2, tzinfo=timezone.utc)
        if status is InvoiceStatus.PAID
        else None,
        lines=[
            InvoiceLine(
                kind=InvoiceLineKind.PLAN,
                description=f"Formule {org.plan.value}",
                unit_fcfa=total,
                amount_fcfa=total,
            )
        ],
    )
    db.session.add(invoice)
    db.session.commit()
    return invoice


def text_of(response) -> str:
    """The page's words, tags dropped and spaces folded."""
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(htmllib.unescape(words).split())


@pytest.fixture
def billed(world, db, frozen):
    """Organization A (Business) with a paid October, a November to pay (due 15
    December: not yet late on 1 December) and an overdue September."""
    users, ids = world
    org = db.session.get(Organization, ids["org"])
    invoices = {
        "sep": make_invoice(db, org, date(2026, 9, 1), 50_000),
        "oct": make_invoice(db, org, date(2026, 10, 1), 50_000, InvoiceStatus.PAID),
        "nov": make_invoice(db, org, date(2026, 11, 1), 51_240),
    }
    return users, ids, org, invoices


def test_billing_page_shows_plan_use_plans_and_invoices(client, auth, billed):
    users, ids, org, invoices = billed
    auth.login(users["admin_a"])
    response = client.get(f"/manage/organizations/{org.id}/billing")
    assert response.status_code == 200
    page = text_of(response)
    assert "Votre formule : Business" in page
    assert "50 000 FCFA par mois" in page.replace("\u202f", " ")
    # The plans side by side, with their prices and limits.
    for price in ("0 FCFA", "15 000 FCFA", "150 000 FCFA"):
        assert price in page.replace("\u202f", " ")
    assert "200 tickets par jour" in page and "Tickets illimités" in page
    assert "Passer à Enterprise maintenant" in page
    assert "Passer à Starter le 1er du mois" in page
    # Invoices, newest first, with their state.
    order = [page.index(invoices[k].number) for k in ("nov", "oct", "sep")]
    assert order == sorted(order)
    row = lambda key: re.search(  # noqa: E731
        rf"{invoices[key].number}.*?</tr>",
        htmllib.unescape(response.get_data(as_text=True)),
        re.S,
    ).group(0)
    assert "À payer" in row("nov") and "Payer" in row("nov")
    assert "Payée" in row("oct") and "Payer<" not in row("oct")
    assert "En retard" in row("sep")


def test_upgrade_from_the_page_is_at_once(client, auth, billed, db):
    users, ids, org, _ = billed
    auth.login(users["admin_a"])
    response = client.post(
        f"/manage/organizations/{org.id}/billing/plan", data={"plan": "enterprise"}
    )
    assert response.status_code == 303
    page = text_of(client.get(response.location))
    assert "maintenant la formule Enterprise" in page
    assert "Votre formule : Enterprise" in page


def test_downgrade_from_the_page_waits_and_can_be_cancelled(client, auth, billed, db):
    users, ids, org, _ = billed
    auth.login(users["admin_a"])
    url = f"/manage/organizations/{org.id}/billing"
    response = client.post(url + "/plan", data={"plan": "starter"})
    assert response.status_code == 303
    page = text_of(client.get(url))
    assert "la formule Starter s’appliquera le 01/01/2027" in page
    assert "Passage à la formule Starter prévu le 1 janvier 2027" in page
    assert "Votre formule : Business" in page
    response = client.post(url + "/plan/cancel")
    assert response.status_code == 303
    page = text_of(client.get(url))
    assert "Changement annulé" in page and "prévu le" not in page
    db.session.expire_all()
    assert db.session.get(Organization, org.id).next_plan is None


def test_downgrade_refused_on_the_page_with_the_figures(
    client, auth, billed, make_service, db
):
    users, ids, org, _ = billed
    branch = org.branches[0]
    for letter in "BCDEFG":
        make_service(branch, letter, f"Service {letter}")
    auth.login(users["admin_a"])
    response = client.post(
        f"/manage/organizations/{org.id}/billing/plan", data={"plan": "starter"}
    )
    assert response.status_code == 422
    assert "Vous avez 7 files actives, la formule Starter en permet 5." in text_of(
        response
    )
    db.session.expire_all()
    assert db.session.get(Organization, org.id).next_plan is None


@pytest.mark.parametrize("role", ["agent_a1", "manager_a1", "admin_b", "customer"])
def test_billing_refused_to_others(client, auth, billed, role):
    users, ids, org, invoices = billed
    auth.login(users[role])
    base = f"/manage/organizations/{org.id}/billing"
    assert client.get(base).status_code == 403
    assert client.post(base + "/plan", data={"plan": "free"}).status_code == 403
    assert client.get(f"{base}/invoices/{invoices['nov'].id}/pay").status_code == 403
    assert client.get("/manage/billing").status_code == 403


def test_billing_sends_anonymous_to_sign_in(client, billed):
    _, _, org, _ = billed
    for url in (f"/manage/organizations/{org.id}/billing", "/manage/billing"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.location


def test_another_organizations_invoice_is_not_paid_from_here(
    client, auth, billed, db, make_org
):
    users, ids, org, _ = billed
    theirs = make_invoice(db, make_org(name="Org C"), date(2026, 11, 1), 15_000)
    auth.login(users["admin_a"])
    response = client.get(
        f"/manage/organizations/{org.id}/billing/invoices/{theirs.id}/pay"
    )
    assert response.status_code in (403, 404)


def test_platform_sees_invoices_filtered_and_revenue_by_month(
    client, auth, billed, db, make_org
):
    users, ids, org, invoices = billed
    other = make_org(name="Org C", plan=Plan.STARTER)
    make_invoice(db, other, date(2026, 11, 1), 15_000, InvoiceStatus.PAID)
    auth.login(users["platform"])
    page = text_of(client.get("/manage/billing")).replace("\u202f", " ")
    # November: 51 240 + 15 000 invoiced, 15 000 paid, 51 240 to be paid, none late.
    assert re.search(
        r"Novembre 2026 2 66 240 FCFA 15 000 FCFA 51 240 FCFA 0 FCFA", page
    ), page
    # September: 50 000 invoiced, nothing paid, all of it overdue.
    assert "Septembre 2026 1 50 000 FCFA 0 FCFA 50 000 FCFA 50 000 FCFA" in page

    overdue = text_of(client.get("/manage/billing?state=overdue"))
    assert invoices["sep"].number in overdue
    assert invoices["nov"].number not in overdue
    november = text_of(client.get("/manage/billing?month=2026-11&state=paid"))
    assert "FACT-202611" in november and "Org C" in november
    assert invoices["nov"].number not in november
    # Nonsense filters are ignored, not a 500.
    assert client.get("/manage/billing?month=13-2026&state=x").status_code == 200


# --- paying an invoice with Wave, through the simulator -----------------------------------


@pytest.fixture(scope="module")
def recorder():
    with CallbackRecorder("/hooks/payments/wave") as recorder:
        yield recorder


@pytest.fixture(scope="module")
def sim(recorder):
    with Simulator(**settings(recorder.url)) as sim:
        yield sim


@pytest.fixture
def app_config(app_config, sim):
    return {
        **app_config,
        "WAVE_API_KEY": API_KEY,
        "WAVE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WAVE_API_URL": sim.url + "/wave",
    }


def test_pay_an_invoice_with_wave_and_come_back_to_a_paid_invoice(
    client, auth, billed, db, recorder, sim
):
    users, ids, org, invoices = billed
    auth.login(users["admin_a"])
    pay_url = (
        f"/manage/organizations/{org.id}/billing/invoices/{invoices['nov'].id}/pay"
    )
    choice = client.get(pay_url)
    assert choice.status_code == 200
    assert "Wave" in text_of(choice) and "Payer 51" in text_of(choice)
    key = re.search(r'name="key"[^>]*value="([^"]+)"', choice.get_data(as_text=True))
    form = {"method": "wave", "phone": "", "key": key.group(1)}

    response = client.post(pay_url, data=form)
    assert response.status_code == 303
    assert response.location.startswith(sim.url)  # the simulated Wave checkout
    again = client.post(pay_url, data=form)  # a double submit: the same payment
    assert again.location == response.location
    payment = db.session.scalars(
        select(Payment).where(Payment.invoice_id == invoices["nov"].id)
    ).one()
    assert payment.amount_fcfa == 51_240

    # Back before the webhook: the page says it is waiting, and asks again.
    back = f"/manage/organizations/{org.id}/billing?payment={payment.reference}"
    waiting = client.get(back)
    assert "en attente de votre validation" in text_of(waiting)
    assert 'hx-trigger="every 3s"' in waiting.get_data(as_text=True)

    press(response.location, "approve")
    webhook = recorder.wait_until(lambda r: payment.provider_ref.encode() in r.body)
    hook = client.post(
        "/hooks/payments/wave", data=webhook.body, headers=dict(webhook.headers)
    )
    assert hook.status_code == 200

    fragment = client.get(back, headers={"HX-Request": "true"})
    assert "réussi : la facture est réglée" in text_of(fragment)
    assert "every 3s" not in fragment.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Invoice, invoices["nov"].id).status is InvoiceStatus.PAID
    assert db.session.get(Payment, payment.id).status is PaymentStatus.COMPLETED
    page = client.get(f"/manage/organizations/{org.id}/billing").get_data(as_text=True)
    row = re.search(rf"{invoices['nov'].number}.*?</tr>", page, re.S).group(0)
    assert "Payée" in row
    # A paid invoice is not paid twice.
    assert client.get(pay_url).status_code == 303


def test_free_money_needs_the_paying_number(client, auth, billed):
    users, ids, org, invoices = billed
    auth.login(users["admin_a"])
    pay_url = (
        f"/manage/organizations/{org.id}/billing/invoices/{invoices['nov'].id}/pay"
    )
    response = client.post(pay_url, data={"method": "free_money", "key": "k-1"})
    assert response.status_code == 422  # not offered here (not configured): refused
    response = client.post(
        pay_url, data={"method": "wave", "phone": "12", "key": "k-2"}
    )
    assert response.status_code == 422
    assert "Numéro de téléphone invalide" in text_of(response)


# --- in Chromium ------------------------------------------------------------------------


def test_billing_pages_in_chromium(
    page: Page, live_server, billed, db, sim, recorder, screenshots_dir
):
    users, ids, org, invoices = billed
    page.set_viewport_size(DESKTOP)
    page.goto(
        f"{live_server.url}/auth/login?next=/manage/organizations/{org.id}/billing"
    )
    page.get_by_label("Adresse e-mail").fill(users["admin_a"].email)
    page.get_by_label("Mot de passe").fill("correct-horse-42")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/billing$"))
    expect(page.locator("#current-plan")).to_contain_text("Business")

    # A downgrade waits for the 1st of next month.
    page.locator("#plan-starter").get_by_role("button").click()
    expect(page.locator("#pending-change")).to_contain_text("1 janvier 2027")
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    page.screenshot(path=screenshots_dir / "desktop-manage-billing.png", full_page=True)

    page.locator(f"#invoice-{invoices['nov'].id}").get_by_role(
        "link", name="Payer"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(invoices["nov"].number)
    expect(page.get_by_label("Wave")).to_be_checked()
    page.screenshot(path=screenshots_dir / "desktop-manage-billing-pay.png")

    # Wave's (simulated) checkout, approved; back on the billing page, which follows
    # the payment until Wave's webhook (relayed to this server) settles the invoice.
    page.get_by_role("button", name=re.compile("^Payer 51")).click()
    expect(page).to_have_url(re.compile(re.escape(sim.url)))
    page.get_by_role("button", name=re.compile("^Payer")).click()
    expect(page).to_have_url(re.compile(r"/billing\?payment=PAY-"))
    reference = re.search(r"payment=(PAY-\w+)", page.url).group(1)
    db.session.rollback()  # see what the server wrote
    payment = db.session.scalars(
        select(Payment).where(Payment.reference == reference)
    ).one()
    webhook = recorder.wait_until(lambda r: payment.provider_ref.encode() in r.body)
    relayed = urllib.request.Request(
        live_server.url + "/hooks/payments/wave",
        data=webhook.body,
        headers=dict(webhook.headers),
        method="POST",
    )
    with urllib.request.urlopen(relayed, timeout=10) as answer:
        assert answer.status == 200
    expect(page.locator("#billing-payment")).to_contain_text(
        "réussi : la facture est réglée", timeout=10_000
    )
    page.reload()
    expect(page.locator(f"#invoice-{invoices['nov'].id}")).to_contain_text("Payée")
    page.screenshot(
        path=screenshots_dir / "desktop-manage-billing-paid.png", full_page=True
    )

    page.get_by_role("button", name="Déconnexion").click()
    page.goto(f"{live_server.url}/auth/login?next=/manage/billing")
    page.get_by_label("Adresse e-mail").fill(users["platform"].email)
    page.get_by_label("Mot de passe").fill("correct-horse-42")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#revenue-table")).to_contain_text("Novembre 2026")
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    page.screenshot(
        path=screenshots_dir / "desktop-manage-billing-platform.png", full_page=True
    )
