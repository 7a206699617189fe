"""Discussion materials: versions written by the lead, evidence merged in from the network's
cafés with its provenance frozen, publishing, comparing versions, and the cross-group view."""
