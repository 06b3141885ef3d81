"""A control's row on the risk page as it reads (not being edited or removed), written in
Python: ``{% control_row control %}`` in ``partials/control_rows.html``. The template's
markup, whitespace aside; values escaped as ``{{ }}`` escapes them. Drawn by the template each
row was some 25 lookups and eight ``{% if %}`` (issue 20, decision 87)."""

from django import template
from django.template.base import render_value_in_context
from django.template.defaultfilters import linebreaksbr
from django.template.defaulttags import CsrfTokenNode
from django.utils.safestring import mark_safe

register = template.Library()

EFFECTIVENESS_TAGS = {
    "effective": '<strong class="govuk-tag govuk-tag--green">Effective</strong>',
    "partially_effective": (
        '<strong class="govuk-tag govuk-tag--yellow">Partially effective</strong>'
    ),
    "ineffective": '<strong class="govuk-tag govuk-tag--red">Ineffective</strong>',
}
NOT_ASSESSED = '<strong class="govuk-tag govuk-tag--grey">Not assessed</strong>'


def _comment_on(text, link, kind: str, short: str, item) -> str:
    """The row's "Comment" link and its count of comments, a control's or an action's."""
    comment = text(link)
    html = (
        f'<br><span class="govuk-body-s rr-comment-on"><a class="govuk-link" href="{comment}"'
        f' hx-get="{comment}" hx-target="#add-comment"'
        ' hx-swap="outerHTML show:#add-comment:top">Comment<span'
        f' class="govuk-visually-hidden"> on {kind}: {short}</span></a>'
    )
    count = getattr(item, "comment_count", None)
    if count:
        plural = "" if count == 1 else "s"
        html += (
            f' <a class="govuk-link rr-muted" href="#comments">{text(count)} comment{plural}</a>'
        )
    return html + "</span>"


@register.simple_tag(takes_context=True)
def control_row(context, control):
    def text(value) -> str:
        return render_value_in_context(value, context)

    pk = control.pk
    links = control.links
    short = text(control.short)
    first = [text(linebreaksbr(control.description, autoescape=True))]
    state = getattr(control, "assurance_state", None)
    if state is not None and state.lapsed:
        first.append(f'<br><strong class="govuk-tag govuk-tag--red">{text(state.flag)}</strong>')
    if control.assurance:
        first.append(
            f'<br><span class="govuk-body-s rr-muted">Assurance: {text(control.assurance)}</span>'
        )
    if context.get("can_comment"):
        first.append(_comment_on(text, links["comment"], "control", short, control))
    owner = control.owner
    owner_name = (owner.display_name if owner is not None else "") or "—"
    cells = [
        f'<tr class="govuk-table__row" id="control-{pk}">\n'
        f'<td class="govuk-table__cell">{"".join(first)}</td>\n'
        f'<td class="govuk-table__cell">{text(owner_name)}</td>\n'
        '<td class="govuk-table__cell">'
        f"{EFFECTIVENESS_TAGS.get(str(control.effectiveness), NOT_ASSESSED)}</td>\n"
    ]
    if context.get("can_edit"):
        edit, remove = text(links["edit"]), text(links["remove"])
        target = f'hx-target="#control-{pk}" hx-swap="outerHTML"'
        cells.append(
            '<td class="govuk-table__cell rr-row-actions">\n'
            '<ul class="govuk-list rr-row-actions__list">\n'
            f'<li><a class="govuk-link" href="{edit}#control-{pk}" hx-get="{edit}" {target}>'
            f'Edit<span class="govuk-visually-hidden"> control: {short}</span></a></li>\n'
            f'<li><a class="govuk-link" href="{remove}#control-{pk}" hx-get="{remove}" {target}>'
            f'Remove<span class="govuk-visually-hidden"> control: {short}</span></a></li>\n'
            "</ul>\n</td>\n"
        )
    cells.append("</tr>\n")
    return mark_safe("".join(cells))  # noqa: S308  (every value escaped above)


STATUS_TAGS = {
    "completed": '<strong class="govuk-tag govuk-tag--green">Completed</strong>',
    "in_progress": '<strong class="govuk-tag govuk-tag--blue">In progress</strong>',
    "cancelled": '<strong class="govuk-tag govuk-tag--grey">Cancelled</strong>',
}
NOT_STARTED = '<strong class="govuk-tag govuk-tag--grey">Not started</strong>'


@register.simple_tag(takes_context=True)
def action_row(context, action):
    """An action's row as it reads: ``{% action_row action %}`` in ``action_rows.html``."""

    def text(value) -> str:
        return render_value_in_context(value, context)

    pk = action.pk
    links = action.links
    short = text(action.short)
    status = str(action.status)
    can_edit = context.get("can_edit")
    first = [text(linebreaksbr(action.description, autoescape=True))]
    if context.get("can_comment"):
        first.append(_comment_on(text, links["comment"], "action", short, action))
    owner = action.owner if action.owner_id else None
    if status in ("completed", "cancelled"):
        owner_cell = text((owner.display_name if owner is not None else "") or "—")
    elif not action.owner_id:
        owner_cell = (
            '<strong class="govuk-tag govuk-tag--yellow">'
            f"{text(getattr(action, 'owner_name', ''))}</strong>"
        )
    else:
        owner_cell = text(owner.display_name)
    due = text(getattr(action, "due", "") or "—")
    if getattr(action, "is_overdue", False):
        due += '<br><strong class="govuk-tag govuk-tag--red">Overdue</strong>'
    note = linebreaksbr(action.progress_note, autoescape=True) or "—"
    cells = [
        f'<tr class="govuk-table__row" id="action-{pk}">\n'
        f'<td class="govuk-table__cell">{"".join(first)}</td>\n'
        f'<td class="govuk-table__cell">{owner_cell}</td>\n'
        f'<td class="govuk-table__cell rr-nowrap">{due}</td>\n'
        f'<td class="govuk-table__cell">{STATUS_TAGS.get(status, NOT_STARTED)}</td>\n'
        f'<td class="govuk-table__cell">{text(action.get_priority_display() or "—")}</td>\n'
        f'<td class="govuk-table__cell">{text(action.get_difficulty_display() or "—")}</td>\n'
        f'<td class="govuk-table__cell">{text(note)}</td>\n'
    ]
    if context.get("any_action_updatable"):
        cells.append('<td class="govuk-table__cell rr-row-actions">\n')
        if getattr(action, "can_update", False):
            edit = text(links["edit"])
            target = f'hx-target="#action-{pk}" hx-swap="outerHTML"'
            label = "Edit" if can_edit else "Update progress"
            cells.append(
                '<ul class="govuk-list rr-row-actions__list">\n'
                f'<li><a class="govuk-link" href="{edit}#action-{pk}" hx-get="{edit}" {target}>'
                f'{label}<span class="govuk-visually-hidden"> of action: {short}</span></a></li>\n'
            )
            csrf = CsrfTokenNode().render(context)
            if status in ("not_started", "in_progress"):
                complete = text(links["complete"])
                cells.append(
                    f'<li>\n<form method="post" action="{complete}" hx-post="{complete}"'
                    f' {target} class="rr-inline-form">\n{csrf}\n'
                    '<input type="hidden" name="version"'
                    f' value="{text(action.version)}">\n'
                    '<button type="submit" class="rr-link-button">Mark completed<span'
                    f' class="govuk-visually-hidden">: {short}</span></button>\n</form>\n</li>\n'
                )
            if can_edit and status == "completed":
                promote = text(links["promote"])
                cells.append(
                    f'<li>\n<form method="post" action="{promote}" hx-post="{promote}"'
                    ' hx-target="#treatments" hx-swap="outerHTML" class="rr-inline-form">\n'
                    f"{csrf}\n"
                    '<button type="submit" class="rr-link-button">Make it a control<span'
                    f' class="govuk-visually-hidden">: {short}</span></button>\n</form>\n</li>\n'
                )
            if can_edit:
                remove = text(links["remove"])
                cells.append(
                    f'<li><a class="govuk-link" href="{remove}#action-{pk}" hx-get="{remove}"'
                    f' {target}>Remove<span class="govuk-visually-hidden"> action: {short}'
                    "</span></a></li>\n"
                )
            cells.append("</ul>\n")
        cells.append("</td>\n")
    cells.append("</tr>\n")
    return mark_safe("".join(cells))  # noqa: S308  (every value escaped above)
