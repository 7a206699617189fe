"""A network member's own pages, opened from their personal link."""
