"""Live updates: the broadcast hub and the websocket views built on it."""
