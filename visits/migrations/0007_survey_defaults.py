"""The two default questionnaires (routine and after a complaint), the daily survey job (beat), and the
role groups re-synced so that admins hold the new models' permissions (they edit the questionnaires)."""

from django.db import migrations

from crm_site.roles import sync_role_groups
from crm_site.schedules import daily_task

ROUTINE = [
    # type, question (Chinese: the site's language, what the shops read), options
    ("rating", "您对客户经理的服务是否满意？", ""),
    ("rating", "您对卷烟配送的及时性和准确性是否满意？", ""),
    ("rating", "您对货源投放的公平性是否满意？", ""),
    ("nps", "您有多大可能向其他零售户推荐我们的服务？", ""),
    ("choice", "客户经理多久拜访您一次？", "每周\n每两周\n每月\n很少来"),
    ("text", "您还有什么意见或建议？", ""),
]
POST_COMPLAINT = [
    ("rating", "您对这次投诉的处理结果是否满意？", ""),
    ("rating", "您对处理速度是否满意？", ""),
    ("text", "还有什么需要我们改进的？", ""),
]


def create_questionnaires(apps, schema_editor) -> None:
    Questionnaire = apps.get_model("visits", "Questionnaire")
    Question = apps.get_model("visits", "Question")
    for kind, title, intro, questions in (
        ("routine", "零售客户满意度调查", "感谢您抽出一分钟时间，帮助我们把服务做得更好。", ROUTINE),
        ("post_complaint", "投诉处理回访", "您的投诉已处理完毕，请告诉我们您是否满意。", POST_COMPLAINT),
    ):
        if Questionnaire.objects.filter(kind=kind).exists():
            continue
        questionnaire = Questionnaire.objects.create(kind=kind, version=1, title=title, intro=intro, is_current=True)
        Question.objects.bulk_create(
            Question(questionnaire=questionnaire, position=position, type=type_, text=text, options=options,
                     required=type_ != "text")
            for position, (type_, text, options) in enumerate(questions, start=1)
        )  # fmt: skip


def resync_roles(apps, schema_editor) -> None:
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0006_surveys"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("crm_site", "0011_roles_for_axes"),
    ]

    operations = [
        migrations.RunPython(create_questionnaires, migrations.RunPython.noop),
        migrations.RunPython(
            daily_task("visits: send satisfaction surveys", "visits.surveys_send", hour=9, minute=30),
            migrations.RunPython.noop,
        ),
        migrations.RunPython(resync_roles, migrations.RunPython.noop),
    ]
