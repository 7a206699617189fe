"""Security headers, health check, error shapes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import cafe_payload


def test_pages_carry_security_headers(client: TestClient) -> None:
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-frame-options"] == "DENY"


def test_pages_load_nothing_from_other_origins(client: TestClient) -> None:
    for path in ("/", "/login", "/docs"):
        html = client.get(path).text
        assert "http://" not in html.replace("http://testserver", "")
        assert "https://" not in html


def test_healthz_says_ok_when_the_database_and_the_media_folder_take_writes(
    client: TestClient,
) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_unknown_api_path_is_json_404(client: TestClient) -> None:
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert r.json() == {"detail": "There is nothing at this address."}


def test_unknown_page_is_a_readable_404(client: TestClient) -> None:
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
    assert "nothing at this address" in r.text


def test_static_assets_are_served_locally_and_compressed(client: TestClient) -> None:
    r = client.get("/static/vendor/htmx.min.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers.get("content-encoding") == "gzip"


def test_openapi_documents_every_api_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, methods in spec["paths"].items():
        assert path.startswith("/api/v1/") or path == "/healthz", path
        for method, op in methods.items():
            assert op.get("description") or op.get("summary"), f"{method} {path}"
            # The answers a client must handle are in the docs too, not only 200 and 422.
            codes = set(op["responses"])
            if path.startswith("/api/v1/") and path != "/api/v1/auth/token":
                assert "401" in codes, f"{method} {path} does not document 401"
            if "{" in path:
                assert "404" in codes, f"{method} {path} does not document 404"
            if "application/json" in op.get("requestBody", {}).get("content", {}):
                assert {"400", "422"} <= codes, f"{method} {path}: 400 and 422"
            if path.endswith(".csv"):
                assert "text/csv" in op["responses"]["200"]["content"], path


def test_fingerprinted_static_files_are_cached_for_long(client: TestClient) -> None:
    html = client.get("/").text
    css = html.split('href="/static/tablecloth.css?v=')[1].split('"')[0]
    r = client.get(f"/static/tablecloth.css?v={css}")
    assert r.status_code == 200
    assert "immutable" in r.headers["cache-control"]
    assert client.get("/").headers["cache-control"] == "no-store"


def test_every_response_carries_its_own_request_id_and_security_headers(
    client: TestClient,
) -> None:
    """The id a support request can quote; each header once, the docs page with its own CSP."""
    first, second = client.get("/healthz"), client.get("/healthz")
    ids = {first.headers["x-request-id"], second.headers["x-request-id"]}
    assert len(ids) == 2 and all(len(i) == 12 for i in ids)
    for name in ("content-security-policy", "x-frame-options", "cache-control"):
        assert len(first.headers.get_list(name)) == 1, name
    assert first.headers["x-content-type-options"] == "nosniff"
    assert "'unsafe-inline'" not in first.headers["content-security-policy"]
    docs = client.get("/docs")
    assert "'unsafe-inline'" in docs.headers["content-security-policy"]


def test_numbers_too_large_for_the_database_are_a_4xx(
    client: TestClient, api_headers: dict[str, str], logged_in: TestClient
) -> None:
    """Found by schemathesis: ids beyond 2**63 overflowed SQLite and became 500s."""
    huge = 2**70
    body = client.post("/api/v1/cafes", json=cafe_payload(), headers=api_headers).json()
    for method, path in [
        ("GET", f"/api/v1/cafes/{huge}"),
        ("POST", f"/api/v1/cafes/{huge}/rounds/current/extend"),
        ("GET", f"/api/v1/networks/{huge}/materials/evidence?material_id=1"),
        ("DELETE", f"/api/v1/cafes/{body['id']}/themes/{huge}/contributions/1"),
        ("PATCH", f"/api/v1/networks/action-plans/{huge}"),
    ]:
        r = client.request(method, path, headers=api_headers, json={})
        assert 400 <= r.status_code < 500, (method, path, r.status_code)
        assert isinstance(r.json()["detail"], (str, list)), r.text
    page = logged_in.get(f"/cafes/{huge}/console")
    assert 400 <= page.status_code < 500
    assert "Traceback" not in page.text
    assert "<h1" in page.text
