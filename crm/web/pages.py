"""The form page's answer: one place for the status a form view renders with."""
from flask import render_template, request


def form_status(refused: bool = True) -> int:
    """422 after a POST whose form was refused (the page comes back with its errors), else
    200: a GET, or a POST that is answered with a page rather than a redirect on purpose."""
    return 422 if request.method == "POST" and refused else 200


def form_page(template: str, /, *, refused: bool = True, **context) -> tuple[str, int]:
    """Render a form's page: 422 when a POST got here (it was not valid), 200 on a GET."""
    return render_template(template, **context), form_status(refused)
