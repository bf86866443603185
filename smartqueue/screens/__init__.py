"""What the live screens show, rendered once for both interfaces that send it.

A board's regions, a counter screen, a ticket's page: the web interface sends them as pages
and htmx answers, the realtime interface as socket messages. Both import them from here, so
neither interface imports the other. This package sits above the core (it reads through the
core's queries) and below the interfaces; it never writes. Templates stay in templates/.

- board.py: the display board's live regions (rendered once per change, in French)
- counter.py: the agent's counter screen and the list of counters
- ticket.py: a ticket's live fragment
- kiosk.py: when the kiosk's start screen re-fetches itself
- sockets.py: a live socket's URL as a path, for the pages that open one
"""
