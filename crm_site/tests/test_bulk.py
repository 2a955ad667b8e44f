"""crm_site.bulk.vacuumed: PostgreSQL only, only once the write has committed, and a failure is
logged rather than raised (the write it cleans up after has committed)."""

import logging
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm_site.bulk import vacuumed
from retailers.models import Retailer


def test_inside_a_transaction_nothing_is_vacuumed(db):
    with CaptureQueriesContext(connection) as queries:
        assert vacuumed(Retailer) is False
    assert len(queries) == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outside_a_transaction_postgresql_vacuums_and_a_failure_is_logged(caplog):
    missing = SimpleNamespace(_meta=SimpleNamespace(db_table="no_such_table"))
    with caplog.at_level(logging.WARNING, logger="crm_site.bulk"):
        ran, failed = vacuumed(Retailer), vacuumed(missing)
    if connection.vendor == "postgresql":
        assert ran is True
        assert failed is False and "VACUUM of no_such_table failed" in caplog.text
    else:
        assert ran is False and failed is False and caplog.text == ""
