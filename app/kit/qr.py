"""QR codes drawn on the server as inline SVG."""

from __future__ import annotations

import segno


def qr_svg(url: str) -> str:
    """A QR code as inline SVG, drawn on the server: no third-party service sees the link."""
    qr = segno.make(url, error="m")
    svg: str = qr.svg_inline(
        scale=8, border=2, dark="#000", light="#fff", title="QR code to join", omitsize=True
    )
    return svg
