"""Django admin for every model, scoped by organisation.

Registered here, in the project package, so the apps keep their one-way dependencies. Django's
``admin.autodiscover`` imports this package as the ``riskreg`` app's admin (``riskreg/urls.py``
imports it too), and importing it registers every model: each module below registers its own.

Nothing is written here with the model's own ``save()`` or ``delete()`` (decisions 101, 117,
118): a model is added, changed and deleted through the service its page uses (registers, risks,
risk links, appetite statements, categories, objectives, the organisation's profile), or read
here, by superusers too, with a link to the page that changes it (controls, actions, reviews,
escalations, schemes and their versions, appetite levels, memberships, register grants). Risks,
categories and objectives are never deleted.

- ``scoping``: who sees which organisations' rows, and which rows a form offers them.
- ``saving``: writing through a service; its refusal shown on the form again; deletes through
  a service or not at all; the history reasons.
- ``read_only``: rows read here with a link to the page that changes them.
- ``accounts``: the user admin (superusers only), memberships and register grants.
- ``allauth_rows``: django-allauth's sign-in addresses, second factors, single sign-on links and
  sessions (superusers only), read there; a second factor's delete is a reset, a session's signs
  it out (decision 128).
- ``sign_in_throttling``: django-axes' failed sign-ins and access logs (superusers only), read
  there; a failed sign-in's delete clears the pause it holds, logged (decision 131).
- ``organisations``: an organisation's profile, categories and objectives.
- ``registers``: registers, and the escalations between them.
- ``risks``: risks, their controls, actions and reviews, and the links between risks.
- ``schemes`` and ``appetite``: scoring schemes and their versions; appetite levels and
  statements.
"""

from . import (  # noqa: F401  (each registers its models with the admin)
    accounts,
    allauth_rows,
    appetite,
    organisations,
    registers,
    risks,
    schemes,
    sign_in_throttling,
)
