"""The satisfaction survey after a complaint is resolved (issue 16, item 5).

- ``links``: the signed, expiring link the decision notice carries (``survey_url``);
- ``services``: ``answer_survey``, the one use case, and what a low score does;
- ``selectors``: CSAT, the average and the weekly trend for the dashboard;
- ``views``, ``forms``: the public page ``/survey/<token>/`` (templates under ``survey/``);
- ``staff``: what the complaint's admin page shows of the answer (a field, a timeline line);
- ``reasons``: the words a low score writes into the trail (registered on import, here).

The model is ``complaints.models.SurveyResponse``.
"""

from . import reasons  # noqa: F401 (its codes, registered whenever complaints load)
