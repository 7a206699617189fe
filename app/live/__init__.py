"""Live updates and the speed work: the hub, what is published and when, the websocket
views, and every cache and process-wide object that keeps a busy room fast (see README.md
in this folder)."""
