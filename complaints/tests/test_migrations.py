"""The move of notifications from complaints to crm_site keeps every existing one."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from crm_site.roles import Role

MOVE = ("complaints", "0004_notifications_to_crm_site")


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_notifications_are_copied_with_a_link_to_their_ticket_and_back(prefecture):
    before = [parent.key for parent in MigrationExecutor(connection).loader.graph.node_map[MOVE].parents]
    old_apps = migrate(before)  # the old table with its rows; crm_site's new one still empty
    try:
        Ticket = old_apps.get_model("complaints", "Ticket")
        OldNotification = old_apps.get_model("complaints", "Notification")
        clerk, admin = prefecture["users"][Role.COMPLAINT_CLERK], prefecture["users"][Role.ADMIN]
        now = datetime.datetime(2026, 11, 24, 2, 0, tzinfo=datetime.UTC)
        ticket = Ticket.objects.create(
            number="TS-2026-000001", retailer_id=prefecture["shops"]["a"].pk, channel="hotline", category="other",
            description="x", created_by_id=clerk.pk, step_started_at=now,
        )  # fmt: skip
        OldNotification.objects.create(user_id=clerk.pk, ticket=ticket, text="即将到期")
        read = OldNotification.objects.create(user_id=admin.pk, ticket=ticket, text="已逾期", read_at=now)
        OldNotification.objects.filter(pk=read.pk).update(created_at=now)
    finally:
        new_apps = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    Notification = new_apps.get_model("crm_site", "Notification")
    assert sorted(Notification.objects.values_list("user_id", "text", "link", "read_at")) == sorted(
        [
            (clerk.pk, "即将到期", f"/complaints/{ticket.pk}/", None),
            (admin.pk, "已逾期", f"/complaints/{ticket.pk}/", now),
        ]
    )
    assert Notification.objects.get(text="已逾期").created_at == now
    assert "complaints_notification" not in connection.introspection.table_names()
    try:  # and back: the ticket notifications return to complaints, none is left twice
        old_apps = migrate(before)
        assert old_apps.get_model("complaints", "Notification").objects.count() == 2
        assert not old_apps.get_model("crm_site", "Notification").objects.exists()
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
