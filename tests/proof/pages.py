"""Reading portal pages as a browser would: elements, attributes and links."""

from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

# Attributes whose value is a URL the browser requests or shows.
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "hx-get",
        "hx-post",
        "hx-put",
        "hx-patch",
        "hx-delete",
        "data-src",
        "poster",
    }
)


class Shape(HTMLParser):
    """The elements and attribute names of a page, and the URLs it names."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: Counter = Counter()
        self.urls: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements[(tag, tuple(sorted(name for name, _v in attrs)))] += 1
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value:
                self.urls.append(value)
                if name in ("href", "hx-get"):
                    self.links.append(value)

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def shape(html: str) -> Shape:
    parser = Shape()
    parser.feed(html)
    parser.close()
    return parser


# Links a crawler must not follow: they end the session or are not pages.
SKIP = ("/signout", "/static/", "/ops/rq", "/signin", "/delivery/audio/")


def crawl(client, start: str = "/", limit: int = 60) -> dict[str, str]:
    """GET every same-site page reachable from `start`; {path: html}."""
    seen: dict[str, str] = {}
    queue = [start]
    while queue and len(seen) < limit:
        path = urldefrag(queue.pop(0))[0]
        if path in seen or not path.startswith("/") or path.startswith(SKIP):
            continue
        response = client.get(path)
        seen[path] = response.get_data(as_text=True)
        if not response.mimetype.startswith("text/html"):
            continue
        for link in shape(seen[path]).links:
            parts = urlsplit(link)
            if not parts.scheme and not parts.netloc:
                queue.append(link)
    return seen
