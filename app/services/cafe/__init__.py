"""The live café: the café itself, its people, seating, rounds, the next round planned
ahead and the live state."""
