"""Tests of the material domain."""
