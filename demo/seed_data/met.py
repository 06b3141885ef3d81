"""Met corporate risk register, transcribed from ``shared/seeds/001_0b10378e4818e9fa.txt``.

Source: MPS-MOPAC Joint Audit Panel, 4 October 2021, "Met Risk Management Report" (report by the
Chief of Corporate Services, non-restricted), Appendix A "Summary of corporate risks and heat maps
- October 2021", the "Alignment with Met Direction pillars" table, and the narratives of paras 1.3
to 1.10. Appendix B ("road to target" templates) is Official Sensitive and not in the paper.
Appendix C (risk maturity action plan) holds no risk and is not transcribed.

Readings and choices (recorded here and in each risk's ``source_note``):

* Scores are written likelihood v impact ("M v H" = likelihood M, impact H); the "Risk" column is
  the current position and "Target position" the target.
* Horizon: risks 1 to 3 are in the SHORT-TERM table, 4 to 11 in the LONG-TERM table.
* Trend: the single arrow published for October 2021 (↓ = "down", read as improving, as paras 1.4
  and 1.6 report "an improving trend" for ↓ risks; ↔ = "level").
* Progress (road to target): On track for 1, 3, 9 and 11 (paras 1.4 to 1.7) and Limited for 4 and 7
  (paras 1.7 to 1.9). The summary says eight risks are 'green' and two 'amber', but does not name
  the other green risks, so progress for 2, 5, 6 and 8 is left blank.
* Risk 10 (Legitimacy) has no score, no target, no trend and no agreed description; it is kept with
  ``current``/``target`` None. It is not aligned to a pillar ("Risk 10 is still to be finalised").
* Categories are our reading (the paper has none: "short-term"/"long-term" are horizons).
* Multi-lead cells are split into separate posts. "Director Strategy & Governance" (risk 7) is read
  as the same post as "Director of Strategy and Governance" (risks 6 and 10).
* Controls and actions come only from the narratives in paras 1.4 to 1.10; their owners are not
  named, so they are None; effectiveness is "not_assessed" throughout.
* The paper names no response options; the Orange Book 4Ts are used. Appetite is in Appendix B
  (not published), so no appetite statements.
* Handling marking: risk 3 (Standards) is OFFICIAL-SENSITIVE, the rest OFFICIAL. Para 1.2 says
  Appendix B, Official Sensitive, gives four risks' "road to target" templates (appetite, key
  controls in progress, their status, progress to target) and that templates exist for every
  risk, so a risk's controls and their progress are Official Sensitive in the Met's own handling,
  while Appendix A (description, scores, owner, leads) is published. The four risks are not
  named: paras 1.4 to 1.7 note four "On track" risks (1, 3, 9, 11), read as those four. One is
  marked so the demo shows the withholding (decision 139); marking all eleven would leave an
  uncleared member little to read. MOPAC's Appendix B (scores, direction and key controls of
  every risk) is Official Sensitive too, but what the product withholds from the uncleared is
  the description, consequence, controls, actions and history, never the rating: for MOPAC's
  seeded risks (a published description, no controls but risk 3's, from the public para 2.3) the
  marking would withhold what MOPAC published and show what it did not, so none is marked.
"""

_APPX_A = "Appendix A (Summary of corporate risks, October 2021), Met Audit Panel report 4 Oct 2021"
_CATEGORY_NOTE = "Category is our reading; the paper gives none."
_SENSITIVE_NOTE = (
    "Marked OFFICIAL-SENSITIVE: para 1.2 puts the 'road to target' templates (risk appetite, "
    "the key controls in progress and their status, progress to target) of four risks in "
    "Appendix B, Official Sensitive, and says templates exist for all risks. The four are not "
    "named; Standards is one of the four 'On track' risks the report notes (paras 1.4 to 1.7), "
    "so the demo marks it: our reading."
)


def _risk(ref, title, description, category, owner, leads, horizon, current, target, **extra):
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
        "leads": leads,
        "horizon": horizon,
        "kind": "threat",
        "inherent": None,
        "current": current,
        "target": target,
        "response": "",
        "status": "open",
        "closed_reason": "",
        "progress": "",
        "marking": "OFFICIAL",
        "reported_trend": [],
        "source_note": "",
        "illustrative": False,
        "controls": [],
        "actions": [],
    }
    risk.update(extra)
    return risk


def _control(description, assurance=""):
    return {
        "description": description,
        "owner": None,
        "effectiveness": "not_assessed",
        "assurance": assurance,
    }


def _action(description, status, due=None, progress_note=""):
    return {
        "description": description,
        "owner": None,
        "due": due,
        "status": status,
        "priority": "",
        "difficulty": "",
        "progress_note": progress_note,
    }


def _person(key, post):
    return {"key": key, "name": f"{post} (demo)", "job_title": post, "email": f"{key}@met.demo"}


ORGANISATION = {
    "slug": "met",
    "name": "Metropolitan Police Service",
    "short_name": "The Met",
    "scheme": "met-4x4",
    "source": "MPS-MOPAC Joint Audit Panel, 4 October 2021: Met Risk Management Report",
    "panel_name": "MPS-MOPAC Joint Audit Panel",
    "response_options": ["Treat", "Tolerate", "Transfer", "Terminate"],
    "quarter_end_months": [3, 6, 9, 12],
    "committee_months": [3, 10],
    "default_review_months": 3,
    "appetite_levels": "orange_book",
    "categories": [
        {
            "name": "Operational",
            "description": "Crime, prevention and operational delivery "
            "(our grouping; the paper has no categories).",
        },
        {
            "name": "People",
            "description": "Workforce recruitment, diversity and skills (our grouping).",
        },
        {
            "name": "Technology",
            "description": "Technology programmes, data and digital (our grouping).",
        },
        {"name": "Finance", "description": "Money, efficiency and funding (our grouping)."},
        {"name": "Estates", "description": "Buildings and estate costs (our grouping)."},
        {
            "name": "Legitimacy",
            "description": "Standards, public confidence and legitimacy (our grouping).",
        },
    ],
    "objectives": [
        {"code": "P1", "name": "Focusing on what matters most to Londoners", "description": ""},
        {"code": "P2", "name": "Mobilising partners and the public", "description": ""},
        {
            "code": "P3",
            "name": "Achieving the best outcomes in pursuit of justice and in the "
            "support of victims",
            "description": "",
        },
        {
            "code": "P4",
            "name": "Seize the opportunities of data and digital tech to become a "
            "world leader in policing",
            "description": "",
        },
        {
            "code": "P5",
            "name": "Care for each other, work as a team and be an attractive place to work",
            "description": "",
        },
        {
            "code": "P6",
            "name": "Learn from experience, from others and constantly strive to improve",
            "description": "",
        },
        {
            "code": "P7",
            "name": "Be recognised as a responsible, exemplary and ethical organisation",
            "description": "",
        },
    ],
    "appetite_statements": [],
    "people": [
        # Risk owners
        _person("ac-frontline", "AC Frontline Policing"),
        _person("deputy-commissioner", "Deputy Commissioner"),
        _person("ac-professionalism", "AC Professionalism"),
        _person("chief-corporate-services", "Chief of Corporate Services"),
        _person("cdto", "Chief Digital and Technology Officer"),
        _person("commissioner", "Commissioner"),
        _person("sro-estates", "SRO Estates Programme"),
        # Working leads
        _person("hop-cp-ie", "Head of Profession – CP, Inclusion & Engagement"),
        _person("cmdr-frontline", "Cmdr Frontline Policing"),
        _person("dac-professionalism", "DAC Professionalism"),
        _person("director-hr", "Director of HR"),
        _person("director-learning", "Director Learning"),
        _person("director-finance", "Director of Finance"),
        _person("director-strategy-governance", "Director of Strategy and Governance"),
        _person("digital-policing-directors", "Digital Policing Directors"),
        _person("transformation-director", "Transformation Director"),
        _person("director-commercial", "Director of Commercial Services"),
        _person("heads-of-profession", "Heads of Profession"),
        _person("director-property", "Director of Property Services"),
    ],
    "registers": [
        {
            "slug": "corporate",
            "name": "Met corporate risk register",
            "level": "corporate",
            "parent": None,
            "review_months": None,
            "scheme": None,
            "description": "Significant short and long term risks, refreshed in 2021; reviewed by "
            "the Risk and Assurance Board and reported to the Audit Panel.",
        },
    ],
    "risks": [
        # --- SHORT-TERM ------------------------------------------------------------------
        _risk(
            "1",
            "Violent crime",
            "Our operational efforts and the work to mobilise partners do not translate into "
            "decreases in violent crime leading to more victims and impacting on confidence in "
            "the Met to keep London safe",
            "Operational",
            "ac-frontline",
            ["hop-cp-ie", "cmdr-frontline"],
            "short",
            ["M", "H"],
            ["L", "M"],
            objectives=["P2"],
            progress="on_track",
            reported_trend=[["Oct 2021", "down"]],
            controls=[
                _control(
                    "Op Orochi: disrupting and closing County Lines",
                    "Para 1.4: successful results this quarter in disrupting and closing "
                    "County Lines as part of Op Orochi.",
                ),
                _control(
                    "Violence against women and girls: making open spaces safer, "
                    "progressing opportunities to prevent further incidents of violence, "
                    "abuse and intimidation against women and girls and keeping the "
                    "narrative at the forefront of front line policing",
                    "Para 1.4: new control included this quarter.",
                ),
                _control(
                    "BCU local policing plans, designed and implemented by each BCU, "
                    "focusing on open space activities incorporating engagement, enforcement "
                    "and education; assisted by the Violent Crime Taskforce, MO8 (Roads and "
                    "Transport Policing Command), MO7 (Taskforce) and more broadly with "
                    "support from City of London Police and BTP",
                    "Para 1.4.",
                ),
            ],
            source_note=(
                f"{_APPX_A}: M v H, target L v M, trend ↓. Progress and controls from para 1.4 "
                "('An improving trend is reported'). Pillar from the alignment table. "
                + _CATEGORY_NOTE
            ),
        ),
        _risk(
            "2",
            "New systems",
            "Failure to successfully deliver large scale Met and national technology programmes "
            "(i.e. CONNECT, Command & Control, LMS, LRM, ESM & ANPR) significantly undermining "
            "operational delivery",
            "Technology",
            "deputy-commissioner",
            ["cdto"],
            "short",
            ["H", "M"],
            ["M", "M"],
            objectives=["P4"],
            reported_trend=[["Oct 2021", "level"]],
            source_note=(
                f"{_APPX_A}: H v M, target M v M, trend ↔. No narrative; progress not published "
                "for this risk. Pillar from the alignment table. " + _CATEGORY_NOTE
            ),
        ),
        _risk(
            "3",
            "Standards",
            "Failure to communicate and uphold clear standards for our workforce undermines "
            "public confidence in the Met",
            "Legitimacy",
            "ac-professionalism",
            ["dac-professionalism"],
            "short",
            ["H", "H"],
            ["L", "L"],
            objectives=["P7"],
            progress="on_track",
            reported_trend=[["Oct 2021", "level"]],
            controls=[
                _control(
                    "Professionalism & Standards Working Group (reporting into Learning & "
                    "Development Executive Steering Group) with work streams for Social "
                    "media & Whatsapp; Uniform and appearance; and Sexual harassment in the "
                    "workplace",
                    "Para 1.5: established, with individual work streams agreed.",
                ),
                _control(
                    "DMC internal engagement campaign to install leadership focus on this risk",
                    "Para 1.5: senior leaders were briefed at the Senior Leaders Event in July.",
                ),
            ],
            actions=[
                _action(
                    "DMC to develop an internal communications campaign, with the full "
                    "strategy and plan for delivery",
                    "in_progress",
                    due="2021-11-30",
                    progress_note="Para 1.5: being developed; full strategy and plan for "
                    "delivery by the end of November.",
                ),
            ],
            marking="OFFICIAL-SENSITIVE",
            source_note=(
                f"{_APPX_A}: H v H, target L v L, trend ↔. Progress, controls and action from "
                "para 1.5 (due date read from 'by the end of November', 2021). Pillar from the "
                "alignment table. " + _CATEGORY_NOTE + " " + _SENSITIVE_NOTE
            ),
        ),
        # --- LONG-TERM -------------------------------------------------------------------
        _risk(
            "4",
            "People",
            "Failure to attract, recruit and retain a diverse and representative workforce and "
            "support their progression within the organisation",
            "People",
            "chief-corporate-services",
            ["director-hr"],
            "long",
            ["H", "M"],
            ["M", "M"],
            objectives=["P7"],
            progress="limited",
            reported_trend=[["Oct 2021", "level"]],
            controls=[
                _control(
                    "Equal merit provision used for officer recruitment intakes",
                    "Report: used for the three intakes in Q4; for this period the "
                    "proportion of new recruits who were Black, Asian and Multiple Ethnic "
                    "Heritage was 28.9% (173), 6.2% Black (37) and 48.1% (283) women.",
                ),
            ],
            actions=[
                _action(
                    "Recruit circa 3,000 officers in 21/22, growing by 1,344 officers, with "
                    "the aim of reaching the budgeted workforce target of 33,493 by March "
                    "2022",
                    "in_progress",
                    due="2022-03-31",
                    progress_note="Over 7,800 candidates in the recruitment pipeline (6210 "
                    "PC/1590 DC), of which 26.7% (2082) are Black, Asian and "
                    "Multiple Ethnic Heritage, 5.9% (226) are Black, and "
                    "40.4 % (3151) are women. Sufficient volume in the "
                    "pipeline to meet requirements for this financial year but "
                    "insufficient volume in diversity. In 20/21, 2,438 officers "
                    "were recruited; of new trainee officers 20.2% (449) were "
                    "Black, Asian and Multiple Ethnic Heritage, 4.5% (100) "
                    "Black and 39.7% (884) women.",
                ),
            ],
            source_note=(
                f"{_APPX_A}: H v M, target M v M, trend ↔. The report says the current and "
                "target Impact scores were revised down to Medium (from High) because the leads "
                "found them over-assessed at the refresh, not because controls reduced the risk "
                "(this is the long-term risk whose score decreased, para 1.3). Limited progress "
                "'due in the main to the level of diversity in the recruitment pipeline for "
                "officers'. Control and action are our reading of the recruitment narrative. "
                "Pillar from the alignment table. " + _CATEGORY_NOTE
            ),
        ),
        _risk(
            "5",
            "Capability",
            "Failure to ensure our workforce is appropriately skilled to deliver effectively in "
            "a changing environment",
            "People",
            "ac-professionalism",
            ["director-learning"],
            "long",
            ["M", "VH"],
            ["L", "L"],
            objectives=["P6"],
            reported_trend=[["Oct 2021", "level"]],
            source_note=(
                f"{_APPX_A}: M v VH, target L v L, trend ↔. No narrative; progress not published "
                "for this risk. Pillar from the alignment table. " + _CATEGORY_NOTE
            ),
        ),
        _risk(
            "6",
            "Money",
            "Failure to demonstrate and articulate the Met's efficiency, VfM and financial "
            "agility leading to low confidence from our funding partners and potential loss of "
            "funding",
            "Finance",
            "chief-corporate-services",
            ["director-finance", "director-strategy-governance"],
            "long",
            ["H", "H"],
            ["L", "L"],
            objectives=["P7"],
            reported_trend=[["Oct 2021", "down"]],
            source_note=(
                f"{_APPX_A}: H v H, target L v L, trend ↓. No narrative; progress not published "
                "for this risk. Pillar from the alignment table. " + _CATEGORY_NOTE
            ),
        ),
        _risk(
            "7",
            "Technology",
            "Conservative approach to implementing technology and use and access to data impedes "
            "delivery – reduces ability to capture benefits, in particular qualitative benefits, "
            "of maximising value from data & technology",
            "Technology",
            "cdto",
            [
                "digital-policing-directors",
                "director-strategy-governance",
                "transformation-director",
                "director-commercial",
                "heads-of-profession",
            ],
            "long",
            ["M", "M"],
            ["L", "L"],
            objectives=["P4"],
            progress="limited",
            reported_trend=[["Oct 2021", "level"]],
            actions=[
                _action(
                    "DARA follow-up review of the approach to innovation proof of concepts "
                    "and pilots",
                    "not_started",
                    progress_note="Para 1.8: scheduled; should assist with improving some of "
                    "these areas.",
                ),
                _action(
                    "Paper detailing the specific obstacles and challenges to the "
                    "progression of this risk, for a more substantive conversation at the "
                    "next Risk and Assurance Board",
                    "not_started",
                    progress_note="Para 1.9: commissioned by Risk and Assurance Board.",
                ),
            ],
            source_note=(
                f"{_APPX_A}: M v M, target L v L, trend ↔. Limited progress (para 1.8): key "
                "limitations unchanged since the refresh - loss of commercial staff, and demand "
                "and ambition exceeding resources (ring fencing of Officer numbers, inability to "
                "secure / ring fence monies for IT), preventing further exploitation of new "
                "technology and leaving a lack of funds for critical legacy infrastructure. "
                "Actions from paras 1.8-1.9 (status our reading). Working leads split into five "
                "posts; 'Director Strategy & Governance' read as the Director of Strategy and "
                "Governance. Pillar from the alignment table. " + _CATEGORY_NOTE
            ),
        ),
        _risk(
            "8",
            "Crime prevention",
            "Insufficient and ineffective crime prevention fails to prevent victimisation and "
            "undermines community confidence in policing",
            "Operational",
            "ac-professionalism",
            ["hop-cp-ie"],
            "long",
            ["M", "H"],
            ["L", "H"],
            objectives=["P1"],
            reported_trend=[["Oct 2021", "down"]],
            source_note=(
                f"{_APPX_A}: M v H, target L v H, trend ↓. No narrative; progress not published "
                "for this risk. Pillar from the alignment table. " + _CATEGORY_NOTE
            ),
        ),
        _risk(
            "9",
            "Public & local engagement",
            "Our diversity and inclusion initiatives, communication and engagement activities do "
            "not have the positive impact sought in raising confidence amongst Black communities "
            "and other groups where a confidence gap exists",
            "Legitimacy",
            "ac-professionalism",
            ["hop-cp-ie"],
            "long",
            ["M", "H"],
            ["M", "M"],
            objectives=["P7"],
            progress="on_track",
            reported_trend=[["Oct 2021", "down"]],
            controls=[
                _control(
                    "Inform: promoting the breadth and opportunities of existing Met "
                    "engagement activity to promote Involve",
                    "Para 1.6: strong progress, behind the improving trend.",
                ),
            ],
            actions=[
                _action(
                    "Official launch of StrIDE 25 during National Inclusion Week "
                    "(27 September - 3 October)",
                    "in_progress",
                    due="2021-10-03",
                    progress_note="Para 1.6: over the last quarter work has taken place to "
                    "plan activities to meet sixteen themes.",
                ),
            ],
            source_note=(
                f"{_APPX_A}: M v H, target M v M, trend ↓. Para 1.6: controls are categorised as "
                "Inform, Involve or Influence; improving trend due to progress within Inform. "
                "Pillar from the alignment table. " + _CATEGORY_NOTE
            ),
        ),
        _risk(
            "10",
            "Legitimacy",
            "Legitimacy in the Met is weakened",
            "Legitimacy",
            "commissioner",
            ["director-strategy-governance"],
            "long",
            None,
            None,
            actions=[
                _action(
                    "Determine how all the different strands of legitimacy the Met is "
                    "engaged with are brought together to produce a regular strategic "
                    "narrative",
                    "in_progress",
                    progress_note="Para 1.10: work is ongoing, following the Risk and "
                    "Assurance Board of 7 September.",
                ),
            ],
            source_note=(
                f"{_APPX_A}: no score, no target position and no trend published. The published "
                "entry reads 'Legitimacy in the Met is weakened – Risk description not agreed - "
                "Agenda item for further discussion September RAB'. Para 1.10: RAB agreed on 7 "
                "September this remains a significant corporate risk needing a different "
                "approach because of its size and complexity. Not aligned to a pillar ('Risk 10 "
                "is still to be finalised'). " + _CATEGORY_NOTE
            ),
        ),
        _risk(
            "11",
            "Estates",
            "Failure to adapt sufficiently to new ways of using our buildings results in higher "
            "estate costs than affordable; and / or budgetary caps on estates spending resulting "
            "in estates provision that impedes our operational delivery",
            "Estates",
            "sro-estates",
            ["director-property"],
            "long",
            ["M", "H"],
            ["L", "M"],
            objectives=["P5"],
            progress="on_track",
            reported_trend=[["Oct 2021", "down"]],
            controls=[
                _control(
                    "Blended Working framework",
                    "Para 1.7: progressing at pace; a leadership pack was issued to senior "
                    "leaders, briefings to COGs commenced and facilitation support was "
                    "rolled out.",
                ),
            ],
            actions=[
                _action(
                    "Communication strategy for blended working adoption, by the new "
                    "communications specialist",
                    "in_progress",
                    due="2021-09-30",
                    progress_note="Para 1.7: specialist appointed; strategy to be produced "
                    "by the end of September.",
                ),
                _action(
                    "Review of 'blended working team agreements' (BWTA) to gauge how "
                    "effective the uptake of blended working is",
                    "not_started",
                    due="2021-10-31",
                    progress_note="Para 1.7: to take place in October.",
                ),
            ],
            source_note=(
                f"{_APPX_A}: M v H, target L v M, trend ↓. Progress, control and actions from "
                "para 1.7 (due dates read as end of September and end of October 2021). Pillar "
                "from the alignment table. " + _CATEGORY_NOTE
            ),
        ),
    ],
}
