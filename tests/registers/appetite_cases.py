"""Risks placed on every side of the appetite thresholds of the `appetite_setup` fixture."""

from registers.services.risks import risk_close
from tests.factories import RiskFactory, corporate_register_of


def risks_on_every_side_of_the_thresholds(organisation, categories):
    top = corporate_register_of(organisation)
    positions = [None, (1, 1), (1, 5), (2, 3), (2, 4), (2, 5), (3, 3), (3, 4), (4, 4), (5, 5)]
    made = []
    for c, category in enumerate([*categories, None]):
        for p, position in enumerate(positions):
            made.append(
                RiskFactory(
                    register=top,
                    ref=f"C{c}P{p}",
                    category=category,
                    positions={"current": position} if position else {},
                )
            )
    closed = made[5]
    risk_close(risk=closed, expected_version=closed.version, reason="done")
    return made
