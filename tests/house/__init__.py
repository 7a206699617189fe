"""Tests of the house itself: settings, database, migrations, deployment files, security
headers, the import rules and the public API contract."""
