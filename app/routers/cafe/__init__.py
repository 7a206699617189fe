"""The cafe domain's routes: pages (HTML) and api (JSON)."""
