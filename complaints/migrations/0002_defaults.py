"""Default SLA per category, a few standard answers, and the deadline check every 5 minutes."""

from django.db import migrations

SLA = {
    # category: (acknowledge minutes, verify h, resolve h, reply h, follow-up h, working hours)
    "product_quality": (30, 8, 24, 8, 48, True),
    "delivery": (30, 4, 16, 4, 48, True),
    "service_attitude": (30, 8, 24, 8, 48, True),
    "supply": (30, 8, 40, 8, 48, True),
    "price": (30, 8, 24, 8, 48, True),
    "counterfeit": (30, 4, 24, 8, 48, False),
    "other": (30, 8, 40, 8, 48, True),
}
ANSWERS = [
    ("product_quality", "质量问题已换货", "您好！您反映的卷烟质量问题我们已核实，已安排送货员在下次配送时为您办理同规格调换，给您带来不便深表歉意。"),
    ("delivery", "配送延误致歉", "您好！经核实，本周配送车辆因线路调整延误到达，我们已优化配送顺序，今后将按约定时间送达，感谢您的理解。"),
    ("supply", "货源投放说明", "您好！紧俏规格按客户分档和订货情况公平投放，您本周的可订量已按规则计算，如有疑问可联系您的客户经理。"),
    ("service_attitude", "服务态度致歉", "您好！对于工作人员服务不周我们深表歉意，已对相关人员进行批评教育，并将加强服务规范培训。"),
]


def create_defaults(apps, schema_editor):
    SlaPolicy = apps.get_model("complaints", "SlaPolicy")
    StandardAnswer = apps.get_model("complaints", "StandardAnswer")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for category, (ack, verify, resolve, reply, follow_up, working) in SLA.items():
        SlaPolicy.objects.get_or_create(
            category=category,
            defaults={
                "acknowledge_minutes": ack, "verify_hours": verify, "resolve_hours": resolve,
                "reply_hours": reply, "follow_up_hours": follow_up, "working_hours": working,
            },
        )
    for category, title, body in ANSWERS:
        StandardAnswer.objects.get_or_create(category=category, title=title, defaults={"body": body})
    every_5_minutes, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="complaints: deadline warnings and escalations",
        defaults={"task": "complaints.check_deadlines", "interval": every_5_minutes},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
