"""A member's two-factor sign-in on the members pages, which belong to ``registers`` (it knows
nothing of ``accounts``, so its templates ask here rather than its views importing accounts).

``{% second_factor_of member as second_factor %}``: their factors (one query);
``{% second_factor_required_of user as required %}``: whether an organisation of theirs
requires them to have one (allauth's two-factor pages);
``{{ organisation|second_factor_rule }}``: who must use it, in a sentence;
``{% second_factor_reset_refusal member organisation user as refusal %}``: why the viewer may not
reset them in the organisation ("" if they may; whether their role lets them at all is
``access.can_reset_second_factors``).
"""

from __future__ import annotations

from django import template

from ..forms_second_factor import rule_summary
from ..middleware import second_factor_required
from ..selectors_second_factor import SecondFactorStatus, second_factor_status
from ..services_second_factor import reset_refusal

register = template.Library()


@register.simple_tag
def second_factor_of(member) -> SecondFactorStatus:
    return second_factor_status(member)


@register.simple_tag
def second_factor_reset_refusal(member, organisation, viewer) -> str:
    return reset_refusal(user=member, organisation=organisation, by=viewer)


@register.filter
def second_factor_rule(organisation) -> str:
    return rule_summary(organisation)


@register.simple_tag
def second_factor_required_of(user) -> bool:
    return user.is_authenticated and second_factor_required(user)
