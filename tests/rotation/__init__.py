"""Tests of the rotation domain."""
