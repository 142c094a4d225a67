"""A clock's deadlines as staff read them (casework.sla.deadlines)."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from casework.models import SlaClock
from casework.sla import deadlines

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def clock(**fields) -> SlaClock:
    values = {
        "started_at": START,
        "first_response_due_at": START + dt.timedelta(hours=4),
        "resolution_due_at": START + dt.timedelta(days=10),
        "resolution_warn_at": START + dt.timedelta(days=8),
    }
    return SlaClock(**{**values, **fields})


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (dt.timedelta(days=2, hours=4, minutes=59), "2 d 4 h"),
        (dt.timedelta(days=5), "5 d"),
        (dt.timedelta(hours=3, minutes=20), "3 h 20 min"),
        (dt.timedelta(hours=1), "1 h"),
        (dt.timedelta(minutes=5, seconds=59), "5 min"),
        (dt.timedelta(seconds=-30), "0 min"),
    ],
)
def test_a_span_says_its_two_largest_units(delta, text):
    assert deadlines.span(delta) == text


def test_an_unanswered_case_counts_down_to_its_first_response():
    shown = deadlines.next_deadline(clock(), START + dt.timedelta(hours=1, minutes=30))

    assert (shown.kind, shown.tone, shown.text) == (deadlines.FIRST_RESPONSE, "ok", "in 2 h 30 min")


def test_the_first_responses_last_quarter_is_soon_and_after_it_overdue():
    assert deadlines.first_response(clock(), START + dt.timedelta(hours=3, minutes=30)).tone == "soon"
    late = deadlines.first_response(clock(), START + dt.timedelta(hours=6))
    assert (late.tone, late.text) == ("late", "overdue 2 h")


def test_once_answered_the_resolution_counts_down_and_turns_soon_at_the_warning():
    answered = clock(first_responded_at=START + dt.timedelta(hours=1))

    on_track = deadlines.next_deadline(answered, START + dt.timedelta(days=1))
    assert (on_track.kind, on_track.tone, on_track.text) == (deadlines.RESOLUTION, "ok", "in 9 d")
    assert deadlines.next_deadline(answered, START + dt.timedelta(days=8, hours=1)).tone == "soon"
    overdue = deadlines.next_deadline(answered, START + dt.timedelta(days=15, hours=2))
    assert (overdue.tone, overdue.text) == ("late", "overdue 5 d 2 h")


def test_a_paused_clock_says_so_instead_of_counting():
    paused = clock(first_responded_at=START, paused_at=START + dt.timedelta(days=1))

    shown = deadlines.resolution(paused, START + dt.timedelta(days=30))
    assert (shown.tone, shown.text) == ("paused", "paused: waiting on the customer")


def test_a_stopped_clock_says_whether_it_was_in_time():
    in_time = clock(first_responded_at=START, stopped_at=START + dt.timedelta(days=3))
    late = clock(first_responded_at=START, stopped_at=START + dt.timedelta(days=12))

    assert deadlines.resolution(in_time, START + dt.timedelta(days=20)).text == "resolved in time"
    assert deadlines.resolution(late, START + dt.timedelta(days=20)).tone == "late"


def test_a_first_response_given_late_stays_late():
    shown = deadlines.first_response(clock(first_responded_at=START + dt.timedelta(hours=5)), START)

    assert (shown.tone, shown.text) == ("late", "answered late")


def test_the_tag_renders_a_coloured_countdown_in_the_readers_language(settings):
    settings.USE_TZ = True
    template = Template('{% load deadlines %}{% deadline clock "resolution" %}')
    far = clock(first_responded_at=START, resolution_due_at=dt.datetime(2999, 1, 1, tzinfo=dt.UTC))

    html = template.render(Context({"clock": far}))
    assert 'class="deadline deadline--ok"' in html
    assert ">in " in html
    with translation.override("zh-hans"):
        assert "还剩" in template.render(Context({"clock": far}))


@pytest.mark.django_db
def test_the_case_rows_next_deadline_follows_every_clock_change(agent):
    """The column the lists sort and count by is, after each step of the clock, what the
    ``NextDue`` expression says of the clock: start, first response, pause and resume, a
    holding response's extension, a new policy, stop and restart."""
    from django.utils import timezone

    from casework.models import SlaPolicy
    from casework.models.sla import next_due
    from casework.sla import clocks
    from complaints.models import Complaint
    from complaints.tests.factories import register

    case = register(agent)
    clock = case.sla_clock

    def agrees() -> dt.datetime | None:
        row = Complaint.objects.filter(pk=case.pk).annotate(expected=next_due("sla_clock__"))
        column, expected = row.values_list("next_due_at", "expected").get()
        assert column == expected == clock.next_due_at
        return column

    started = agrees()
    assert started == clock.first_response_due_at  # unanswered: the first response
    now = timezone.now()
    clocks.record_first_response(clock, at=now)
    assert agrees() == clock.resolution_due_at
    clocks.pause_clock(clock, at=now + dt.timedelta(hours=1))
    agrees()
    clocks.resume_clock(clock, at=now + dt.timedelta(days=3))
    resumed = agrees()
    assert resumed > clock.started_at
    clocks.extend_clock(clock)
    assert agrees() > resumed
    policy = clock.policy
    longer = SlaPolicy.objects.create(
        name="Longer",
        case_type=policy.case_type,
        category="transaction",
        calendar=policy.calendar,
        first_response_target=policy.first_response_target,
        first_response_unit=policy.first_response_unit,
        resolution_target=policy.resolution_target * 2,
        resolution_unit=policy.resolution_unit,
        extended_resolution_target=(policy.extended_resolution_target or policy.resolution_target) * 2,
    )
    clocks.change_policy(clock, longer, at=now + dt.timedelta(days=3))
    agrees()
    clocks.stop_clock(clock, at=now + dt.timedelta(days=4))
    assert agrees() is None  # an ended case has nothing left to meet
    clocks.restart_clock(clock, at=now + dt.timedelta(days=5))
    assert agrees() == clock.resolution_due_at
    # A clock read apart from its case (as a correction reads it) still moves the row.
    apart = SlaClock.objects.get(pk=clock.pk)
    clocks.stop_clock(apart, at=now + dt.timedelta(days=6))
    clock = apart
    assert agrees() is None
