"""The material domain's routes: the lead's material pages (pages, sections, evidence, exports) and
the material API (api)."""
