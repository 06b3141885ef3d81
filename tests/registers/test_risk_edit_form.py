"""The risk edit form (issue 20, the load test's costliest page): its queries do not grow with the
organisation's members, risks or the risk's working leads; the owner, manager and leads lists
drawn from one query offer exactly whom each field accepts; and the radios and checkboxes drawn
in Python (riskreg.forms.choice_items) are the markup the template's loop drew."""

import pytest
from django import forms
from django.template import Context, Template
from django.test.html import parse_html
from django.urls import reverse

from registers import widgets
from registers.forms import RiskForm
from registers.forms_treatments import RiskEditForm
from registers.models import Membership, Objective, Risk, Role
from registers.services.organisations import member_add
from registers.views.risk_common import scheme_for
from riskreg.forms import GovukForm, choice_items
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of
from tests.queries import assert_same_queries
from tests.registers.test_links import person
from tests.registers.test_register_page import bulk_risks
from tests.registers.test_risk_pages import edit_data

pytestmark = pytest.mark.django_db

# The edit page's queries today: the user and their memberships, the risk, the registers they
# edit, the scheme, the ids of the risk's objectives and working leads (one query, two before),
# the category and objective choices, one for the owner, manager and leads lists (three before),
# and in tests the session and the header's unread count (both in the cache in production; 9 on
# the bench database, 13 before). The scheme is the one read with the risk when it is rated
# under it (decision 92).
EDIT_PAGE_QUERIES = 10
# Saving it: 22 on the bench database before the form's scheme was the one read with the risk,
# 20 since (29 before full_clean no longer looked each foreign key up again), here 23 with the
# session and the header's count.
EDIT_SAVE_QUERIES = 23


@pytest.fixture
def people(organisation):
    return {
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "viewer": person(organisation, Role.VIEWER, "Vic Viewer"),
        "panel": person(organisation, Role.PANEL, "Pat Panel"),
        "leaver": person(organisation, Role.OWNER, "Lee Leaver"),
    }


@pytest.fixture
def risk(organisation, people):
    risk = RiskFactory(
        register=corporate_register_of(organisation),
        ref="CRR07",
        title="Fire at the depot",
        owner=people["owner"],
        positions={"inherent": (3, 4), "current": (3, 4), "target": (1, 2)},
    )
    # A viewer as manager and as a working lead: named already, so kept in their lists.
    Risk.objects.filter(pk=risk.pk).update(manager=people["viewer"])
    risk.refresh_from_db()
    risk.leads.add(people["viewer"], people["owner"])
    risk.objectives.add(Objective.objects.create(organisation=organisation, code="S1", name="Safe"))
    return risk


def edit_url(risk) -> str:
    return reverse("risk_edit", args=[risk.organisation.slug, risk.ref])


def test_the_edit_page_queries_do_not_grow_with_members_risks_or_leads(
    client, organisation, people, risk
):
    client.force_login(people["coordinator"])
    client.get(edit_url(risk))  # the organisation, the header's count: cached from then on

    def grow():
        extra = [
            MembershipFactory(organisation=organisation, role=Role.OWNER).user for _ in range(25)
        ]
        risk.leads.add(*extra[:10])
        bulk_risks(corporate_register_of(organisation), 40, prefix="G", owner=people["owner"])

    few, many = assert_same_queries(
        lambda: client.get(edit_url(risk)), grow, at_most=EDIT_PAGE_QUERIES
    )
    assert few.status_code == many.status_code == 200
    # three who can own, the viewer who is a lead, and the 25 new owners
    assert many.content.decode().count('name="leads" type="checkbox"') == 3 + 1 + 25


def _form(risk, data=None):
    kwargs = {"organisation": risk.organisation, "scheme": scheme_for(risk), "risk": risk}
    if data is None:
        return RiskEditForm(initial=RiskForm.initial_for(risk), **kwargs)
    return RiskEditForm(data, **kwargs)


def _drawn(bound) -> list:
    return [value for value, _ in bound.field.widget.choices if value != ""]


def test_the_lists_drawn_from_one_query_are_what_each_field_accepts(
    organisation, other_organisation, people, risk
):
    MembershipFactory(organisation=other_organisation, role=Role.OWNER)  # never offered
    former_lead = people["leaver"]
    risk.leads.add(former_lead)
    Membership.objects.filter(user=former_lead, organisation=organisation).update(role=Role.PANEL)
    form = _form(risk)
    for name in ("owner", "manager", "leads"):
        drawn = _drawn(form[name])
        assert [choice.instance for choice in drawn] == list(form.fields[name].queryset), name
    owners = {choice.instance for choice in _drawn(form["owner"])}
    leads = {choice.instance for choice in _drawn(form["leads"])}
    # The viewer is the manager and a lead: offered in both; a panel member who is a lead only
    # among the leads; the panel member who is neither, nowhere.
    assert people["viewer"] in owners and people["viewer"] in leads
    assert former_lead in leads and former_lead not in owners
    assert people["panel"] not in owners | leads
    # Drawn twice, asked for their number and whether there are any: still read once.
    form = _form(risk)
    with pytest.MonkeyPatch.context() as patch:
        calls = []
        people_query = type(form).people.func
        patch.setattr(type(form), "people", property(lambda f: calls.append(1) or people_query(f)))
        str(form["owner"]), str(form["owner"]), str(form["leads"].as_field_group())
        assert len(form.fields["owner"].widget.choices) == len(_drawn(form["owner"])) + 1
        assert bool(form.fields["leads"].widget.choices)
    assert len(calls) == 2  # once for the owner's list, once for the leads' (the list is kept)


def test_an_edit_still_saves_and_checks_the_leads_it_is_given(client, organisation, people, risk):
    client.force_login(people["coordinator"])
    data = edit_data(risk, title="Depot fire")
    data["leads"] = [people["viewer"].pk, people["panel"].pk]  # the panel member was never a lead
    response = client.post(edit_url(risk), data)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    data["leads"] = [people["viewer"].pk, people["coordinator"].pk]
    response = client.post(edit_url(risk), data)
    assert response.status_code == 302
    risk.refresh_from_db()
    assert risk.title == "Depot fire"
    assert set(risk.leads.all()) == {people["viewer"], people["coordinator"]}


# The loop govuk/field.html drew the items with, before choice_items.
TEMPLATE_LOOP = Template(
    """{% for choice in field.subwidgets %}
      <div class="govuk-{{ module }}__item">
        <input class="govuk-{{ module }}__input" id="{{ choice.id_for_label }}" name="{{ choice.data.name }}" type="{{ type }}" value="{{ choice.data.value|stringformat:'s' }}"{% if choice.data.selected %} checked{% endif %}>
        <label class="govuk-label govuk-{{ module }}__label" for="{{ choice.id_for_label }}">{{ choice.choice_label }}</label>
      </div>{% endfor %}"""  # noqa: E501
)
CHOICES = [("a", "Alpha <one>"), ("b", 'Beta "two"'), ("a", "Alpha again"), ("", "None")]
GROUPED = [("Group & co", [("x", "Ex"), ("y", "Why")]), ("z", "Zed")]


class Sample(GovukForm):
    radios = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect, required=False)
    boxes = forms.MultipleChoiceField(
        choices=CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    grouped = forms.MultipleChoiceField(
        choices=GROUPED, widget=forms.CheckboxSelectMultiple, required=False
    )


@pytest.mark.parametrize("auto_id", ["id_%s", "%s", False])
@pytest.mark.parametrize(
    "data",
    [None, {"radios": "a", "boxes": ["a", "b"], "grouped": ["y", "z"]}, {"radios": "zz"}],
)
def test_choice_items_draw_what_the_template_loop_drew(auto_id, data):
    form = Sample(data, auto_id=auto_id)
    form.is_valid()
    for name in ("radios", "boxes", "grouped"):
        bound = form[name]
        radio = name == "radios"
        module, kind = ("radios", "radio") if radio else ("checkboxes", "checkbox")
        context = Context({"field": bound, "module": module, "type": kind})
        assert parse_html(choice_items(bound)) == parse_html(TEMPLATE_LOOP.render(context)), name


def test_an_edit_saves_in_the_same_queries_however_many_members_and_risks(
    client, organisation, people, risk
):
    client.force_login(people["coordinator"])
    client.get(edit_url(risk))
    titles = iter(f"Depot fire {n}" for n in range(10))

    def save():
        risk.refresh_from_db()
        return client.post(edit_url(risk), edit_data(risk, title=next(titles)))

    def grow():
        for _ in range(25):
            MembershipFactory(organisation=organisation, role=Role.OWNER)
        bulk_risks(corporate_register_of(organisation), 40, prefix="G", owner=people["owner"])

    save()  # the first save also records what later ones find cached
    few, many = assert_same_queries(save, grow, at_most=EDIT_SAVE_QUERIES)
    assert few.status_code == many.status_code == 302
    risk.refresh_from_db()
    assert risk.title == "Depot fire 2"


def test_an_edit_naming_an_owner_from_elsewhere_is_refused_by_the_service_too(
    organisation, other_organisation, people, risk
):
    """full_clean no longer looks the keys up: the service's own checks still refuse."""
    from django.core.exceptions import ValidationError

    from registers.services.risks import risk_update

    outsider = MembershipFactory(organisation=other_organisation, role=Role.OWNER).user
    with pytest.raises(ValidationError, match="not a member"):
        risk_update(risk=risk, expected_version=risk.version, fields={"owner": outsider})
    risk.refresh_from_db()
    assert risk.owner == people["owner"]


@pytest.mark.parametrize("field", ["owner", "manager", "leads"])
def test_the_form_refuses_a_person_from_elsewhere_posted_by_hand(
    client, organisation, other_organisation, people, risk, field
):
    """The choice-checking query is built only when a choice is posted: a person of another
    organisation, or of none, typed into the form is refused with the field's message, and
    nothing is saved."""
    outsider = MembershipFactory(organisation=other_organisation, role=Role.COORDINATOR).user
    client.force_login(people["coordinator"])
    data = edit_data(risk, title="Depot fire")
    data[field] = [outsider.pk] if field == "leads" else outsider.pk
    response = client.post(edit_url(risk), data)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    risk.refresh_from_db()
    assert risk.title == "Fire at the depot"
    assert risk.owner == people["owner"] and risk.manager == people["viewer"]


def test_a_name_is_escaped_once_in_each_of_the_three_lists(client, organisation, people, risk):
    """The owner, manager and leads lists share each person's label, escaped once."""
    odd = member_add(
        organisation=organisation, email="ann@org.test", role=Role.OWNER, full_name='Ann <b>& "Bo"'
    ).user
    client.force_login(people["coordinator"])
    page = client.get(edit_url(risk)).content.decode()
    label = "Ann &lt;b&gt;&amp; &quot;Bo&quot;"
    assert page.count(f'<option value="{odd.pk}">{label}</option>') == 2  # owner, manager
    assert page.count(f'value="{odd.pk}">\n        <label') == 1  # a working lead's box
    assert page.count(label) == 3
    assert "<b>&" not in page and "&amp;lt;" not in page


@pytest.mark.parametrize("value", [None, "", "b", "zz"])
def test_the_short_selects_drawn_in_python_are_djangos_markup_byte_for_byte(value):
    """The category, horizon, response, proximity and progress selects (widgets.Select with
    blank_lines) draw what Django's select templates drew, blank lines included."""
    choices = [("", "None <yet>"), ("a", 'Alpha "one"'), ("b", "Beta & co"), ("b", "Beta again")]
    attrs = {"id": "x", "class": "govuk-select", "aria-describedby": "x_helptext", "hidden": True}
    ours = widgets.Select(choices=choices, blank_lines=True).render("x", value, attrs=attrs)
    theirs = forms.Select(choices=choices).render("x", value, attrs=attrs)
    assert ours == theirs


def test_the_forms_prepared_reads_give_the_plain_reads(organisation, people, risk):
    """The risk form's reads through ``prepared_list`` (the people, the category and objective
    choices, the chosen ids): for each shape (creating; editing a risk with and without a
    category, owner or manager, one person as both, a retired category and objective it holds),
    the same rows as the plain queryset, the first read on the connection and the later ones."""
    from django.utils import timezone

    from registers import forms as risk_forms
    from registers.models import Category
    from registers.prepared import prepared_list

    retired = Category.objects.create(organisation=organisation, name="Old", position=9)
    Category.objects.filter(pk=retired.pk).update(retired_at=timezone.now())
    Category.objects.create(organisation=organisation, name="Current", position=1)
    old = Objective.objects.create(organisation=organisation, code="O9", name="Old aim")
    Objective.objects.filter(pk=old.pk).update(retired_at=timezone.now())
    Objective.objects.create(organisation=organisation, code="O1", name="Aim")
    other = RiskFactory(register=corporate_register_of(organisation), ref="CRR08", owner=None)
    Risk.objects.filter(pk=other.pk).update(manager=None, category=None)
    risk.objectives.add(old)
    Risk.objects.filter(pk=risk.pk).update(category=retired, manager=people["owner"])
    shapes = [
        {
            "organisation_id": organisation.pk,
            "editing": False,
            "category_id": None,
            "risk_id": None,
        },
        {
            "organisation_id": organisation.pk,
            "editing": True,
            "category_id": retired.pk,
            "risk_id": risk.pk,
        },
        {
            "organisation_id": organisation.pk,
            "editing": True,
            "category_id": None,
            "risk_id": other.pk,
        },
    ]
    for _ in range(2):  # the first read compiles, the second reads the kept SQL
        for values in shapes:
            for name, build in (
                ("category", risk_forms._categories),
                ("objectives", risk_forms._objectives),
            ):
                prepared = prepared_list(f"risk_form.{name}", build, **values)
                assert prepared == list(build(**values)), (name, values)
        for values in (
            {
                "organisation_id": organisation.pk,
                "owner_id": None,
                "manager_id": None,
                "risk_id": None,
            },
            {
                "organisation_id": organisation.pk,
                "owner_id": people["owner"].pk,
                "manager_id": people["owner"].pk,
                "risk_id": risk.pk,
            },
            {
                "organisation_id": organisation.pk,
                "owner_id": None,
                "manager_id": None,
                "risk_id": other.pk,
            },
            {
                "organisation_id": organisation.pk,
                "owner_id": people["viewer"].pk,
                "manager_id": people["panel"].pk,
                "risk_id": risk.pk,
            },
        ):
            prepared = prepared_list("risk_form.people", risk_forms._people, **values)
            assert prepared == list(risk_forms._people(**values)), values
        for chosen in (risk, other):
            prepared = prepared_list("risk_form.chosen", risk_forms._chosen, risk_id=chosen.pk)
            assert sorted(prepared) == sorted(risk_forms._chosen(risk_id=chosen.pk))
    assert retired in prepared_list("risk_form.category", risk_forms._categories, **shapes[1])
    assert retired not in prepared_list("risk_form.category", risk_forms._categories, **shapes[2])
