"""``{% deadline clock %}``: a clock's next deadline as a coloured countdown ("in 2 d 4 h",
"overdue 5 d"); ``{% deadline clock "resolution" %}`` for one of them
(``casework.sla.deadlines``)."""

from django import template
from django.utils import timezone

from casework.sla import deadlines as sla_deadlines

register = template.Library()


@register.inclusion_tag("admin/casework/deadline.html")
def deadline(clock, which: str = "") -> dict:
    if clock is None:
        return {"deadline": None}
    now = timezone.now()
    if which == sla_deadlines.FIRST_RESPONSE:
        shown = sla_deadlines.first_response(clock, now)
    elif which == sla_deadlines.RESOLUTION:
        shown = sla_deadlines.resolution(clock, now)
    else:
        shown = sla_deadlines.next_deadline(clock, now)
    return {"deadline": shown, "due_at": timezone.localtime(shown.due_at)}
