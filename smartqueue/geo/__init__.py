"""Geography of Senegal: reference data (regions, departments, communes), seeding and lookups."""
