"""Each follow-up event keeps the shop's rating, so the report counts every follow-up, not only
the last one of a closed ticket. Past follow-ups get theirs back from the event text ("4/5 满意")."""

import django.core.validators
from django.conf import settings
from django.db import migrations, models


def ratings_from_event_text(apps, schema_editor):
    TicketEvent = apps.get_model("complaints", "TicketEvent")
    follow_ups = TicketEvent.objects.filter(kind="moved", from_status="following_up", satisfaction__isnull=True)
    for rating in range(1, 6):
        follow_ups.filter(text__startswith=f"{rating}/5").update(satisfaction=rating)


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0002_defaults'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='ticketevent',
            name='satisfaction',
            field=models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(5)], verbose_name='satisfaction (1–5)'),
        ),
        migrations.AddConstraint(
            model_name='ticketevent',
            constraint=models.CheckConstraint(condition=models.Q(('satisfaction__isnull', True), models.Q(('satisfaction__gte', 1), ('satisfaction__lte', 5)), _connector='OR'), name='ticket_event_satisfaction_1_to_5'),
        ),
        migrations.RunPython(ratings_from_event_text, migrations.RunPython.noop),
    ]
