"""Manage area: an organization's invoice, as a printable page and as a PDF made by
WeasyPrint from the same template (its admins and the platform admin only: access.py)."""

from pathlib import Path

from flask import Response, current_app, g, render_template
from flask_babel import gettext as _

from ... import clock
from ...payments import invoices
from ...payments.words import amount_in_words
from . import bp

# The invoice's own styles: linked by the page, given to WeasyPrint as a file for the PDF
# (it cannot fetch the app's hashed static URLs).
STYLESHEET = Path("css", "invoice.css")


def _render(invoice, pdf: bool) -> str:
    return render_template(
        "billing/invoice.html",
        invoice=invoice,
        state=invoice.state_on(clock.today()).value,
        seller=invoices.seller(),
        buyer_address=invoices.organization_address(invoice.organization_id),
        in_words=amount_in_words(invoice.total_fcfa),
        pdf=pdf,
    )


@bp.get("/invoices/<int:invoice_id>")
def invoice(invoice_id: int):
    return _render(invoices.get_invoice(g.invoice.id), pdf=False)


@bp.get("/invoices/<int:invoice_id>.pdf")
def invoice_pdf(invoice_id: int):
    invoice = invoices.get_invoice(g.invoice.id)
    try:
        # Imported here: WeasyPrint loads Pango when imported, and a machine without it
        # (`make run` not as root) still serves everything but this PDF.
        from weasyprint import CSS, HTML
    except OSError as missing:
        current_app.logger.warning("invoice PDF unavailable: %s", missing)
        message = _("Le PDF n'est pas disponible sur ce serveur : imprimez la page.")
        return Response(message, status=503, mimetype="text/plain")
    stylesheet = CSS(filename=str(Path(current_app.static_folder) / STYLESHEET))
    document = HTML(string=_render(invoice, pdf=True)).write_pdf(
        stylesheets=[stylesheet]
    )
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{invoice.number}.pdf"'},
    )
