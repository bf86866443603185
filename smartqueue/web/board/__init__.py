"""The display board: a TV in the waiting room, authorized by a device link."""
