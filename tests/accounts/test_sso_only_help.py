"""What "single sign-on only" does, in the connection's own field help: the model said "People of
these domains cannot sign in with a password", which has not been so since decision 114 (amended):
anyone who also belongs to another organisation on riskreg, or runs riskreg, is never signed in by
the provider, keeps their password, and must use riskreg's second factor on the organisation's
pages. The settings page's summary already said so."""

from accounts.models import SingleSignOnProvider


def test_single_sign_on_only_names_its_exception():
    help_text = SingleSignOnProvider._meta.get_field("only_way_in").help_text

    assert help_text.startswith("People of these domains cannot sign in with a password, except ")
    assert "also belongs to another organisation on riskreg or runs riskreg" in help_text
    assert "provider never signs them in" in help_text
    assert "must use riskreg's second factor" in help_text
