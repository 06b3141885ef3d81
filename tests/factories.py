"""factory-boy factories that keep organisations consistent: a risk's register, category and
owner belong to the risk's organisation; a control's risk and organisation agree."""

import datetime as dt

import factory
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from registers import permissions
from registers.models import (
    Action,
    Category,
    Control,
    Membership,
    Organisation,
    Register,
    Risk,
    Role,
    User,
)
from registers.services.accounts import sign_in_address_add
from registers.services.organisations import organisation_create
from registers.services.risks import risk_create

PASSWORD = "a-test-password-123"  # noqa: S105


def corporate_register_of(organisation: Organisation) -> Register:
    """The top-level register ``organisation_create`` makes for every organisation."""
    return Register.objects.get(organisation=organisation, slug="corporate")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    # Hashed before the INSERT, as member_add does: one query, where setting it after made an
    # UPDATE of the whole row and the account-change signal's reads (decision 141).
    password = factory.LazyFunction(lambda: make_password(PASSWORD))

    @factory.post_generation
    def sign_in_address(obj, create, extracted, **kwargs):  # noqa: N805
        """Its allauth address, as every path that makes an account makes it (decision 96);
        ``UserFactory(sign_in_address=False)`` is an account from before that, with none."""
        if create and extracted is not False:
            sign_in_address_add(user=obj, new_account=True)


# On riskreg since long before any day a test builds a pack as at: a pack may not be as at a day
# before its organisation was (decision 143). A test of that rule dates it itself.
ON_RISKREG_SINCE = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


class OrganisationFactory(factory.Factory):
    """Through the service, so every organisation has its scheme, appetite levels and register."""

    class Meta:
        model = Organisation

    slug = factory.Sequence(lambda n: f"org{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        organisation = organisation_create(**kwargs)
        Organisation.objects.filter(pk=organisation.pk).update(created_at=ON_RISKREG_SINCE)
        organisation.created_at = ON_RISKREG_SINCE
        return organisation


class MembershipFactory(DjangoModelFactory):
    """Grants follow the role, as member_add does (a coordinator edits every register)."""

    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.COORDINATOR

    @factory.post_generation
    def grants(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            permissions.membership_sync(obj)


class RegisterFactory(DjangoModelFactory):
    class Meta:
        model = Register

    organisation = factory.SubFactory(OrganisationFactory)
    slug = factory.Sequence(lambda n: f"register-{n}")
    name = factory.Sequence(lambda n: f"Register {n}")
    level = "school"
    parent = factory.LazyAttribute(
        lambda o: Register.objects.filter(organisation=o.organisation, slug="corporate").first()
    )


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Category {n}")


class RiskFactory(factory.Factory):
    """Through risk_create, so ratings are made by the engine as in the product."""

    class Meta:
        model = Risk

    register = factory.LazyFunction(
        lambda: Register.objects.get(organisation=OrganisationFactory(), slug="corporate")
    )
    ref = factory.Sequence(lambda n: f"R{n}")
    title = factory.Sequence(lambda n: f"Risk {n}")
    positions = factory.LazyFunction(lambda: {"current": (3, 4), "target": (2, 2)})

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return risk_create(**kwargs)


class ControlFactory(DjangoModelFactory):
    class Meta:
        model = Control

    risk = factory.SubFactory(RiskFactory)
    organisation = factory.SelfAttribute("risk.organisation")
    description = factory.Sequence(lambda n: f"Control {n}")


class ActionFactory(DjangoModelFactory):
    class Meta:
        model = Action

    risk = factory.SubFactory(RiskFactory)
    organisation = factory.SelfAttribute("risk.organisation")
    description = factory.Sequence(lambda n: f"Action {n}")
