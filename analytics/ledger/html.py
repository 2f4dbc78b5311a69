"""The ledger's filter bar and table body, built in Python.

Rendered through templates, a page of 50 rows × 25 columns and a filter bar of 22 fields
(each option of each select a template render of its own) took most of the page's time.
The same markup is joined here from values escaped one by one with ``html.escape``.
"""

from __future__ import annotations

from html import escape

from django import forms
from django.utils.safestring import SafeString, mark_safe


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def field_html(bound: forms.BoundField) -> SafeString:
    """A filter field's control: a select with its options, or an input."""
    widget = bound.field.widget
    name, ident = _e(bound.html_name), _e(bound.auto_id)
    css = _e(widget.attrs.get("class", ""))
    if isinstance(widget, forms.Select):
        current = bound.value()
        current = "" if current is None else str(current)
        options = "".join(
            f'<option value="{_e(value)}"{" selected" if str(value) == current else ""}>'
            f"{_e(label)}</option>"
            for value, label in bound.field.choices
        )
        markup = f'<select name="{name}" id="{ident}" class="{css}">{options}</select>'
        return mark_safe(markup)  # nosec B308 B703: every value in it is escaped
    value = bound.value()
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    value = "" if value is None else str(value)
    max_length = getattr(bound.field, "max_length", None)
    extra = f' maxlength="{int(max_length)}"' if max_length else ""
    markup = (f'<input type="{_e(widget.input_type)}" name="{name}" id="{ident}" '
              f'class="{css}" value="{_e(value)}"{extra}>')
    return mark_safe(markup)  # nosec B308 B703: every value in it is escaped


def filter_fields(form: forms.Form) -> list[tuple[forms.BoundField, SafeString]]:
    return [(bound, field_html(bound)) for bound in form.visible_fields()]


def rows_html(rows: list[tuple[object, str, list[str]]]) -> SafeString:
    """The table body: the first cell links to the case page when it has one."""
    lines = []
    for _row, path, cells in rows:
        first = _e(cells[0])
        if path:
            first = f'<a href="{_e(path)}">{first}</a>'
        rest = "".join(f"<td>{_e(cell)}</td>" for cell in cells[1:])
        lines.append(f'<tr><td class="text-nowrap">{first}</td>{rest}</tr>')
    return mark_safe("\n".join(lines))  # nosec B308 B703: every value above is escaped
