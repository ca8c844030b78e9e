"""The review page's form (the service checks the same rules again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from reviews.models import INTENT_MAX_CHARS, NOTE_MAX_CHARS, Verdict

INTENT_LIST_ID = "known-intents"


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("verdict"), choices=Verdict.choices, widget=forms.RadioSelect
    )
    correct_intent = forms.CharField(
        label=_("correct intent"),
        max_length=INTENT_MAX_CHARS,
        required=False,
        # Suggestions from known intents, any text allowed (an <datalist>).
        widget=forms.TextInput(attrs={"list": INTENT_LIST_ID, "autocomplete": "off"}),
        help_text=_("Leave it as logged when the intent was right."),
    )
    note = forms.CharField(
        label=pgettext_lazy("reviews", "note"),
        max_length=NOTE_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )
