"""Where erased words and cards showed up besides the café: an API client syncing the café's
contributions learns which ids were erased (tombstones, no text); action plans quoting the
words have them replaced; a member's own actions in the audit log are part of their subject
access data (issue 24)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models.accounts import Facilitator
from app.models.audit import AuditAction, SubjectKind
from app.models.material import WITHDRAWN_TEXT
from app.services import audit
from app.services.privacy.erasure import REQUESTED
from tests.privacy.scene import WORDS, Scene, build, everything
from tests.privacy.test_erasure import _member_in_cafe


def _page(
    client: TestClient, headers: dict[str, str], scene: Scene, **params: Any
) -> dict[str, Any]:
    r = client.get(f"/api/v1/cafes/{scene.cafe_id}/contributions", params=params, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_a_syncing_client_learns_which_contributions_were_erased(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    synced = _page(client, api_headers, scene)
    assert {c["id"] for c in synced["items"]} == {scene.alex_card, scene.bo_card}
    assert synced["erased"] == []
    cursor = synced["next_cursor"]

    r = client.post(
        f"/api/v1/cafes/{scene.cafe_id}/participants/{scene.alex_id}/erase", headers=api_headers
    )
    assert r.status_code == 200

    since = _page(client, api_headers, scene, after=cursor)
    assert since["erased"] == [scene.alex_card]
    assert scene.alex_card not in {c["id"] for c in since["items"]}
    # Told once: the next cursor is past it, and only the id was kept.
    later = _page(client, api_headers, scene, after=since["next_cursor"])
    assert later["erased"] == [] and later["items"] == []
    session.expire_all()
    assert WORDS not in everything(session)
    # Paged one entry at a time, the tombstone takes its place in the order like a change.
    seen: list[tuple[str, int]] = []
    after = cursor
    while True:
        page = _page(client, api_headers, scene, after=after, limit=1)
        seen += [("erased", i) for i in page["erased"]] + [("item", c["id"]) for c in page["items"]]
        assert len(page["erased"]) + len(page["items"]) <= 1
        after = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == [("erased", scene.alex_card)]


def _plan_quoting(
    client: TestClient, headers: dict[str, str], network_id: int, words: str, short: str = ""
) -> str:
    """A network's theory of change quoting `words` in one answer and `short` in another."""
    r = client.post(
        f"/api/v1/networks/{network_id}/action-plans", json={"kind": "project"}, headers=headers
    )
    assert r.status_code == 201, r.text
    plan = f"/api/v1/networks/action-plans/{r.json()['id']}"
    body = {
        "answers": {
            "local_issues": {"body": f"We heard: “{words}”. So we act."},
            "previous_initiatives": {"body": f"We heard: “{short}”. So we act."},
        }
    }
    assert client.patch(plan, json=body, headers=headers).status_code == 200
    return plan


def _answer(client: TestClient, headers: dict[str, str], plan: str, key: str) -> str:
    fields = client.get(plan, headers=headers).json()["fields"]
    answer: str = next(f["answer"] for f in fields if f["key"] == key)
    return answer


def test_erasing_a_person_redacts_their_words_quoted_in_action_plans(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    plan = _plan_quoting(client, api_headers, scene.network_id, WORDS)

    r = client.post(
        f"/api/v1/cafes/{scene.cafe_id}/participants/{scene.alex_id}/erase", headers=api_headers
    )
    assert r.status_code == 200

    assert _answer(client, api_headers, plan, "local_issues") == (
        f"We heard: “{REQUESTED}”. So we act."
    )
    md = client.get(f"{plan}/export", params={"format": "md"}, headers=api_headers).text
    assert WORDS not in md and REQUESTED in md
    session.expire_all()
    assert WORDS not in everything(session)


def test_withdrawing_consent_redacts_their_words_quoted_in_action_plans(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    # "Yes" is too short to search for: it would match the lead's own writing everywhere.
    plan = _plan_quoting(client, api_headers, scene.network_id, WORDS, short="Yes")

    r = client.post(
        f"/api/v1/cafes/{scene.cafe_id}/participants/{scene.alex_id}/consent",
        json={"evidence_consent": False},
        headers=api_headers,
    )
    assert r.status_code == 200

    assert _answer(client, api_headers, plan, "local_issues") == (
        f"We heard: “{WITHDRAWN_TEXT}”. So we act."
    )
    assert _answer(client, api_headers, plan, "previous_initiatives") == (
        "We heard: “Yes”. So we act."
    )


def test_a_members_own_actions_are_in_their_subject_access_data(
    logged_in: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    _, member_id, _ = _member_in_cafe(logged_in, api_headers, session, facilitator)
    # What the member did from their own page (consent, erasure requests) is theirs; what
    # staff did about them is not part of it.
    audit.record(
        session=session,
        actor=audit.member(member_id),
        action=AuditAction.CHANGED_CONSENT,
        subject=audit.Subject(SubjectKind.MEMBER, member_id),
        owner_id=facilitator.id,
        detail="withdrawn",
    )
    session.commit()

    r = logged_in.get(f"/api/v1/networks/members/{member_id}/data", headers=api_headers)

    assert r.status_code == 200, r.text
    (action,) = r.json()["actions"]
    assert (action["actor_kind"], action["actor_id"], action["action"]) == (
        "member",
        member_id,
        "changed_consent",
    )
    page = logged_in.get(f"/networks/members/{member_id}/data")
    assert "What they did themselves" in page.text and "Changed consent" in page.text


def test_withdrawing_consent_redacts_their_words_quoted_in_a_sections_own_text(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    """The lead wrote the person's words into a section's own text (draft and published):
    withdrawing consent replaces them there too, as erasing does, in every version and in
    the exports."""
    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    before = client.get(f"{scene.material}/versions/1/sections", headers=api_headers).json()
    assert WORDS in before["items"][0]["body_markdown"]

    r = client.post(
        f"/api/v1/cafes/{scene.cafe_id}/participants/{scene.alex_id}/consent",
        json={"evidence_consent": False},
        headers=api_headers,
    )
    assert r.status_code == 200

    for number in (1, 2):
        sections = client.get(
            f"{scene.material}/versions/{number}/sections", headers=api_headers
        ).json()["items"]
        body = sections[0]["body_markdown"]
        assert WORDS not in body and f"Someone told us: {WITHDRAWN_TEXT}." in body
        assert WORDS not in scene.export(client, api_headers, number, "md")
