"""Erasure, retention, the access log and subject access (issue 24)."""
