"""The material domain's routes: pages (HTML) and api (JSON)."""
