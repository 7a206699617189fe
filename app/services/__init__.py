"""The rules, a package or module per domain; no web code, no templates, no `app.live`."""

# Every session stamps the rows of a network's lists with the network's change numbers
# (a listener registered on import), whichever service writes them.
from app.services.network import changes as _network_changes  # noqa: F401
