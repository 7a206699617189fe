"""QR codes drawn on the server as inline SVG."""

from __future__ import annotations

import segno


def qr_svg(url: str, title: str = "QR code to join") -> str:
    """A QR code as inline SVG, drawn on the server: no third-party service sees the link.
    `title` is what a screen reader says of it."""
    qr = segno.make(url, error="m")
    svg: str = qr.svg_inline(
        scale=8, border=2, dark="#000", light="#fff", title=title, omitsize=True
    )
    return svg
