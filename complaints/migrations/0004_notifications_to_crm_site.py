"""Notifications moved to crm_site (every area sends them now): copy the rows, then drop the old table.

A notification pointed at its ticket by a foreign key; it now carries the ticket page's path.
"""

from django.db import migrations
from django.urls import get_script_prefix


def ticket_path_prefix() -> str:
    return f"{get_script_prefix()}complaints/"  # the ticket page was complaints/<id>/ when notifications moved


def copy_to_crm_site(apps, schema_editor) -> None:
    # Set-based, and keeps created_at (an ORM save would stamp it anew: auto_now_add).
    schema_editor.execute(
        "INSERT INTO crm_site_notification (user_id, text, link, created_at, read_at) "
        "SELECT user_id, text, %s || CAST(ticket_id AS TEXT) || '/', created_at, read_at "
        "FROM complaints_notification ORDER BY id",
        params=[ticket_path_prefix()],
    )


def copy_back(apps, schema_editor) -> None:
    """Undo: the ticket notifications move back to complaints (other areas' ones have no ticket)."""
    Notification = apps.get_model("crm_site", "Notification")
    Ticket = apps.get_model("complaints", "Ticket")
    prefix = ticket_path_prefix()
    moved, rows = [], []
    for pk, user_id, text, link, created_at, read_at in Notification.objects.filter(
        link__startswith=prefix
    ).values_list("pk", "user_id", "text", "link", "created_at", "read_at"):
        ticket_id = link.removeprefix(prefix).rstrip("/")
        if ticket_id.isdigit():
            moved.append(pk)
            rows.append((user_id, int(ticket_id), text, created_at, read_at))
    existing = set(Ticket.objects.filter(pk__in={row[1] for row in rows}).values_list("pk", flat=True))
    with schema_editor.connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO complaints_notification (user_id, ticket_id, text, created_at, read_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            [row for row in rows if row[1] in existing],
        )
    Notification.objects.filter(pk__in=[pk for pk, row in zip(moved, rows, strict=True) if row[1] in existing]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_ticket_event_satisfaction"),
        ("crm_site", "0007_notification"),
    ]

    operations = [
        migrations.RunPython(copy_to_crm_site, copy_back),
        migrations.DeleteModel(name="Notification"),
    ]
