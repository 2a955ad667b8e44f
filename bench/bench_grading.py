"""Benchmark: a full grading run (signals, score, class, 档位, stars, history rows, movers).

Builds its data with the demo seeder unless the database already holds it, then runs grading
twice (the second run finds previous tiers, so it also marks movers and touches only the shops
that changed) and prints the seconds of each phase.

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python bench/bench_grading.py --retailers 300000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/bench_grading.py --retailers 300000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_site.settings.test")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from grading import services  # noqa: E402
from grading.models import GradingRun, RetailerGrade  # noqa: E402
from grading.scoring import grade_frame  # noqa: E402
from retailers.models import Order, Retailer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retailers", type=int, default=300_000)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if not Retailer.objects.exists():
        started = time.perf_counter()
        call_command("seed_demo", retailers=args.retailers, months=args.months, seed=1, line_weeks=4)
        print(f"seed_demo: {time.perf_counter() - started:.1f} s")
    print(f"database: {connection.vendor}; retailers: {Retailer.objects.count():,}; orders: {Order.objects.count():,}")

    policy = services.grading_policy_get()
    as_of = timezone.localdate()
    started = time.perf_counter()
    signals = services.load_signals(policy=policy, as_of=as_of)
    load = time.perf_counter() - started
    started = time.perf_counter()
    grade_frame(signals, services.model_to_dict(policy, exclude=["id"]))
    score = time.perf_counter() - started
    print(f"phase: signals (one aggregate over order headers) {load:.2f} s; scoring in pandas {score:.2f} s")

    for label in ("first run (no previous tiers)", "second run (movers, changed rows only)"):
        run = GradingRun.objects.create(as_of=as_of)
        started = time.perf_counter()
        run = services.grading_run_execute(run_id=run.pk)
        total = time.perf_counter() - started
        assert run.status == "succeeded", run.note
        grades = RetailerGrade.objects.filter(run=run).count()
        print(
            f"{label}: {total:.2f} s; graded {run.graded_count:,}, history rows {grades:,}, "
            f"tiers {run.tier_counts}, moved up {run.moved_up:,}, down {run.moved_down:,}"
        )


if __name__ == "__main__":
    main()
