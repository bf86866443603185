"""Organizations: branches, services, counters, staff and who may change them."""
