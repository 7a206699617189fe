"""The authorization matrix: every route of the app, called by every kind of person, answers
as its rule says (tests/house/authz_rules.py).

The routes are read from the app itself, so a new route without a rule fails here, and so
does a rule for a route that is gone. A call a person may make must get past the door: not
401, 403 or 404 and not sent to sign in (a 409 or a 422 for the deliberately empty body means
the caller was let in). A call they may not make is refused (401, 403, 404, or sent to sign
in or to join) and changes nothing in the database. Calls that destroy what they are made on
(erase, delete, revoke, sign out) get a world, or people, of their own when they are let in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.websockets import WebSocketDisconnect

from app.config import Settings
from app.security import SAFE_METHODS
from tests.house.authz_rules import (
    CATEGORIES,
    CONSTANTS,
    EXCLUDED,
    IDENTITIES,
    PENDING,
    RULES,
    Rule,
    allowed,
)
from tests.house.authz_world import (
    CARD_WORDS,
    CO_FACILITATOR_EMAIL,
    COORDINATOR_EMAIL,
    DRAFT_WORDS,
    MEMBER_EMAIL,
    ORIGIN,
    OTHER_GROUPS_MEMBER,
    PARTICIPANT_NAME,
    Accounts,
    Changes,
    Identity,
    Rows,
    World,
    build_world,
    changed_tables,
    make_accounts,
    make_identity,
    photo,
)

# The one place the columns still to come are left out (see PENDING).
ACTIVE = tuple(name for name in IDENTITIES if name not in PENDING)

# The phones that joined the world's café (the other participant joined another café).
WORLD_PHONES = {"participant", "member"}
# What no answer may show each person: the owner (in the browser or through their tokens)
# may see everything; the café's phones and its co-facilitator its cards and people but
# nothing of the network's; a coordinator their own group's members only; the member also
# their own contact details (on their own page). The helpers' emails are in the owner's audit
# log: nobody else's log, the other helper's included, may show them.
NETWORK_SECRETS = (MEMBER_EMAIL, OTHER_GROUPS_MEMBER, DRAFT_WORDS)
CAFE_SECRETS = (CARD_WORDS, PARTICIPANT_NAME)
AUDIT_SECRETS = (CO_FACILITATOR_EMAIL, COORDINATOR_EMAIL)
EVERYTHING = NETWORK_SECRETS + CAFE_SECRETS + AUDIT_SECRETS
HIDDEN_FROM: dict[str, tuple[str, ...]] = {
    "owner": (),
    "token_read": (),
    "token_write": (),
    "participant": NETWORK_SECRETS + AUDIT_SECRETS,
    "member": (OTHER_GROUPS_MEMBER, DRAFT_WORDS, *AUDIT_SECRETS),
    "co_facilitator": (*NETWORK_SECRETS, COORDINATOR_EMAIL),
    "coordinator": (OTHER_GROUPS_MEMBER, DRAFT_WORDS, *CAFE_SECRETS, CO_FACILITATOR_EMAIL),
}
# Calls that destroy what they are made on go last, those that end sign-ins after the rest.
LATER = ("", "world", "self", "account")
CONVERTER = re.compile(r"\{(\w+):\w+\}")
PARAMETER = re.compile(r"\{(\w+)\}")
REFUSED = {401, 403, 404}
# Where a person who may not be here is sent: to sign in, or (a phone) to join the café.
SIGN_IN = ("/login", "/j/")


def app_routes(app: FastAPI) -> tuple[dict[str, str], list[str]]:
    """Every page, API and socket route of the app as "METHOD /path" (path parameters
    without their converters), and the other routes (mounts, the schema) by path.

    `app.routes` holds each included router as one entry (FastAPI resolves its routes when
    a request comes); `iter_route_contexts` gives the routes inside with their full paths."""
    routes: dict[str, str] = {}
    others: list[str] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = CONVERTER.sub(r"{\1}", context.path or "")
        if isinstance(route, APIRoute):
            for method in sorted(context.methods or ()):
                routes[f"{method} {path}"] = path
        elif isinstance(route, APIWebSocketRoute):
            routes[f"WS {path}"] = path
        else:
            others.append(path)
    return routes, others


def coverage_problems(app: FastAPI, rules: dict[str, Rule]) -> list[str]:
    """Routes without a rule, rules without a route, and other routes neither checked nor
    excluded with a reason."""
    routes, others = app_routes(app)
    problems = []
    if without_rule := sorted(set(routes) - set(rules)):
        problems.append(
            "routes without a rule in tests/house/authz_rules.py: " + ", ".join(without_rule)
        )
    if without_route := sorted(set(rules) - set(routes)):
        problems.append("rules for routes the app no longer has: " + ", ".join(without_route))
    if unexplained := sorted(set(others) - set(EXCLUDED)):
        problems.append("routes neither checked nor excluded: " + ", ".join(unexplained))
    problems.extend(
        f"{key}: no such category {rule.category!r}"
        for key, rule in rules.items()
        if rule.category not in CATEGORIES
    )
    return problems


def test_every_route_has_a_rule_and_every_rule_a_route(app: FastAPI) -> None:
    assert coverage_problems(app, RULES) == []


def test_a_new_route_without_a_rule_fails(app: FastAPI) -> None:
    """What a new route meets: it is named, and so is a rule left behind by a removed one."""

    @app.get("/cafes/{cafe_id}/secrets")
    def secrets(cafe_id: int) -> dict[str, int]:
        return {"cafe_id": cafe_id}

    app.mount("/uploads", StaticFiles(directory="."))
    rules = {key: rule for key, rule in RULES.items() if key != "GET /healthz"}
    assert coverage_problems(app, rules) == [
        "routes without a rule in tests/house/authz_rules.py: GET /cafes/{cafe_id}/secrets, "
        "GET /healthz",
        "routes neither checked nor excluded: /uploads",
    ]
    rules["DELETE /cafes/{cafe_id}/everything"] = Rule("cafe_owner")
    assert "rules for routes the app no longer has: DELETE /cafes/{cafe_id}/everything" in (
        coverage_problems(app, rules)
    )


def test_every_path_parameter_is_known(app: FastAPI) -> None:
    """A path parameter the world has no value for fails here: a new route's ids need
    thought (which row of the world, whose)."""
    routes, _ = app_routes(app)
    unknown = []
    for key, path in routes.items():
        rule = RULES.get(key)
        for name in PARAMETER.findall(path):
            source = rule.params.get(name, name) if rule else name
            if source not in WORLD_PARAMETERS and source not in CONSTANTS:
                unknown.append(f"{key}: {{{name}}}")
    assert not unknown, "path parameters the matrix cannot fill: " + ", ".join(unknown)


WORLD_PARAMETERS = {
    "cafe_id",
    "code",
    "participant_id",
    "contribution_id",
    "media_id",
    "theme_id",
    "network_id",
    "group_id",
    "member_id",
    "meeting_id",
    "plan_id",
    "expense_id",
    "no_phone_id",
    "action_id",
    "response_id",
    "material_id",
    "number",
    "section_id",
    "item_id",
    "token_id",
    "session_id",
    "reset_token",
    "calendar_token",
    "member_token",
    "co_facilitator_role_id",
    "coordinator_role_id",
    "table_id",
    "help_id",
    "cafe_invite_id",
    "group_invite_id",
    "role_invite_token",
    "members_material_id",
    "members_section_id",
    "publication_id",
    "file_id",
    "update_id",
}


@pytest.mark.parametrize("identity", sorted(PENDING))
def test_pending_columns(identity: str) -> None:
    """The roles beside the owner have rules in the category map but no people yet."""
    pytest.skip(f"{identity}: {PENDING[identity]}")


def fill(path: str, rule: Rule, values: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        source = rule.params.get(name, name)
        if source in CONSTANTS:
            return CONSTANTS[source]
        if source not in values:
            raise AssertionError(f"no value for the path parameter {{{name}}} of {path}")
        return str(values[source])

    return PARAMETER.sub(value, path)


@dataclass
class Answer:
    status: int  # 101 for a socket let in, 1008 for a socket closed at once
    location: str = ""
    text: str = ""

    def sent_to_sign_in(self) -> bool:
        return 300 <= self.status < 400 and self.location.startswith(SIGN_IN)

    def refused(self) -> bool:
        return self.status in REFUSED or self.status == 1008 or self.sent_to_sign_in()


def call(who: Identity, method: str, url: str, body: str = "") -> Answer:
    """The request a person makes: their cookies and token, the CSRF token of their session
    on a page's form (so a refusal is about who they are), an empty body."""
    browser = who.browser
    if method == "WS":
        try:
            with browser.websocket_connect(url, headers={**ORIGIN, **who.headers}):
                return Answer(101)
        except WebSocketDisconnect:
            return Answer(1008)
    headers = {**ORIGIN, **who.headers}
    options: dict[str, Any] = {}
    if method not in SAFE_METHODS:
        if url.startswith("/api/"):
            if method != "DELETE":
                options["json"] = {}
        elif "tc_session" in browser.cookies:
            headers["x-csrf-token"] = who.csrf
        if body == "photo":
            options["files"] = {"file": ("p.png", photo(), "image/png")}
    response = browser.request(method, url, headers=headers, follow_redirects=False, **options)
    text = response.content.decode("utf-8", "replace")
    return Answer(response.status_code, response.headers.get("location", ""), text)


@dataclass
class Matrix:
    client: TestClient
    session: Session
    settings: Settings
    accounts: Accounts
    world: World
    changes: Changes
    failures: list[str]
    cells: int = 0

    def people(self, world: World, accounts: Accounts) -> dict[str, Identity]:
        return {**accounts.identities, **world.identities}

    def new_world(self, *, with_phones: bool) -> World:
        owner = self.accounts.identities["owner"]
        return build_world(
            self.client,
            self.session,
            self.settings,
            self.accounts,
            owner.headers,
            with_phones=with_phones,
        )

    def route(self, key: str, rule: Rule) -> None:
        method, path = key.split(" ", 1)
        people = self.people(self.world, self.accounts)
        let_in = [name for name in ACTIVE if allowed(rule, method, path, name)]
        kept_out = [name for name in ACTIVE if name not in let_in]
        url = fill(path, rule, {**self.accounts.params, **self.world.params})
        before = self.changes.rows() if method not in SAFE_METHODS else None
        for name in kept_out:
            before = self.refused(key, method, url, people[name], rule, before)
        for name in let_in:
            try:
                who, url = self.caller(name, path, rule, people[name], url)
            except Exception as exc:  # noqa: BLE001 - reported with the rest
                self.failures.append(f"{key} as {name}: could not make a caller: {exc!r}")
                continue
            self.let_in(key, method, url, who, rule)

    def caller(
        self, name: str, path: str, rule: Rule, who: Identity, url: str
    ) -> tuple[Identity, str]:
        """Who makes an allowed call, and where: the matrix's own person in its world, or,
        when the call destroys something, a world or a person made for this one call."""
        of_world = name in WORLD_PHONES
        if rule.fresh == "world" or (rule.fresh == "self" and of_world):
            # What the call destroys is its own: a world made for it (and the phones in it).
            world = self.new_world(with_phones=of_world)
            return self.people(world, self.accounts)[name], fill(
                path, rule, {**self.accounts.params, **world.params}
            )
        if rule.fresh in {"self", "account"}:
            # It ends the caller's own sign-in: someone of the same kind, made for it.
            fresh = make_identity(
                self.client,
                self.session,
                self.settings,
                self.accounts,
                name,
                new_account=rule.fresh == "account",
            )
            return fresh, url
        return who, url

    def refused(
        self, key: str, method: str, url: str, who: Identity, rule: Rule, before: Rows | None
    ) -> Rows | None:
        """Call as someone who must be kept out; a write must leave every row as it was
        (`before`: the rows just before this call; returned: the rows after it)."""
        self.cells += 1
        try:
            answer = call(who, method, url, rule.body)
        except Exception as exc:  # noqa: BLE001 - a crash is a finding, reported with the rest
            self.failures.append(f"{key} as {who.name} ({url}): raised {exc!r}")
            answer = None
        if answer is not None and not answer.refused():
            self.failures.append(
                f"{key} as {who.name} ({url}): should be refused, got {answer.status}"
                + (f" to {answer.location}" if answer.location else "")
            )
        if answer is not None:
            self.nothing_shown(key, url, who, answer)
        if before is None:
            return None
        after = self.changes.rows()
        changed = changed_tables(before, after)
        if changed:
            self.failures.append(
                f"{key} as {who.name} ({url}): refused but changed {', '.join(changed)}"
            )
        return after

    def let_in(self, key: str, method: str, url: str, who: Identity, rule: Rule) -> None:
        self.cells += 1
        try:
            answer = call(who, method, url, rule.body)
        except Exception as exc:  # noqa: BLE001 - a crash is a finding, reported with the rest
            self.failures.append(f"{key} as {who.name} ({url}): raised {exc!r}")
            return
        kept_out = answer.status in REFUSED or answer.status == 1008
        if rule.category != "public":
            # (A public route may send anyone on to sign in or join: signing out does.)
            kept_out = kept_out or answer.sent_to_sign_in()
        if kept_out or answer.status >= 500:
            self.failures.append(
                f"{key} as {who.name} ({url}): should be let in, got {answer.status}"
                + (f" to {answer.location}" if answer.location else "")
            )
        self.nothing_shown(key, url, who, answer)

    def nothing_shown(self, key: str, url: str, who: Identity, answer: Answer) -> None:
        """Let in or not, an answer shows nobody what is not theirs to see (`HIDDEN_FROM`;
        anyone not named there sees none of it)."""
        hidden = HIDDEN_FROM.get(who.name, EVERYTHING)
        shown = [words for words in hidden if words in answer.text]
        if shown:
            self.failures.append(f"{key} as {who.name} ({url}): shows {', '.join(shown)}")


@pytest.fixture
def matrix(
    client: TestClient, session: Session, settings: Settings, engine: Engine
) -> Iterator[Matrix]:
    accounts = make_accounts(client, session)
    owner = accounts.identities["owner"]
    world = build_world(client, session, settings, accounts, owner.headers)
    with Changes.watching(engine, session) as changes:
        yield Matrix(client, session, settings, accounts, world, changes, failures=[])


def test_authorization_matrix(matrix: Matrix, app: FastAPI) -> None:
    routes, _ = app_routes(app)
    for key in sorted(routes, key=lambda k: (LATER.index(RULES[k].fresh), k)):
        matrix.route(key, RULES[key])
    assert not matrix.failures, f"{len(matrix.failures)} of {matrix.cells} cells:\n" + "\n".join(
        matrix.failures
    )
    assert matrix.cells >= len(routes) * len(ACTIVE)


def test_identity_is_checked_before_the_body(matrix: Matrix) -> None:
    """FastAPI solves a route's dependencies (who is calling) before it refuses an invalid
    body, so a 422 in the matrix means the caller was let in, and a refused caller never
    learns what the body should have been."""
    people = matrix.people(matrix.world, matrix.accounts)
    group = f"/api/v1/networks/{matrix.world.params['network_id']}/groups"
    assert call(people["owner"], "POST", group).status == 422
    assert call(people["other_facilitator"], "POST", group).status == 404
    assert call(people["token_read"], "POST", group).status == 403
    assert call(people["anonymous"], "POST", group).status == 401
