"""Tests of the board domain."""
