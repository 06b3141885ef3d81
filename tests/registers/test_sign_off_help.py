"""The words of "Reviews need sign-off" are one text, shown by the registers settings page and by
the Django admin (the model field's help): the admin's said only "a coordinator or a named
approver" signs off and that the update "is shown only once" signed off, where every admin signs
off too, an approver's own update applies at once (decision 51) and the approvers' reminders
list it, overdue after a week (decision 110)."""

import pytest

from registers.forms_registers import RegisterForm
from registers.models import Register
from registers.services.review_submissions import SIGN_OFF_BY
from tests.factories import corporate_register_of

pytestmark = pytest.mark.django_db


def test_the_admin_and_the_settings_page_say_the_same_of_sign_off(organisation):
    register = corporate_register_of(organisation)
    form = RegisterForm(organisation=organisation, registers=[register], register=register)
    help_text = Register._meta.get_field("sign_off_required").help_text

    assert help_text == form.fields["sign_off_required"].help_text
    assert SIGN_OFF_BY in help_text
    assert "applies at once" in help_text and "overdue once it has waited a week" in help_text
    history = Register.history.model._meta.get_field("sign_off_required").help_text
    assert history == help_text
