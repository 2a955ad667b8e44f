"""`manage.py allocate --product CODE --cartons N [--period P] [--dry-run]`: share a scarce product
among the shops with the same service the pages use, and print the cartons per 档位 and the total."""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from crm_site.formatting import format_count
from grading.allocation import totals_by
from grading.models import AllocationMode, AllocationRuleSet, PeriodKind
from grading.selectors import level_label
from grading.services import allocation_create, allocation_preview, period_bounds
from retailers.models import Product


def parse_period(value: str | None, *, today: datetime.date) -> tuple[str, datetime.date]:
    """2026-W50 (an ISO week), 2026-12 (a month), 2026-12-07 (the week holding that day); none:
    next week."""
    if not value:
        return PeriodKind.WEEK, today + datetime.timedelta(days=7 - today.weekday())
    value = value.strip()
    try:
        if match := re.fullmatch(r"(\d{4})-?W(\d{1,2})", value, re.IGNORECASE):
            return PeriodKind.WEEK, datetime.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        if match := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
            return PeriodKind.MONTH, datetime.date(int(match[1]), int(match[2]), 1)
        return PeriodKind.WEEK, datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--period: {value!r} is not a week (2026-W50), a month (2026-12) or a date") from error


def rule_set_for(product: Product, name: str | None) -> AllocationRuleSet:
    """The rule set named, else a price-band rule set covering the product's price class, else the
    first by-档位 rule set."""
    if name:
        rule_set = AllocationRuleSet.objects.filter(name=name).first()
        if rule_set is None:
            raise CommandError(f"No rule set is called {name!r}.")
        return rule_set
    for rule_set in AllocationRuleSet.objects.filter(mode=AllocationMode.PRICE_BAND).order_by("pk"):
        if product.price_class in rule_set.price_classes:
            return rule_set
    rule_set = AllocationRuleSet.objects.filter(mode=AllocationMode.LEVEL).order_by("pk").first()
    if rule_set is None:
        raise CommandError("There is no rule set by level: create one on the rule editor first.")
    return rule_set


class Command(BaseCommand):
    help = "Allocate a scarce product's cartons among the shops by level (档位) and print the cartons per level."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--product", required=True, help="product code")
        parser.add_argument("--cartons", required=True, type=int, help="cartons available")
        parser.add_argument("--period", help="2026-W50, 2026-12 or a date (default: next week)")
        parser.add_argument("--rules", help="rule set name (default: see rule_set_for)")
        parser.add_argument("--dry-run", action="store_true", help="compute and print, write nothing")

    def handle(self, *args, **options) -> None:
        if options["cartons"] < 0:
            raise CommandError("--cartons must not be negative.")
        product = Product.objects.filter(code=options["product"]).first()
        if product is None:
            raise CommandError(f"No product has the code {options['product']!r}.")
        kind, day = parse_period(options["period"], today=timezone.localdate())
        start, end = period_bounds(kind=kind, day=day)
        rule_set = rule_set_for(product, options["rules"])
        cartons = options["cartons"]
        if options["dry_run"]:
            if not product.is_scarce:
                raise CommandError("Only a scarce product is allocated.")
            outcome = allocation_preview(
                product=product, cartons=cartons, rule_set=rule_set, period_start=start, period_end=end
            )
            by_level, allocated, leftover = totals_by(outcome.lines, "level"), outcome.allocated, outcome.leftover
            said = "dry run, nothing written"
        else:
            try:
                allocation = allocation_create(
                    product=product, period_kind=kind, period_start=start, cartons=cartons, rule_set=rule_set
                )
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
            by_level = allocation.totals["level"]
            allocated, leftover = allocation.allocated, allocation.leftover
            said = f"draft #{allocation.pk} written, publish it on /grading/allocations/{allocation.pk}/"
        self.stdout.write(f"{product} · {start.isoformat()} – {end.isoformat()} · {rule_set.name} ({said})")
        for level, value in sorted(by_level.items(), key=lambda item: int(item[0])):
            if value["cartons"] or value["shops"]:
                self.stdout.write(
                    f"  {level_label(int(level))}: {format_count(value['cartons'])} cartons, "
                    f"{format_count(value['shops'])} shops"
                )
        self.stdout.write(
            f"Total: {format_count(allocated)} of {format_count(cartons)} cartons; left over {format_count(leftover)}"
        )
