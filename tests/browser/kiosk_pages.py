"""What the kiosk tests wait for before they act on a start screen."""


def region_fetched(response) -> bool:
    """The start screen's region fetched again (htmx) as its socket said hello: after it,
    the screen shows what the server held when it answered, and a test may move the
    server's clock or tap without the region being replaced under the finger."""
    request = response.request
    return request.headers.get("hx-request") == "true" and "/kiosk/" in request.url
