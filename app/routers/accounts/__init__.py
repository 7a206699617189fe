"""The accounts domain's routes: pages (HTML) and api (JSON)."""
