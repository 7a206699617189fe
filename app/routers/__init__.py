"""Every router, in the order they are mounted."""

from fastapi import APIRouter

from app.routers import (
    api_cafes,
    api_contributions,
    api_materials,
    api_networks,
    auth,
    board,
    cafes,
    harvest,
    health,
    home,
    live,
    materials,
    networks,
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
    harvest.router,
    api_contributions.router,
    networks.router,
    api_networks.router,
    materials.router,
    api_materials.router,
]
