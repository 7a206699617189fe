"""Every router, in the order they are mounted."""

from fastapi import APIRouter

from app.routers import (
    api_cafes,
    api_contributions,
    auth,
    cafes,
    harvest,
    health,
    home,
    live,
    participant,
)

ROUTERS: list[APIRouter] = [
    health.router,
    home.router,
    auth.pages,
    auth.api,
    cafes.router,
    participant.router,
    live.router,
    api_cafes.router,
    harvest.router,
    api_contributions.router,
]
