"""QR codes for print and WeChat posts (segno, drawn here: no outside service)."""
import io

import segno
from flask import Response


def svg_response(url: str, filename: str) -> Response:
    """An SVG QR code of `url`, cached a day, offered under `filename` when saved."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2)
    return Response(out.getvalue(), mimetype="image/svg+xml", headers={
        "Cache-Control": "public, max-age=86400",
        "Content-Disposition": f'inline; filename="{filename}"'})
