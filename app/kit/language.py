"""Which language a request speaks: the person's choice (the switch's cookie), else the
browser's Accept-Language as a first guess, else English. A café's or a network's default
(`i18n.prefer`) comes in later, from the row loaders, and only where the person has not
chosen. Every answer says which language it is in (Content-Language)."""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n


def choice_for(headers: Headers) -> i18n.Choice:
    cookie = headers.get("cookie")
    if cookie and i18n.COOKIE in cookie:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(cookie)
        except Exception:  # noqa: BLE001 - a mangled cookie header is only ignored
            jar = SimpleCookie()
        morsel = jar.get(i18n.COOKIE)
        chosen = i18n.supported(morsel.value) if morsel else None
        if chosen:
            return i18n.Choice(lang=chosen, chosen=True)
    guess = i18n.from_accept_language(headers.get("accept-language"))
    return i18n.Choice(lang=guess or i18n.DEFAULT)


class Language:
    """Sets the request's language before anything else runs (error pages included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        choice = choice_for(Headers(scope=scope))
        scope.setdefault("state", {})["language"] = choice
        token = i18n.begin(choice)

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", ()))
                if not any(name.lower() == b"content-language" for name, _ in raw):
                    raw.append((b"content-language", choice.lang.encode()))
                message["headers"] = raw
            await send(message)

        try:
            await self.app(scope, receive, send_with_language)
        finally:
            i18n.end(token)
