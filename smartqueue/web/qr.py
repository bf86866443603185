"""QR codes drawn as inline SVG: no outside image, nothing for the CSP to block."""

import segno
from markupsafe import Markup


def qr_svg(data: str, css_class: str = "qr") -> Markup:
    """An inline <svg> QR code of `data`, sized by CSS (a viewBox, no width or height)."""
    code = segno.make(data, error="m", micro=False)
    return Markup(
        code.svg_inline(border=2, omitsize=True, svgclass=css_class, lineclass=None)
    )
