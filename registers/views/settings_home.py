"""The organisation's settings hub, for its admins: one page linking every settings page, and the
first-run checklist (scheme, categories, appetite, registers, members, import) showing what is
done, read off the data by ``selectors.first_run_checklist``.

Admins only: every page it links changes the organisation, and each refuses anyone else, so a
coordinator would meet a page of links to refusals (403). The organisation is fetched through
``permissions.organisation_for_user`` (404 for anyone who is not a member). GET only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_GET

from .. import permissions, selectors
from ..models import Register

ADMINS_ONLY = "Only an organisation admin changes the organisation's settings."


def url_if_routed(name: str, *args) -> str | None:
    """The URL of a page that may not be part of this installation yet (a settings page still
    being built), else None: the hub names the setting without a link rather than failing."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _top_register(organisation) -> Register | None:
    """Where the checklist's import starts: a top-level register in use (the workbook's
    `register` column sends rows anywhere else)."""
    return (
        Register.objects.filter(
            organisation=organisation, parent__isnull=True, archived_at__isnull=True
        )
        .order_by("name", "pk")
        .first()
    )


def checklist_links(organisation, top: Register | None) -> dict[str, str | None]:
    """Where each checklist item is done."""
    slug = organisation.slug
    return {
        "scheme": url_if_routed("settings_scheme", slug),
        "categories": reverse("settings_categories", args=[slug]),
        "appetite": reverse("appetite", args=[slug]),
        "registers": reverse("settings_registers", args=[slug]),
        "members": reverse("members", args=[slug]),
        "import": top and reverse("register_import", args=[slug, top.slug]),
    }


# Why a step has no link: its page is not part of this installation yet, or there is nowhere to
# do it yet.
CHECKLIST_NO_LINK = {
    "scheme": "Not yet available in the browser.",
    "import": "Add a register first.",
}

CHECKLIST_ACTIONS = {
    "scheme": "Choose the scoring scheme",
    "categories": "Add categories",
    "appetite": "Set appetite and tolerances",
    "registers": "Add registers",
    "members": "Add or invite people",
    "import": "Import risks from a spreadsheet",
}


@login_required
@require_GET
def settings_home(request: HttpRequest, org: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    if not access.is_admin:
        raise PermissionDenied(ADMINS_ONLY)
    organisation = access.organisation
    checklist = selectors.first_run_checklist(organisation=organisation)
    links = checklist_links(organisation, _top_register(organisation))
    steps = [
        {
            "item": item,
            "url": links[item.key],
            "action": CHECKLIST_ACTIONS[item.key],
            "no_link": CHECKLIST_NO_LINK.get(item.key, ""),
        }
        for item in checklist
    ]
    return render(
        request,
        "registers/settings_home.html",
        {
            "access": access,
            "organisation": organisation,
            "checklist": checklist,
            "steps": steps,
            "scheme_url": links["scheme"],
            "pack_registers_url": url_if_routed("settings_pack_registers", organisation.slug),
        },
    )


urlpatterns = [
    path("o/<slug:org>/settings/", settings_home, name="settings_home"),
]
