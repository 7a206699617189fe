"""The evidence domain: the harvest wall, filters, themes, suggestions, API records, charts."""
