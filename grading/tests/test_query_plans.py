"""The grading aggregate reads the orders through the shop-first covering index, with no sort
(issue 16: SQLite otherwise takes the date index and sorts every header in a temporary B-tree)."""

import datetime

import pytest
from django.db import connection

from grading.services import orders_by_shop

pytestmark = pytest.mark.django_db

AGGREGATE = (
    "SELECT retailer_id, SUM(amount), SUM(cartons), COUNT(*), SUM(high_end_amount), SUM(low_tar_cartons), "
    "AVG(brand_count) FROM {orders} WHERE ordered_on > %s AND ordered_on <= %s GROUP BY retailer_id"
)
WINDOW = [datetime.date(2025, 12, 1), datetime.date(2026, 12, 1)]


def plan() -> str:
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A near-empty test table is cheapest to scan and sort; ask whether the covering
            # index can serve the aggregate on its own (at scale the planner's costs choose it).
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort", "enable_hashagg"):
                cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(prefix + AGGREGATE.format(orders=orders_by_shop()), WINDOW)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_the_signals_aggregate_uses_the_covering_index_without_a_sort():
    explained = plan()
    if connection.vendor == "sqlite":
        assert "COVERING INDEX order_retailer_cover" in explained
        assert "TEMP B-TREE" not in explained
    else:
        assert "Index Only Scan using order_retailer_cover" in explained
        assert "Sort" not in explained


def test_the_grade_history_has_no_single_column_indexes_beside_the_composite_ones():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "grading_retailergrade")
    indexed = [
        tuple(c["columns"]) for c in constraints.values() if (c["index"] or c["unique"]) and not c["primary_key"]
    ]
    assert ("run_id",) not in indexed and ("retailer_id",) not in indexed
    assert ("retailer_id", "run_id") in indexed and ("run_id", "retailer_id") in indexed
