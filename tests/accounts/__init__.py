"""Tests of the accounts domain."""
