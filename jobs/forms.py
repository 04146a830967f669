"""The dashboard's submit form. It only shapes input; ``services.submit`` decides."""

from __future__ import annotations

from typing import Any

from django import forms

from jobs.services import MAX_PRIORITY


class SubmitForm(forms.Form):
    repo_url = forms.CharField(
        label="Repository URL",
        max_length=500,
        widget=forms.TextInput(
            attrs={
                "placeholder": "https://github.com/owner/name",
                "autocomplete": "off",
                "spellcheck": "false",
                "inputmode": "url",
            }
        ),
    )
    commit_id = forms.CharField(
        label="Commit or branch",
        required=False,
        max_length=255,
        widget=forms.TextInput(
            attrs={"placeholder": "default branch", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    priority = forms.IntegerField(
        label="Priority",
        required=False,
        initial=0,
        min_value=-MAX_PRIORITY,
        max_value=MAX_PRIORITY,
        help_text="Higher runs first.",
    )

    def __init__(self, *args: Any, allow_priority: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not allow_priority:
            # Only staff may jump the queue; for others the field does not exist,
            # so a forged POST value is simply ignored.
            del self.fields["priority"]

    def add_service_error(self, message: str, field: str) -> None:
        """Attach a ``SubmissionError`` to its field, or to the form when it names none."""
        self.add_error(field if field in self.fields else None, message)
