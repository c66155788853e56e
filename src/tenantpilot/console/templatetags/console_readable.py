"""Template filters that show stored values in words: type labels instead of Graph keys,
Yes/No instead of ``True``/``False``, lists as lists (never a Python repr)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from tenantpilot.console.item_readable import display_scalar
from tenantpilot.inventory.choices import PolicyType

register = template.Library()


@register.filter
def type_label(value: object) -> str:
    """A policy type's label ("Settings catalog policies"); an unknown key is shown as it is."""
    if not isinstance(value, str):
        return "" if value is None else str(value)
    try:
        return str(PolicyType(value).label)
    except ValueError:
        return value


@register.filter
def type_labels(values: object) -> str:
    """A list of policy types as their labels, comma-separated."""
    if not isinstance(values, (list, tuple, set, frozenset)):
        return type_label(values)
    return ", ".join(type_label(v) for v in values)


@register.filter
def readable(value: Any) -> SafeString:
    """A value in words: Yes/No, — for nothing, a list as a bulleted list, escaped."""
    if isinstance(value, (list, tuple)):
        if not value:
            return format_html("{}", "(none)")
        return format_html(
            '<ul class="values">{}</ul>', format_html_join("", "<li>{}</li>", ((display_scalar(v),) for v in value))
        )
    return format_html("{}", display_scalar(value))
