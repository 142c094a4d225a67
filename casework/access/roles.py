"""The back office's roles, as Django groups, and how migrations grant them permissions.

Each app's migration states the permissions its models give to each role; the mapping
is written into the migration so that it stays what it was when it ran.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

AGENT = "agent"
TECHNICAL_TEAM = "technical team"
COMPLAINTS_DEPARTMENT = "complaints department"
SUPERVISOR = "supervisor"
RISK_OFFICER = "risk officer"
REFUNDS_DESK = "refunds desk"
AUDITOR = "auditor"
PARTNER = "partner"

ROLES = (
    AGENT,
    TECHNICAL_TEAM,
    COMPLAINTS_DEPARTMENT,
    SUPERVISOR,
    RISK_OFFICER,
    REFUNDS_DESK,
    AUDITOR,
    PARTNER,
)


def grant(apps, schema_editor, mapping: Mapping[str, Sequence[str]], *, app_labels: Sequence[str]) -> None:
    """Give each role (group) the listed ``app_label.codename`` permissions.

    Permissions are normally created after migrations run; create them first so a
    fresh database gets its roles in one ``migrate``.
    """
    from django.contrib.auth.management import create_permissions

    for label in app_labels:
        app_config = apps.get_app_config(label)
        # Migration-state app configs carry no models module; create_permissions skips
        # such apps unless told the models are there.
        app_config.models_module = getattr(app_config, "models_module", None) or True
        create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in mapping.items():
        group, _ = Group.objects.get_or_create(name=role)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def revoke(apps, schema_editor, mapping: Mapping[str, Sequence[str]]) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codes in mapping.items():
        group = Group.objects.filter(name=role).first()
        if group is None:
            continue
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )


def seed_sla_policies(apps, *, case_type: str, policies) -> None:
    """Create each ``(name, category, first, first_unit, target, unit, extended, warn)``
    policy on the default calendar, unless an active one already covers its scope."""
    SlaPolicy = apps.get_model("casework", "SlaPolicy")
    calendar = apps.get_model("casework", "BusinessCalendar").objects.get(is_default=True)
    for name, category, priority, first, first_unit, target, unit, extended, warn in policies:
        SlaPolicy.objects.get_or_create(
            case_type=case_type,
            category=category,
            priority=priority,
            is_active=True,
            defaults={
                "name": name,
                "calendar": calendar,
                "first_response_target": first,
                "first_response_unit": first_unit,
                "resolution_target": target,
                "resolution_unit": unit,
                "extended_resolution_target": extended,
                "due_soon_minutes": warn,
            },
        )
