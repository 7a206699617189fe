"""Tests of the export domain."""
