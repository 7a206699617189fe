"""The table's story on its host's phone: the cards of the earlier rounds at their table."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from app.deps.common import CsrfDep, SessionDep
from app.deps.phone import PhoneDep, seat_now
from app.kit.rendering import render_html
from app.security import request_is_htmx
from app.services.board.story import table_story

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])


@router.get("/p/{code}/story")
def story(request: Request, phone: PhoneDep, session: SessionDep) -> Response:
    """My table's earlier rounds, if I host it (drawn again on the page at each round)."""
    if not request_is_htmx(request):
        return RedirectResponse(f"/p/{phone.cafe.code}#table-story", status_code=303)
    cafe, person = phone.cafe, phone.person
    _, table = seat_now(session, cafe, person)
    found = table_story(session=session, cafe=cafe, person=person, table=table)
    html = render_html("board/_table_story.html", {"cafe": cafe, "story": found}, conn=request)
    return Response(html, media_type="text/html", headers={"Vary": "HX-Request"})
