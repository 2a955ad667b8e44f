"""Requests too large to read are refused from their Content-Length, before any byte of the body
is read (the CSRF check, the first to read it, comes after this middleware)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def request_limit(request: HttpRequest) -> int:
    """The largest body this URL takes: REQUEST_MAX_BYTES, or its own entry in
    REQUEST_MAX_BYTES_FOR (the Excel import takes bigger files than an attachment)."""
    match = request.resolver_match
    name = match.view_name if match else ""
    return settings.REQUEST_MAX_BYTES_FOR.get(name, settings.REQUEST_MAX_BYTES)


class RequestSizeLimitMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django then reads no body at all
        limit = request_limit(request)
        if length <= limit:
            return None
        megabytes = max(1, limit // (1024 * 1024))
        return render(request, "413.html", {"limit_mb": megabytes}, status=413)
