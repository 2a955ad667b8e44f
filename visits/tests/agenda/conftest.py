"""The agenda's tests use the visit log's fixtures (a manager, their key shop, another region's shop, the day)."""

from visits.tests.log.conftest import manager, other_shop, shop, today  # noqa: F401
