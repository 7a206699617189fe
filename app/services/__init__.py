"""The rules, a package or module per domain; no web code, no templates, no `app.live`."""
