"""The board domain's routes: pages (HTML) and api (JSON)."""
