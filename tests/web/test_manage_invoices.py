"""An invoice's page and its PDF: what they show, who may open them, and that the PDF
made by WeasyPrint opens and carries the number and the total (pdftotext)."""

import re
import subprocess
from datetime import datetime, timezone

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from smartqueue.models import Invoice, InvoiceStatus, Plan
from smartqueue.payments import invoices
from tests.conftest import PASSWORD, at

MANAGE = {"width": 1280, "height": 800}


def flat(text: str) -> str:
    """Text with its no-break and narrow no-break spaces as plain spaces."""
    return re.sub(r"[\u00a0\u202f]", " ", text)


@pytest.fixture
def billed(db, frozen, make_org, make_branch, make_user):
    """Organization A on the Business plan in November, its admin, and its November
    invoice (generated on 1 December)."""
    frozen.set(datetime(2026, 11, 2, 9, tzinfo=timezone.utc))
    org = make_org(name="Banque Atlantique Sénégal", plan=Plan.BUSINESS)
    org.email = "compta@atlantique.sn"
    org.phone = "+221338490000"
    make_branch(org, name="Plateau")
    other = make_org(name="Clinique du Cap", plan=Plan.FREE)
    db.session.commit()
    frozen.set(at(1, 10))
    (number,) = invoices.generate_invoices()
    users = {
        "admin": make_user(email="daf@atlantique.sn", role="org_admin", org=org),
        "manager": make_user(role="branch_manager", branch=org.branches[0]),
        "other_admin": make_user(role="org_admin", org=other),
        "platform": make_user(role="platform_admin"),
    }
    invoice = db.session.scalar(select(Invoice).where(Invoice.number == number))
    return invoice, users


def test_invoice_page_shows_both_parties_lines_total_and_words(client, auth, billed):
    invoice, users = billed
    auth.login(users["admin"])
    response = client.get(f"/manage/invoices/{invoice.id}")

    assert response.status_code == 200
    page = flat(response.get_data(as_text=True))
    assert "FACT-202611-001" in page
    assert "Banque Atlantique Sénégal" in page and "compta@atlantique.sn" in page
    assert "SmartQueue SAS" in page and "NINEA" in page and "Dakar" in page
    assert "formule Business (novembre 2026)" in page
    assert re.search(r'id="invoice-total">50 000 FCFA<', page)
    assert "cinquante mille francs CFA" in page
    assert "15 décembre 2026" in page
    assert re.search(r'id="invoice-state">À payer<', page)


def test_invoice_page_says_overdue_after_its_due_date_then_paid(
    client, auth, billed, frozen, db
):
    invoice, users = billed
    auth.login(users["admin"])
    frozen.set(at(15, 23))
    assert 'id="invoice-state">À payer<' in client.get(
        f"/manage/invoices/{invoice.id}"
    ).get_data(as_text=True)
    frozen.set(at(16, 8))
    assert 'id="invoice-state">En retard<' in client.get(
        f"/manage/invoices/{invoice.id}"
    ).get_data(as_text=True)
    invoice.status, invoice.paid_at = InvoiceStatus.PAID, at(16, 9)
    db.session.commit()
    page = client.get(f"/manage/invoices/{invoice.id}").get_data(as_text=True)
    assert 'id="invoice-state">Payée le 16 décembre 2026<' in page


def test_invoice_pdf_opens_and_pdftotext_finds_the_number_and_the_total(
    client, auth, billed, tmp_path
):
    invoice, users = billed
    auth.login(users["platform"])
    response = client.get(f"/manage/invoices/{invoice.id}.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "FACT-202611-001.pdf" in response.headers["Content-Disposition"]
    path = tmp_path / "invoice.pdf"
    path.write_bytes(response.data)
    text = flat(
        subprocess.run(
            ["pdftotext", "-layout", str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert "FACT-202611-001" in text
    assert "50 000 FCFA" in text
    assert "cinquante mille francs CFA" in text
    assert "Banque Atlantique Sénégal" in text
    info = subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"Pages:\s+1\b", info)


@pytest.mark.parametrize("suffix", ["", ".pdf"])
@pytest.mark.parametrize(
    "role,status", [("other_admin", 403), ("manager", 403), ("admin", 200)]
)
def test_invoice_is_refused_to_all_but_its_organization_admins(
    client, auth, billed, role, status, suffix
):
    invoice, users = billed
    auth.login(users[role])
    response = client.get(f"/manage/invoices/{invoice.id}{suffix}")
    assert response.status_code == status


def test_invoice_page_in_chromium_prints_the_invoice_alone(
    page: Page, live_server, billed, screenshots_dir, tmp_path
):
    invoice, users = billed
    page.set_viewport_size(MANAGE)
    page.goto(f"{live_server.url}/auth/login?next=/manage/invoices/{invoice.id}")
    page.get_by_label("Adresse e-mail").fill(users["admin"].email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#invoice-number")).to_have_text("FACT-202611-001")
    expect(page.locator("#invoice-state")).to_have_text("À payer")
    # the invoice fits a laptop's width: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= MANAGE["width"]
    page.screenshot(path=screenshots_dir / "manage-invoice.png", full_page=True)

    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_role("link", name="Télécharger le PDF")).to_be_hidden()
    page.screenshot(path=screenshots_dir / "manage-invoice-print.png", full_page=True)

    # the PDF, drawn as a picture to be looked at
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le PDF").click()
    pdf = tmp_path / "facture.pdf"
    download.value.save_as(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf)]
        + [str(screenshots_dir / "manage-invoice-pdf")],
        check=True,
    )
