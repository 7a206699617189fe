"""Tests of the action_plan domain."""
