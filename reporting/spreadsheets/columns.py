"""The spreadsheet columns of DESIGN.md ("Spreadsheet columns"), shared by import and export."""

from __future__ import annotations

import re

POSITIONS = ("inherent", "current", "target")

REQUIRED_COLUMNS = ("ref", "title")
IMPORT_COLUMNS = (
    "ref",
    "title",
    "description",
    "consequence",
    "category",
    "owner",
    "manager",
    "inherent_likelihood",
    "inherent_impact",
    "current_likelihood",
    "current_impact",
    "target_likelihood",
    "target_impact",
    "response",
    "next_review",
    "controls",
    "actions",
    "register",
    "objectives",
    "working_leads",
    "horizon",
    "progress",
    "marking",
    "review_months",
    "emerging",
)
# Written by export, worked out by the product: an import reads past them without a note, so an
# exported file can be edited and imported again as it is.
COMPUTED_COLUMNS = (
    "status",
    "current_score",
    "current_band",
    "tolerance",
    "breach",
    "appetite",
    # the last day a breach's acceptance holds (issue 17); blank when none covers it
    "accepted_until",
    "trend",
    "rag",
    "scheme_version",  # "5x5 v1", filled only when the export's ratings are under several versions
)
# Computed columns an import reads to check them against what it computes (``rag``, from progress:
# reporting.spreadsheets.rag): a value that disagrees is a row problem.
CHECKED_COLUMNS = ("rag",)
EXPORT_COLUMNS = IMPORT_COLUMNS + COMPUTED_COLUMNS

# What each column holds, in the users' words (shown on the import page).
COLUMN_HELP = {
    "ref": "the risk's reference, unique in the organisation (required); an existing ref updates that risk",
    "title": "a short name for the risk (required for a new risk)",
    "description": "cause and event",
    "consequence": "what happens if the risk occurs",
    "category": "the name of one of the organisation's categories",
    "owner": "e-mail address or full name of a member of the organisation (accountable)",
    "manager": "e-mail address or full name of a member (responsible day to day)",
    "inherent_likelihood": "a likelihood level's value, label or code, e.g. 4, High or H",
    "inherent_impact": "an impact level's value, label or code",
    "current_likelihood": "as inherent_likelihood, for the current (residual) position",
    "current_impact": "as inherent_impact, for the current position",
    "target_likelihood": "as inherent_likelihood, for the target position",
    "target_impact": "as inherent_impact, for the target position",
    "response": "one of the organisation's responses",
    "next_review": "a date: 2027-03-31, 31/03/2027 or a spreadsheet date cell",
    "controls": "key controls, one per line; only new ones are added",
    "actions": "mitigating actions, one per line; only new ones are added",
    "register": (
        "the slug or name of one of the organisation's registers; blank means the register "
        "imported into (an existing risk stays on its own register)"
    ),
    "objectives": "objectives' codes or names, one per line or separated by ;",
    "working_leads": "e-mail addresses or full names of members, one per line or separated by ;",
    "horizon": "Short-term or Long-term",
    "progress": "progress to target: On track, Limited, Slipped or No progress",
    "marking": "OFFICIAL or OFFICIAL-SENSITIVE",
    "review_months": "a review period in months (1 to 60) that overrides the register's and band's",
    "emerging": (
        "yes or no: an emerging risk (on the horizon; it may have no current rating yet), "
        "listed on its own in report packs; blank leaves it as it is (no for a new risk)"
    ),
    "rag": (
        "written by export, worked out from progress (On track Green, Limited Amber, Slipped or "
        "No progress Red); if given, it must agree with progress"
    ),
}


def normalise_header(value: object) -> str:
    """'Current Likelihood ', 'current-likelihood' and 'CURRENT_LIKELIHOOD' name one column."""
    if value is None:
        return ""
    return re.sub(r"[\s\-]+", "_", str(value).strip().casefold())
