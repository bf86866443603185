"""Mobile-money providers behind one interface (base.py), each shaped on its provider's
published API: wave.py, orange_money.py, free_money.py. Off until configured; the
embedded default and the tests talk to the payment simulator (smartqueue/paysim/)."""
