"""What the home page says under the greeting: each app registers a line about the user's work
in its AppConfig.ready() (retailers: how many shops the user can see), so the home page, the
lowest layer's, imports no app above it."""

from __future__ import annotations

from collections.abc import Callable

HomeLine = Callable[..., str]  # line(user) -> a sentence in the active language
_lines: list[HomeLine] = []


def register_home_line(line: HomeLine) -> None:
    if line not in _lines:
        _lines.append(line)


def home_lines(user) -> list[str]:
    """The lines that have something to say (a line may answer "" for a user it does not concern)."""
    return [text for line in _lines if (text := line(user))]
