"""QR codes for print and WeChat posts (segno, drawn here: no outside service)."""
import hashlib
import io

import segno
from flask import Response, request


def svg_response(url: str, filename: str) -> Response:
    """An SVG QR code of `url`, cached a day, offered under `filename` when saved. Its ETag is
    its content's hash: a second view revalidates with a 304 instead of downloading it again."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2)
    data = out.getvalue()
    response = Response(data, mimetype="image/svg+xml", headers={
        "Cache-Control": "public, max-age=86400",
        "Content-Disposition": f'inline; filename="{filename}"'})
    response.set_etag(hashlib.sha256(data).hexdigest()[:20])
    response.make_conditional(request)
    return response
