"""Pages of this site named by endpoint (`Page`), their URLs, and the one safe reading of a
`?next=` path: what the flows, the sign-in and the theme menu use to say where to go."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from flask import current_app, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect


@dataclass(frozen=True)
class Page:
    """A page of the app by endpoint name; views turn it into a URL with `url_for`."""

    endpoint: str
    params: Mapping[str, str] = field(default_factory=dict)


def _unsafe(text: str) -> bool:
    return "\\" in text or any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in text)


def page_for_path(target: str | None) -> Page | None:
    """The page of this site a `?next=` value names, or None.

    Only a plain path of ours counts: no scheme or host, no backslash, no control
    character or space (raw or percent-decoded), and it must match one of our GET routes.
    What is kept is the endpoint and its parameters, never the text itself.
    """
    if not target or len(target) > 1000 or _unsafe(target) or _unsafe(unquote(target)):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    try:
        endpoint, values = current_app.url_map.bind("localhost").match(parts.path, "GET")
    except (HTTPException, RequestRedirect):
        return None
    if endpoint == "static":
        return None
    params = {**dict(parse_qsl(parts.query)), **{k: str(v) for k, v in values.items()}}
    return Page(endpoint, params)


def url_of(page: Page | None) -> str | None:
    if page is None:
        return None
    params: dict[str, Any] = dict(page.params)
    return url_for(page.endpoint, **params)
