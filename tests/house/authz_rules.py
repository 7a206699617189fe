"""Who may use each route: the rule table the authorization matrix checks every route of the
app against (tests/house/test_authorization_matrix.py).

Each route has a category; each category names the kinds of people it is open to
(`CATEGORIES`). The API's tokens follow from their owner: a write token may do what the owner
may through the API, a read token only what reads (`scope`), a revoked one nothing. Pages and
sockets are for cookies, the API for bearer tokens.

A new route fails the matrix until it has a rule here; a rule whose route is gone fails it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The columns of the matrix.
IDENTITIES = (
    "anonymous",
    "owner",
    "other_facilitator",
    "participant",
    "other_participant",
    "member",
    "token_read",
    "token_write",
    "token_revoked",
    "co_facilitator",
    "coordinator",
)

# Columns whose people the app cannot make yet, each with the reason (the matrix skips them
# and says why). None now: the roles beside the owner came with the `roles` merge.
PENDING: dict[str, str] = {}

FACILITATORS = {"owner", "other_facilitator", "co_facilitator", "coordinator"}
PHONES = {"participant", "other_participant", "member"}
TOKENS = {"token_read", "token_write", "token_revoked"}

CATEGORIES: dict[str, frozenset[str]] = {
    # Open to everyone, signed in or not (the join page, signing in, the health check).
    "public": frozenset(IDENTITIES),
    # Any signed-in facilitator, on their own account and rows (their dashboard, a new café).
    "signed_in": frozenset(FACILITATORS),
    # The owner's own account rows named in the path (a token, a session of theirs).
    "account_rows": frozenset({"owner"}),
    # The facilitator an invite link was sent to (the world's open invites are the other
    # facilitator's): accepting it with anyone else's sign-in is refused.
    "invitee": frozenset({"other_facilitator"}),
    # A phone that joined the world's café (the participant; the member joined it by invite).
    "phone": frozenset({"participant", "member"}),
    # The member's own pages, on the device that opened their personal link (`/m/{token}`).
    "member_page": frozenset({"member"}),
    # The phone that wrote the card named in the path.
    "card_author": frozenset({"participant"}),
    # A card's photo: the people of its café and the people running it.
    "media": frozenset({"participant", "member", "owner", "co_facilitator"}),
    # Running the café: the console and every live control, the projector, moderation,
    # reading the board, the people at it and the notes (the themes through the API too:
    # the notes list them).
    "cafe_run": frozenset({"owner", "co_facilitator"}),
    # The rest of the café: settings, the harvest (making and assigning themes, the "what we
    # heard" preview), privacy notice, keep-for, subject access and erasure.
    "cafe_owner": frozenset({"owner"}),
    # A material's picture or recording: the network's lead, and the members it was given to.
    "material_file": frozenset({"owner", "member"}),
    # A local group's own work: its members (with contact details), meetings (not deleting
    # one) and attendance.
    "group_work": frozenset({"owner", "coordinator"}),
    # The rest of the network: settings, renaming or deleting a group, deleting a meeting,
    # other groups, materials, action plans, privacy, subject access, erasure, who
    # coordinates.
    "network_owner": frozenset({"owner"}),
}


@dataclass(frozen=True)
class Rule:
    """A route's category, and how the matrix calls it.

    `scope`: the token scope the API route asks for (by default: read for GET, write for
    the rest). `params`: path parameters taken from a world value of another name.
    `fresh`: the route destroys what it is called on (`world`: each allowed call gets a
    world of its own; `self`: it ends the caller's own sign-in, so each allowed call is made
    by a new person of the same kind; `account`: it ends every sign-in of the caller's
    account, so a new facilitator makes it).
    `body`: what the route is sent instead of an empty body (`photo`: a small PNG, the one
    thing an upload is read far enough to be refused for)."""

    category: str
    scope: str = ""
    params: dict[str, str] = field(default_factory=dict)
    fresh: str = ""
    body: str = ""


def r(category: str, **options: object) -> Rule:
    return Rule(category, **options)  # type: ignore[arg-type]


FRESH = {"fresh": "world"}
FRESH_SELF = {"fresh": "self"}
# The world's open invites (the other facilitator's) and the roles it granted.
INVITE_TOKEN = {"token": "role_invite_token"}
CAFE_INVITE = {"invite_id": "cafe_invite_id"}
GROUP_INVITE = {"invite_id": "group_invite_id"}
CO_FACILITATOR = {"role_id": "co_facilitator_role_id"}
COORDINATOR = {"role_id": "coordinator_role_id"}

RULES: dict[str, Rule] = {
    # Open to all
    "GET /healthz": r("public"),
    "GET /docs": r("public"),
    "GET /": r("public"),
    "POST /": r("public"),
    "GET /login": r("public"),
    "POST /login": r("public"),
    "POST /logout": r("public", **FRESH_SELF),
    "GET /reset/{token}": r("public", params={"token": "reset_token"}),
    "POST /reset/{token}": r("public", params={"token": "reset_token"}),
    "POST /api/v1/auth/token": r("public"),
    "POST /preferences": r("public"),
    "POST /language": r("public"),
    "GET /j/{code}": r("public"),
    "POST /j/{code}": r("public"),
    "GET /networks/calendars/{token}.ics": r("public", params={"token": "calendar_token"}),
    # A facilitator's own account
    "GET /dashboard": r("signed_in"),
    "GET /account/tokens": r("signed_in"),
    "POST /account/tokens": r("signed_in"),
    "POST /account/tokens/{token_id}/revoke": r("account_rows", **FRESH),
    "GET /account/security": r("signed_in"),
    "POST /account/sessions/{session_id}/end": r("account_rows", **FRESH),
    "POST /account/sessions/end-others": r("signed_in", fresh="account"),
    "POST /account/password": r("signed_in"),
    "POST /api/v1/auth/logout": r("signed_in", scope="read", **FRESH_SELF),
    "GET /api/v1/auth/sessions": r("signed_in", scope="write"),
    "DELETE /api/v1/auth/sessions/{session_id}": r("account_rows", **FRESH),
    "GET /api/v1/auth/api-tokens": r("signed_in", scope="write"),
    "POST /api/v1/auth/api-tokens": r("signed_in"),
    "DELETE /api/v1/auth/api-tokens/{token_id}": r("account_rows", **FRESH),
    "GET /api/v1/erasures": r("signed_in"),
    "GET /cafes/new": r("signed_in"),
    "POST /cafes/new": r("signed_in"),
    "GET /api/v1/cafes": r("signed_in"),
    "POST /api/v1/cafes": r("signed_in"),
    "GET /networks": r("signed_in"),
    "POST /networks": r("signed_in"),
    "GET /api/v1/networks": r("signed_in"),
    "POST /api/v1/networks": r("signed_in"),
    # The audit log: any facilitator's own (each sees only the entries about their own data)
    "GET /audit": r("signed_in"),
    "GET /audit.csv": r("signed_in"),
    "GET /api/v1/audit": r("signed_in"),
    # Roles: an invite link (the link is the secret; accepting needs the account it was sent
    # to), and a facilitator's own roles
    "GET /r/{token}": r("public", params=INVITE_TOKEN),
    "POST /r/{token}": r("invitee", params=INVITE_TOKEN, **FRESH),
    "POST /api/v1/roles/accept": r("signed_in"),
    "GET /api/v1/roles": r("signed_in"),
    # A member's own pages: the personal link signs the device in (so each call is made by
    # someone new), then the pages are theirs alone
    "GET /m/{token}": r("public", params={"token": "member_token"}, **FRESH_SELF),
    "GET /me": r("member_page"),
    "POST /me/consent": r("member_page"),
    "GET /me/calendar.ics": r("member_page"),
    "GET /me/data": r("member_page"),
    "GET /me/payments": r("member_page"),
    "GET /me/data.json": r("member_page"),
    "GET /me/erase": r("member_page"),
    "POST /me/erase": r("member_page", **FRESH),
    "POST /me/sign-out": r("public", **FRESH_SELF),
    "GET /me/bye": r("public"),
    "POST /me/actions/{action_id}": r("member_page"),
    "POST /me/feedback/{meeting_id}": r("member_page"),
    # Phones
    "GET /p/{code}": r("phone"),
    "POST /p/{code}/table": r("phone"),
    "POST /p/{code}/leave": r("phone", **FRESH),
    "POST /p/{code}/consent": r("phone"),
    "POST /p/{code}/help": r("phone"),
    "POST /p/{code}/write-for": r("phone"),
    "GET /p/{code}/heard": r("phone"),
    "POST /p/{code}/contributions": r("phone"),
    "GET /p/{code}/contributions/{contribution_id}/edit": r("card_author"),
    "POST /p/{code}/contributions/{contribution_id}/edit": r("card_author"),
    "POST /p/{code}/contributions/{contribution_id}/withdraw": r("card_author", **FRESH),
    "POST /p/{code}/contributions/{contribution_id}/react": r("phone"),
    "POST /p/{code}/contributions/{contribution_id}/concern": r("phone"),
    "POST /p/{code}/contributions/{contribution_id}/media": r("card_author", body="photo"),
    "GET /media/{media_id}": r("media"),
    "POST /p/{code}/compose": r("phone", body="photo"),
    "GET /p/{code}/story": r("phone"),
    "WS /ws/p/{cafe_id}": r("phone"),
    # Running a café
    "WS /ws/console/{cafe_id}": r("cafe_run"),
    "WS /ws/projector/{cafe_id}": r("cafe_run"),
    "GET /cafes/{cafe_id}/console": r("cafe_run"),
    "GET /cafes/{cafe_id}/console/move/{participant_id}": r("cafe_run"),
    "POST /cafes/{cafe_id}/console/{action}": r("cafe_run", params={"action": "extend_action"}),
    "GET /cafes/{cafe_id}/projector": r("cafe_run"),
    "POST /cafes/{cafe_id}/projector/harvest": r("cafe_run"),
    "GET /cafes/{cafe_id}/kit": r("cafe_run"),
    "GET /cafes/{cafe_id}/qr.svg": r("cafe_run"),
    "POST /cafes/{cafe_id}/moderate/{contribution_id}/{action}": r(
        "cafe_run", params={"action": "moderate_action"}
    ),
    "GET /cafes/{cafe_id}/notes/download": r("cafe_run"),
    "GET /cafes/{cafe_id}/notes/print": r("cafe_run"),
    "GET /api/v1/cafes/{cafe_id}": r("cafe_run"),
    "POST /api/v1/cafes/{cafe_id}/rounds/next": r("cafe_run"),
    "POST /api/v1/cafes/{cafe_id}/rounds/current/extend": r("cafe_run"),
    "POST /api/v1/cafes/{cafe_id}/rounds/current/end": r("cafe_run", **FRESH),
    "POST /api/v1/cafes/{cafe_id}/pause": r("cafe_run"),
    "POST /api/v1/cafes/{cafe_id}/resume": r("cafe_run"),
    "POST /api/v1/cafes/{cafe_id}/close": r("cafe_run", **FRESH),
    "GET /api/v1/cafes/{cafe_id}/seating": r("cafe_run"),
    "GET /api/v1/cafes/{cafe_id}/participants": r("cafe_run"),
    "POST /api/v1/cafes/{cafe_id}/participants/{participant_id}/move": r("cafe_run"),
    "POST /api/v1/cafes/{cafe_id}/participants/{participant_id}/host": r("cafe_run"),
    # Reshaping the room live (issue 26): co-facilitators too
    "POST /cafes/{cafe_id}/room/tables": r("cafe_run"),
    "POST /cafes/{cafe_id}/room/tables/{table_id}": r("cafe_run"),
    "POST /cafes/{cafe_id}/room/tables/{table_id}/remove": r("cafe_run", **FRESH),
    "POST /cafes/{cafe_id}/room/question": r("cafe_run"),
    "POST /cafes/{cafe_id}/room/broadcast": r("cafe_run"),
    "POST /cafes/{cafe_id}/room/people": r("cafe_run"),
    "POST /cafes/{cafe_id}/room/help/{help_id}/seen": r("cafe_run"),
    "POST /cafes/{cafe_id}/room/write-for": r("cafe_run"),
    "POST /cafes/{cafe_id}/room/rounds": r("cafe_run"),
    "POST /cafes/{cafe_id}/room/rounds/{number}/move": r("cafe_run"),
    "POST /api/v1/cafes/{cafe_id}/rounds": r("cafe_run"),
    "POST /api/v1/cafes/{cafe_id}/tables": r("cafe_run"),
    "PATCH /api/v1/cafes/{cafe_id}/tables/{table_id}": r("cafe_run"),
    "DELETE /api/v1/cafes/{cafe_id}/tables/{table_id}": r("cafe_run", **FRESH),
    "PATCH /api/v1/cafes/{cafe_id}/rounds/{number}": r("cafe_run"),
    "POST /api/v1/cafes/{cafe_id}/broadcast": r("cafe_run"),
    "POST /api/v1/cafes/{cafe_id}/participants": r("cafe_run"),
    "POST /api/v1/cafes/{cafe_id}/participants/{participant_id}/contributions": r(
        "cafe_run", params={"participant_id": "no_phone_id"}
    ),
    "POST /api/v1/cafes/{cafe_id}/help/{help_id}/seen": r("cafe_run"),
    "POST /api/v1/cafes/{cafe_id}/contributions/{contribution_id}/hide": r("cafe_run", **FRESH),
    "POST /api/v1/cafes/{cafe_id}/contributions/{contribution_id}/restore": r("cafe_run"),
    "POST /api/v1/cafes/{cafe_id}/contributions/{contribution_id}/approve": r("cafe_run"),
    "GET /api/v1/cafes/{cafe_id}/contributions": r("cafe_run"),
    "GET /api/v1/cafes/{cafe_id}/notes": r("cafe_run"),
    "GET /api/v1/cafes/{cafe_id}/themes": r("cafe_run"),
    # The rest of a café: its owner only
    "GET /cafes/{cafe_id}/settings": r("cafe_owner"),
    "POST /cafes/{cafe_id}/settings": r("cafe_owner"),
    "PATCH /api/v1/cafes/{cafe_id}": r("cafe_owner"),
    "POST /api/v1/cafes/{cafe_id}/participants/{participant_id}/consent": r("cafe_owner"),
    "GET /cafes/{cafe_id}/harvest": r("cafe_owner"),
    "GET /cafes/{cafe_id}/heard": r("cafe_owner"),
    "POST /cafes/{cafe_id}/harvest/themes": r("cafe_owner"),
    "POST /cafes/{cafe_id}/harvest/themes/{theme_id}/edit": r("cafe_owner"),
    "POST /cafes/{cafe_id}/harvest/themes/{theme_id}/delete": r("cafe_owner", **FRESH),
    "POST /cafes/{cafe_id}/harvest/assign": r("cafe_owner"),
    "POST /api/v1/cafes/{cafe_id}/themes": r("cafe_owner"),
    "PATCH /api/v1/cafes/{cafe_id}/themes/{theme_id}": r("cafe_owner"),
    "DELETE /api/v1/cafes/{cafe_id}/themes/{theme_id}": r("cafe_owner", **FRESH),
    "POST /api/v1/cafes/{cafe_id}/themes/{theme_id}/contributions/{contribution_id}": r(
        "cafe_owner"
    ),
    "DELETE /api/v1/cafes/{cafe_id}/themes/{theme_id}/contributions/{contribution_id}": r(
        "cafe_owner", **FRESH
    ),
    "DELETE /api/v1/cafes/{cafe_id}": r("cafe_owner", **FRESH),
    "POST /api/v1/cafes/{cafe_id}/participants/{participant_id}/erase": r("cafe_owner", **FRESH),
    "GET /api/v1/cafes/{cafe_id}/participants/{participant_id}/data": r("cafe_owner"),
    "GET /api/v1/cafes/{cafe_id}/keep-for": r("cafe_owner"),
    "PUT /api/v1/cafes/{cafe_id}/keep-for": r("cafe_owner"),
    "GET /cafes/{cafe_id}/erase": r("cafe_owner"),
    "POST /cafes/{cafe_id}/erase": r("cafe_owner", **FRESH),
    "GET /cafes/{cafe_id}/people/{participant_id}/erase": r("cafe_owner"),
    "POST /cafes/{cafe_id}/people/{participant_id}/erase": r("cafe_owner", **FRESH),
    "GET /cafes/{cafe_id}/people/{participant_id}/data": r("cafe_owner"),
    "GET /cafes/{cafe_id}/privacy": r("cafe_owner"),
    "POST /cafes/{cafe_id}/privacy": r("cafe_owner"),
    "POST /cafes/{cafe_id}/co-facilitators": r("cafe_owner"),
    "POST /cafes/{cafe_id}/co-facilitators/invites/{invite_id}/revoke": r(
        "cafe_owner", params=CAFE_INVITE, **FRESH
    ),
    "POST /cafes/{cafe_id}/co-facilitators/{role_id}/remove": r(
        "cafe_owner", params=CO_FACILITATOR, **FRESH
    ),
    "GET /api/v1/cafes/{cafe_id}/co-facilitators": r("cafe_owner"),
    "POST /api/v1/cafes/{cafe_id}/co-facilitators": r("cafe_owner"),
    "DELETE /api/v1/cafes/{cafe_id}/co-facilitators/invites/{invite_id}": r(
        "cafe_owner", params=CAFE_INVITE, **FRESH
    ),
    "DELETE /api/v1/cafes/{cafe_id}/co-facilitators/{role_id}": r(
        "cafe_owner", params=CO_FACILITATOR, **FRESH
    ),
    # A local group's work
    "GET /networks/groups/{group_id}": r("group_work"),
    "GET /networks/groups/{group_id}/attendance.csv": r("group_work"),
    "GET /networks/groups/{group_id}/calendar.ics": r("group_work"),
    "POST /networks/groups/{group_id}/schedule": r("group_work"),
    "POST /networks/groups/{group_id}/meetings": r("group_work"),
    "POST /networks/groups/{group_id}/members": r("group_work"),
    "GET /networks/members/{member_id}": r("group_work"),
    "POST /networks/members/{member_id}": r("group_work"),
    "POST /networks/members/{member_id}/revoke-invites": r("group_work", **FRESH),
    "GET /networks/meetings/{meeting_id}": r("group_work"),
    "POST /networks/meetings/{meeting_id}": r("group_work"),
    "POST /networks/meetings/{meeting_id}/attendance": r("group_work"),
    "POST /networks/meetings/{meeting_id}/cafe": r("group_work"),
    "GET /networks/meetings/{meeting_id}/invites": r("group_work"),
    "GET /api/v1/networks/groups/{group_id}": r("group_work"),
    "GET /api/v1/networks/groups/{group_id}/attendance.csv": r("group_work"),
    "GET /api/v1/networks/groups/{group_id}/calendar.ics": r("group_work"),
    "GET /api/v1/networks/groups/{group_id}/members": r("group_work"),
    "POST /api/v1/networks/groups/{group_id}/members": r("group_work"),
    "GET /api/v1/networks/members/{member_id}": r("group_work"),
    "PATCH /api/v1/networks/members/{member_id}": r("group_work"),
    "POST /api/v1/networks/members/{member_id}/revoke-invites": r("group_work", **FRESH),
    "GET /api/v1/networks/groups/{group_id}/meetings": r("group_work"),
    "POST /api/v1/networks/groups/{group_id}/meetings": r("group_work"),
    "POST /api/v1/networks/groups/{group_id}/meetings/schedule": r("group_work"),
    "GET /api/v1/networks/meetings/{meeting_id}": r("group_work"),
    "PATCH /api/v1/networks/meetings/{meeting_id}": r("group_work"),
    "GET /api/v1/networks/meetings/{meeting_id}/attendance": r("group_work"),
    "PUT /api/v1/networks/meetings/{meeting_id}/attendance": r("group_work"),
    "POST /api/v1/networks/meetings/{meeting_id}/cafe": r("group_work"),
    "GET /api/v1/networks/meetings/{meeting_id}/invites": r("group_work"),
    # "You said, we did": a group's updates are its coordinator's to write too
    "GET /networks/groups/{group_id}/updates": r("group_work"),
    "POST /networks/groups/{group_id}/updates": r("group_work"),
    "GET /networks/updates/{update_id}": r("group_work"),
    "POST /networks/updates/{update_id}": r("group_work"),
    "POST /networks/updates/{update_id}/delete": r("group_work", **FRESH),
    "PATCH /api/v1/networks/updates/{update_id}": r("group_work"),
    "DELETE /api/v1/networks/updates/{update_id}": r("group_work", **FRESH),
    # The rest of a network: its owner only
    "GET /networks/{network_id}": r("network_owner"),
    "POST /networks/{network_id}": r("network_owner"),
    "POST /networks/{network_id}/delete": r("network_owner", **FRESH),
    "POST /networks/{network_id}/groups": r("network_owner"),
    "GET /networks/{network_id}/attendance.csv": r("network_owner"),
    "POST /networks/groups/{group_id}/delete": r("network_owner", **FRESH),
    "POST /networks/groups/{group_id}": r("network_owner"),
    "PATCH /api/v1/networks/groups/{group_id}": r("network_owner"),
    "POST /networks/meetings/{meeting_id}/delete": r("network_owner", **FRESH),
    # Any café can feed the network: attaching the lead's own café to a meeting, detaching it
    "POST /networks/meetings/{meeting_id}/attach": r("network_owner"),
    "POST /networks/meetings/{meeting_id}/detach": r("network_owner", **FRESH),
    "DELETE /api/v1/networks/meetings/{meeting_id}/cafe": r("network_owner", **FRESH),
    # The network's updates: every group's and the network-wide ones
    "GET /networks/{network_id}/updates": r("network_owner"),
    "POST /networks/{network_id}/updates": r("network_owner"),
    "GET /api/v1/networks/{network_id}/updates": r("network_owner"),
    "POST /api/v1/networks/{network_id}/updates": r("network_owner"),
    "DELETE /api/v1/networks/meetings/{meeting_id}": r("network_owner", **FRESH),
    "POST /networks/members/{member_id}/delete": r("network_owner", **FRESH),
    "GET /networks/{network_id}/privacy": r("network_owner"),
    "POST /networks/{network_id}/privacy": r("network_owner"),
    "GET /networks/members/{member_id}/data": r("network_owner"),
    "GET /api/v1/networks/{network_id}": r("network_owner"),
    "PATCH /api/v1/networks/{network_id}": r("network_owner"),
    "DELETE /api/v1/networks/{network_id}": r("network_owner", **FRESH),
    "GET /api/v1/networks/{network_id}/attendance.csv": r("network_owner"),
    "GET /api/v1/networks/{network_id}/groups": r("network_owner"),
    "POST /api/v1/networks/{network_id}/groups": r("network_owner"),
    "DELETE /api/v1/networks/groups/{group_id}": r("network_owner", **FRESH),
    "DELETE /api/v1/networks/members/{member_id}": r("network_owner", **FRESH),
    "POST /api/v1/networks/members/{member_id}/erase": r("network_owner", **FRESH),
    "GET /api/v1/networks/members/{member_id}/data": r("network_owner"),
    "POST /api/v1/networks/{network_id}/erase": r("network_owner", **FRESH),
    "GET /api/v1/networks/{network_id}/keep-for": r("network_owner"),
    "PUT /api/v1/networks/{network_id}/keep-for": r("network_owner"),
    # A member's personal link, as a letter to print (a new one stops the member's old one)
    "POST /networks/members/{member_id}/link": r("network_owner", **FRESH),
    "POST /api/v1/networks/members/{member_id}/link": r("network_owner", **FRESH),
    # Paying members (their rate, expenses and receipts, paid or due): the owner only
    "GET /networks/{network_id}/rate": r("network_owner"),
    "POST /networks/{network_id}/rate": r("network_owner"),
    "GET /networks/{network_id}/finance.csv": r("network_owner"),
    "POST /networks/members/{member_id}/funded": r("network_owner"),
    "GET /networks/meetings/{meeting_id}/payments": r("network_owner"),
    "POST /networks/meetings/{meeting_id}/expenses": r("network_owner", body="photo"),
    "POST /networks/meetings/{meeting_id}/payments/{member_id}": r("network_owner"),
    "POST /networks/expenses/{expense_id}/delete": r("network_owner", **FRESH),
    "GET /networks/expenses/{expense_id}/receipt": r("network_owner"),
    "GET /api/v1/networks/{network_id}/pay-rate": r("network_owner"),
    "PUT /api/v1/networks/{network_id}/pay-rate": r("network_owner"),
    "GET /api/v1/networks/{network_id}/finance.csv": r("network_owner"),
    "GET /api/v1/networks/meetings/{meeting_id}/payments": r("network_owner"),
    "PUT /api/v1/networks/meetings/{meeting_id}/payments/{member_id}": r("network_owner"),
    "GET /api/v1/networks/meetings/{meeting_id}/expenses": r("network_owner"),
    "GET /api/v1/networks/{network_id}/expenses": r("network_owner"),
    "POST /api/v1/networks/meetings/{meeting_id}/expenses": r("network_owner"),
    "DELETE /api/v1/networks/expenses/{expense_id}": r("network_owner", **FRESH),
    # A group's coordinators: the network's owner only
    "POST /networks/groups/{group_id}/coordinators": r("network_owner"),
    "POST /networks/groups/{group_id}/coordinators/invites/{invite_id}/revoke": r(
        "network_owner", params=GROUP_INVITE, **FRESH
    ),
    "POST /networks/groups/{group_id}/coordinators/{role_id}/remove": r(
        "network_owner", params=COORDINATOR, **FRESH
    ),
    "GET /api/v1/networks/groups/{group_id}/coordinators": r("network_owner"),
    "POST /api/v1/networks/groups/{group_id}/coordinators": r("network_owner"),
    "DELETE /api/v1/networks/groups/{group_id}/coordinators/invites/{invite_id}": r(
        "network_owner", params=GROUP_INVITE, **FRESH
    ),
    "DELETE /api/v1/networks/groups/{group_id}/coordinators/{role_id}": r(
        "network_owner", params=COORDINATOR, **FRESH
    ),
    # Action plans
    "POST /networks/{network_id}/plan": r("network_owner"),
    "POST /networks/groups/{group_id}/plan": r("network_owner"),
    "GET /networks/plans/{plan_id}": r("network_owner"),
    "POST /networks/plans/{plan_id}": r("network_owner"),
    "POST /networks/plans/{plan_id}/delete": r("network_owner", **FRESH),
    "GET /networks/plans/{plan_id}/export.md": r("network_owner"),
    "GET /networks/plans/{plan_id}/export.docx": r("network_owner"),
    "GET /api/v1/networks/{network_id}/action-plans": r("network_owner"),
    "POST /api/v1/networks/{network_id}/action-plans": r("network_owner"),
    "GET /api/v1/networks/action-plans/{plan_id}": r("network_owner"),
    "PATCH /api/v1/networks/action-plans/{plan_id}": r("network_owner"),
    "DELETE /api/v1/networks/action-plans/{plan_id}": r("network_owner", **FRESH),
    "GET /api/v1/networks/action-plans/{plan_id}/export": r("network_owner"),
    # What carries over between meetings: actions, and members' feedback (issue 25, 5 and 6).
    "GET /networks/{network_id}/actions": r("network_owner"),
    "POST /networks/{network_id}/actions": r("network_owner"),
    "POST /networks/actions/{action_id}": r("network_owner"),
    "GET /networks/{network_id}/feedback": r("network_owner"),
    "GET /networks/{network_id}/feedback/export": r("network_owner"),
    "GET /networks/{network_id}/feedback/voice/{response_id}": r("network_owner"),
    "POST /networks/meetings/{meeting_id}/feedback-questions": r("network_owner"),
    "GET /api/v1/networks/{network_id}/actions": r("network_owner"),
    "POST /api/v1/networks/{network_id}/actions": r("network_owner"),
    "GET /api/v1/networks/actions/{action_id}": r("network_owner"),
    "PATCH /api/v1/networks/actions/{action_id}": r("network_owner"),
    "GET /api/v1/networks/{network_id}/feedback": r("network_owner"),
}

MATERIAL = "/networks/{network_id}/materials"
VERSION = MATERIAL + "/{material_id}/versions/{number}"
SECTION = VERSION + "/sections/{section_id}"
API_MATERIAL = "/api/v1" + MATERIAL
API_VERSION = "/api/v1" + VERSION
API_SECTION = "/api/v1" + SECTION

# Materials: the network's owner only.
RULES.update(
    {
        f"GET {MATERIAL}": r("network_owner"),
        f"POST {MATERIAL}": r("network_owner"),
        f"GET {MATERIAL}/cross-group": r("network_owner"),
        f"GET {MATERIAL}/{{material_id}}": r("network_owner"),
        f"GET {VERSION}": r("network_owner"),
        f"POST {MATERIAL}/{{material_id}}/rename": r("network_owner"),
        f"POST {MATERIAL}/{{material_id}}/delete": r("network_owner", **FRESH),
        f"POST {MATERIAL}/{{material_id}}/next": r("network_owner"),
        f"POST {VERSION}/publish": r("network_owner", **FRESH),
        f"GET {MATERIAL}/{{material_id}}/diff": r("network_owner"),
        f"POST {VERSION}/sections": r("network_owner"),
        f"GET {SECTION}/edit": r("network_owner"),
        f"POST {SECTION}/edit": r("network_owner"),
        f"POST {SECTION}/move": r("network_owner"),
        f"POST {SECTION}/delete": r("network_owner", **FRESH),
        f"GET {SECTION}/merge": r("network_owner"),
        f"POST {SECTION}/merge": r("network_owner"),
        f"POST {SECTION}/evidence/{{item_id}}/paraphrase": r("network_owner"),
        f"POST {SECTION}/evidence/{{item_id}}/remove": r("network_owner", **FRESH),
        f"GET {VERSION}/print": r("network_owner"),
        f"GET {VERSION}/easy-read": r("network_owner"),
        f"GET {VERSION}/download/{{name}}": r("network_owner"),
        f"GET {API_MATERIAL}": r("network_owner"),
        f"GET {API_MATERIAL}/cross-group": r("network_owner"),
        f"GET {API_MATERIAL}/candidates": r("network_owner"),
        f"GET {API_MATERIAL}/evidence": r("network_owner"),
        f"GET {API_MATERIAL}/uses": r("network_owner"),
        f"POST {API_MATERIAL}": r("network_owner"),
        f"POST {API_MATERIAL}/import": r("network_owner"),
        f"GET {API_MATERIAL}/{{material_id}}": r("network_owner"),
        f"PATCH {API_MATERIAL}/{{material_id}}": r("network_owner"),
        f"DELETE {API_MATERIAL}/{{material_id}}": r("network_owner", **FRESH),
        f"GET {API_MATERIAL}/{{material_id}}/versions": r("network_owner"),
        f"POST {API_MATERIAL}/{{material_id}}/versions": r("network_owner"),
        f"GET {API_VERSION}": r("network_owner"),
        f"GET {API_VERSION}/export": r("network_owner"),
        f"POST {API_VERSION}/publish": r("network_owner", **FRESH),
        f"GET {API_MATERIAL}/{{material_id}}/diff": r("network_owner"),
        f"GET {API_VERSION}/sections": r("network_owner"),
        f"POST {API_VERSION}/sections": r("network_owner"),
        f"GET {API_SECTION}": r("network_owner"),
        f"PATCH {API_SECTION}": r("network_owner"),
        f"DELETE {API_SECTION}": r("network_owner", **FRESH),
        f"GET {API_SECTION}/evidence": r("network_owner"),
        f"POST {API_SECTION}/evidence": r("network_owner"),
        f"GET {API_SECTION}/evidence/{{item_id}}": r("network_owner"),
        f"PATCH {API_SECTION}/evidence/{{item_id}}": r("network_owner"),
        f"DELETE {API_SECTION}/evidence/{{item_id}}": r("network_owner", **FRESH),
    }
)

# Materials for members: the lead gives a published version to a group or the whole network
# and gives sections pictures and recordings (the world's own material is a draft; the routes
# that need a published one with files take the members' material's ids).
MEMBERS = {"material_id": "members_material_id", "section_id": "members_section_id"}
RULES.update(
    {
        f"POST {SECTION}/picture": r("network_owner", body="photo"),
        f"POST {SECTION}/recording": r("network_owner", body="photo"),
        f"POST {SECTION}/picture/remove": r("network_owner"),
        f"POST {SECTION}/recording/remove": r("network_owner"),
        f"POST {VERSION}/members": r("network_owner"),
        f"POST {VERSION}/members/{{publication_id}}/withdraw": r(
            "network_owner", params=MEMBERS, **FRESH
        ),
        f"GET {VERSION}/audio.zip": r("network_owner", params=MEMBERS),
        f"GET {API_MATERIAL}/{{material_id}}/publications": r("network_owner"),
        f"POST {API_VERSION}/publications": r("network_owner"),
        f"DELETE {API_MATERIAL}/{{material_id}}/publications/{{publication_id}}": r(
            "network_owner", params=MEMBERS, **FRESH
        ),
        f"GET {API_SECTION}/files": r("network_owner"),
        f"PUT {API_SECTION}/picture": r("network_owner"),
        f"PUT {API_SECTION}/recording": r("network_owner"),
        f"DELETE {API_SECTION}/picture": r("network_owner"),
        f"DELETE {API_SECTION}/recording": r("network_owner"),
        f"GET {API_VERSION}/audio": r("network_owner", params=MEMBERS),
        "GET /material-files/{file_id}": r("material_file"),
        "GET /me/materials/{publication_id}": r("member_page"),
        "GET /me/materials/{publication_id}/audio.zip": r("member_page"),
    }
)

# Routes of the app that are not the app's own pages or API, left out on purpose.
EXCLUDED = {
    "/static": "files anyone may fetch (CSS, scripts, icons); no data behind it",
    "/openapi.json": "the published description of the API: public by design",
}

# Values for path parameters that are not a row of the world.
CONSTANTS = {
    "extend_action": "extend",
    "moderate_action": "restore",
    "name": "material.md",
}


def allowed(rule: Rule, method: str, path: str, identity: str) -> bool:
    """Whether this identity may use this route, by the route's category."""
    people = CATEGORIES[rule.category]
    if rule.category == "public":
        return True
    if path.startswith("/api/"):
        scope = rule.scope or ("read" if method == "GET" else "write")
        if identity == "token_write":
            return "owner" in people
        if identity == "token_read":
            return "owner" in people and scope == "read"
        return identity in people and identity in FACILITATORS
    return identity in people and identity not in TOKENS
