"""The action_plan domain's routes: pages (HTML) and api (JSON)."""
