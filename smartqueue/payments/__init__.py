"""Payments (issue 11): mobile money (Wave, Orange Money, Free Money) and cash, for
appointment deposits, priority tickets and invoices. This first part holds the providers'
adapters (providers/); the payments' models, operations and queries come next."""
