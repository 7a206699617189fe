"""Every router, in the order they are mounted."""

from fastapi import APIRouter

from app.routers import (
    api_cafes,
    api_materials,
    auth,
    board,
    cafes,
    health,
    home,
    live,
    materials,
    participant,
)

ROUTERS: list[APIRouter] = [
    health.router,
    home.router,
    auth.pages,
    auth.api,
    cafes.router,
    participant.router,
    board.router,
    board.uploads,
    live.router,
    api_cafes.router,
    board.api,
    materials.router,
    api_materials.router,
]
