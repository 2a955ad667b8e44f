"""Runs record their stage (progress), a note said in the reader's language and their figures per
service area (so each user sees the figures of their own scope); live overrides become the shops'
tier at once, and a daily job ends the overrides whose date has passed."""

from django.db import migrations, models
from django.db.models import Count
from django.utils import timezone

from crm_site.schedules import daily_task


def area_counts_from_grades(apps, schema_editor):
    """Existing runs: their figures per service area, from their grades (the shops' areas now)."""
    GradingRun = apps.get_model("grading", "GradingRun")
    RetailerGrade = apps.get_model("grading", "RetailerGrade")
    for run in GradingRun.objects.filter(status="succeeded").only("pk"):
        counts: dict = {}
        rows = (
            RetailerGrade.objects.filter(run=run)
            .values_list("retailer__service_area_id", "tier", "movement", "overridden")
            .annotate(n=Count("id"))
            .order_by()
        )
        for area_id, tier, movement, overridden, n in rows:
            area = counts.setdefault(
                str(area_id), {"key": 0, "ordinary": 0, "special": 0, "up": 0, "down": 0, "overridden": 0}
            )
            area[tier] += n
            area["up"] += n if movement == 1 else 0
            area["down"] += n if movement == -1 else 0
            area["overridden"] += n if overridden else 0
        GradingRun.objects.filter(pk=run.pk).update(area_counts=counts)


def live_overrides_to_tiers(apps, schema_editor):
    """A live override is the shop's tier from now on, not only from the next run."""
    Retailer = apps.get_model("retailers", "Retailer")
    TierOverride = apps.get_model("grading", "TierOverride")
    today = timezone.localdate()
    for retailer_id, tier in TierOverride.objects.filter(revoked_at__isnull=True, expires_on__gte=today).values_list(
        "retailer_id", "tier"
    ):
        Retailer.objects.filter(pk=retailer_id).exclude(tier=tier).update(tier=tier)


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0004_run_trigger"),
        ("retailers", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="gradingrun",
            name="area_counts",
            field=models.JSONField(default=dict, verbose_name="figures per service area"),
        ),
        migrations.RunPython(area_counts_from_grades, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="gradingrun",
            name="region_counts",
        ),
        # The note as a stored message (crm_site.stored_messages): the text becomes its fallback.
        migrations.RenameField(
            model_name="gradingrun",
            old_name="message",
            new_name="text",
        ),
        migrations.AddField(
            model_name="gradingrun",
            name="message",
            field=models.JSONField(blank=True, default=dict, verbose_name="note"),
        ),
        migrations.AddField(
            model_name="gradingrun",
            name="stage",
            field=models.CharField(
                blank=True,
                choices=[
                    ("reading", "Reading orders and findings"),
                    ("scoring", "Scoring and ranking"),
                    ("writing", "Writing grades and tiers"),
                ],
                max_length=10,
                verbose_name="stage",
            ),
        ),
        migrations.AlterField(
            model_name="retailergrade",
            name="previous_tier",
            field=models.CharField(
                blank=True,
                choices=[("key", "Key account"), ("ordinary", "Ordinary"), ("special", "Special")],
                max_length=10,
                verbose_name="previous tier",
            ),
        ),
        migrations.RunPython(live_overrides_to_tiers, migrations.RunPython.noop),
        migrations.RunPython(
            daily_task("grading: end expired tier overrides", "grading.expire_overrides", hour=0, minute=5),
            migrations.RunPython.noop,
        ),
    ]
