"""HTML to text in time linear in the input: lexbor (selectolax) parses, one pass marks blocks.

Lexbor builds the tree in C, and its tree edits are constant-time, so marking every block
boundary with a paragraph break is one pass. Two shapes make any HTML5 tree builder
quadratic, because the standard asks it to look through every open element at each new
tag, or through every attribute at each new one: elements nested thousands deep, and a tag
with thousands of attributes. No article comes near either, so a linear scan of the tags
refuses such a file before it is parsed, with its own reason.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from app.errors import SourceError
from app.sources.decode import decode_text
from app.sources.metadata import Extracted, normalise_date

__all__ = ["MAX_ATTRIBUTES", "MAX_DEPTH", "extract_html"]

# Far beyond real pages (browsers stop nesting at 512) and cheap for lexbor: a 1 MB file
# at these limits still parses in well under a second (make bench, "extraction").
MAX_DEPTH = 2000
MAX_ATTRIBUTES = 1000

_TAG = re.compile(r"<(/?)([A-Za-z][^\s/<>]*)([^<>]*)>")
# Elements that never hold others, or that the parser closes by itself when the next
# one opens: they do not deepen the tree however many stand in a row.
_FLAT = frozenset([
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr", "param", "keygen", "p", "li", "dt", "dd", "tr", "td", "th", "option",
    "optgroup", "rb", "rt", "rp", "thead", "tbody", "tfoot", "colgroup", "caption", "html",
    "head", "body",
])  # fmt: skip
_DATE_META = (
    'meta[property="article:published_time"]',
    'meta[name="article:published_time"]',
    'meta[name="date"]',
    'meta[name="pubdate"]',
    'meta[name="publish-date"]',
    'meta[name="dc.date"]',
    'meta[name="DC.date.issued"]',
    'meta[itemprop="datePublished"]',
)
_DROP = [
    "script", "style", "noscript", "template", "svg", "iframe", "object", "head", "nav",
    "aside", "form", "button", "select", "dialog",
]  # fmt: skip
_BLOCKS = ", ".join([
    "p", "div", "section", "article", "header", "footer", "main", "li", "ul", "ol", "h1", "h2",
    "h3", "h4", "h5", "h6", "tr", "table", "blockquote", "pre", "figure", "figcaption", "dd",
    "dt", "br", "hr",
])  # fmt: skip
_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")


def check_shape(html: str) -> None:
    """Refuse, in one linear scan, the shapes that make tree building quadratic."""
    depth = 0
    for match in _TAG.finditer(html):
        closing, name, rest = match.groups()
        if rest.count("=") > MAX_ATTRIBUTES or len(rest.split()) > MAX_ATTRIBUTES:
            raise SourceError(f"an HTML tag with more than {MAX_ATTRIBUTES:,} attributes")
        if name.lower() in _FLAT or rest.endswith("/"):
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        if depth > MAX_DEPTH:
            raise SourceError(f"HTML nested more than {MAX_DEPTH:,} elements deep")


def extract_html(data: bytes) -> Extracted:
    """Visible text with paragraph breaks, the title and the publication date of a page."""
    html = decode_text(data)
    check_shape(html)
    tree = LexborHTMLParser(html)
    title = _title(tree)
    published = _published(tree)
    tree.strip_tags(_DROP, recursive=True)
    # Block boundaries become paragraph breaks, so paragraphs survive text().
    for node in tree.css(_BLOCKS):
        node.insert_before("\n\n")
        node.insert_after("\n\n")
    body = tree.body or tree.root
    raw = body.text(deep=True) if body is not None else ""
    lines = (_SPACES.sub(" ", line).strip() for line in raw.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not text:
        raise SourceError("no visible text in the HTML")
    return Extracted(text, title, published)


def _content(tree: LexborHTMLParser, selector: str) -> str | None:
    node = tree.css_first(selector)
    value = node.attributes.get("content") if node is not None else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _title(tree: LexborHTMLParser) -> str | None:
    if og := _content(tree, 'meta[property="og:title"]'):
        return og
    for selector in ("title", "h1"):
        node = tree.css_first(selector)
        text = " ".join(node.text(deep=True).split()) if node is not None else ""
        if text:
            return text
    return None


def _published(tree: LexborHTMLParser) -> str | None:
    for selector in _DATE_META:
        if (value := _content(tree, selector)) and (day := normalise_date(value)):
            return day
    node = tree.css_first("time[datetime]")
    return normalise_date(node.attributes.get("datetime")) if node is not None else None
