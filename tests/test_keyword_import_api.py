"""Every real export in ../shared/data imports through the HTTP endpoint with exact counts.

The expected numbers are the independently computed ones of test_keyword_import_parser.py
(gawk/iconv, see the comment there): created = distinct keys, duplicates = rows - distinct.
"""

import io

import pytest

from tests.test_keyword_import_parser import DATA_DIR, EXPECTED, needs_data


@needs_data
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_export_imports_through_the_api_with_exact_counts(api, name):
    site_id = api.create_site(name)
    data = (DATA_DIR / name).read_bytes()
    resp = api.post(f"/api/v1/planner/keywords/import?site_id={site_id}",
                    data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    expected = EXPECTED[name]
    assert body["created"] == expected["distinct"]
    assert body["duplicates"] == expected["rows"] - expected["distinct"]
    assert len(body["errors"]) == expected["errors"]
    listed = api.get(f"/api/v1/planner/keywords/?site_id={site_id}&page_size=1&ordering=-volume").get_json()
    assert listed["count"] == expected["distinct"]


@needs_data
def test_reimporting_a_file_creates_nothing_new(api):
    site_id = api.create_site()
    data = (DATA_DIR / "semrush_positions_health_us_2023.csv").read_bytes()
    url = f"/api/v1/planner/keywords/import?site_id={site_id}"
    api.post(url, data={"file": (io.BytesIO(data), "a.csv")}, content_type="multipart/form-data")
    again = api.post(url, data={"file": (io.BytesIO(data), "a.csv")}, content_type="multipart/form-data").get_json()
    assert again["created"] == 0
    assert again["duplicates"] == EXPECTED["semrush_positions_health_us_2023.csv"]["rows"]


def test_import_into_one_site_does_not_dedupe_against_another(api):
    one, two = api.create_site("one"), api.create_site("two")
    csv = b"Keyword\nsump pump\n"
    for site_id in (one, two):
        resp = api.post(f"/api/v1/planner/keywords/import?site_id={site_id}",
                        data={"file": (io.BytesIO(csv), "k.csv")}, content_type="multipart/form-data")
        assert resp.get_json()["created"] == 1
