"""Request facts that security features rely on (log-in throttling)."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR when the site is reached directly; behind
    TRUSTED_PROXY_COUNT reverse proxies, the address the outermost proxy saw (each proxy appends
    the address it was reached from to X-Forwarded-For, so that one sits `count` from the right;
    anything further left was written by the client and is ignored)."""
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR")
