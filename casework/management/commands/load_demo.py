"""Demo data for a first look: a login for every role, two partners with API keys, a
payments-system API key that reports settlements (``casework.demo``), and then each case
kind's stories, from the demo module it registered (``casework.models.kinds``): complaints in
every state of their state machine (``complaints.demo``), wallet accounts in every
status and lock reason and account requests in every state of theirs (``accounts.demo``),
refund cases in every state (``refunds.demo``). Both partners' webhooks go to the
loopback receiver ``make run`` starts (``receive_webhooks``).

Demo only: the passwords, API keys and webhook secrets are fixed strings printed on the
console (``casework.access.demo_credentials``, which refuses them outside the demo), so the command
refuses to run outside the demo (``DEMO`` off): there its logins and keys would be refused
anyway, and the refund stories report settlements with the demo key. It is safe to run
again (``make run`` runs it after every migrate): users, partners and keys are looked up
before they are made, and each kind makes each of its demo cases once.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from casework import demo
from casework.access import roles
from casework.access.demo_credentials import STAFF
from casework.models import kinds
from casework.routing import demo as routing_demo


class Command(BaseCommand):
    help = (
        "Load demo logins for every role, two partners with API keys, complaints and account "
        "requests in every state, and wallet accounts in every status and lock reason. "
        "Demo only: refuses to run outside the demo (DEMO off). Safe to run again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--base-url",
            default=settings.BACKOFFICE_BASE_URL,
            help="Where the site runs, for the curl example (default: BACKOFFICE_BASE_URL).",
        )

    def handle(self, *args, base_url: str, **options) -> None:
        if not settings.DEMO:
            raise CommandError(
                "DEMO is off: this looks like a real system, and the demo's logins and keys are published "
                "(refused outside the demo). Load it with DEMO=true, on a throwaway database."
            )
        logins = [demo.staff_user(login) for login in STAFF]
        partner, key = demo.demo_partner(demo.PARTNER_CODE, demo.PARTNER_NAME, "api@demopay.example")
        second_partner, second_key = demo.demo_partner(
            demo.SECOND_PARTNER_CODE, demo.SECOND_PARTNER_NAME, "it@quickmart.example"
        )
        payments, payments_key = demo.payments_system()
        shared = demo.Demo(
            partners={each.code: each for each in (partner, second_partner, payments)},
            payments_key=payments_key,
            now=timezone.now(),
            write=self.stdout.write,
            heading=lambda text: self.stdout.write(self.style.MIGRATE_HEADING(text)),
        )

        # Each kind tells its stories in the kinds' order (an account request may come from
        # a complaint, a refund case too); then each says how things stand, if it has more to say.
        modules = [import_module(kind.demo) for kind in kinds.registered() if kind.demo]
        for module in modules:
            module.load(shared)
        for module in modules:
            if hasattr(module, "report"):
                module.report(shared)
        # Routing after the stories, which stay as told; cases filed from now on are routed.
        routing_demo.seed(self.stdout.write)

        api = f"{base_url.rstrip('/')}/api/v1"
        self.stdout.write(
            self.style.MIGRATE_HEADING("Partner API (demo: each partner sees only its own cases)")
        )
        collections = [kind.api_collection for kind in kinds.registered() if kind.api_collection]
        for each, each_key in ((partner, key), (second_partner, second_key)):
            self.stdout.write(f"  {each.name}: partner {each.code}, API key {each_key}")
            self.stdout.write(f"    webhooks to {each.webhook_url or '(none)'}, secret {each.webhook_secret}")
            for collection in collections:
                self.stdout.write(f'    curl -H "Authorization: Bearer {each_key}" {api}/{collection}/')
        self.stdout.write(f"  payments system (settlement reports only), API key {payments_key}")

        api_only = "(API key above; no admin login)"
        logins.append((demo.PARTNER_USERNAME, api_only, roles.PARTNER))
        logins.append((f"partner-{demo.SECOND_PARTNER_CODE}", api_only, roles.PARTNER))
        logins.append((demo.PAYMENTS_USERNAME, api_only, demo.PAYMENTS_ROLE))
        self._print_logins(logins)

    def _print_logins(self, logins: list[tuple[str, str, str]]) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING("Demo logins (demo only: never use these passwords)"))
        header = ("username", "password", "role")
        widths = [max(len(row[i]) for row in [header, *logins]) for i in range(3)]
        for row in [header, tuple("-" * width for width in widths), *logins]:
            self.stdout.write(
                "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )
