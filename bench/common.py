"""What every benchmark shares: the seeded database it needs, the load average, the ratio line.

The machine is shared and noisy (absolute times vary two- to threefold between days), so each
benchmark measures a reference in the same run and prints `ratio NAME VALUE`: the ratio is the goal.
"""

from __future__ import annotations

import os
import time

from django.core.management import call_command


def load_average() -> str:
    return "load average " + " / ".join(f"{value:.2f}" for value in os.getloadavg())


def ensure_seeded(*, retailers: int, months: int = 12, line_weeks: int = 4) -> None:
    """Migrate the database named by DATABASE_URL and seed it with `retailers` shops unless it
    already holds that many (another number is rebuilt from scratch)."""
    from retailers.models import Retailer

    call_command("migrate", verbosity=0)
    present = Retailer.objects.count()
    if present == retailers:
        return
    started = time.perf_counter()
    call_command("seed_demo", retailers=retailers, months=months, seed=1, line_weeks=line_weeks, reset=present > 0)
    seconds = time.perf_counter() - started
    print(f"seed_demo --retailers {retailers} --months {months}: {seconds:.1f} s; {load_average()}")


def print_ratio(name: str, value: float, *, goal: str) -> None:
    """A benchmark's last lines, one per goal: `ratio NAME VALUE`, after a line saying the goal."""
    print(f"goal {name}: {goal}")
    print(f"ratio {name} {value:.2f}")
