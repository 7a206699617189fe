"""The lead's pages for "you said, we did": a network's updates to its members (the lead
writes for any group or the whole network), a group's (its coordinator writes for it too),
and changing or deleting one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response

from app.deps.common import CsrfDep, NowDep
from app.deps.network import CoordinatedGroup, Lead, LeadDep, OwnedNetwork
from app.deps.you_said import OwnedUpdate
from app.i18n import _
from app.kit.forms import FormDep, build, refusal, see_other
from app.models.network import LocalGroup, Network
from app.models.you_said import YouSaid, YouSaidChange, YouSaidCreate
from app.services.errors import DomainError, Invalid
from app.services.network import you_said as you_said_service
from app.services.network.groups import list_groups
from app.services.network.networks import network_of

router = APIRouter(prefix="/networks", include_in_schema=False, dependencies=[CsrfDep])

NETWORK_WIDE = "network"


def _ids(form: FormDep, name: str) -> list[int]:
    values = [str(v).strip() for v in form.getlist(name)]
    if any(not v.isdigit() or len(v) > 10 for v in values):
        raise Invalid(_("Choose from the list."))
    return [int(v) for v in values]


def _words(form: FormDep, name: str) -> str:
    """A text field as typed; an empty one is refused by the service in plain words."""
    return str(form.get(name, "")) or " "


def _typed(form: FormDep) -> dict[str, Any]:
    """What the form held, to show again after a refusal."""
    return {
        "you_said": str(form.get("you_said", "")),
        "we_did": str(form.get("we_did", "")),
        "group": str(form.get("group", "")),
        "theme_ids": [str(v) for v in form.getlist("theme_ids")],
        "evidence_item_ids": [str(v) for v in form.getlist("evidence_item_ids")],
    }


def _group_choice(form: FormDep, fixed: LocalGroup | None) -> int | None:
    if fixed is not None:
        return fixed.id
    raw = str(form.get("group", NETWORK_WIDE)).strip()
    if raw in {"", NETWORK_WIDE}:
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise Invalid(_("Choose a local group, or the whole network."))
    return int(raw)


def _updates_page(
    lead: Lead, network: Network, group: LocalGroup | None, *, saved: bool = False, **shown: Any
) -> Response:
    session = lead.session
    if group is None:
        updates, _rest = you_said_service.list_updates(session=session, network=network, limit=500)
        groups = list_groups(session=session, network=network)[0]
    else:
        updates, _rest = you_said_service.list_updates(
            session=session, network=network, group_id=group.id, limit=500
        )
        groups = [group]
    context = {
        "network": network,
        "owner": network.facilitator_id == lead.who.id,
        "group": group,
        "groups": {g.id: g for g in groups},
        "updates": list(reversed(updates)),
        "choices": you_said_service.choices(
            session=session, network=network, group=group, facilitator=lead.who
        ),
        "saved": saved,
        "action": f"/networks/groups/{group.id}/updates"
        if group
        else f"/networks/{network.id}/updates",
    }
    return lead.page("network/updates.html", context, **shown)


def _create(
    lead: Lead, network: Network, group: LocalGroup | None, form: FormDep, now: datetime
) -> Response:
    try:
        data = build(
            YouSaidCreate,
            you_said=_words(form, "you_said"),
            we_did=_words(form, "we_did"),
            group_id=_group_choice(form, group),
            theme_ids=_ids(form, "theme_ids"),
            evidence_item_ids=_ids(form, "evidence_item_ids"),
        )
        you_said_service.create_update(
            session=lead.session, network=network, facilitator=lead.who, data=data, now=now
        )
    except DomainError as exc:
        shown = refusal(lead.session, exc)
        return _updates_page(lead, network, group, form="update", values=_typed(form), **shown)
    where = f"/networks/groups/{group.id}" if group else f"/networks/{network.id}"
    return see_other(f"{where}/updates?saved=true#updates")


@router.get("/{network_id:int}/updates")
def network_updates(lead: LeadDep, network: OwnedNetwork, saved: bool = False) -> Response:
    """The network's "you said, we did" updates, and the form to write one."""
    return _updates_page(lead, network, None, saved=saved)


@router.post("/{network_id:int}/updates")
def create_network_update(
    lead: LeadDep, network: OwnedNetwork, form: FormDep, now: NowDep
) -> Response:
    """Write an update for one local group or the whole network."""
    return _create(lead, network, None, form, now)


@router.get("/groups/{group_id:int}/updates")
def group_updates(lead: LeadDep, group: CoordinatedGroup, saved: bool = False) -> Response:
    """A local group's "you said, we did" updates, and the form to write one."""
    network = network_of(session=lead.session, group=group)
    return _updates_page(lead, network, group, saved=saved)


@router.post("/groups/{group_id:int}/updates")
def create_group_update(
    lead: LeadDep, group: CoordinatedGroup, form: FormDep, now: NowDep
) -> Response:
    """Write an update for the group (its coordinator may, as the lead may)."""
    network = network_of(session=lead.session, group=group)
    return _create(lead, network, group, form, now)


def _edit_page(lead: Lead, update: YouSaid, **shown: Any) -> Response:
    session = lead.session
    network = session.get(Network, update.network_id)
    assert network is not None
    owner = network.facilitator_id == lead.who.id
    group = session.get(LocalGroup, update.group_id) if update.group_id else None
    themes, items = you_said_service.links_of(session=session, update_ids=[update.id]).get(
        update.id, ([], [])
    )
    current = {
        "you_said": update.you_said,
        "we_did": update.we_did,
        "group": str(update.group_id) if update.group_id else NETWORK_WIDE,
        "theme_ids": [str(t) for t in themes],
        "evidence_item_ids": [str(i) for i in items],
    }
    context = {
        "network": network,
        "owner": owner,
        "group": group,
        "update": update,
        # A coordinator keeps the update in their group; the lead may move it.
        "groups": {g.id: g for g in list_groups(session=session, network=network)[0]}
        if owner
        else {},
        "choices": you_said_service.choices(
            session=session, network=network, group=None if owner else group, facilitator=lead.who
        ),
        "current": current,
    }
    return lead.page("network/update_edit.html", context, **shown)


@router.get("/updates/{update_id:int}")
def edit_update_page(lead: LeadDep, update: OwnedUpdate) -> Response:
    """Change or delete one update."""
    return _edit_page(lead, update)


@router.post("/updates/{update_id:int}")
def change_update(lead: LeadDep, update: OwnedUpdate, form: FormDep, now: NowDep) -> Response:
    """Save the changed update."""
    fixed = None
    network = lead.session.get(Network, update.network_id)
    assert network is not None
    lead_writes = network.facilitator_id == lead.who.id
    if not lead_writes and update.group_id is not None:
        fixed = lead.session.get(LocalGroup, update.group_id)
    try:
        data = build(
            YouSaidChange,
            you_said=_words(form, "you_said"),
            we_did=_words(form, "we_did"),
            group_id=_group_choice(form, fixed),
            theme_ids=_ids(form, "theme_ids"),
            # A coordinator's form offers no evidence items: the lead's links stay.
            evidence_item_ids=_ids(form, "evidence_item_ids") if lead_writes else None,
        )
        you_said_service.change_update(
            session=lead.session, update=update, facilitator=lead.who, data=data, now=now
        )
    except DomainError as exc:
        shown = refusal(lead.session, exc, update)
        return _edit_page(lead, update, form="update", values=_typed(form), **shown)
    return see_other(_back(update))


def _back(update: YouSaid) -> str:
    if update.group_id:
        return f"/networks/groups/{update.group_id}/updates?saved=true#updates"
    return f"/networks/{update.network_id}/updates?saved=true#updates"


@router.post("/updates/{update_id:int}/delete")
def delete_update(lead: LeadDep, update: OwnedUpdate, form: FormDep) -> Response:
    """Delete the update after the lead (or coordinator) ticks the confirmation."""
    if form.get("confirm") != "true":
        error = _("Tick the box to say the update should be deleted, then press the button.")
        return _edit_page(lead, update, form="delete", error=error, status_code=422)
    back = _back(update).replace("?saved=true", "")
    you_said_service.delete_update(session=lead.session, update=update)
    return see_other(back)
