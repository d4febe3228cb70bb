"""form_page(): the one answer of a form view that renders its page."""
import pytest

from crm.web.pages import form_page, form_status


@pytest.mark.parametrize(("method", "refused", "status"), [
    ("GET", True, 200), ("POST", True, 422), ("POST", False, 200), ("GET", False, 200)])
def test_status_is_422_only_after_a_refused_post(app, method, refused, status):
    with app.test_request_context("/", method=method):
        assert form_status(refused) == status
        html, code = form_page("error.html", refused=refused, code=404)
        assert code == status and "404" in html


def test_a_form_view_answers_200_then_422_on_a_refused_post(client, auth):
    from tests.factories import UserFactory
    UserFactory(email="me@example.com")
    auth.login("me@example.com")
    assert client.get("/account/password").status_code == 200
    assert client.post("/account/password", data={"current": "wrong", "password": "x",
                                                   "confirm": "y"}).status_code == 422
