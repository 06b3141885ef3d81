"""Comment threads on risks, controls and actions (issue 17): who may write, change and delete;
mentions of members who may read the risk; OFFICIAL-SENSITIVE threads withheld from the
uncleared; the people told (notices and e-mails); history; the pages with and without
JavaScript (htmx), bad input and CSRF; and a thread's queries."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from registers.models import Marking, Notice, NoticeKind, Register, Role
from registers.models.comments import COMMENT_MAX_LENGTH, Comment
from registers.permissions import COMMENT_EDIT_WINDOW
from registers.selectors.comments import comment_thread
from registers.services.comments import (
    COMMENT_DELETE_NOT_ALLOWED,
    COMMENT_EDIT_CLOSED,
    COMMENT_EMPTY,
    COMMENT_NOT_ALLOWED,
    COMMENT_NOT_YOURS,
    COMMENT_TOO_LONG,
    MENTION_NOT_READER,
    REASON_ADDED,
    REASON_DELETED,
    REASON_EDITED,
    comment_add,
    comment_delete,
    comment_edit,
    mentioned_addresses,
)
from registers.services.organisations import member_add
from registers.services.register_archive import register_archive
from registers.templatetags.comment_text import render_comment
from registers.views.comments import COMMENT_DELETE_OWN_ONLY, COMMENT_EDIT_OWN_ONLY, COMMENT_GONE
from registers.withholding import WITHHELD
from tests.factories import ActionFactory, ControlFactory, RiskFactory
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
COMMENT_KINDS = (NoticeKind.MENTIONED, NoticeKind.COMMENT)


def told():
    """The notices of comments (being made a risk's owner is a notice of its own)."""
    return Notice.objects.filter(kind__in=COMMENT_KINDS)


def person(organisation, role, name, **kwargs):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    membership = member_add(organisation=organisation, email=email, role=role, full_name=name)
    for field, value in kwargs.items():
        setattr(membership, field, value)
    if kwargs:
        membership.save()
    return membership.user


@pytest.fixture
def people(organisation):
    return {
        "admin": person(organisation, Role.ADMIN, "Ada Admin"),
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "manager": person(organisation, Role.OWNER, "Mia Manager"),
        "doer": person(organisation, Role.OWNER, "Dan Doer"),
        "viewer": person(organisation, Role.VIEWER, "Vic Viewer"),
        "cleared": person(organisation, Role.VIEWER, "Cleo Cleared", sensitive_access=True),
        "panel": person(organisation, Role.PANEL, "Pat Panel"),
    }


@pytest.fixture
def risk(organisation, people):
    corporate = Register.objects.get(organisation=organisation, slug="corporate")
    return RiskFactory(
        register=corporate,
        ref="CRR4",
        title="Cyber attack",
        owner=people["owner"],
        manager=people["manager"],
    )


@pytest.fixture
def sensitive(organisation, people):
    corporate = Register.objects.get(organisation=organisation, slug="corporate")
    return RiskFactory(
        register=corporate,
        ref="CRR9",
        title="Covert source exposed",
        owner=people["owner"],
        marking=Marking.OFFICIAL_SENSITIVE,
    )


def url(name, risk, *args, query=""):
    return reverse(name, args=[risk.organisation.slug, risk.ref, *args]) + query


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def at(address: str) -> str:
    return f"@{address}"


# --- mentions in text --------------------------------------------------------------------------


def test_mentions_are_at_and_an_address_each_once_in_order():
    text = (
        "Ask @Ann.Smith@force.police.uk and @bob@x.uk. Not me@x.uk, nor "
        "bill@@x.uk; again @ann.smith@force.police.uk, (@cy@x.org.uk)"
    )
    assert mentioned_addresses(text) == [
        "ann.smith@force.police.uk",
        "bob@x.uk",
        "cy@x.org.uk",
    ]


def test_text_is_escaped_links_are_safe_and_line_breaks_kept():
    html = render_comment(
        "<script>alert(1)</script> see https://example.org/a?b=1&c=2. and "
        "javascript:alert(1) or www.gov.uk/x\nnext (https://en.wikipedia.org/wiki/A_(b))",
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert (
        '<a class="govuk-link" href="https://example.org/a?b=1&amp;c=2" '
        'rel="noopener noreferrer nofollow">https://example.org/a?b=1&amp;c=2</a>.'
    ) in html
    assert 'href="javascript' not in html
    assert 'href="https://www.gov.uk/x"' in html
    assert "<br>next" in html
    assert 'href="https://en.wikipedia.org/wiki/A_(b)"' in html


def test_a_mention_is_marked_only_for_someone_it_mentioned():
    html = render_comment(
        "Over to @ann@x.uk and @nobody@x.uk, see @bob@www.x.uk",
        {"ann@x.uk": "Ann <Smith>"},
    )
    assert '<strong class="rr-mention" title="Ann &lt;Smith&gt;">@ann@x.uk</strong>' in html
    assert "@nobody@x.uk" in html and "nobody@x.uk</strong>" not in html
    assert "<a " not in html  # an address inside a mention is not a link


# --- who may write -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "coordinator", "owner", "doer", "viewer", "cleared"])
def test_members_who_read_the_risk_may_comment(risk, people, role):
    comment = comment_add(risk=risk, user=people[role], body="A question")
    assert comment.author == people[role] and comment.organisation_id == risk.organisation_id


def test_panel_members_read_comments_but_do_not_write_them(risk, people):
    with pytest.raises(ValidationError) as refused:
        comment_add(risk=risk, user=people["panel"], body="A question")
    assert refused.value.messages == [COMMENT_NOT_ALLOWED]


def test_an_uncleared_member_may_not_comment_on_a_sensitive_risk(sensitive, people):
    with pytest.raises(ValidationError) as refused:
        comment_add(risk=sensitive, user=people["viewer"], body="A question")
    assert refused.value.messages == [COMMENT_NOT_ALLOWED]
    comment_add(risk=sensitive, user=people["cleared"], body="Cleared, so fine")


def test_someone_of_another_organisation_may_not_comment(risk, other_organisation):
    outsider = person(other_organisation, Role.ADMIN, "Olly Outsider")
    with pytest.raises(ValidationError):
        comment_add(risk=risk, user=outsider, body="Hello")
    assert not Comment.objects.exists()


def test_nobody_comments_on_an_archived_register(organisation, people):
    register = Register.objects.create(
        organisation=organisation, slug="old", name="Old register", level="project"
    )
    old = RiskFactory(register=register, ref="OLD1", title="Old risk")
    register_archive(register=register, reason="Project closed", by=people["admin"])
    old.refresh_from_db()
    with pytest.raises(ValidationError):
        comment_add(risk=old, user=people["admin"], body="Too late")


@pytest.mark.parametrize(
    ("body", "message"), [("", COMMENT_EMPTY), ("   \n ", COMMENT_EMPTY), ("x" * 5001, None)]
)
def test_an_empty_or_too_long_comment_is_refused(risk, people, body, message):
    with pytest.raises(ValidationError) as refused:
        comment_add(risk=risk, user=people["coordinator"], body=body)
    expected = message or COMMENT_TOO_LONG
    assert refused.value.message_dict == {"body": [expected]}
    assert len("x" * COMMENT_MAX_LENGTH) == 5000


def test_a_comment_is_about_a_control_or_action_of_its_own_risk(risk, organisation, people):
    control = ControlFactory(risk=risk, description="Firewall")
    action = ActionFactory(risk=risk, description="Patch servers")
    other = ControlFactory(
        risk=RiskFactory(register=risk.register, ref="CRR5"), description="Elsewhere"
    )
    assert comment_add(risk=risk, user=people["owner"], body="Tested?", control=control).control
    assert comment_add(risk=risk, user=people["owner"], body="When?", action=action).action
    with pytest.raises(ValidationError):
        comment_add(risk=risk, user=people["owner"], body="Hm", control=other)


# --- mentions ----------------------------------------------------------------------------------


def test_mentions_are_stored_for_members_who_may_read_the_risk(risk, people):
    body = f"{at(people['doer'].email.upper())} and {at(people['viewer'].email)}: please look"
    comment = comment_add(risk=risk, user=people["coordinator"], body=body)
    assert set(comment.mentions.all()) == {people["doer"], people["viewer"]}


def test_a_mention_of_someone_who_is_not_a_member_is_refused(risk, people, other_organisation):
    outsider = person(other_organisation, Role.ADMIN, "Olly Outsider")
    with pytest.raises(ValidationError) as refused:
        comment_add(risk=risk, user=people["coordinator"], body=f"Hi {at(outsider.email)}")
    assert refused.value.message_dict["body"] == [
        MENTION_NOT_READER.format(
            address=outsider.email, organisation=risk.organisation.display_name
        )
    ]


def test_on_a_sensitive_risk_only_those_cleared_may_be_mentioned(sensitive, people):
    with pytest.raises(ValidationError):
        comment_add(risk=sensitive, user=people["coordinator"], body=at(people["viewer"].email))
    comment = comment_add(
        risk=sensitive,
        user=people["coordinator"],
        body=f"{at(people['cleared'].email)} {at(people['owner'].email)}",
    )
    assert set(comment.mentions.all()) == {people["cleared"], people["owner"]}


# --- who is told ---------------------------------------------------------------------------------


def test_the_mentioned_and_the_owner_and_manager_are_told_each_once(
    risk, people, send_queued_email
):
    with send_queued_email() as outbox:
        comment = comment_add(
            risk=risk,
            user=people["coordinator"],
            body=f"{at(people['doer'].email)} {at(people['owner'].email)} can you update this?",
        )
    notices = {(n.user, n.kind) for n in told()}
    assert notices == {
        (people["doer"], NoticeKind.MENTIONED),
        (people["owner"], NoticeKind.MENTIONED),
        (people["manager"], NoticeKind.COMMENT),
    }
    mention = told().get(user=people["doer"])
    assert mention.title == "Cora Coordinator mentioned you on CRR4 Cyber attack"
    assert mention.url == url("risk", risk) + f"#comment-{comment.pk}"
    assert mention.actor == people["coordinator"] and "can you update this?" in mention.body
    outbox = [m for m in outbox if "CRR4 Cyber attack" in m.subject and "comment" in m.body]
    assert sorted(m.to[0] for m in outbox) == sorted(
        [people["doer"].email, people["owner"].email, people["manager"].email]
    )
    assert all(f"#comment-{comment.pk}" in m.body for m in outbox)


def test_the_author_is_never_told_of_their_own_comment(risk, people):
    comment_add(risk=risk, user=people["owner"], body=f"Note to self {at(people['owner'].email)}")
    assert list(told().values_list("user", flat=True)) == [people["manager"].pk]


def test_an_edit_tells_only_the_newly_mentioned(risk, people):
    comment = comment_add(
        risk=risk, user=people["coordinator"], body=f"Hi {at(people['doer'].email)}"
    )
    before = told().count()
    comment_edit(
        comment=comment,
        user=people["coordinator"],
        body=f"Hi {at(people['doer'].email)} and {at(people['viewer'].email)}",
    )
    assert told().count() == before + 1
    assert told().get(user=people["viewer"]).kind == NoticeKind.MENTIONED


def test_a_sensitive_risks_comment_is_told_withheld_to_whom_the_rules_withhold(sensitive, people):
    comment_add(risk=sensitive, user=people["coordinator"], body="Source codename Nightjar")
    notice = told().get(user=people["owner"])  # owners are cleared for their risks
    assert "Nightjar" in notice.body and notice.kind == NoticeKind.COMMENT


# --- change and delete ----------------------------------------------------------------------------


def test_the_author_changes_a_comment_within_the_window(risk, people):
    comment = comment_add(risk=risk, user=people["viewer"], body="Frist")
    comment = comment_edit(comment=comment, user=people["viewer"], body="First")
    comment.refresh_from_db()
    assert comment.body == "First" and comment.edited_at is not None


def test_nobody_changes_a_comment_after_the_window(risk, people):
    comment = comment_add(risk=risk, user=people["viewer"], body="Frist")
    written = timezone.now() - COMMENT_EDIT_WINDOW - dt.timedelta(seconds=1)
    Comment.objects.filter(pk=comment.pk).update(created_at=written)
    comment.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        comment_edit(comment=comment, user=people["viewer"], body="First")
    assert refused.value.messages == [COMMENT_EDIT_CLOSED]
    assert dt.timedelta(minutes=15) == COMMENT_EDIT_WINDOW


def test_only_the_author_changes_a_comment(risk, people):
    comment = comment_add(risk=risk, user=people["viewer"], body="Mine")
    with pytest.raises(ValidationError) as refused:
        comment_edit(comment=comment, user=people["admin"], body="Theirs")
    assert refused.value.messages == [COMMENT_NOT_YOURS]


@pytest.mark.parametrize("deleter", ["viewer", "admin"])
def test_the_author_or_an_admin_deletes_a_comment_leaving_it_in_place(risk, people, deleter):
    comment = comment_add(risk=risk, user=people["viewer"], body=f"Oops {at(people['doer'].email)}")
    comment_delete(comment=comment, user=people[deleter])
    comment.refresh_from_db()
    assert comment.deleted and comment.body == "" and comment.deleted_by == people[deleter]
    assert not comment.mentions.exists()
    assert [c.pk for c in comment_thread(risk)] == [comment.pk]


@pytest.mark.parametrize("deleter", ["coordinator", "owner", "panel"])
def test_nobody_else_deletes_a_comment(risk, people, deleter):
    comment = comment_add(risk=risk, user=people["viewer"], body="Mine")
    with pytest.raises(ValidationError) as refused:
        comment_delete(comment=comment, user=people[deleter])
    assert refused.value.messages == [COMMENT_DELETE_NOT_ALLOWED]


def test_history_keeps_what_was_said_who_changed_it_and_who_deleted_it(risk, people):
    comment = comment_add(risk=risk, user=people["viewer"], body="Frist")
    comment_edit(comment=comment, user=people["viewer"], body="First")
    comment_delete(comment=comment, user=people["admin"])
    rows = list(comment.history.order_by("history_date", "history_id"))
    assert [(r.body, r.history_change_reason, r.history_user) for r in rows] == [
        ("Frist", REASON_ADDED, people["viewer"]),
        ("First", REASON_EDITED, people["viewer"]),
        ("", REASON_DELETED, people["admin"]),
    ]


# --- the thread's queries ------------------------------------------------------------------------


def test_a_thread_is_read_in_the_same_queries_whatever_its_length(risk, people):
    control = ControlFactory(risk=risk)
    action = ActionFactory(risk=risk)
    mention = at(people["doer"].email)

    def write(n):
        for i in range(n):
            about = {"control": control} if i % 3 == 1 else {"action": action} if i % 3 else {}
            comment_add(risk=risk, user=people["viewer"], body=f"Note {i} {mention}", **about)

    write(1)
    few, many = assert_same_queries(lambda: comment_thread(risk), lambda: write(20), at_most=2)
    assert len(many) == 21 and many[-1].mentions.all()[0] == people["doer"]


def test_the_risk_page_reads_a_thread_in_the_same_queries_whatever_its_length(risk, people):
    client = client_for(people["coordinator"])
    page = url("risk", risk)
    comment_add(risk=risk, user=people["viewer"], body=f"One {at(people['doer'].email)}")
    client.get(page)

    def grow():
        for i in range(15):
            comment_add(
                risk=risk, user=people["viewer"], body=f"More {i} {at(people['doer'].email)}"
            )

    _, response = assert_same_queries(lambda: client.get(page), grow)
    assert "More 14" in response.content.decode()


# --- the pages ---------------------------------------------------------------------------------


def test_the_risk_page_shows_the_thread_with_what_each_comment_is_about(risk, people):
    control = ControlFactory(risk=risk, description="Firewall rules")
    comment_add(risk=risk, user=people["viewer"], body="See https://example.org/x", control=control)
    html = client_for(people["owner"]).get(url("risk", risk)).content.decode()
    assert 'id="comments"' in html and "Vic Viewer" in html
    assert "On the control" in html and f'href="#control-{control.pk}"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "Add a comment" in html
    # the control's row offers a comment about it
    assert url("comment_add", risk, query=f"?about=control-{control.pk}") in html


def test_the_panel_reads_the_thread_without_a_form(risk, people):
    comment_add(risk=risk, user=people["viewer"], body="Visible to the panel")
    html = client_for(people["panel"]).get(url("risk", risk)).content.decode()
    assert "Visible to the panel" in html and "Add a comment" not in html


def test_an_uncleared_member_sees_a_sensitive_thread_withheld(sensitive, people):
    control = ControlFactory(risk=sensitive, description="Handler rota")
    comment_add(
        risk=sensitive, user=people["coordinator"], body="Codename Nightjar", control=control
    )
    comment = Comment.objects.get()
    viewer = client_for(people["viewer"])
    html = viewer.get(url("risk", sensitive)).content.decode()
    assert "Nightjar" not in html and WITHHELD in html and "Add a comment" not in html
    for name, args in [
        ("comment", [comment.pk]),
        ("comment_edit", [comment.pk]),
        ("comment_delete", [comment.pk]),
        ("comment_mentions", []),
    ]:
        response = viewer.get(url(name, sensitive, *args, query="?q=a"), **HTMX)
        assert response.status_code == 403
        assert "Nightjar" not in response.content.decode()
    response = viewer.post(url("comment_add", sensitive), {"body": "Let me in"})
    assert response.status_code == 403
    assert Comment.objects.count() == 1
    cleared = client_for(people["cleared"]).get(url("risk", sensitive)).content.decode()
    assert "Codename Nightjar" in cleared


def test_a_comment_posted_without_javascript_redirects_to_it(risk, people):
    control = ControlFactory(risk=risk)
    client = client_for(people["coordinator"])
    response = client.post(
        url("comment_add", risk),
        {"about": f"control-{control.pk}", "body": f"Ask {at(people['doer'].email)}"},
    )
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("risk", risk) + f"#comment-{comment.pk}"
    assert comment.control == control and list(comment.mentions.all()) == [people["doer"]]


def test_a_comment_posted_with_htmx_answers_the_thread(risk, people):
    client = client_for(people["coordinator"])
    response = client.post(url("comment_add", risk), {"body": "Through htmx"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("{#") is False and 'id="comments"' in html
    assert "Through htmx" in html and "Comment added." in html and "<html" not in html


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_bad_input_is_answered_400_with_the_message(risk, people, headers):
    client = client_for(people["coordinator"])
    for data, message in [
        ({"body": ""}, "Write a comment"),
        ({"body": "x" * (COMMENT_MAX_LENGTH + 1)}, "Keep a comment to 5,000 characters"),
        ({"body": "Hi", "about": "control-999999"}, "Choose the risk, or one of its"),
        (
            {"body": "Hi @nobody@nowhere.example"},
            "The mention of nobody@nowhere.example names nobody",
        ),
        ({}, "Write a comment"),
    ]:
        response = client.post(url("comment_add", risk), data, **headers)
        assert response.status_code == 400, data
        assert message in response.content.decode(), data
    assert not Comment.objects.exists()


def test_the_comment_link_of_a_control_opens_the_form_about_it(risk, people):
    control = ControlFactory(risk=risk, description="Firewall rules")
    client = client_for(people["viewer"])
    address = url("comment_add", risk, query=f"?about=control-{control.pk}")
    response = client.get(address)
    assert response.status_code == 302
    assert response["Location"].endswith(f"?comment_on=control-{control.pk}#add-comment")
    page = client.get(response["Location"]).content.decode()
    assert f'<option value="control-{control.pk}" selected>' in page
    partial = client.get(address, **HTMX).content.decode()
    assert 'id="add-comment"' in partial and f'value="control-{control.pk}" selected' in partial


def test_changing_a_comment_with_and_without_javascript(risk, people):
    comment = comment_add(risk=risk, user=people["viewer"], body="Frist")
    client = client_for(people["viewer"])
    edit = url("comment_edit", risk, comment.pk)
    assert 'name="body"' in client.get(edit).content.decode()  # the risk page, form open
    assert client.get(edit, **HTMX).content.decode().lstrip().startswith("<li")
    response = client.post(edit, {"body": "First"}, **HTMX)
    assert response.status_code == 200 and "First" in response.content.decode()
    response = client.post(edit, {"body": "First!"})
    assert response["Location"] == url("risk", risk) + f"#comment-{comment.pk}"
    response = client.post(edit, {"body": ""}, **HTMX)
    assert response.status_code == 400 and "Write a comment" in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "First!"


def test_changing_someone_elses_or_an_old_comment_is_refused(risk, people):
    comment = comment_add(risk=risk, user=people["viewer"], body="Mine")
    edit = url("comment_edit", risk, comment.pk)
    refused = client_for(people["admin"]).post(edit, {"body": "Theirs"})
    assert refused.status_code == 403
    # Why, not "your role does not let you ... ask your coordinator or admin" (an admin).
    assert escape(COMMENT_EDIT_OWN_ONLY) in refused.content.decode()
    assert "Your role" not in refused.content.decode()
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    viewer = client_for(people["viewer"])
    too_late = viewer.get(edit)
    assert too_late.status_code == 403
    assert "in the 15 minutes after writing it" in too_late.content.decode()
    assert viewer.post(edit, {"body": "Later"}).status_code == 403
    assert "Change" not in viewer.get(url("comment", risk, comment.pk), **HTMX).content.decode()


def test_deleting_a_comment_with_and_without_javascript(risk, people):
    first = comment_add(risk=risk, user=people["viewer"], body="Delete me")
    second = comment_add(risk=risk, user=people["coordinator"], body="And me")
    admin = client_for(people["admin"])
    confirm = admin.get(url("comment_delete", risk, first.pk), **HTMX).content.decode()
    assert "Yes, delete the comment" in confirm
    response = admin.post(url("comment_delete", risk, first.pk), **HTMX)
    assert "Comment deleted" in response.content.decode()
    assert "Delete me" not in response.content.decode()
    response = admin.post(url("comment_delete", risk, second.pk))
    assert response["Location"] == url("risk", risk) + f"#comment-{second.pk}"
    again = admin.post(url("comment_delete", risk, second.pk))
    assert again.status_code == 403  # deleted already: nothing left to delete
    assert COMMENT_GONE in again.content.decode()
    html = admin.get(url("risk", risk)).content.decode()
    assert html.count("Comment deleted") >= 2 and "And me" not in html


def test_deleting_is_refused_to_others(risk, people):
    comment = comment_add(risk=risk, user=people["viewer"], body="Mine")
    coordinator = client_for(people["coordinator"])
    refused = coordinator.post(url("comment_delete", risk, comment.pk))
    assert refused.status_code == 403
    assert escape(COMMENT_DELETE_OWN_ONLY) in refused.content.decode()
    assert "Your role" not in refused.content.decode()
    assert not Comment.objects.get().deleted


def test_get_changes_nothing(risk, people):
    comment = comment_add(risk=risk, user=people["viewer"], body="Still here")
    client = client_for(people["viewer"])
    for name, args in [
        ("comment_add", []),
        ("comment", [comment.pk]),
        ("comment_edit", [comment.pk]),
        ("comment_delete", [comment.pk]),
        ("comment_mentions", []),
    ]:
        client.get(url(name, risk, *args, query="?body=x&q=x"))
        client.get(url(name, risk, *args, query="?body=x&q=x"), **HTMX)
    comment.refresh_from_db()
    assert Comment.objects.count() == 1 and comment.body == "Still here"
    assert not comment.deleted


def test_posts_are_csrf_checked(risk, people):
    comment = comment_add(risk=risk, user=people["viewer"], body="Mine")
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["viewer"])
    for name, args in [
        ("comment_add", []),
        ("comment_edit", [comment.pk]),
        ("comment_delete", [comment.pk]),
    ]:
        assert client.post(url(name, risk, *args), {"body": "x"}).status_code == 403
    comment.refresh_from_db()
    assert Comment.objects.count() == 1 and comment.body == "Mine"


def test_a_comment_of_another_risk_is_not_found(risk, people):
    other = RiskFactory(register=risk.register, ref="CRR5")
    comment = comment_add(risk=other, user=people["viewer"], body="Elsewhere")
    client = client_for(people["viewer"])
    for name in ("comment", "comment_edit", "comment_delete"):
        assert client.get(url(name, risk, comment.pk)).status_code == 404


# --- finding people to mention -------------------------------------------------------------------


def test_the_finder_lists_members_who_may_read_the_risk(sensitive, risk, people):
    client = client_for(people["coordinator"])
    html = client.get(url("comment_mentions", risk, query="?q=vi"), **HTMX).content.decode()
    assert "Vic Viewer" in html and f'data-mention="@{people["viewer"].email}"' in html
    assert 'aria-label="People you can mention"' in html
    html = client.get(url("comment_mentions", sensitive, query="?q=c"), **HTMX).content.decode()
    assert "Cleo Cleared" in html and "Vic Viewer" not in html
    assert "Cora Coordinator" not in html  # not oneself
    html = client.get(url("comment_mentions", risk, query="?q=zzz"), **HTMX).content.decode()
    assert "Nobody who may read this risk matches" in html
    assert client.get(url("comment_mentions", risk)).status_code == 200


def test_the_panel_may_not_use_the_finder(risk, people):
    response = client_for(people["panel"]).get(url("comment_mentions", risk, query="?q=a"))
    assert response.status_code == 403


def test_a_control_and_an_action_row_link_to_comment_and_count_their_comments(risk, people):
    control = ControlFactory(risk=risk, description="Firewall")
    action = ActionFactory(risk=risk, description="Patch servers")
    comment_add(risk=risk, user=people["owner"], body="Tested?", control=control)
    comment_add(risk=risk, user=people["owner"], body="Still?", control=control)
    comment_add(risk=risk, user=people["owner"], body="When?", action=action)
    page = client_for(people["viewer"]).get(url("risk", risk)).content.decode()
    for kind, item, count in (("control", control, "2 comments"), ("action", action, "1 comment")):
        link = url("comment_add", risk, query=f"?about={kind}-{item.pk}")
        row = page[page.index(f'id="{kind}-{item.pk}"') :]
        row = row[: row.index("</tr>")]
        assert f'<a class="govuk-link" href="{link}" hx-get="{link}"' in row, kind
        assert f'<span class="govuk-visually-hidden"> on {kind}: ' in row, kind
        assert f'<a class="govuk-link rr-muted" href="#comments">{count}</a></span>' in row, kind


@pytest.mark.parametrize("about", ["", "control-1", "action-2", "nothing-9"])
def test_the_add_forms_about_list_is_djangos_markup_byte_for_byte(about):
    """The risk page's add-comment form draws its "About" list in Python (widgets.Select,
    blank_lines): the field group as Django's select templates drew it."""
    from types import SimpleNamespace

    from registers.forms_comments import CommentForm
    from registers.views.comment_context import new_comment_form

    controls = [SimpleNamespace(pk=1, description='Fire <doors> & "alarms"')]
    actions = [SimpleNamespace(pk=2, description="x" * 90)]
    ours = new_comment_form(None, controls=controls, actions=actions, about=about)
    theirs = CommentForm(controls=controls, actions=actions)
    if about in dict(theirs.fields["about"].choices):
        theirs.initial["about"] = about
    assert type(ours.fields["about"].widget) is not type(theirs.fields["about"].widget)
    assert ours["about"].as_field_group() == theirs["about"].as_field_group()


def _row(html: str, row_id: str) -> str:
    """The row's markup, spaces and CSRF tokens (masked afresh in each response) aside."""
    row = html[html.index(f'id="{row_id}"') :]
    row = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*', r"\1", row[: row.index("</tr>")])
    return " ".join(row.split())


def test_a_row_edited_in_place_is_drawn_as_the_page_draws_it(risk, people):
    """After an htmx edit, the control's and the action's rows keep their "Comment" link and
    count (they lost them until the page was reloaded)."""
    control = ControlFactory(risk=risk, description="Firewall")
    action = ActionFactory(risk=risk, description="Patch servers")
    comment_add(risk=risk, user=people["owner"], body="Tested?", control=control)
    comment_add(risk=risk, user=people["owner"], body="When?", action=action)
    client = client_for(people["coordinator"])
    control_row = client.post(
        url("control_edit", risk, control.pk),
        {"description": "Firewall, tested", "effectiveness": "effective", "version": 1},
        **HTMX,
    ).content.decode()
    action_row = client.post(
        url("action_edit", risk, action.pk),
        {"description": "Patch servers monthly", "status": "in_progress", "version": 1},
        **HTMX,
    ).content.decode()
    page = client.get(url("risk", risk)).content.decode()
    for row, row_id in (
        (control_row, f"control-{control.pk}"),
        (action_row, f"action-{action.pk}"),
    ):
        assert "Comment<span" in row and "1 comment</a>" in row, row_id
        assert _row(row, row_id) == _row(page, row_id)


def test_a_row_swapped_in_offers_comment_only_to_whom_the_page_does(risk, people):
    """The panel reads the thread but does not write in it; an uncleared member reads nothing of
    an OFFICIAL-SENSITIVE risk's controls: the single row follows the page's rule."""
    control = ControlFactory(risk=risk, description="Firewall")
    for role, offered in (("viewer", True), ("panel", False)):
        client = client_for(people[role])
        row = client.get(url("control", risk, control.pk), **HTMX).content.decode()
        page = client.get(url("risk", risk)).content.decode()
        assert ("Comment<span" in row) is offered, role
        assert _row(row, f"control-{control.pk}") == _row(page, f"control-{control.pk}"), role


def test_a_sensitive_risks_row_is_not_drawn_for_the_uncleared(sensitive, people):
    control = ControlFactory(risk=sensitive, description="Handler rota")
    response = client_for(people["viewer"]).get(url("control", sensitive, control.pk), **HTMX)
    assert response.status_code in (403, 404) and b"Handler rota" not in response.content
    row = client_for(people["cleared"]).get(url("control", sensitive, control.pk), **HTMX)
    assert "Comment<span" in row.content.decode()


def test_the_controls_section_swapped_in_after_an_add_keeps_the_counts(risk, people):
    control = ControlFactory(risk=risk, description="Firewall")
    comment_add(risk=risk, user=people["owner"], body="Tested?", control=control)
    section = client_for(people["coordinator"]).post(
        url("control_add", risk), {"description": "Backups"}, **HTMX
    )
    assert "1 comment</a>" in _row(section.content.decode(), f"control-{control.pk}")
