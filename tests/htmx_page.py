"""A live page as the browser holds it, for tests that compare what sockets send with a
fresh load: the page's HTML as a tree, socket messages swapped in as htmx's ws extension
swaps them (out of band, by id), and what a person sees of a region.

Also the fixture that runs a live test on both brokers (import it into the test module:
`from tests.htmx_page import app_config_on_both_brokers  # noqa: F401`)."""

import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from redis import Redis

VOID = {"input", "br", "meta", "img", "link", "hr"}
SKIP = object()  # a shape override's answer: leave this node out


@pytest.fixture(name="app_config", params=["in-process", "redis"])
def app_config_on_both_brokers(app_config, request):
    """The test's app on the in-process broker, then on Redis."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        Redis.from_url(url).flushdb()
        app_config = dict(app_config, REDIS_URL=url)
    return app_config


class Node:
    def __init__(self, tag, attrs):
        self.tag, self.attrs, self.children = tag, dict(attrs), []

    def find(self, element_id):
        """(parent, node) of the element with that id, or None."""
        for child in self.children:
            if isinstance(child, Node):
                if child.attrs.get("id") == element_id:
                    return self, child
                found = child.find(element_id)
                if found:
                    return found
        return None


def shape(node: Node, override: Callable | None = None):
    """What a person (and htmx) sees: tags, attributes and words, without the spacing
    between tags, the oob marker htmx takes off, or the per-render CSRF token.
    `override(node, attrs)` may answer a shape of its own for a node, or SKIP."""
    attrs = {
        k: re.sub(r"\s+", " ", v or "").strip()
        for k, v in node.attrs.items()
        if k != "hx-swap-oob"
    }
    if node.tag == "input" and attrs.get("name") == "csrf_token":
        attrs["value"] = "<csrf>"
    if override is not None:
        replaced = override(node, attrs)
        if replaced is not None:
            return replaced
    children = []
    for child in node.children:
        if isinstance(child, Node):
            child_shape = shape(child, override)
            if child_shape is not SKIP:
                children.append(child_shape)
        elif words := " ".join(child.split()):
            children.append(words)
    return (node.tag, sorted(attrs.items()), children)


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs)
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        if tag not in VOID:
            assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
            self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    assert len(parser.stack) == 1, "unclosed tags"
    return parser.root


def swap_out_of_band(page: Node, message: str, on_swap: Callable | None = None):
    """Swap each top-level element of a socket message into `page` by its id, as htmx's
    ws extension does; every one must be marked out of band and be on the page."""
    for element in parse(message).children:
        if not isinstance(element, Node):
            continue
        assert element.attrs.get("hx-swap-oob") == "true", element.tag
        found = page.find(element.attrs["id"])
        assert found, f"#{element.attrs['id']} is not on the page"
        if on_swap is not None:
            on_swap(element)
        parent, old = found
        parent.children[parent.children.index(old)] = element
