"""Web plumbing every domain uses: rendering, form parsing, downloads, QR codes."""
