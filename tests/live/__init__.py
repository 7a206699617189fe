"""Tests of the live domain."""
