"""In CI (REQUIRE_SERVICES=1) the suite must run on PostgreSQL, not silently on SQLite."""

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.django_db
def test_database_is_postgresql_when_services_are_required():
    if not settings.REQUIRE_SERVICES:
        pytest.skip("REQUIRE_SERVICES is not set: SQLite is the default")
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
