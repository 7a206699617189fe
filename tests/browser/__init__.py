"""Real-browser tests: Chromium through Playwright against the app running in uvicorn."""
