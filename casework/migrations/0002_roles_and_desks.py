"""Every environment gets the roles, the desks and a default China calendar."""

import datetime as dt

from django.db import migrations

from casework.access.roles import ROLES, grant, revoke

PERMISSIONS = {
    "supervisor": [
        "casework.view_team",
        "casework.change_team",
        "casework.view_businesscalendar",
        "casework.change_businesscalendar",
        "casework.add_calendaroverride",
        "casework.change_calendaroverride",
        "casework.delete_calendaroverride",
        "casework.view_calendaroverride",
        "casework.view_slapolicy",
        "casework.add_slapolicy",
        "casework.change_slapolicy",
        "casework.view_transitionrecord",
        "casework.view_notification",
    ],
    "auditor": [
        "casework.view_team",
        "casework.view_partner",
        "casework.view_businesscalendar",
        "casework.view_calendaroverride",
        "casework.view_slapolicy",
        "casework.view_transitionrecord",
        "casework.view_notification",
    ],
    "agent": ["casework.view_transitionrecord"],
    "technical team": ["casework.view_transitionrecord"],
    "complaints department": ["casework.view_transitionrecord"],
}

DESKS = [
    ("frontline", "Frontline agents", "frontline@wallet.example", "agent"),
    ("technical", "Technical team", "tech-team@wallet.example", "technical team"),
    ("complaints-dept", "Complaints department", "complaints-dept@wallet.example", "complaints department"),
    ("supervisors", "Supervisors", "supervisors@wallet.example", "supervisor"),
]


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    grant(apps, schema_editor, PERMISSIONS, app_labels=["casework"])
    Team = apps.get_model("casework", "Team")
    for code, name, mailbox, role in DESKS:
        Team.objects.get_or_create(
            code=code, defaults={"name": name, "mailbox": mailbox, "group": Group.objects.get(name=role)}
        )
    BusinessCalendar = apps.get_model("casework", "BusinessCalendar")
    BusinessCalendar.objects.get_or_create(
        name="China (default)",
        defaults={
            "country_code": "CN",
            "time_zone": "Asia/Shanghai",
            "workday_starts_at": dt.time(9, 0),
            "workday_ends_at": dt.time(18, 0),
            "is_default": True,
        },
    )


def backwards(apps, schema_editor):
    revoke(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
