"""Request facts that security features rely on (log-in throttling)."""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
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


class LoginAttemptHandler(AxesDatabaseHandler):
    """django-axes' database handler, but a successful log-in forgets only the failures of that
    username from that address. (Axes' own reset deletes every failure of the username and every
    failure from the address, so anyone with an account could clear the count on a colleague's
    account from their own desk after each few guesses.)"""

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        from axes.models import AccessAttempt

        username = get_client_username(request, credentials)
        return AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()[0]
