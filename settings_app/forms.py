"""Django forms generated from the settings schema, for the admin.

Labels, help texts, choices, types and defaults come from the pydantic models
(translated into the operator's language here); the values are then checked by
the same service (and schema) as the API, and its errors are shown on the
fields they name.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

import annotated_types
from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pydantic import AfterValidator, BaseModel
from pydantic.fields import FieldInfo

from core.errors import InvalidInput
from settings_app import schemas

# The operator's words for the schema's choice values (the API keeps the values).
CHOICE_LABELS = {
    "formal": _("formal"),
    "casual": _("casual"),
    "friendly": _("friendly"),
    "brief": _("brief"),
    "normal": _("normal"),
    "detailed": _("detailed"),
}

# The schema's own checks, with a message in the operator's language: the form
# refuses the value before the service would, in English, for the API.
CHECK_MESSAGES = {
    schemas.iana_zone: _("“%(value)s” is not an IANA time zone such as Asia/Seoul."),
}


class ListField(forms.CharField):
    """A list of strings, typed as one comma-separated line."""

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value)
        return [part.strip() for part in text.split(",") if part.strip()]


def _bounds(info: FieldInfo) -> dict[str, int]:
    bounds = {}
    for rule in info.metadata:
        if isinstance(rule, annotated_types.Ge):
            bounds["min_value"] = rule.ge
        elif isinstance(rule, annotated_types.Le):
            bounds["max_value"] = rule.le
    return bounds


def _validators(info: FieldInfo) -> list:
    validators = []
    for rule in info.metadata:
        pattern = getattr(rule, "pattern", None)
        if pattern:
            message = _("Enter a value in the form the help text shows.")
            validators.append(RegexValidator(pattern, message=message))
        if isinstance(rule, AfterValidator) and rule.func in CHECK_MESSAGES:
            validators.append(_checked_by(rule.func, CHECK_MESSAGES[rule.func]))
    return validators


def _checked_by(check, message):
    def validate(value: str) -> None:
        try:
            check(value)
        except ValueError:
            raise forms.ValidationError(message, params={"value": value}) from None

    return validate


def _form_field(name: str, info: FieldInfo) -> forms.Field:
    annotation = info.annotation
    common = {
        "label": gettext(info.title or name.replace("_", " ")),
        "help_text": gettext(info.description) if info.description else "",
    }
    if typing.get_origin(annotation) is typing.Literal:
        choices = [
            (value, CHOICE_LABELS.get(value, value)) for value in typing.get_args(annotation)
        ]
        return forms.ChoiceField(choices=choices, **common)
    if annotation is bool:
        return forms.BooleanField(required=False, **common)
    if annotation is int:
        return forms.IntegerField(**_bounds(info), **common)
    if typing.get_origin(annotation) is list:
        common["help_text"] = f"{common['help_text']} {gettext('Comma-separated.')}".strip()
        return ListField(required=False, **common)
    return forms.CharField(validators=_validators(info), **common)


def _fields(schema: type[BaseModel], prefix: str = "", section: str = "") -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for name, info in schema.model_fields.items():
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            title = gettext(info.title or name)
            fields.update(_fields(info.annotation, f"{prefix}{name}.", title))
        else:
            field = _form_field(name, info)
            field.section = section  # the nested model it belongs to, for a sub-heading
            fields[f"{prefix}{name}"] = field
    return fields


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@dataclass(frozen=True)
class Row:
    """One field on the settings page, with its default beside it."""

    field: forms.BoundField
    section: str
    default: str  # the default as the operator reads it
    changed: bool  # the robeing's value differs from the default


class CategoryForm(forms.Form):
    def __init__(self, schema: type[BaseModel], values: dict[str, Any], *args, **kwargs) -> None:
        self.values = _flatten(values)
        kwargs.setdefault("initial", self.values)
        super().__init__(*args, **kwargs)
        self.schema = schema
        self.defaults = _flatten(schema().model_dump(mode="json"))
        self.fields.update(_fields(schema))

    def rows(self) -> list[Row]:
        """The fields in schema order; `changed` compares the stored value, not
        what was typed into a form that failed to save."""
        return [
            Row(
                field=self[path],
                section=field.section,
                default=self.display(path, self.defaults[path]),
                changed=self.values.get(path) != self.defaults[path],
            )
            for path, field in self.fields.items()
        ]

    def changed_count(self) -> int:
        return sum(row.changed for row in self.rows())

    def display(self, path: str, value: Any) -> str:
        field = self.fields[path]
        if isinstance(value, bool):
            return gettext("Yes") if value else gettext("No")
        if isinstance(value, list):
            return ", ".join(value) or gettext("(none)")
        if isinstance(field, forms.ChoiceField):
            return str(dict(field.choices).get(value, value))
        return str(value)

    def patch(self) -> dict[str, Any]:
        """The cleaned data as a nested object for the settings service."""
        patch: dict[str, Any] = {}
        for path, value in self.cleaned_data.items():
            target = patch
            *parents, leaf = path.split(".")
            for parent in parents:
                target = target.setdefault(parent, {})
            target[leaf] = value
        return patch

    def show(self, error: InvalidInput) -> None:
        for field_error in error.errors:
            field = field_error.field if field_error.field in self.fields else None
            self.add_error(field, field_error.message)
