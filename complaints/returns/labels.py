"""How a return names a dimension's value: a business type or cause by its code and name
(``B01 Payment``), a channel by the channel code it maps to (``H01 Phone hotline``)."""

from __future__ import annotations

from django.utils.translation import gettext

from complaints.models import Channel, ClassificationCode, Dimension
from complaints.returns.measures import NONE


class Labels:
    """The codes, read once per return (a few dozen rows)."""

    def __init__(self) -> None:
        rows = ClassificationCode.objects.filter(
            dimension__in=[Dimension.BUSINESS_TYPE, Dimension.CAUSE, Dimension.CHANNEL]
        ).order_by("dimension", "position", "code")
        self.by_id = {row.pk: row for row in rows}
        self.channel_codes = {
            row.maps_from: row
            for row in rows
            if row.dimension == Dimension.CHANNEL and row.maps_from and row.is_active
        }

    def code(self, pk: int | None) -> str:
        return NONE if pk is None else self.by_id[pk].code

    def coded(self, pk: int | None) -> str:
        return gettext("not classified") if pk is None else str(self.by_id[pk])

    def position(self, pk: int | None) -> tuple:
        if pk is None:
            return (1, "")
        return (0, self.by_id[pk].position, self.by_id[pk].code)

    def channel(self, value: str) -> str:
        code = self.channel_codes.get(value)
        return str(code) if code else str(Channel(value).label) if value in Channel.values else value

    def channel_position(self, value: str) -> tuple:
        code = self.channel_codes.get(value)
        return (0, code.code) if code else (1, value)
