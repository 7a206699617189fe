"""The network domain's routes: pages (HTML) and api (JSON)."""
