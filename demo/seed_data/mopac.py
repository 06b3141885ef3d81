"""MOPAC corporate risk register, transcribed from ``shared/seeds/000_bed03b818c9988b3.txt``.

Source: MPS-MOPAC Joint Audit Panel, 28 March 2022, "MOPAC Risk Management Update" (report by the
Director of Strategy), Appendix A "MOPAC corporate risk overview" (public). Appendix B (scores,
direction and key controls) is Official Sensitive and is not in the paper, so only risks 1 and 3
carry anything beyond description, theme and owner.

Readings and choices (recorded here and in each risk's ``source_note``):

* Appendix A lists 16 risks, refs 1 to 17 with no risk 5. Theme "Strategic" covers 1 to 8 and
  "Operational" 9 to 17 (the theme cell is merged in the flattened table).
* Risk 9 has no owner in the extracted table (the cell is empty or was lost when the PDF was
  flattened), so its owner is ``None`` rather than a guessed post.
* Risk 7's published description is cut off after "from central" (most likely "central
  government"); it is kept as published.
* Owners are posts only. Each post is a demo person named "<Post> (demo)" with the post, as written
  in Appendix A, as job title.
* Objectives are the six new risk themes of para 1.5 (agreed by MOPAC Board and DMPC); the paper
  links no existing risk to them, so no risk carries an objective.
* Risk 1 is closed (para 2.2). Risk 3 is scored M likelihood, M impact, at target (para 2.3). No
  other risk has a published score.
* Para 1.2 says there were "no changes to risk scores ... since those last reported to the Panel in
  January", while para 2.3 says risk 3 "has been reduced"; no trend arrow is published, so no
  ``reported_trend`` is recorded.
* The paper names no response options; the Orange Book 4Ts are used. It states no appetite.
* Review: monthly at the Governance and Risk working group (para 1.1), hence
  ``default_review_months`` 1.
"""

_SOURCE_APPX_A = "Appendix A (MOPAC corporate risk overview), JAP paper 28 March 2022"
_NO_SCORE = (
    "No score published: scores, direction and key controls are in Appendix B (Official "
    "Sensitive), which is not in the paper."
)


def _risk(ref, title, description, category, owner, **extra):
    risk = {
        "register": "corporate",
        "ref": ref,
        "title": title,
        "description": description,
        "consequence": "",
        "category": category,
        "objectives": [],
        "owner": owner,
        "manager": None,
        "leads": [],
        "horizon": "",
        "kind": "threat",
        "inherent": None,
        "current": None,
        "target": None,
        "response": "",
        "status": "open",
        "closed_reason": "",
        "progress": "",
        "marking": "OFFICIAL",
        "reported_trend": [],
        "source_note": f"{_SOURCE_APPX_A}. {_NO_SCORE}",
        "illustrative": False,
        "controls": [],
        "actions": [],
    }
    risk.update(extra)
    return risk


ORGANISATION = {
    "slug": "mopac",
    "name": "Mayor's Office for Policing and Crime",
    "short_name": "MOPAC",
    "scheme": "mopac-3x3",
    "source": "MPS-MOPAC Joint Audit Panel paper, 28 March 2022 (MOPAC Risk Management Update)",
    "panel_name": "MPS-MOPAC Joint Audit Panel",
    "response_options": ["Treat", "Tolerate", "Transfer", "Terminate"],
    "quarter_end_months": [3, 6, 9, 12],
    "committee_months": [3, 10],
    "default_review_months": 1,
    "appetite_levels": "orange_book",
    "categories": [
        {
            "name": "Strategic",
            "description": "Risk theme 'Strategic' in Appendix A (risks 1 to 8).",
        },
        {
            "name": "Operational",
            "description": "Risk theme 'Operational' in Appendix A (risks 9 to 17).",
        },
    ],
    "objectives": [
        {
            "code": "T1",
            "name": "Resources",
            "description": "not having the right capacity/skills to meet the level and type of "
            "demand placed on the organisation",
        },
        {
            "code": "T2",
            "name": "Relationships",
            "description": "not having an effective partnership response – whether that is our "
            "relationship with the MPS, GLA or external stakeholders.",
        },
        {
            "code": "T3",
            "name": "Culture",
            "description": "there is a risk that we lose the MOPAC corporate identity - what we "
            "stand for as an organisation, lose the morale of the staff.",
        },
        {
            "code": "T4",
            "name": "Impact",
            "description": "there is a risk that we are unable to demonstrate our impact as the "
            "nature of our work makes everything a priority and we become unclear on "
            "what 'good' looks like.",
        },
        {
            "code": "T5",
            "name": "Technology oversight",
            "description": "MOPAC authorises significant amounts of budget to Met Tech but does not "
            "have the capability to sufficiently oversee this area of business.",
        },
        {
            "code": "T6",
            "name": "Finance",
            "description": "there is a risk that the Home Office funding formula review will result "
            "in negative outcome for London with a necessary reduction in frontline "
            "resource.",
        },
    ],
    "appetite_statements": [],
    "people": [
        {
            "key": "cfo",
            "name": "Chief Finance Officer (demo)",
            "job_title": "CFO",
            "email": "cfo@mopac.demo",
        },
        {
            "key": "ceo",
            "name": "Chief Executive Officer (demo)",
            "job_title": "CEO",
            "email": "ceo@mopac.demo",
        },
        {
            "key": "dir-strategy",
            "name": "Director of Strategy (demo)",
            "job_title": "Director of Strategy",
            "email": "dir-strategy@mopac.demo",
        },
        {
            "key": "head-pc-victims",
            "name": "Head of Policy & Commissioning - victims (demo)",
            "job_title": "Head of Policy & Commissioning - victims",
            "email": "head-pc-victims@mopac.demo",
        },
        {
            "key": "dir-commissioning",
            "name": "Director of Commissioning and Partnership (demo)",
            "job_title": "Director of Commissioning and Partnership",
            "email": "dir-commissioning@mopac.demo",
        },
        {
            "key": "head-pc-offenders",
            "name": "Head of Policy & Commissioning - offenders (demo)",
            "job_title": "Head of Policy & Commissioning - offenders",
            "email": "head-pc-offenders@mopac.demo",
        },
    ],
    "registers": [
        {
            "slug": "corporate",
            "name": "MOPAC corporate risk register",
            "level": "corporate",
            "parent": None,
            "review_months": None,
            "scheme": None,
            "description": "Reviewed monthly at the Governance and Risk working group meeting, "
            "chaired by the Director of Strategy and MPS Oversight (paras 1.1, 1.4).",
        },
    ],
    "risks": [
        # --- Strategic -------------------------------------------------------------------
        _risk(
            "1",
            "Resources and balanced budget",
            "MOPAC fails to secure adequate resources and set a balanced budget for policing in "
            "London",
            "Strategic",
            "cfo",
            status="closed",
            closed_reason=(
                "MOPAC has secured money for MPS to set a balanced budget and as such this risk "
                "is deemed to be fully mitigated. This risk has therefore been removed from the "
                "corporate risk register and will be monitored through normal finance processes. "
                "(para 2.2)"
            ),
            source_note=(
                f"{_SOURCE_APPX_A}; closure from para 2.2 (fully mitigated, removed from the "
                "register, monitored through normal finance processes). No score published "
                "(Appendix B is Official Sensitive)."
            ),
        ),
        _risk(
            "2",
            "Effectiveness and efficiency of the MPS",
            "MOPAC fails to secure the effectiveness and efficiency of the MPS, through "
            "ineffective use of its oversight",
            "Strategic",
            "ceo",
        ),
        _risk(
            "3",
            "Holding the Commissioner to account for legitimacy",
            "MOPAC fails to hold the Commissioner to account for the legitimacy of the MPS, in "
            "relation to equalities, community engagement, custody and other areas defined in "
            "statute",
            "Strategic",
            "dir-strategy",
            current=["M", "M"],
            target=["M", "M"],
            controls=[
                {
                    "description": "Structures in place to ensure effective oversight around "
                    "legitimacy",
                    "owner": None,
                    "effectiveness": "not_assessed",
                    "assurance": "Para 2.3: it is too early to make an assessment to the difference "
                    "to public/community trust.",
                },
            ],
            source_note=(
                f"{_SOURCE_APPX_A}; para 2.3: 'reduced to medium impact and likelihood and sits "
                "at the target level', hence current and target M/M. No trend arrow published "
                "(and para 1.2 reports no score changes since January), so no reported trend. "
                "Control wording taken from para 2.3."
            ),
        ),
        _risk(
            "4",
            "Services for victims and witnesses",
            "MOPAC fails to effectively discharge its statutory responsibilities to provide, or "
            "arrange the provision of, services to help victims and witnesses of crime.",
            "Strategic",
            "head-pc-victims",
        ),
        _risk(
            "6",
            "Partnership response for community safety",
            "MOPAC fails to secure an effective partnership response for community safety and "
            "crime in London",
            "Strategic",
            "dir-commissioning",
        ),
        _risk(
            "7",
            "Criminal justice improvements",
            "MOPAC fails to secure improvements in the criminal justice service for London owing "
            "to insufficient levers or not being able to secure necessary cooperation from "
            "central",
            "Strategic",
            "head-pc-offenders",
            source_note=(
                f"{_SOURCE_APPX_A}. The published description is cut off after 'from central' "
                "(probably 'central government'); kept as published. " + _NO_SCORE
            ),
        ),
        _risk(
            "8",
            "Influence through pilots and research",
            "MOPAC fails to influence London-wide and national delivery within policing and "
            "crime through its pilot programmes and published research",
            "Strategic",
            "dir-strategy",
        ),
        # --- Operational -----------------------------------------------------------------
        _risk(
            "9",
            "Equality, diversity and inclusion commitments",
            "MOPAC fails to deliver its commitments to the Mayor's Equality, Diversity and "
            "Inclusion strategy, in its delivery of services or as an employer",
            "Operational",
            None,
            source_note=(
                f"{_SOURCE_APPX_A}. No risk owner appears for this risk in the extracted table "
                "(the cell is empty or was lost in PDF extraction); owner left unset rather than "
                "guessed. " + _NO_SCORE
            ),
        ),
        _risk(
            "10",
            "Commissioned service failure",
            "MOPAC's reputation is negatively impacted by the failure of a commissioned service",
            "Operational",
            "dir-commissioning",
        ),
        _risk(
            "11",
            "Information governance",
            "MOPAC fails to implement effective strategy, policy and practice for Information "
            "Governance in relation to its own delivery",
            "Operational",
            "dir-strategy",
        ),
        _risk(
            "12",
            "Safeguarding",
            "MOPAC fails to implement effective policy and practice in relation to safeguarding "
            "vulnerable individuals as an employer or in the delivery of its events and "
            "commissioned services",
            "Operational",
            "ceo",
        ),
        _risk(
            "13",
            "Capacity and capability",
            "MOPAC lacks the capacity and capability to deliver its responsibilities",
            "Operational",
            "ceo",
        ),
        _risk(
            "14",
            "Programme and project management",
            "MOPAC lacks a programme and project management approach able to shape and track the "
            "delivery of outcomes and outputs and escalate programme risk",
            "Operational",
            "dir-strategy",
        ),
        _risk(
            "15",
            "Infrastructure, technology and shared services",
            "MOPAC lacks adequate physical infrastructure, technology support or access to shared "
            "services to provide an effective platform for delivery",
            "Operational",
            "dir-strategy",
        ),
        _risk(
            "16",
            "Staff health, safety and wellbeing",
            "MOPAC fails to deliver a safe and healthy working environment for its staff and/or "
            "fails to provide adequate support for wellbeing",
            "Operational",
            "ceo",
        ),
        _risk(
            "17",
            "Business continuity",
            "MOPAC fails to plan for resilient performance in the face of disruption to business "
            "continuity",
            "Operational",
            "dir-strategy",
        ),
    ],
}
