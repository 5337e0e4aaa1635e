"""Development only: a page opened under another name of this server (localhost instead
of 127.0.0.1) is sent to PUBLIC_BASE_URL, where the wallet will bring the browser back.
Otherwise the session cookie stays with the other name and the person is never signed in.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, redirect, request
from werkzeug.wrappers import Response

_EXEMPT_ENDPOINTS = {"static", "pages.health"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _port(netloc: str, scheme: str) -> int | None:
    try:
        return urlsplit(f"//{netloc}").port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None


def redirect_to_public_host() -> Response | None:
    """A GET for another host name on the same scheme and port: redirect to the public one.

    Another port or scheme is another server (a proxy, a tunnel) and is left alone, and so
    are the health check, static files and the sandbox wallet (phones open it by the
    public address anyway).
    """
    settings = current_app.extensions["demobank.settings"]
    if settings.production or request.method not in ("GET", "HEAD"):
        return None
    endpoint = request.endpoint or ""
    if endpoint in _EXEMPT_ENDPOINTS or endpoint.startswith("sandbox."):
        return None
    public = urlsplit(settings.public_base_url)
    if request.host.lower() == public.netloc.lower() or request.scheme != public.scheme:
        return None
    if _port(request.host, request.scheme) != _port(public.netloc, public.scheme):
        return None
    path = request.script_root + request.full_path.rstrip("?")
    target = f"{public.scheme}://{public.netloc}{path}"
    return redirect(target, 302)
