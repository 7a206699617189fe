"""Tests of the cafe domain."""
