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

# Requests are matched against the routers in this order, so the phones' routes (many
# requests a second in a busy café) come first; no two routers' paths overlap.
ROUTERS: list[APIRouter] = [
    health.router,
    board.router,
    participant.router,
    live.router,
    board.uploads,
    home.router,
    auth.pages,
    auth.api,
    cafes.router,
    api_cafes.router,
    board.api,
    harvest.router,
    api_contributions.router,
    networks.router,
    api_networks.router,
    materials.router,
    api_materials.router,
]
