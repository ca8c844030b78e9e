"""Django forms generated from the settings schema, for the admin.

Labels, help texts, choices and types come from the pydantic models; the
values are then checked by the same service (and schema) as the API, and its
errors are shown on the fields they name.
"""

from __future__ import annotations

import typing
from typing import Any

import annotated_types
from django import forms
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from core.errors import InvalidInput


def _bounds(info: FieldInfo) -> dict[str, int]:
    bounds = {}
    for rule in info.metadata:
        if isinstance(rule, annotated_types.Ge):
            bounds["min_value"] = rule.ge
        elif isinstance(rule, annotated_types.Le):
            bounds["max_value"] = rule.le
    return bounds


def _form_field(name: str, info: FieldInfo) -> forms.Field:
    annotation = info.annotation
    common = {"label": name.replace("_", " "), "help_text": info.description or ""}
    if typing.get_origin(annotation) is typing.Literal:
        choices = [(value, value) for value in typing.get_args(annotation)]
        return forms.ChoiceField(choices=choices, **common)
    if annotation is bool:
        return forms.BooleanField(required=False, **common)
    if annotation is int:
        return forms.IntegerField(**_bounds(info), **common)
    if typing.get_origin(annotation) is list:
        common["help_text"] = (common["help_text"] + " Comma-separated.").strip()
        return forms.CharField(required=False, **common)
    return forms.CharField(**common)


def _fields(schema: type[BaseModel], prefix: str = "") -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for name, info in schema.model_fields.items():
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            fields.update(_fields(info.annotation, f"{prefix}{name}."))
        else:
            fields[f"{prefix}{name}"] = _form_field(f"{prefix}{name}", info)
    return fields


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = ", ".join(value) if isinstance(value, list) else value
    return flat


class CategoryForm(forms.Form):
    def __init__(self, schema: type[BaseModel], values: dict[str, Any], *args, **kwargs) -> None:
        kwargs.setdefault("initial", _flatten(values))
        super().__init__(*args, **kwargs)
        self.schema = schema
        self.fields.update(_fields(schema))

    def patch(self) -> dict[str, Any]:
        """The cleaned data as a nested object for the settings service."""
        patch: dict[str, Any] = {}
        for path, value in self.cleaned_data.items():
            if isinstance(self.fields[path], forms.CharField) and "Comma-separated" in str(
                self.fields[path].help_text
            ):
                value = [part.strip() for part in value.split(",") if part.strip()]
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
