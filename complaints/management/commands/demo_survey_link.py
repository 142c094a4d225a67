"""``make run``'s survey link: the survey page of a resolved demo complaint nobody has rated
yet (``complaints.demo.unrated_survey_link``), signed now. Demo only."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from complaints.demo import unrated_survey_link


class Command(BaseCommand):
    help = "Print the survey link of a resolved demo complaint not rated yet (demo only)."

    def handle(self, *args, **options) -> None:
        if not settings.DEMO:
            raise CommandError("DEMO is off: the survey link of a demo complaint is for the demo only.")
        complaint, link = unrated_survey_link()
        if complaint is None:
            self.stdout.write("Every resolved demo complaint has been rated: no survey link left to try.")
            return
        self.stdout.write(
            f"Customer's survey of {complaint.reference} ({complaint.state}, not rated yet): {link}"
        )
