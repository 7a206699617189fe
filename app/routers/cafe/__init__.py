"""The cafe domain's routes: the facilitator's pages (pages), phones joining and their page
(phone), the café API (api)."""
