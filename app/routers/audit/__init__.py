"""The audit log: who viewed, exported, hid or erased personal data, for its owner."""
