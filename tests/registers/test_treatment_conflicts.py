"""Two people editing one control or action: a save from a form opened at an older version applies
only what that person changed (a three-way merge), and a field both changed to different values is
refused, with both values shown and the choice left to the person. Never a silent overwrite: not
through the service, the htmx row or the plain page."""

import datetime as dt
import re
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registers.forms_treatments import VERSION_MISSING
from registers.merging import KEEP_MINE, KEEP_THEIRS, FieldConflict, three_way_merge
from registers.models import Action, ActionStatus, Control, Register, Role
from registers.services.organisations import member_add
from registers.services.treatments import (
    CHOOSE_A_VALUE,
    VERSION_UNKNOWN,
    TreatmentConflict,
    action_update,
    control_update,
)
from registers.views.treatments import SAVED_KEEPING_THEIRS, SAVED_WITH_CHOICES
from tests.factories import ActionFactory, ControlFactory, RiskFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


# --- the merge itself -------------------------------------------------------------------------


def test_each_sides_changes_survive():
    base = {"a": 1, "b": 1, "c": 1}
    merged, conflicts = three_way_merge(
        base, {"a": 2, "b": 1, "c": 1}, {"a": 1, "b": 3, "c": 1}, ["a", "b", "c"]
    )
    assert merged == {"a": 2, "b": 3, "c": 1} and conflicts == []


def test_the_same_change_on_both_sides_is_no_conflict():
    merged, conflicts = three_way_merge({"a": 1}, {"a": 2}, {"a": 2}, ["a"])
    assert merged == {"a": 2} and conflicts == []


def test_different_changes_to_one_field_conflict_and_keep_theirs():
    merged, conflicts = three_way_merge({"a": 1, "b": 1}, {"a": 2, "b": 5}, {"a": 3, "b": 1}, "ab")
    assert merged == {"a": 3, "b": 5}
    assert conflicts == [FieldConflict(name="a", base=1, mine=2, theirs=3)]


def test_a_field_missing_from_mine_is_untouched():
    merged, conflicts = three_way_merge({"a": 1}, {}, {"a": 3}, ["a"])
    assert merged == {"a": 3} and conflicts == []


def test_an_unknown_base_makes_every_difference_a_conflict():
    merged, conflicts = three_way_merge(None, {"a": 2, "b": 1}, {"a": 3, "b": 1}, ["a", "b"])
    assert merged == {"a": 3, "b": 1}
    assert conflicts == [FieldConflict(name="a", base=None, mine=2, theirs=3)]


# --- the services -----------------------------------------------------------------------------


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


@pytest.fixture
def people(organisation):
    return {
        "ann": person(organisation, Role.COORDINATOR, "Ann Able"),
        "bob": person(organisation, Role.COORDINATOR, "Bob Baker"),
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "doer": person(organisation, Role.OWNER, "Dora Doer"),
    }


@pytest.fixture
def risk(organisation, people):
    return RiskFactory(
        register=Register.objects.get(organisation=organisation, slug="corporate"),
        ref="CRR07",
        title="Fire at the depot",
        owner=people["owner"],
        positions={"current": (3, 4)},
    )


@pytest.fixture
def control(risk, people):
    return ControlFactory(
        risk=risk,
        description="Annual wiring inspection",
        owner=people["owner"],
        assurance="Internal audit 2025",
    )


@pytest.fixture
def action(risk, people):
    return ActionFactory(
        risk=risk,
        description="Rewire the depot",
        owner=people["doer"],
        due_date=dt.date(2030, 3, 31),
        status=ActionStatus.NOT_STARTED,
        priority="high",
    )


def control_form(control, **changes):
    """What a control's edit form holds: every field as opened, with some changed."""
    values = {
        "description": control.description,
        "owner": control.owner,
        "effectiveness": control.effectiveness,
        "assurance": control.assurance,
    }
    return values | changes


def action_form(action, **changes):
    values = {
        name: getattr(action, name)
        for name in ("description", "owner", "due_date", "status", "priority", "difficulty")
    }
    return values | {"progress_note": action.progress_note} | changes


def test_new_controls_and_actions_start_at_version_1(control, action):
    assert control.version == 1 and action.version == 1


def test_two_stale_saves_of_a_control_on_different_fields_both_survive(control, people):
    opened = Control.objects.get(pk=control.pk)  # both open version 1
    control_update(
        control=control, expected_version=1, **control_form(opened, effectiveness="effective")
    )
    saved = control_update(
        control=Control.objects.get(pk=control.pk),
        expected_version=1,
        **control_form(opened, description="Six-monthly wiring inspection"),
    )
    control.refresh_from_db()
    assert control.effectiveness == "effective"
    assert control.description == "Six-monthly wiring inspection"
    assert control.version == saved.version == 3
    assert control.owner == people["owner"] and control.assurance == "Internal audit 2025"


def test_two_stale_saves_of_an_action_on_different_fields_both_survive(action, people):
    opened = Action.objects.get(pk=action.pk)
    action_update(
        action=action,
        expected_version=1,
        **action_form(opened, due_date=dt.date(2030, 6, 30), owner=people["owner"]),
    )
    # the action's owner, on a progress form opened before that save
    action_update(
        action=Action.objects.get(pk=action.pk),
        expected_version=1,
        status=ActionStatus.IN_PROGRESS,
        progress_note="Contractor booked",
    )
    action.refresh_from_db()
    assert action.due_date == dt.date(2030, 6, 30) and action.owner == people["owner"]
    assert action.status == ActionStatus.IN_PROGRESS and action.progress_note == "Contractor booked"
    assert action.version == 3


def test_same_field_different_values_is_refused_and_nothing_is_overwritten(control, people):
    opened = Control.objects.get(pk=control.pk)
    control_update(
        control=control, expected_version=1, **control_form(opened, effectiveness="effective")
    )
    with pytest.raises(TreatmentConflict) as caught:
        control_update(
            control=Control.objects.get(pk=control.pk),
            expected_version=1,
            **control_form(opened, effectiveness="ineffective", assurance="Fire officer's visit"),
        )
    conflict = caught.value
    assert conflict.conflicts == [
        FieldConflict(
            name="effectiveness", base="not_assessed", mine="ineffective", theirs="effective"
        )
    ]
    # the form comes back with what was typed, and their change where only they changed a field
    assert conflict.merged["effectiveness"] == "ineffective"
    assert conflict.merged["assurance"] == "Fire officer's visit"
    assert conflict.unchosen == []  # not yet shown: no "choose" error
    control.refresh_from_db()
    assert control.effectiveness == "effective" and control.assurance == "Internal audit 2025"
    assert control.version == 2


def test_same_field_same_value_is_fine(control):
    opened = Control.objects.get(pk=control.pk)
    control_update(
        control=control, expected_version=1, **control_form(opened, effectiveness="effective")
    )
    control_update(
        control=Control.objects.get(pk=control.pk),
        expected_version=1,
        **control_form(opened, effectiveness="effective", assurance="Audit 2026"),
    )
    control.refresh_from_db()
    assert control.effectiveness == "effective" and control.assurance == "Audit 2026"


def test_text_differing_only_in_line_endings_is_the_same_text(risk):
    control = ControlFactory(risk=risk, description="Line one\nLine two")  # as an import stores it
    opened = Control.objects.get(pk=control.pk)
    control_update(control=control, expected_version=1, **control_form(opened, description="New"))
    # a browser sends the untouched textarea back with CRLF: not a change of this person's
    control_update(
        control=Control.objects.get(pk=control.pk),
        expected_version=1,
        **control_form(opened, description="Line one\r\nLine two", effectiveness="effective"),
    )
    control.refresh_from_db()
    assert control.description == "New" and control.effectiveness == "effective"


def test_a_current_save_writes_only_what_changed(risk):
    control = ControlFactory(risk=risk, description="Line one\nLine two")
    control_update(
        control=control,
        expected_version=1,
        **control_form(control, description="Line one\r\nLine two", effectiveness="effective"),
    )
    latest, before = Control.history.filter(id=control.pk).order_by("-history_id")[:2]
    assert latest.description == "Line one\nLine two"  # not rewritten with CRLF
    assert [c.field for c in latest.diff_against(before).changes if c.field != "version"] == [
        "effectiveness"
    ]


@pytest.mark.parametrize("choice", [KEEP_MINE, KEEP_THEIRS])
def test_the_person_chooses_whose_value_to_keep(control, choice):
    opened = Control.objects.get(pk=control.pk)
    control_update(
        control=control, expected_version=1, **control_form(opened, effectiveness="effective")
    )
    mine = control_form(opened, effectiveness="ineffective", assurance="Fire officer's visit")
    control_update(
        control=Control.objects.get(pk=control.pk),
        expected_version=1,
        choices={"effectiveness": choice},
        choices_at=2,  # the version whose values they were shown
        **mine,
    )
    control.refresh_from_db()
    assert control.effectiveness == ("ineffective" if choice == KEEP_MINE else "effective")
    assert control.assurance == "Fire officer's visit" and control.version == 3


def test_a_choice_made_against_older_values_is_asked_again(control, people):
    opened = Control.objects.get(pk=control.pk)
    control_update(
        control=control, expected_version=1, **control_form(opened, effectiveness="effective")
    )
    control_update(
        control=Control.objects.get(pk=control.pk),
        expected_version=2,
        **control_form(opened, effectiveness="partially_effective"),
    )
    with pytest.raises(TreatmentConflict) as caught:
        control_update(
            control=Control.objects.get(pk=control.pk),
            expected_version=1,
            choices={"effectiveness": KEEP_MINE},
            choices_at=2,  # they chose against "effective"; it is now "partially effective"
            **control_form(opened, effectiveness="ineffective"),
        )
    assert caught.value.conflicts[0].theirs == "partially_effective"
    assert caught.value.chosen == {} and caught.value.unchosen == []
    assert Control.objects.get(pk=control.pk).effectiveness == "partially_effective"


def test_saving_a_shown_conflict_without_choosing_says_so(control):
    opened = Control.objects.get(pk=control.pk)
    control_update(
        control=control, expected_version=1, **control_form(opened, effectiveness="effective")
    )
    with pytest.raises(TreatmentConflict) as caught:
        control_update(
            control=Control.objects.get(pk=control.pk),
            expected_version=1,
            choices={},
            choices_at=2,
            **control_form(opened, effectiveness="ineffective"),
        )
    assert caught.value.unchosen == ["effectiveness"]


def test_a_version_that_never_existed_is_refused(control):
    with pytest.raises(ValidationError, match=re.escape(VERSION_UNKNOWN.format(noun="control"))):
        control_update(control=control, expected_version=7, description="x")
    assert Control.objects.get(pk=control.pk).description == "Annual wiring inspection"


def test_saves_lock_the_row_so_two_at_once_merge_one_after_the_other(control, action):
    with CaptureQueriesContext(connection) as queries:
        control_update(control=control, expected_version=1, effectiveness="effective")
        action_update(action=action, expected_version=1, status=ActionStatus.IN_PROGRESS)
    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locking) == 2, locking
    assert all("JOIN" not in sql for sql in locking)  # only the row itself, not its risk


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_once_wait_for_each_other_and_both_survive(control):
    """The second save waits for the first one's lock, then merges with what it wrote; without
    the lock both would read version 1 and the later write would undo the earlier."""
    second: dict = {}

    def save_description():
        try:
            second["saved"] = control_update(
                control=Control.objects.get(pk=control.pk),
                expected_version=1,
                **control_form(opened, description="Six-monthly wiring inspection"),
            )
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            second["error"] = exc
        finally:
            connection.close()

    opened = Control.objects.get(pk=control.pk)
    thread = threading.Thread(target=save_description)
    with transaction.atomic():
        control_update(
            control=control, expected_version=1, **control_form(opened, effectiveness="effective")
        )
        thread.start()
        thread.join(0.5)
        assert thread.is_alive()  # waiting for the row, not reading it
    thread.join(10)
    assert "error" not in second, second.get("error")
    control.refresh_from_db()
    assert control.effectiveness == "effective"
    assert control.description == "Six-monthly wiring inspection" and control.version == 3


def test_without_a_record_of_the_opened_version_every_difference_is_asked(control):
    Control.history.filter(id=control.pk).delete()  # as if history had been pruned
    control_update(control=control, expected_version=1, effectiveness="effective")
    with pytest.raises(TreatmentConflict) as caught:
        control_update(
            control=Control.objects.get(pk=control.pk),
            expected_version=1,
            **control_form(control, effectiveness="ineffective"),
        )
    assert caught.value.base_known is False
    assert [c.name for c in caught.value.conflicts] == ["effectiveness"]


# --- the pages --------------------------------------------------------------------------------


def url(name, risk, *args):
    return reverse(name, args=[risk.organisation.slug, risk.ref, *args])


def control_post(control, version, **changes):
    data = {
        "description": control.description,
        "owner": control.owner_id or "",
        "effectiveness": control.effectiveness,
        "assurance": control.assurance,
        "version": version,
    }
    return data | changes


def action_post(action, version, **changes):
    data = {
        "description": action.description,
        "owner": action.owner_id or "",
        "due_date": action.due_date.isoformat() if action.due_date else "",
        "status": action.status,
        "priority": action.priority,
        "difficulty": action.difficulty,
        "progress_note": action.progress_note,
        "version": version,
    }
    return data | changes


def test_without_javascript_a_refused_save_comes_back_at_the_form(
    client, risk, control, action, people
):
    """The plain edit form posts to an address ending in its row's anchor, so the page that
    answers a refused save (a conflict, a missing value) opens at the form, not at the top of a
    long risk page with the conflict out of sight."""
    client.force_login(people["ann"])
    for name, pk in (("control_edit", control.pk), ("action_edit", action.pk)):
        page = client.get(url(name, risk, pk)).content.decode()
        noun = name.removesuffix("_edit")
        assert f'action="{url(name, risk, pk)}#{noun}-{pk}"' in page


def test_the_edit_form_carries_the_version_it_was_opened_at(client, risk, control, people):
    Control.objects.filter(pk=control.pk).update(version=4)
    client.force_login(people["ann"])
    form = client.get(url("control_edit", risk, control.pk), **HTMX).content.decode()
    assert re.search(r'<input type="hidden" name="version" value="4"', form)


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "no-js"])
def test_two_people_edit_different_fields_of_a_control_in_the_pages(
    client, risk, control, people, headers
):
    opened = Control.objects.get(pk=control.pk)
    client.force_login(people["ann"])
    client.post(
        url("control_edit", risk, control.pk),
        control_post(opened, 1, effectiveness="effective"),
        **headers,
    )
    client.force_login(people["bob"])
    response = client.post(
        url("control_edit", risk, control.pk),
        control_post(opened, 1, description="Six-monthly wiring inspection"),
        **headers,
    )
    if headers:
        row = response.content.decode()
        assert "Six-monthly wiring inspection" in row and "Effective" in row
        assert "<form" not in row.split("</td>")[0]
    else:
        assert response.status_code == 302
    control.refresh_from_db()
    assert control.effectiveness == "effective"
    assert control.description == "Six-monthly wiring inspection"


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "no-js"])
def test_a_real_conflict_is_shown_with_both_values_and_the_person_chooses(
    client, risk, control, people, headers
):
    opened = Control.objects.get(pk=control.pk)
    client.force_login(people["ann"])
    client.post(
        url("control_edit", risk, control.pk),
        control_post(opened, 1, description="Quarterly wiring inspection"),
        **headers,
    )
    client.force_login(people["bob"])
    edit_url = url("control_edit", risk, control.pk)
    typed = control_post(
        opened, 1, description="Monthly wiring inspection", effectiveness="partially_effective"
    )
    response = client.post(edit_url, typed, **headers)
    html = response.content.decode()
    assert response.status_code == 200
    assert ("<html" in html) is not bool(headers)
    assert "Not saved: someone else changed this control" in html
    assert "Ann Able" in html  # who saved in between
    table = html[html.index("rr-conflict-changes") :]
    assert "Annual wiring inspection" in table  # when Bob opened it
    assert "Quarterly wiring inspection" in table  # theirs
    assert "Monthly wiring inspection" in table  # yours
    # what Bob typed is still in the form, which still says which version he opened
    assert "\nMonthly wiring inspection</textarea>" in html
    assert re.search(r'name="version" value="1"', html)
    assert re.search(r'name="choices_at" value="2"', html)
    control.refresh_from_db()
    assert control.description == "Quarterly wiring inspection" and control.version == 2
    assert control.effectiveness == "not_assessed"

    # saving again without choosing: refused, asked to choose
    again = client.post(edit_url, typed | {"choices_at": 2}, **headers).content.decode()
    assert CHOOSE_A_VALUE.format(field="control") in again
    assert f'href="#control-{control.pk}-keep-description"' in again  # the summary links to it
    assert Control.objects.get(pk=control.pk).version == 2

    # choosing theirs keeps Ann's words and applies Bob's other change
    response = client.post(
        edit_url, typed | {"choices_at": 2, "keep-description": KEEP_THEIRS}, **headers
    )
    assert response.status_code == (200 if headers else 302)
    control.refresh_from_db()
    assert control.description == "Quarterly wiring inspection"
    assert control.effectiveness == "partially_effective" and control.version == 3


def test_choosing_yours_in_the_page_saves_what_was_typed(client, risk, control, people):
    opened = Control.objects.get(pk=control.pk)
    control_update(control=control, expected_version=1, description="Quarterly wiring inspection")
    client.force_login(people["bob"])
    response = client.post(
        url("control_edit", risk, control.pk),
        control_post(opened, 1, description="Monthly wiring inspection")
        | {"choices_at": 2, "keep-description": KEEP_MINE},
    )
    assert response.status_code == 302
    assert Control.objects.get(pk=control.pk).description == "Monthly wiring inspection"
    # Not "keeping the changes someone else saved": their description was just overridden.
    page = client.get(response.url).content.decode()
    assert SAVED_WITH_CHOICES.format(noun="Control") in page
    assert SAVED_KEEPING_THEIRS.format(noun="Control") not in page


def test_an_edit_without_a_version_is_refused(client, risk, control, people):
    client.force_login(people["ann"])
    data = control_post(control, 1, description="Changed")
    del data["version"]
    html = client.post(url("control_edit", risk, control.pk), data, **HTMX).content.decode()
    assert VERSION_MISSING.format(noun="control") in html
    assert Control.objects.get(pk=control.pk).description == "Annual wiring inspection"
    html = client.post(
        url("control_edit", risk, control.pk), data | {"version": "9" * 25}, **HTMX
    ).content.decode()
    assert VERSION_MISSING.format(noun="control") in html


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "no-js"])
def test_action_owner_and_coordinator_edit_one_action(client, risk, action, people, headers):
    opened = Action.objects.get(pk=action.pk)
    client.force_login(people["ann"])
    client.post(
        url("action_edit", risk, action.pk),
        action_post(opened, 1, due_date="2030-06-30", progress_note="Waiting for quotes"),
        **headers,
    )
    # the action's owner updates progress on a form opened before the coordinator's save
    client.force_login(people["doer"])
    progress = {"status": "in_progress", "progress_note": "Contractor booked", "version": 1}
    html = client.post(url("action_edit", risk, action.pk), progress, **headers).content.decode()
    assert "Not saved: someone else changed this action" in html
    assert "Waiting for quotes" in html and "Contractor booked" in html
    action.refresh_from_db()
    assert action.progress_note == "Waiting for quotes" and action.status == "not_started"
    # the owner keeps their note; the coordinator's date survives
    response = client.post(
        url("action_edit", risk, action.pk),
        progress | {"choices_at": 2, "keep-progress_note": KEEP_MINE},
        **headers,
    )
    assert response.status_code == (200 if headers else 302)
    action.refresh_from_db()
    assert action.progress_note == "Contractor booked" and action.status == "in_progress"
    assert action.due_date == dt.date(2030, 6, 30) and action.version == 3


def test_a_stale_mark_completed_does_not_undo_a_cancellation(client, risk, action, people):
    action_update(action=action, expected_version=1, status=ActionStatus.CANCELLED)
    client.force_login(people["doer"])
    # the button on a page drawn before the cancellation
    html = client.post(
        url("action_complete", risk, action.pk), {"version": 1}, **HTMX
    ).content.decode()
    assert "Not saved: someone else changed this action" in html
    assert "Cancelled" in html and "Completed" in html
    assert Action.objects.get(pk=action.pk).status == ActionStatus.CANCELLED


def test_mark_completed_from_a_current_page(client, risk, action, people):
    client.force_login(people["doer"])
    page = client.get(url("risk", risk)).content.decode()
    complete = page[page.index(url("action_complete", risk, action.pk)) :]
    assert re.search(r'name="version" value="1"', complete.split("</form>")[0])
    response = client.post(url("action_complete", risk, action.pk), {"version": 1})
    assert response.status_code == 302
    assert Action.objects.get(pk=action.pk).status == ActionStatus.COMPLETED
