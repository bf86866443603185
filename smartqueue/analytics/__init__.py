"""Analytics: a day's figures from the live tables, the nightly rollups of closed days,
and the period reports, live "today", ratings and exports that read them."""
