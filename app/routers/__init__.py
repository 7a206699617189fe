"""Every router, in the order they are mounted. A domain's routes live in its own package
(`pages` for HTML, `api` for JSON); no router module imports another."""

from fastapi import APIRouter

from app.routers import health, home, sockets
from app.routers.accounts import api as accounts_api
from app.routers.accounts import pages as accounts_pages
from app.routers.accounts import security as accounts_security
from app.routers.action_plan import api as action_plan_api
from app.routers.action_plan import pages as action_plan_pages
from app.routers.audit import api as audit_api
from app.routers.audit import pages as audit_pages
from app.routers.board import api as board_api
from app.routers.board import moderation as board_moderation
from app.routers.board import pages as board_pages
from app.routers.board import story as board_story
from app.routers.board import uploads as board_uploads
from app.routers.cafe import api as cafe_api
from app.routers.cafe import harvest as cafe_harvest
from app.routers.cafe import pages as cafe_pages
from app.routers.cafe import phone as cafe_phone
from app.routers.cafe import room_api as cafe_room_api
from app.routers.cafe import room_pages as cafe_room_pages
from app.routers.evidence import api as evidence_api
from app.routers.evidence import pages as evidence_pages
from app.routers.material import api as material_api
from app.routers.material import editions as material_editions
from app.routers.material import editions_api as material_editions_api
from app.routers.material import evidence as material_evidence
from app.routers.material import exports as material_exports
from app.routers.material import pages as material_pages
from app.routers.material import sections as material_sections
from app.routers.member import follow_up as member_follow_up
from app.routers.member import materials as member_materials
from app.routers.member import pages as member_pages
from app.routers.member import payments as member_payments
from app.routers.network import api as network_api
from app.routers.network import follow_up as network_follow_up
from app.routers.network import follow_up_api as network_follow_up_api
from app.routers.network import meetings as network_meetings
from app.routers.network import member_links as network_member_links
from app.routers.network import member_links_api as network_member_links_api
from app.routers.network import members as network_members
from app.routers.network import pages as network_pages
from app.routers.network import payments as network_payments
from app.routers.network import payments_api as network_payments_api
from app.routers.network import you_said as network_you_said
from app.routers.network import you_said_api as network_you_said_api
from app.routers.privacy import api as privacy_api
from app.routers.privacy import pages as privacy_pages
from app.routers.roles import api as roles_api
from app.routers.roles import pages as roles_pages

# Requests are matched against the routers in this order, so the phones' routes (many
# requests a second in a busy café) come first; no two routers' paths overlap.
ROUTERS: list[APIRouter] = [
    health.router,
    board_pages.router,
    board_uploads.router,
    cafe_phone.router,
    sockets.router,
    board_uploads.uploads,
    board_story.router,
    home.router,
    accounts_pages.router,
    accounts_security.router,
    accounts_api.router,
    cafe_pages.router,
    cafe_harvest.router,
    board_moderation.router,
    cafe_api.router,
    cafe_room_pages.router,
    cafe_room_api.router,
    board_api.router,
    evidence_pages.router,
    evidence_api.router,
    network_pages.router,
    network_members.router,
    network_meetings.router,
    network_member_links.router,
    network_payments.router,
    network_payments.uploads,
    network_you_said.router,
    member_pages.router,
    member_payments.router,
    member_materials.router,
    member_follow_up.router,
    member_follow_up.uploads,
    network_follow_up.router,
    action_plan_pages.router,
    network_api.router,
    network_member_links_api.router,
    network_payments_api.router,
    network_you_said_api.router,
    action_plan_api.router,
    network_follow_up_api.router,
    material_pages.router,
    material_sections.router,
    material_evidence.router,
    material_exports.router,
    material_editions.router,
    material_editions.uploads,
    material_editions.files,
    material_api.router,
    material_editions_api.router,
    privacy_api.router,
    privacy_pages.router,
    roles_pages.router,
    roles_api.router,
    audit_api.router,
    audit_pages.router,
]
