"""Personal data: erasure, the erasure log and subject access."""
