"""Accounts: registration, email codes, passwords, profiles, staff roles."""
