"""Personal data shown masked, and revealed one value at a time, with a log.

What is masked: phone numbers, wallet/bank account numbers and ID numbers, i.e.
``Complaint.customer_phone`` and ``account_number``, ``WalletAccount.account_number`` (its
``phone_masked`` is stored masked already) and the account number an ``AccountRequest``
shows. Refund cases hold none (a transaction reference and a merchant are not personal
data); no model stores an ID number yet (the ID card is a scan on the evidence), and
:func:`mask_id_number` is here for the first one that does.

Where: in every list, change form (read-only display, and the history of changes) and
admin message of the staff door, in what services write into the record (the transition
trail and its CSV export, a resolution summary), in ``WalletAccount.__str__``, and in the
partner API's answers. Masks keep enough
to recognise a value on the phone: ``139****2233``, ``+86 138 **** 8000``,
``WLT-****-1203``, ``1101**********1234``; a masked value is as long as the value (a phone
stored in E.164 as long as its international format).

The rule: everybody sees masks by default. Holders of ``casework.reveal_personal_data``
get a "reveal" button beside each masked value on a change form; it asks why, and POSTs
the reason (with the CSRF token) to the reveal view, which answers the full value of that
one field and writes a ``RevealLog`` row (who, which case, which field, when, why). The
reason is required (at most 300 characters, no NUL): without a valid one nothing is shown,
and the try is logged as ``no_reason``. Auditors read the log in the admin; nobody edits or
deletes it. A POST by anyone else is refused with 403 and written too, as ``refused`` with
no value, so probing shows in the log.

Who holds the permission (granted by ``casework/migrations/0008_reveal_log``):

- agent: calls the customer back and checks the caller against the account;
- complaints department: calls customers back on the complaints escalated to it;
- supervisor: takes over calls and checks an agent's work (and reads the reveal log);
- risk officer: looks the account up in the risk system before approving an unlock.

Not by default: the technical team (investigates by transaction reference), the refunds
desk (works on the transaction and the payments system), auditors (the masks and the log
are enough to audit; a supervisor reveals if an audit ever needs a value) and partners
(the API masks what it echoes: the partner sent the numbers itself).

Searching by a full phone or account number still works for everyone who may search: the
changelist matches the stored value and shows the mask. It matches the whole value only, for
everyone: a search by a beginning or a part would answer, one character at a time, what the
mask hides (a technician once walked a number out in 93 prefix searches), and for a user who
may reveal it would be a reveal of every value at once, past the one-at-a-time log. So a
masked field is searched ``__exact`` whatever an admin's ``search_fields`` say, is no filter
in the URL (``?account_number__startswith=`` is refused), and sorts no list (its order would
place the hidden digits). A search by a whole value reveals nothing the user did not type,
and is not logged. Exports are masked for everyone, reveal permission or not: a bulk export
would bypass the one-at-a-time log.

Editing: a change form never shows the stored number, not even in its input. The value
line shows the mask (and "reveal"); an editable number gets an empty "new ..." input
beside it. Left empty, or given back the mask, the stored value stays as it is: a mask is
never saved over a number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from rest_framework import serializers

from casework.core.phones import international_format, written_forms

REVEAL_PERMISSION = "casework.reveal_personal_data"
MASK = "*"

PHONE = "phone"
ACCOUNT = "account"
ID_NUMBER = "id_number"
EMAIL = "email"

# Set by MaskedFieldsAdmin.get_object on the object a change form shows: its user may reveal.
_MAY_REVEAL = "_may_reveal_personal_data"


def _mask(value: str, *, head: int, tail: int, maskable: Callable[[str], bool]) -> str:
    """Hide the ``maskable`` characters of ``value`` but the first ``head`` and the last
    ``tail``, fewer on a short value so that at least four (or about half) stay hidden."""
    positions = [at for at, char in enumerate(value) if maskable(char)]
    total = len(positions)
    if total - head - tail < 4:
        head = 0
    if total - tail < 4:
        tail = 2 if total >= 5 else 0
    hidden = {at for count, at in enumerate(positions) if head <= count < total - tail}
    return "".join(MASK if at in hidden else char for at, char in enumerate(value))


def mask_phone(value: str | None) -> str:
    """``13911002233`` -> ``139****2233``; ``+86 138 0013 8000`` -> ``+86 138 **** 8000``.

    An international prefix (``+`` and the digits before the first separator) stays, as do
    spaces and hyphens; of the number, the first three and the last four digits show. A
    number stored in E.164 (``+8613800138000``) is masked as people read it: ``+86 138 **** 8000``.
    """
    value = international_format((value or "").strip())
    prefix = ""
    match = re.match(r"^\+\d{1,3}(?=[ -])", value)
    if match:
        prefix, value = match.group(0), value[match.end() :]
    return prefix + _mask(value, head=3, tail=4, maskable=str.isdigit)


def mask_contact_address(address: str | None) -> str:
    """A customer's e-mail address or phone as staff see it: ``wang.fang@example.com`` ->
    ``w***@example.com`` (the first letter and the domain), a phone as ``mask_phone`` does.
    The timeline and the outbox show where a message went so; a case list, a customer
    known by e-mail only."""
    local, at, domain = (address or "").strip().partition("@")
    return f"{local[:1]}***{at}{domain}" if at else mask_phone(address)


def mask_account_number(value: str | None) -> str:
    """``WLT-8800-1203`` -> ``WLT-****-1203``; ``6222000011112222`` -> ``************2222``.

    A leading product code of letters stays; of the rest, only the last four characters.
    """
    value = (value or "").strip()
    match = re.match(r"^[A-Za-z]+(?=[^A-Za-z]|$)", value)
    prefix = match.group(0) if match and any(char.isdigit() for char in value) else ""
    rest = value[len(prefix) :]
    return prefix + _mask(rest, head=0, tail=4, maskable=str.isalnum)


def mask_id_number(value: str | None) -> str:
    """``110101199003071234`` -> ``1101**********1234``: the region code and the last four."""
    value = (value or "").strip()
    return _mask(value, head=4, tail=4, maskable=str.isalnum)


MASKERS: dict[str, Callable[[str | None], str]] = {
    PHONE: mask_phone,
    ACCOUNT: mask_account_number,
    ID_NUMBER: mask_id_number,
    EMAIL: mask_contact_address,
}


def mask(kind: str, value: str | None) -> str:
    return MASKERS[kind](value)


def may_reveal(user) -> bool:
    return user.is_active and user.has_perm(REVEAL_PERMISSION)


def _follow(obj: Any, path: str) -> Any:
    """``obj.a.b`` for ``"a.b"``; ``None`` where the path breaks off."""
    return reduce(lambda current, attribute: getattr(current, attribute, None), path.split("."), obj)


@dataclass(frozen=True)
class PersonalField:
    """One masked value an admin shows: its kind, its label, where it is read from (a dotted
    path from the object; the admin's name for it by default) and, optionally, the related
    object whose change page the masked value links to."""

    kind: str
    label: str
    source: str = ""
    link: str = ""

    def path(self, name: str) -> str:
        return self.source or name

    def value_of(self, obj: Any, name: str) -> str:
        value = _follow(obj, self.path(name))
        return "" if value is None else str(value)

    def lookup(self, name: str) -> str:
        """The path as a query lookup: ``account__account_number``."""
        return self.path(name).replace(".", "__")


def masked_in_text(text: str, obj: Any, specs: dict[str, PersonalField]) -> str:
    """``text`` with each value of ``obj``'s masked fields written in it shown masked: for
    a stored text that printed them (a notice written before notices masked), and that
    stays as it was written. Values it held before (its history) too, longest first."""
    values: dict[str, str] = {}
    history = getattr(obj, "history", None)
    for name, spec in specs.items():
        values[spec.value_of(obj, name)] = spec.kind
        if history is not None and spec.path(name) == name:
            for old in history.values_list(name, flat=True).distinct():
                values[str(old or "")] = spec.kind
    # A phone stored in E.164 was printed as people write it (13911002233, +86 139 1100 2233).
    for value, kind in list(values.items()):
        if kind == PHONE:
            for written in written_forms(value):
                values.setdefault(written, kind)
    for value in sorted((value for value in values if len(value) >= 4), key=len, reverse=True):
        text = text.replace(value, mask(values[value], value))
    return text


def reveal_url(obj: Any, name: str) -> str:
    meta = obj._meta
    return reverse("admin:casework_reveal", args=[meta.app_label, meta.model_name, obj.pk, name])


def masked_html(obj: Any, name: str, spec: PersonalField, *, may_reveal: bool = False) -> str:
    """The masked value, linked to ``spec.link``'s page if set, with a "reveal" button for
    a user who may reveal it. ``casework/reveal.js`` posts the button's URL with the page's
    CSRF token and shows the answer in place. A plain button, not a submit: pressing Enter
    in the change form must save it, not reveal."""
    value = spec.value_of(obj, name)
    if not value:
        return "—"
    shown = format_html('<span class="personal-data">{}</span>', mask(spec.kind, value))
    related = _follow(obj, spec.link) if spec.link else None
    if related is not None:
        meta = related._meta
        try:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[related.pk])
        except NoReverseMatch:
            pass
        else:
            shown = format_html('<a href="{}">{}</a>', url, shown)
    if not may_reveal or obj.pk is None:
        return shown
    # The script's words travel on the button, in the page's language.
    return format_html(
        '{} <button type="button" class="button reveal-personal-data" data-reveal-url="{}" '
        'data-prompt="{}" data-refused="{}" data-failed="{}" title="{}">{}</button>',
        shown,
        reveal_url(obj, name),
        gettext("Why do you need the full value? (required; the reveal is logged)"),
        gettext("not allowed"),
        gettext("failed"),
        gettext("Show the full %(value)s once; the reveal is logged") % {"value": spec.label},
        gettext("reveal"),
    )


def _display(name: str, spec: PersonalField) -> Callable:
    def display(self, obj) -> str:
        return masked_html(obj, name, spec, may_reveal=getattr(obj, _MAY_REVEAL, False))

    # No admin_order_field: a list sorted by the hidden value would tell its digits.
    display.short_description = spec.label
    display.__name__ = display_name(name)
    return display


def display_name(name: str) -> str:
    return f"masked_{name}"


class KeepUnlessReplacedField(forms.CharField):
    """A change form's input for a masked number: empty, never the stored value.

    Left empty, or given back the mask, it cleans to the stored value and does not count as
    a change; a new number is checked by the model field's own form field.
    """

    def __init__(self, original: forms.Field, *, current: str, kind: str, label: str) -> None:
        self.original = original
        self.current = current or ""
        self.masked = mask(kind, self.current)
        if self.current:
            help_text = gettext(
                "Leave empty to keep the number on file%(kept)s; a new number replaces it "
                "(kept in the history)."
            ) % {"kept": f" ({self.masked})"}
        else:
            help_text = gettext("None on file yet: type the number to add it (kept in the history).")
        super().__init__(
            required=False,
            label=gettext("New %(value)s") % {"value": label},
            help_text=help_text,
            widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": self.masked}),
        )

    def _unchanged(self, data: str) -> bool:
        return data in ("", self.current, self.masked)

    def clean(self, value: Any) -> str:
        value = (value or "").strip()
        if self._unchanged(value):
            return self.current
        if MASK in value:
            raise ValidationError(
                gettext("Type the whole new number: a masked value cannot be saved."), code="masked"
            )
        return self.original.clean(value)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return not self._unchanged((data or "").strip())


def keep_unless_replaced(form_class: type[forms.BaseForm], specs: dict[str, PersonalField]) -> type:
    """``form_class`` with each of ``specs``' fields it has turned into a
    :class:`KeepUnlessReplacedField` on the stored value."""

    class Form(form_class):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            for name, spec in specs.items():
                if name not in self.fields:
                    continue
                current = self.initial.get(name)
                self.initial[name] = ""  # what the input shows, and what "unchanged" compares to
                self.fields[name] = KeepUnlessReplacedField(
                    self.fields[name], current=current, kind=spec.kind, label=spec.label
                )

    Form.__name__ = Form.__qualname__ = form_class.__name__
    Form.__module__ = form_class.__module__
    return Form


class MaskedFieldsAdmin:
    """A ModelAdmin mixin (put it first) that shows ``masked_fields`` masked.

    ``masked_fields`` maps a name used in ``list_display`` and the fieldsets (a model
    field, or a path through ``PersonalField.source``) to its :class:`PersonalField`. The
    mixin swaps each for a masked read-only display, adds the reveal button on change forms
    for users who may reveal, gives an editable one an empty "new ..." input, and masks it
    in simple-history's list of changes.
    """

    masked_fields: dict[str, PersonalField] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        for name, spec in cls.masked_fields.items():
            if display_name(name) not in cls.__dict__:
                setattr(cls, display_name(name), _display(name, spec))

    def get_list_display(self, request):
        return [
            display_name(name) if name in self.masked_fields else name
            for name in super().get_list_display(request)
        ]

    # Searching, filtering and sorting: a masked value is matched whole or not at all.

    def _masked_path(self, lookup: str) -> str | None:
        """The masked field's path (``account__account_number``) ``lookup`` reads, if any."""
        for name, spec in self.masked_fields.items():
            path = spec.lookup(name)
            if lookup == path or lookup.startswith(f"{path}__"):
                return path
        return None

    def get_search_fields(self, request):
        """Each search field on a masked value made ``<path>__exact``: whole, as stored."""
        fields = []
        for field in super().get_search_fields(request):
            path = self._masked_path(field.lstrip("^=@"))
            fields.append(f"{path}__exact" if path else field)
        return tuple(dict.fromkeys(fields))

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # The admin allows any lookup on a local field in the URL (?customer_phone__startswith=).
        if self._masked_path(lookup):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_ordering(self, request):
        ordering = super().get_ordering(request) or self.model._meta.ordering
        kept = [
            field
            for field in ordering
            if not (isinstance(field, str) and self._masked_path(field.lstrip("-")))
        ]
        return kept or ["-pk"]

    def _is_replaceable(self, request, obj, name: str) -> bool:
        return name in getattr(self, "editable_fields", ()) and self.has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets  # the add form: staff type the number they were given
        masked, seen = [], set()
        for title, options in fieldsets:
            lines = []
            for line in options["fields"]:
                names = line if isinstance(line, (tuple, list)) else (line,)
                shown = tuple(display_name(name) if name in self.masked_fields else name for name in names)
                # Fieldsets made from get_fields() list a read-only display twice: once for its field.
                shown = tuple(name for name in shown if name not in seen)
                seen.update(shown)
                if not shown:
                    continue
                lines.append(shown if isinstance(line, (tuple, list)) else shown[0])
                lines.extend(
                    name
                    for name in names
                    if name in self.masked_fields and self._is_replaceable(request, obj, name)
                )
            masked.append((title, {**options, "fields": tuple(lines)}))
        return masked

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        return readonly + tuple(
            display_name(name) for name in self.masked_fields if display_name(name) not in readonly
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form
        return keep_unless_replaced(form, self.masked_fields)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            setattr(obj, _MAY_REVEAL, may_reveal(request.user))
        return obj

    def get_historical_record_context_helper(self, request, historical_record):
        helper = super().get_historical_record_context_helper(request, historical_record)
        kinds = {
            name: spec.kind
            for name, spec in self.masked_fields.items()
            if spec.path(name) == name  # a field of this model, whose history is listed
        }
        prepare = helper.prepare_delta_change_value

        def prepare_masked(change, value):
            if change.field in kinds:
                return mask(kinds[change.field], "" if value is None else str(value))
            return prepare(change, value)

        helper.prepare_delta_change_value = prepare_masked
        return helper

    @property
    def media(self):
        return super().media + forms.Media(js=["casework/reveal.js"])


class MaskedCharField(serializers.CharField):
    """A read-only string the API answers masked (same name, same type, same length)."""

    def __init__(self, *, kind: str, **kwargs) -> None:
        self.kind = kind
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return mask(self.kind, super().to_representation(value))
