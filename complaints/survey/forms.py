"""The survey's form: a rating from 1 to 5 and an optional comment, limits from the model."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.models import RATING_MAX, RATING_MIN, SURVEY_COMMENT_MAX_LENGTH

# What each number means, under its button.
RATING_WORDS = {
    1: _("Very dissatisfied"),
    2: _("Dissatisfied"),
    3: _("Neither"),
    4: _("Satisfied"),
    5: _("Very satisfied"),
}


class SurveyForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=[(number, RATING_WORDS[number]) for number in range(RATING_MIN, RATING_MAX + 1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a rating from 1 to 5.")},
        label=_("How satisfied are you with how we handled your complaint?"),
    )
    comment = forms.CharField(
        required=False,
        max_length=SURVEY_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("Anything you would like to tell us? (optional)"),
        help_text=_("Please do not write passwords, card numbers or verification codes."),
    )

    def ratings(self) -> list[dict]:
        """The five choices as the page draws them: number, words, whether chosen."""
        chosen = str(self["rating"].value() or "")
        return [
            {"value": number, "words": words, "id": f"rating-{number}", "checked": str(number) == chosen}
            for number, words in self.fields["rating"].choices
        ]
