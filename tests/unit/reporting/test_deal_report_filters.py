"""Whatever the query string of a deal report says, the page answers (a bad filter is
explained next to its field or ignored), never a 500."""
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import UserFactory

PATHS = ["/reports/deals", "/reports/parks", "/reports/occupancy", "/reports/ranking"]
values = st.one_of(st.sampled_from(["", "month", "agent", "team", "region", "industry", "park",
                                    "value", "count", "2026-11", "2026-13", "0001-01-01",
                                    "9999-12-31", "99999999999999999999", "-1", "３万５"]),
                   st.text(max_size=12))


@pytest.fixture
def admin(client, auth, db):
    UserFactory(role="admin", email="root@example.com")
    db.session.commit()
    auth.login("root@example.com")
    return client


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(PATHS),
       query=st.dictionaries(st.sampled_from(["from", "to", "dim", "by", "month", "team",
                                              "agent"]), values, max_size=4))
def test_any_filter_is_an_answer_not_a_500(admin, path, query):
    response = admin.get(f"{path}?{urlencode(query)}&lang=en")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/reports/deals/export.csv", "/reports/occupancy/export.xlsx",
                                  "/reports/parks/export.csv"])
def test_the_widest_range_exports(admin, path):
    assert admin.post(f"{path}?from=2000-01-01&to=2100-12-31&dim=month").status_code == 200
