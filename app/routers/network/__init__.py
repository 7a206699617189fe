"""The network domain's routes: the lead's network pages (pages, members, meetings) and the network
API (api)."""
