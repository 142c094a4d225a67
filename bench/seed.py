"""The scale benchmark's data (``bench/scale.py``): cases loaded with plain SQL over
``generate_series``, so a million rows load in minutes (load, not behaviour: no
transitions, no history).

The newest 10,000 complaints (and 1,000 of each other case type) are today's work: most
are open, held by agents or waiting in a team's queue, some escalated to the technical
team, some waiting on the customer, the first response of the newest still unanswered.
Everything older is history: closed, but for two stragglers in a thousand still open.
So a clerk's open cases, the queues and the open lists are the same at both sizes, as in
a real back office whose backlog follows the daily inflow, not the years behind it; the
views answer the same question over more rows.

The people My work is measured for hold what a clerk holds: ``bench.clerk``, an agent,
20 open complaints (and one in 50 of the old, closed ones, as their history grows);
``bench.refunds`` of the refunds desk, about 17 open refund cases (and one in 40 of the
old ones); ``bench.tech``, of the technical team, is who the escalated cases wait for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from common import connection

RECENT = 10_000  # today's complaints; a tenth as many of the other case types


@dataclass
class Seed:
    now: dt.datetime
    clock_base: int
    complaint_policy: int
    account_policy: int
    refund_policy: int
    team: int
    technical_team: int
    agents: list[int]
    clerk: int
    technician: int
    refunds_desk: int
    partner: int
    other_partner: int


def staff_user(username: str, group: str) -> int:
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username, is_staff=True, password="bench-only-password")
    user.groups.add(Group.objects.get(name=group))
    return user.pk


def setup(now: dt.datetime) -> Seed:
    from django.contrib.auth.models import Group, User

    from casework.access import roles
    from casework.models import Partner, SlaClock, SlaPolicy, Team

    agents = [staff_user(f"bench.agent{index}", roles.AGENT) for index in range(5)]
    partners = []
    for code in ("bench", "other"):
        user = User.objects.create_user(f"bench.{code}")
        user.groups.add(Group.objects.get(name="partner"))
        partners.append(
            Partner.objects.create(code=code, name=code, user=user, rate_limit="1000000/minute").pk
        )

    def policy(case_type: str) -> int:
        return SlaPolicy.objects.get(case_type=case_type, category="", priority="").pk

    return Seed(
        now=now,
        clock_base=(SlaClock.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1,
        complaint_policy=policy("complaint"),
        account_policy=policy("account_request"),
        refund_policy=policy("refund"),
        team=Team.objects.get(code="frontline").pk,
        technical_team=Team.objects.get(code="technical").pk,
        agents=agents,
        clerk=staff_user("bench.clerk", roles.AGENT),
        technician=staff_user("bench.tech", roles.TECHNICAL_TEAM),
        refunds_desk=staff_user("bench.refunds", roles.REFUNDS_DESK),
        partner=partners[0],
        other_partner=partners[1],
    )


def due_clocks(size: int) -> int:
    """How many clocks are due now among ``size`` complaints: those of ``n % 10 == 5``
    below 10,000 (the sweep's 1,000 at full size)."""
    return len(range(5, min(size, RECENT), 10))


# n is a complaint's number, 0 the newest; one every 30 seconds back from now.
# Below 10,000, by n % 10: received, accepted, in progress (3), escalated to the technical
# team, awaiting the customer (clock paused), resolved an hour ago, closed (2; clocks
# stopped). Older: closed, but n % 1000 == 7 in progress and 507 awaiting the customer.
# Holders: the clerk 20 open ones (n % 1500 in 3, 504, 1006 below 10,000) and every 50th old
# one; the received ones wait unassigned in the frontline's queue; agents hold the rest.
# A received complaint is unanswered: its first response due in 2 to 6 days, or (n % 20 == 0)
# two hours ago, already marked late. Every running clock's resolution is due in 1 to
# 20 days, except n < 10,000 with n % 10 == 5: due an hour ago (the sweep's 1,000); a
# stopped clock's was due 1 to 20 days after the complaint came in.
COMPLAINT_SQL = """
WITH numbered AS (
    SELECT n, %(now)s::timestamptz - n * interval '30 seconds' AS created_at, n < 10000 AS recent
    FROM generate_series(%(start)s, %(stop)s - 1) AS n
), rows AS (
    SELECT *,
           CASE WHEN recent THEN (ARRAY['received','accepted','in_progress','in_progress','escalated',
                                        'in_progress','awaiting_customer','resolved','closed',
                                        'closed'])[1 + n %% 10]
                WHEN n %% 1000 = 7 THEN 'in_progress'
                WHEN n %% 1000 = 507 THEN 'awaiting_customer'
                ELSE 'closed' END AS state,
           recent AND n %% 10 = 5 AS is_due,
           recent AND n %% 10 = 0 AS unanswered,
           recent AND n %% 20 = 0 AS answered_late,
           CASE WHEN recent AND n %% 1500 IN (3, 504, 1006) THEN %(clerk)s
                WHEN recent AND n %% 10 = 0 THEN NULL
                WHEN NOT recent AND n %% 50 = 3 THEN %(clerk)s
                ELSE (%(agents)s::int[])[1 + n %% 5] END AS holder
    FROM numbered
), clocks AS (
    INSERT INTO casework_slaclock (
        id, policy_id, started_at, first_response_due_at, first_responded_at,
        first_response_breached_at, resolution_due_at, resolution_warn_at, is_extended, paused_at,
        paused_minutes_total, stopped_at)
    SELECT %(clock_base)s + 3 * n, %(policy)s, created_at,
           CASE WHEN answered_late THEN %(now)s::timestamptz - interval '2 hours'
                WHEN unanswered THEN %(now)s::timestamptz + (2 + (n / 20) %% 5) * interval '1 day'
                ELSE created_at + interval '1 day' END,
           CASE WHEN NOT unanswered THEN created_at + interval '1 hour' END,
           CASE WHEN answered_late THEN %(now)s::timestamptz - interval '2 hours' END,
           due, due - interval '8 hours', false,
           CASE WHEN state = 'awaiting_customer' THEN %(now)s::timestamptz - interval '1 hour' END, 0,
           CASE WHEN state IN ('resolved', 'closed') THEN least(created_at + interval '1 minute',
                %(now)s::timestamptz - interval '1 hour') END
    FROM (SELECT *, CASE WHEN is_due THEN %(now)s::timestamptz - interval '1 hour'
                         WHEN state IN ('resolved', 'closed')
                             THEN created_at + (1 + n %% 20) * interval '1 day'
                         ELSE %(now)s::timestamptz + (1 + n %% 20) * interval '1 day' END AS due
          FROM rows) AS timed
    RETURNING id
)
INSERT INTO complaints_complaint (
    id, reference, version, state, turn, channel, category, priority, customer_name, customer_phone,
    account_number, identity_verification_method, description, currency, transaction_reference,
    merchant, device, external_reference, escalation_reason, findings, holding_response, created_at,
    updated_at, resolution_code, resolution_summary, resolved_at, closed_at,
    is_first_contact_resolution, was_escalated, assigned_to_id, partner_id, registered_by_id,
    sla_clock_id, team_id, escalated_to_id, customer_email, customer_language, preferred_channel,
    outcome, regime_condition)
SELECT n + 1, 'CMP-BENCH-' || lpad(n::text, 7, '0'), 0, state,
       CASE state WHEN 'awaiting_customer' THEN 'customer' WHEN 'escalated' THEN 'team'
                  WHEN 'resolved' THEN 'nobody' WHEN 'closed' THEN 'nobody' ELSE 'agent' END,
       (ARRAY['phone','chat','email','app','website'])[1 + n %% 5],
       (ARRAY['slow_service','other','privacy'])[1 + n %% 3],
       'normal', 'Customer ' || n, '138' || lpad(n::text, 8, '0'), 'WLT-' || lpad(n::text, 8, '0'),
       '', 'Benchmark complaint', 'CNY', 'TX' || lpad(n::text, 10, '0'), '', '', '',
       CASE WHEN state = 'escalated' THEN 'Benchmark: the payment gateway needs a look' ELSE '' END, '', '',
       created_at, created_at + interval '1 minute', '', '',
       CASE state WHEN 'resolved' THEN %(now)s::timestamptz - interval '1 hour'
                  WHEN 'closed' THEN least(created_at + interval '1 minute',
                                           %(now)s::timestamptz - interval '1 hour') END,
       CASE WHEN state = 'closed' THEN least(created_at + interval '2 minutes', %(now)s::timestamptz) END,
       false, state = 'escalated', holder,
       CASE n %% 3 WHEN 0 THEN %(partner)s WHEN 1 THEN %(other_partner)s END,
       (%(agents)s::int[])[1], %(clock_base)s + 3 * n, %(team)s,
       CASE WHEN state = 'escalated' THEN %(technical_team)s END,
       CASE WHEN n %% 5 = 2 THEN 'customer' || (n + 1) || '@example.com' ELSE '' END, 'zh-hans',
       CASE WHEN n %% 5 = 2 THEN 'email' ELSE 'sms' END, '', ''
FROM rows
"""

# m is an account request's or a refund case's number: one for each tenth complaint, in the
# same time span; below 1,000 today's, older ones ended but for one in a thousand. Open
# ones wait on staff (never expire), due in 1 to 20 days.
ACCOUNT_SQL = """
WITH rows AS (
    SELECT m, %(now)s::timestamptz - m * interval '300 seconds' AS created_at,
           CASE WHEN m < 1000 THEN (ARRAY['pending_review','approved','executed','rejected'])[1 + m %% 4]
                WHEN m %% 1000 = 7 THEN 'pending_review'
                ELSE (ARRAY['executed','rejected'])[1 + m %% 2] END AS state
    FROM generate_series(%(start)s, %(stop)s - 1) AS m
), accounts AS (
    INSERT INTO accounts_walletaccount (id, account_number, holder_name, phone_masked, status,
                                        lock_reason, failed_attempts, updated_at)
    SELECT m + 1, 'WLT-B' || lpad(m::text, 9, '0'), 'Holder ' || m,
           '138****' || lpad((m %% 10000)::text, 4, '0'), 'locked', 'wrong_passwords', 0, created_at
    FROM rows RETURNING id
), clocks AS (
    INSERT INTO casework_slaclock (
        id, policy_id, started_at, first_response_due_at, first_responded_at, resolution_due_at,
        resolution_warn_at, is_extended, paused_minutes_total, stopped_at)
    SELECT %(clock_base)s + 3 * m + 1, %(policy)s, created_at, created_at + interval '1 day',
           created_at + interval '1 hour', %(now)s::timestamptz + (1 + m %% 20) * interval '1 day',
           %(now)s::timestamptz + (1 + m %% 20) * interval '1 day' - interval '8 hours', false, 0,
           CASE WHEN state IN ('executed', 'rejected') THEN created_at + interval '1 minute' END
    FROM rows RETURNING id
)
INSERT INTO accounts_accountrequest (
    id, reference, version, kind, state, lock_reason, customer_statement, explanation_given,
    external_reference, identity_verification_method, gateway_reference, rejection_reason,
    created_at, updated_at, partner_id, sla_clock_id, submitted_by_id, account_id)
SELECT m + 1, 'ACR-BENCH-' || lpad(m::text, 7, '0'), 0, 'unlock', state, 'wrong_passwords', '', '', '',
       '', '', '', created_at, created_at + interval '1 minute',
       CASE m %% 3 WHEN 0 THEN %(partner)s WHEN 1 THEN %(other_partner)s END,
       %(clock_base)s + 3 * m + 1, (%(agents)s::int[])[1], m + 1
FROM rows
"""

# The refunds desk's clerk handles m % 40 == 1; below 1,000 the other odd ones wait in the
# desk's queue (no handler), an agent handles the rest.
REFUND_SQL = """
WITH rows AS (
    SELECT m, %(now)s::timestamptz - m * interval '300 seconds' AS created_at,
           CASE WHEN m < 1000 THEN (ARRAY['requested','under_review','approved','processing','refunded',
                                          'rejected'])[1 + m %% 6]
                WHEN m %% 1000 = 7 THEN 'under_review'
                ELSE (ARRAY['refunded','rejected'])[1 + m %% 2] END AS state
    FROM generate_series(%(start)s, %(stop)s - 1) AS m
), payments AS (
    INSERT INTO refunds_paymenttransaction (id, reference, merchant, amount, currency, paid_at, created_at)
    SELECT m + 1, 'TXN-BENCH-' || lpad(m::text, 8, '0'), 'Merchant ' || (m %% 500), 800, 'CNY',
           created_at - interval '10 days', created_at
    FROM rows RETURNING id
), clocks AS (
    INSERT INTO casework_slaclock (
        id, policy_id, started_at, first_response_due_at, first_responded_at, resolution_due_at,
        resolution_warn_at, is_extended, paused_minutes_total, stopped_at)
    SELECT %(clock_base)s + 3 * m + 2, %(policy)s, created_at, created_at + interval '1 day',
           created_at + interval '1 hour', %(now)s::timestamptz + (1 + m %% 20) * interval '1 day',
           %(now)s::timestamptz + (1 + m %% 20) * interval '1 day' - interval '8 hours', false, 0,
           CASE WHEN state IN ('refunded', 'rejected') THEN created_at + interval '1 minute' END
    FROM rows RETURNING id
)
INSERT INTO refunds_refundcase (
    id, reference, version, state, refund_type, requested_amount, approved_amount, reason,
    external_reference, evidence_requested, processor_reference, failure_reason, rejection_reason,
    reminders_sent, created_at, updated_at, handler_id, partner_id, sla_clock_id, submitted_by_id,
    transaction_id)
SELECT m + 1, 'RFD-BENCH-' || lpad(m::text, 7, '0'), 0, state,
       (ARRAY['not_received','returned','duplicate_charge','failed_payment'])[1 + m %% 4], 100,
       CASE WHEN state IN ('approved', 'processing', 'refunded') THEN 100 END, 'Benchmark refund', '', '',
       '', '', '', 0, created_at, created_at + interval '1 minute',
       CASE WHEN m %% 40 = 1 THEN %(refunds_desk)s WHEN m < 1000 AND m %% 2 = 1 THEN NULL
            ELSE (%(agents)s::int[])[2] END,
       CASE m %% 3 WHEN 0 THEN %(partner)s WHEN 1 THEN %(other_partner)s END,
       %(clock_base)s + 3 * m + 2, (%(agents)s::int[])[1], m + 1
FROM rows
"""

# Each case row's copy of its running clock's next deadline (casework.sla.clocks keeps it
# in the application): the first response until answered, then the resolution.
NEXT_DUE_SQL = """
UPDATE {table} AS c SET next_due_at = CASE WHEN k.first_responded_at IS NULL
                                           THEN k.first_response_due_at ELSE k.resolution_due_at END
FROM casework_slaclock AS k
WHERE k.id = c.sla_clock_id AND k.stopped_at IS NULL AND c.id > %(start)s
"""

SEQUENCES = (
    ("casework_slaclock", "id"),
    ("complaints_complaint", "id"),
    ("accounts_walletaccount", "id"),
    ("accounts_accountrequest", "id"),
    ("refunds_paymenttransaction", "id"),
    ("refunds_refundcase", "id"),
)


def grow(seed: Seed, start: int, stop: int) -> None:
    """Complaints ``start`` to ``stop`` (and a tenth as many of the other cases), then fresh
    statistics and visibility maps, as autovacuum would soon give a real database."""
    common = {
        "now": seed.now,
        "clock_base": seed.clock_base,
        "agents": seed.agents,
        "clerk": seed.clerk,
        "refunds_desk": seed.refunds_desk,
        "team": seed.team,
        "technical_team": seed.technical_team,
        "partner": seed.partner,
        "other_partner": seed.other_partner,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            COMPLAINT_SQL, {**common, "start": start, "stop": stop, "policy": seed.complaint_policy}
        )
        few = {"start": start // 10, "stop": stop // 10}
        cursor.execute(ACCOUNT_SQL, {**common, **few, "policy": seed.account_policy})
        cursor.execute(REFUND_SQL, {**common, **few, "policy": seed.refund_policy})
        cursor.execute(NEXT_DUE_SQL.format(table="complaints_complaint"), {"start": start})
        for table in ("accounts_accountrequest", "refunds_refundcase"):
            cursor.execute(NEXT_DUE_SQL.format(table=table), {"start": start // 10})
        for table, column in SEQUENCES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"(SELECT max({column}) FROM {table}))"
            )
        cursor.execute("VACUUM ANALYZE")
