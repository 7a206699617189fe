"""The lead's page to give a member a personal link to their own page: a new link (the old
one stops) shown once, on a letter to print with its QR code and plain instructions."""

from __future__ import annotations

from fastapi import APIRouter, Response
from markupsafe import Markup

from app import i18n
from app.deps.common import CsrfDep, NowDep
from app.deps.network import LeadDep, OwnedMember
from app.kit.qr import qr_svg
from app.kit.rendering import render_html
from app.services.network import member_page as member_page_service
from app.services.network import networks as network_service

router = APIRouter(prefix="/networks", include_in_schema=False, dependencies=[CsrfDep])


@router.post("/members/{member_id:int}/link")
def new_link(lead: LeadDep, member: OwnedMember, now: NowDep) -> Response:
    """Make a new personal link for the member (their old one stops working) and show it
    once, as a letter to print."""
    session = lead.session
    _link, token = member_page_service.issue_link(session=session, member=member, now=now)
    url = member_page_service.link_url(base_url=lead.settings.base_url, token=token)
    group = network_service.group_of(session=session, item=member)
    network = network_service.network_of(session=session, group=group)
    context: dict[str, object] = {
        "network": network,
        "group": group,
        "member": member,
        "url": url,
        "qr": qr_svg(url),
    }
    # The letter is in the network's language, whatever the lead reads their pages in.
    with i18n.speaking(network.language):
        context["letter"] = Markup(render_html("network/_member_letter.html", context))
    return lead.page("network/member_letter.html", context)
