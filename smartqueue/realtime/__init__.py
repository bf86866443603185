"""Live screens: channels, a broker (Redis pub/sub or in-process), and the socket routes.

Publishing happens after commit, from whichever process made the change (web or worker);
every web process relays to the sockets it holds.
"""
