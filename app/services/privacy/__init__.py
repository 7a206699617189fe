"""Personal data: erasure, retention and subject access."""
