"""The evidence domain's routes: pages (HTML) and api (JSON)."""
