"""Message templates: supervisors write the notices and the agents' reply templates, see
which placeholders they may use, and preview the message as the customer gets it."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.admin.base import AppendOnlyHistoryAdmin
from casework.models.kinds import registered
from casework.models.message_templates import PLACEHOLDERS, MessageTemplate
from casework.notices.message_templates import render, sample_values, sms_parts


def category_choices() -> list[tuple[str, object]]:
    """Blank, then each case kind's categories grouped under its name."""
    groups: list[tuple[str, object]] = [("", _("every category"))]
    for kind in registered():
        try:
            field = kind.model._meta.get_field("category")
        except Exception:  # a kind without categories
            continue
        groups.append((str(kind.name).capitalize(), list(field.flatchoices)))
    return groups


class MessageTemplateForm(forms.ModelForm):
    """The template as its editor saw it: a save over someone else's newer one is refused."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    class Meta:
        model = MessageTemplate
        fields = (
            "purpose",
            "code",
            "title",
            "case_type",
            "category",
            "language",
            "is_active",
            "subject",
            "body",
            "sms_body",
        )
        widgets = {
            "body": forms.Textarea(attrs={"rows": 12, "cols": 80}),
            "sms_body": forms.Textarea(attrs={"rows": 3, "cols": 80}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "category" not in self.fields:  # a reader's form: every field read-only
            return
        self.fields["category"] = forms.ChoiceField(
            choices=category_choices,
            required=False,
            label=self.fields["category"].label,
            help_text=self.fields["category"].help_text,
        )
        self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            # The admin's change view runs in one transaction: the lock holds until it saved.
            current = MessageTemplate.objects.select_for_update().get(pk=self.instance.pk).version
            if cleaned.get("seen_version") != current:
                raise forms.ValidationError(
                    gettext("Someone else changed this template after you opened it; reload and try again."),
                    code="stale",
                )
        return cleaned

    def save(self, commit=True):
        self.instance.version += 1
        return super().save(commit)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(AppendOnlyHistoryAdmin):
    form = MessageTemplateForm

    class Media:
        css = {"all": ("casework/templates.css",)}

    list_display = ("title", "purpose", "code", "case_type", "category", "language", "is_active")
    list_filter = ("purpose", "language", "case_type", "is_active")
    search_fields = ("title", "code", "body")
    readonly_fields = ("placeholders", "preview")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "purpose",
                    "code",
                    "title",
                    ("case_type", "category"),
                    "language",
                    "is_active",
                    "seen_version",
                )
            },
        ),
        (_("Text"), {"fields": ("subject", "body", "sms_body", "placeholders")}),
        (_("Preview, with made-up values"), {"fields": ("preview",)}),
    )

    @admin.display(description=_("placeholders"))
    def placeholders(self, template: MessageTemplate | None) -> str:
        return render_to_string(
            "admin/casework/messagetemplate/placeholders.html",
            {"placeholders": [(f"{{{name}}}", label) for name, label in PLACEHOLDERS.items()]},
        )

    @admin.display(description=_("preview"))
    def preview(self, template: MessageTemplate | None) -> str:
        if template is None or template.pk is None:
            return gettext("Save the template to see it as the customer will.")
        message = render(template, sample_values(template.language))
        return render_to_string(
            "admin/casework/messagetemplate/preview.html",
            {"message": message, "sms_parts": sms_parts(message.sms), "sms_length": len(message.sms)},
        )
