"""Tests of the network domain."""
