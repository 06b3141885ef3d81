"""West Midlands Police: corporate risk register (CRR01 to CRR21).

Transcribed from ``shared/seeds/002_821cac896b0ac390.txt``, the text of WMP's published corporate
risk register table (columns: ID, risk name, description, impact, key controls and activities,
Q1/Q2/Q3 trending, residual risk rating). The extracted text flattens the table, so each risk's
cells run on one after another; where a cell boundary had to be judged, the risk's
``source_note`` says how it was read. Wording is kept as published (including its spelling and
grammar); only PDF line breaks were repaired (words rejoined, runs of spaces collapsed, a hyphen at
a line end kept as a real hyphen: "one-time", "re-submit", "pre-charge"). Bulleted cells are kept
as "- " lines; paragraphs are separated by a blank line.

The document holds 19 risks: CRR01 to CRR11, CRR13 to CRR18, CRR20 and CRR21. CRR12 and CRR19
do not appear in it. Risks are listed in the document's order (by residual rating).

What WMP does not publish, and how it is filled here:

* Likelihood and impact: WMP gives only the residual rating (Critical, High, Medium). The
  ``wmp-4x4`` scheme's diagonal gives each band (L v L Low, M v M Medium, H v H High, VH v VH
  Critical), so ``current`` sits on the diagonal of the published band. No inherent or target
  position is published (None).
* Owners: none are published; every owner is None and no people are created here.
* Categories: WMP does not categorise its corporate risks. The six categories below, and the one
  given to each risk, are our reading of the risk, not WMP's.
* Trend: the quarter columns are "N/A" (not on the register that quarter), "New" or an arrow; they
  are recorded as "n/a", "new", "level" (→), "up" (↑), "down" (↓). Three cells are empty in the
  extracted text (CRR05 Q1, CRR09 Q3, CRR16 Q3); each is recorded as "level" and explained in the
  risk's ``source_note``. The quarters are not dated in the document; its content (Q3 updates of
  December 2021, "qtr 4 (2021/22)") points to Q1 to Q3 of 2021/22.
* Key controls and activities: one control per bullet, effectiveness "not_assessed", no owner.
* Response options: WMP publishes none; the common four Ts are offered.
"""


def _controls(*descriptions):
    """One control per published bullet of "Key Controls and Activities"."""
    return [
        {"description": text, "owner": None, "effectiveness": "not_assessed", "assurance": ""}
        for text in descriptions
    ]


ORGANISATION = {
    "slug": "wmp",
    "name": "West Midlands Police",
    "short_name": "WMP",
    "scheme": "wmp-4x4",
    "source": "West Midlands Police corporate risk register (CRR01 to CRR21), Q1 to Q3 trending",
    "panel_name": "WMP Joint Audit Committee",
    "response_options": ["Treat", "Tolerate", "Transfer", "Terminate"],
    "quarter_end_months": [3, 6, 9, 12],
    "committee_months": [3, 9],
    "default_review_months": 3,
    "appetite_levels": "orange_book",
    # Categories are our reading: WMP's register does not categorise its risks.
    "categories": [
        {
            "name": "Operational",
            "description": "Delivery of policing services: demand, response, operations, justice.",
        },
        {
            "name": "People",
            "description": "Workforce: recruitment, retention, skills, representation, wellbeing.",
        },
        {"name": "Finance", "description": "Funding, budgets and financial sustainability."},
        {"name": "Technology", "description": "IT systems, data and equipment."},
        {
            "name": "Governance",
            "description": "Oversight, information governance, compliance and organisational "
            "learning.",
        },
        {
            "name": "Safeguarding",
            "description": "Protection of vulnerable people, children and young people.",
        },
    ],
    "objectives": [],
    "appetite_statements": [],
    "people": [],  # demo users for roles are created elsewhere; WMP publishes no owners
    "registers": [
        {
            "slug": "corporate",
            "name": "WMP corporate risk register",
            "level": "corporate",
            "parent": None,
            "review_months": None,
            "scheme": None,
            "description": "West Midlands Police corporate risks (CRR references), rated by residual "
            "risk and reported with a trend for each quarter.",
        },
    ],
    "risks": [
        {
            "register": "corporate",
            "ref": "CRR18",
            "title": "Core Skills Resilience & Training Risk",
            "description": (
                "There has been a drop in Police Officers trained in core skill areas, this has "
                "partly been due to COVID and self-isolation measures. This has led to a reduction "
                "in the percentage numbers and resilience of Police Officers trained in core "
                "skills such as Personal Safety Training, Driver Training, Public Order Skills and "
                "Taser. The reduced capacity has also led to a reduced offer from L&D."
            ),
            "consequence": (
                "The greatest risk is that of the Force to be unable to deploy sufficient numbers "
                "of staff to meet calls for service and demand.\n\n"
                "In addition to this is the length of time it will take to meet the backlog and "
                "bring us back in line with demand on courses and meet resilience targets."
            ),
            "category": "People",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["VH", "VH"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "n/a"], ["Q2", "new"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (Critical); likelihood and impact are "
                "recorded on the diagonal of the rating's band. Trend 'N/A New →' read as Q1 n/a, "
                "Q2 new, Q3 level. The description and impact cells are flattened into three "
                "paragraphs: the first is read as the description, the other two ('The greatest "
                "risk...', 'In addition...') as the impact."
            ),
            "illustrative": False,
            "controls": _controls(
                (
                    "We have invested in contingency funding to secure additional courses for "
                    "Personal Safety Training, specifically targeting those officers who need to "
                    "retain public order skills also."
                ),
                (
                    "All other courses can begin to meet backlog and continue to address BAU "
                    "demand as we now return to normal classroom sizes."
                ),
                (
                    "We have greater scrutiny on course non-attendance to ensure our classrooms "
                    "are filled to maximum capacity and with the greatest efficiency"
                ),
                "Task & Finish group set up to provide a 12-month plan to drive down this demand",
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR20",
            "title": "Probation Data Sharing & Disclosure",
            "description": (
                "There is a risk that the Force does not have the appropriate oversight and a "
                "centralised process to deal with and record the information requests made by the "
                "Parole Board."
            ),
            "consequence": (
                "This could lead to legal costs and/or ICO fines due to a lack of accurate "
                "information. Possible lack of compliance with GDPR rules."
            ),
            "category": "Governance",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["VH", "VH"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "n/a"], ["Q2", "n/a"], ["Q3", "new"]],
            "source_note": (
                "WMP publishes the residual rating only (Critical); likelihood and impact are "
                "recorded on the diagonal of the rating's band. Trend 'N/A N/A New' read as Q1 "
                "n/a, Q2 n/a, Q3 new. Key controls are one unbulleted paragraph, kept as one "
                "control."
            ),
            "illustrative": False,
            "controls": _controls(
                (
                    "Probation Services & national FOI/DP team are close to finalising information "
                    "sharing agreement which will control some of this better. Plans for "
                    "mitigation - IT solution is under consideration."
                ),
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR03",
            "title": "Operational Training and Embedded Learning",
            "description": (
                "Op Plato Embedding\n"
                "There is a risk that Operational Officers fail to adopt the national Joint "
                "Operating Principles introduced to WMP in December 2020 in a timely manner. A new "
                "challenge with this risk is the lack of ownership locally now that ORU have "
                "rolled out the training to keep this an annual refresher on CPD days within "
                "departments.\n\n"
                "JESIP Command Training\n"
                "Limited roll out of the JESIP re-accreditation courses. This has been caused by "
                "insufficient access to training venues and JESIP trainers amongst the tri-service "
                "and could lead to a delay in re-accreditation of the JESIP Commanders and "
                "upskilling new staff."
            ),
            "consequence": (
                "There is a lack of CPD days within departments and prioritisation of training "
                "competes locally to complete the roll out. The risk is that the national doctrine "
                "has changed quicker than the ability and competency of officers in adopting these "
                "changes."
            ),
            "category": "Operational",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["H", "H"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "new"], ["Q2", "level"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (High); likelihood and impact are recorded "
                "on the diagonal of the rating's band. Trend 'New → →' read as Q1 new, Q2 level, "
                "Q3 level. The description cell carries two sub-headings (Op Plato Embedding, "
                "JESIP Command Training), kept; the paragraph 'There is a lack of CPD days...' is "
                "read as the impact, the only candidate for that column."
            ),
            "illustrative": False,
            "controls": _controls(
                "Op Plato next phase will be revisited with the Op Plato Working Group",
                (
                    "All firearms command have undergone CPD training incorporating Plato and "
                    "Siege scenarios. JOPS2 updates have been briefed out to all operational staff "
                    "and a video box embedded in the force intranet."
                ),
                (
                    "Op Mooring findings and debrief conducted. Work ongoing to fully implement "
                    "resulting recommendations."
                ),
                (
                    "Manchester Inquest findings are being monitored and the training and "
                    "exercising programme being amended accordingly for assurance."
                ),
                (
                    "Op Mooring considerations have been embedded back into training and planning "
                    "practises."
                ),
                (
                    "ORU is rolling out NPU/dept. training with large tests conducted every 2 "
                    "months within FCC (Ex Impertior)."
                ),
                "JESIP NCALTS - All staff awareness, Operational Command and Tactical Commander.",
                "Op Plato and Force Control Room Command exercising of JESIP Principles.",
                "OL&D and Ops in discussions to match demand with training needs.",
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR15",
            "title": "S22 Governance",
            "description": (
                "ROCU - If the current model - ARIS (Asset Recovery Incentivisation Scheme) is "
                "altered and assets seized were distributed across the region e.g. as per the "
                "current funding formula WMP OPCC would stand to lose 47% of current ARIS funding. "
                "There is a risk that if ARIS funding is not provided to other forces they may "
                "withdraw resource from the ROCUWM as they are not seeing equitable benefits from "
                "the regional agreement.\n\n"
                "CTU - There are two proposed options for the method of transferring Special "
                "Branch funding into CT Policing as part of the national SB Reform project. There "
                "is a risk that if Option 1 is chosen the transfer of SB funding into CT Grant "
                "will result in a ‘top slice’ from forces across the region that is not consistent "
                "with the actual spend of Special Branch. Option 2 would be a one-time adjustment. "
                "Based on this information, there is a risk that WMP will see their budget reduced "
                "by more than the actual cost of Special Branch."
            ),
            "consequence": (
                "ROCU - If the current model was altered and assets seized were distributed across "
                "the region e.g. as per the current funding formula WMP OPCC would stand to lose "
                "approximately 47% of current ARIS funding. This would have a significant impact "
                "on the funding of the WMP Economic Crime Team (ECT) and funds available for POCA "
                "initiatives.\n\n"
                "CTU - The impact of option 1 is that there is a possibility that the force will "
                "see their budget reduced by more than the current expenditure for Special Branch. "
                "Option 2 would be a one-time adjustment meaning that forces’ individual funding "
                "only decreases by their expenditure on Special Branch."
            ),
            "category": "Finance",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["H", "H"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "n/a"], ["Q2", "new"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (High); likelihood and impact are recorded "
                "on the diagonal of the rating's band. Trend 'N/A New →' read as Q1 n/a, Q2 new, "
                "Q3 level. The ROCU and CTU paragraphs of the key controls are kept as one control "
                "each, followed by the two bullets."
            ),
            "illustrative": False,
            "controls": _controls(
                (
                    "ROCU - WMP and the OPCC are currently in discussions to provide a regional "
                    "solution to the current arrangement. A plan is being developed to discuss a "
                    "way forward."
                ),
                (
                    "CTU - A regional response has been sent to the Home Office detailing option 2 "
                    "as the preferred method of transfer for the West Midlands region"
                ),
                (
                    "Following an extensive engagement and consultation process with Chief "
                    "Constables, Police & Crime Commissioners and Ministers, with strong "
                    "endorsement from the CT Policing Network, the decision was taken by Ministers "
                    "to approve option 2 and this will be actioned in Spring 2022."
                ),
                (
                    "An Oversight Board was held in late November 2021 to discuss the next steps "
                    "required to successfully implement the funding transfer next April 2022, "
                    "which will also include the revision of the existing Section 22 agreement."
                ),
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR09",
            "title": "Recruitment & Retention/Uplift",
            "description": (
                "There is a risk of being unable to recruit staff across the Force in a timely "
                "manner and aligned with the strategic workforce planning requirements.\n\n"
                "The uplift targets and their associated entry routes (e.g. PEQF) create "
                "significant additional demand on WMP. The failure to meet recruitment targets "
                "will impact on the force's resilience and may potentially affect future funding "
                "from the Home Office.\n\n"
                "There is a risk that a number of student officers have been identified as "
                "potentially being at risk of dismissal due to repeated failures of university "
                "modules."
            ),
            "consequence": (
                "- WMP will not be able to recruit and retain sufficiently skilled people to "
                "deliver our service. Risk to service provision and accreditation status in some "
                "cases (e.g. Forensics). Longer-term employee relations impact. Potential loss of "
                "confidence from WMP colleagues who were anticipating additional resources to join "
                "them.\n"
                "- Due to the sheer volume of demand and complexity of entry criteria, WMP is not "
                "able to push through the uplift recruitment pipeline quickly enough resulting in "
                "missed targets or not meeting resourcing assumptions. Reputational (and potential "
                "financial) impact on WMP from the Home Office.\n"
                "- The impact is this may be significant for WMP and the government's confidence "
                "in us.\n"
                "- The impact of student officer repeatedly failing their modules, will lead to "
                "the student being dismissed from their university course, WMP currently has no "
                "other training programme available to see them though their probationary period."
            ),
            "category": "People",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["H", "H"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "level"], ["Q2", "level"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (High); likelihood and impact are recorded "
                "on the diagonal of the rating's band. Trend printed as '→ →  High': two arrows "
                "and an empty cell before the rating (the double space), read as Q1 level, Q2 "
                "level and Q3 blank; the blank Q3 cell is recorded as level because the risk "
                "stayed on the register at the same (High) rating."
            ),
            "illustrative": False,
            "controls": _controls(
                "Workforce plan to meet targets to the end of March 2023",
                "Understanding of staff turnover and retirements to 2023",
                "Review where student officers are posted across organisation",
                (
                    "Recognition of prior education/meeting entry criteria in an alternative way "
                    "(e.g. via essays)"
                ),
                (
                    "Some mitigation has been possible through engagement with the University to "
                    "offer appeal and comment on operational competency. University offering "
                    "additional support to at risk students and the opportunity to re-submit work, "
                    "but in some cases even this intervention has not resolved concerns"
                ),
                (
                    "This risk continues to be monitored, improved process of notification and "
                    "communications with the University provide the opportunity to intervene now "
                    "at the earliest stages."
                ),
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR13",
            "title": "Cybersecurity",
            "description": (
                "Failure of the Force's IT&D systems (due to cyber-attack, hardware failure, loss "
                "of IT systems via IT services provider or other data security breaches) will lead "
                "to severe disruption to service delivery and response."
            ),
            "consequence": (
                "Loss of access to IT systems due to a failure in our cyber security for an "
                "extended period of time could adversely impact WMP’s ability to continue service "
                "delivery and business operations.\n\n"
                "This could also lead to potential data breaches, an inability to access key "
                "systems and reputational damage."
            ),
            "category": "Technology",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["H", "H"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "n/a"], ["Q2", "new"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (High); likelihood and impact are recorded "
                "on the diagonal of the rating's band. Trend 'N/A New →' read as Q1 n/a, Q2 new, "
                "Q3 level. The first paragraph is read as the description and the next two as the "
                "impact. The key controls open with an unbulleted lead-in ('IT&D operate a suite "
                "of mitigations...'), kept as the first control, followed by its four bullets."
            ),
            "illustrative": False,
            "controls": _controls(
                (
                    "IT&D operate a suite of mitigations to prevent Cyber Attack, this ensures we "
                    "have a robust approach to security and helps defend our data and systems:"
                ),
                (
                    "We 'Secure by Design' – All designs for systems have oversight of both a "
                    "Security Architect and Information Assurance experts who validate best "
                    "design/secure practise in technology solutions before implemented."
                ),
                "We operate a multi-layer defence approach at our network boundary.",
                "We patch our systems regularly in-line with enterprise recommendations.",
                (
                    "We backup our data to prevent corruption, and this data is stored separate to "
                    "the system by geographic resilience. We test our backup restore processes and "
                    "document the outcomes."
                ),
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR06",
            "title": "Corporate Health, Safety and Wellbeing",
            "description": (
                "- There may be an increase in employee related mental health and wellbeing issues "
                "which impacts WMP’s ability to deliver and recover operational services during "
                "the post pandemic environment.\n"
                "- There is a risk of post-Traumatic Stress Disorder to forensic services staff "
                "caused through constant exposure to trauma, death, violence and sexual scenes and "
                "evidence and the subsequent raw emotion of victims and families."
            ),
            "consequence": (
                "- Failure to look after the wellbeing of our staff could have a significant "
                "impact on employee confidence, poorer engagement, and increased sickness levels.\n"
                "- Staff who are exposed to traumatic images and investigations over a prolonged "
                "period of time are likely to be at increased risk of experiencing detrimental "
                "impacts on their physiological wellbeing."
            ),
            "category": "People",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["H", "H"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "level"], ["Q2", "level"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (High); likelihood and impact are recorded "
                "on the diagonal of the rating's band. Trend '→ → →' read as level in Q1, Q2 and "
                "Q3."
            ),
            "illustrative": False,
            "controls": _controls(
                (
                    "Enhanced force approach to trauma risk identification and management (TRIM) - "
                    "questionnaires to high risk roles, further engagement with occupational "
                    "health, focus groups in place."
                ),
                (
                    "Efficient signposting to Vivup, TRiM process, targeted clinical supervision, "
                    "use of watchful waiting and line manager and colleague observations. "
                    "Increased discussion and conversations regarding wellbeing taking place. "
                    "Higher risk role assessment underway with more tailored support offered where "
                    "identified."
                ),
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR01",
            "title": "Vulnerability and Hidden Crimes",
            "description": (
                "There is a risk that the increased identification of vulnerability in demand, and "
                "hidden crimes (includes child exploitation, modern day slavery, human "
                "trafficking, domestic abuse, missing people) poses a challenge to the Force to "
                "manage its complexity. The risk could also impact the response levels provided "
                "impacting the delivery of an effective service to those in need."
            ),
            "consequence": (
                "Increases in volumes or poor identification impacts on the force's capacity to "
                "prevent and respond, creating public confidence and safety concerns, and meet our "
                "overall requirement to prevent the unnecessary criminalisation of children and "
                "improve the overall quality of investigations involving vulnerable people."
            ),
            "category": "Safeguarding",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["H", "H"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "level"], ["Q2", "level"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (High); likelihood and impact are recorded "
                "on the diagonal of the rating's band. Trend '→ → →' read as level in Q1, Q2 and "
                "Q3."
            ),
            "illustrative": False,
            "controls": _controls(
                (
                    "V&I officers have been identified across all geographic hubs. The officers "
                    "perform a co-ordination role to ensure that FCID is responding to the "
                    "statutory obligations within investigations. The FCID offer is nuanced across "
                    "the hubs, with the Birmingham based officer embedded within a multi dept. "
                    "function. In the long term FCID will form part of the SOCEX build"
                ),
                (
                    "An escalation process for partners has been created, which allows escalation "
                    "to the duty crime supt in urgent cases. This has been utilised by partners."
                ),
                (
                    "Missing from home lead now sits within FCID and regular and active "
                    "Supervision of Missing investigations is now occurring. Regular performance "
                    "monitoring daily/weekly/monthly in place."
                ),
                (
                    "Structured debriefs from recent operations involving vulnerability have "
                    "provided organisational learning and resulting learning to be incorporated "
                    "into learning logs."
                ),
                (
                    "Implementation of VSA audit approach, resulting in an enhanced audit and "
                    "assurance function being established in force."
                ),
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR02",
            "title": "Serious Violence in Under 25s",
            "description": (
                "There is a risk that interventions to address multiple risk factors/indicators "
                "are not impactful or effective. The increase in volume of serious youth crime and "
                "serious violence (gun and knife crime) in the under 25s could lead to the "
                "cumulative risk around community safety. There could be a perceived failure that "
                "the Force is not responding adequately to prevent and respond to crime involving "
                "young people."
            ),
            "consequence": (
                "- Increases in volumes impacts on the force's capacity to prevent and respond to "
                "increased demand.\n"
                "- Increases in serious youth violence reporting in the media could undermine "
                "community confidence in policing and contribute to safety concerns.\n"
                "- Demand pressures could have an impact on crime prevention initiatives. Force "
                "response becomes more reactive than preventative."
            ),
            "category": "Operational",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["H", "H"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "level"], ["Q2", "level"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (High); likelihood and impact are recorded "
                "on the diagonal of the rating's band. Trend '→ → →' read as level in Q1, Q2 and "
                "Q3."
            ),
            "illustrative": False,
            "controls": _controls(
                (
                    "Guardian Grip funding established. Taskforce numbers increased to full "
                    "strength as of Sept 2021."
                ),
                "Integrated force violence strategy being implemented",
                (
                    "Managed through FTDB, Performance Panel and Strategic Tasking structures plus "
                    "dedicated ACC led performance meeting"
                ),
                "Public health (PH) approach launched and working with VRU to deliver.",
                (
                    "Additional funds have been channelled to tasking processes (WTAM) to support "
                    "NTE resources."
                ),
                (
                    "Taskforce continue to achieve positive results and deep dives into NPU "
                    "problem solving progressing"
                ),
                "Interim strategy presented and internal PH review of processes ongoing",
                (
                    "New Violence Board is focusing on tiered offender processes, school "
                    "exclusions and referrals plus exempt accommodation."
                ),
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR05",
            "title": "Demand Management",
            "description": (
                "There is a risk that the Force fails to respond to and manage the effective and "
                "efficient policing requirements of the region as a result of the increased volume "
                "and complexity in demand. The nature of the rise requires an increasing level of "
                "sophistication to understand how it moved through the system and may be "
                "compounded by resourcing constraints."
            ),
            "consequence": (
                "Impacts on our ability to create and execute effective plans to ensure effective "
                "and efficient delivery of policing. Example: Demand and the management of risk "
                "within the P2 grade, which has a service level at 60 minutes. Currently a "
                "minority of case are being carried over beyond 24 hours. This is a concern in "
                "relation to risk management, service delivery, victim support and impacts on "
                "stress to WMP staff seeking to manage this risk when unresourced. Return to 'new "
                "normal' at the tail-end of the pandemic creates additional complexity/uncertainty."
            ),
            "category": "Operational",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["H", "H"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "level"], ["Q2", "level"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (High); likelihood and impact are recorded "
                "on the diagonal of the rating's band. Trend printed as ' → → High': an empty "
                "first cell then two arrows, read as Q1 blank, Q2 level, Q3 level; the blank Q1 "
                "cell is recorded as level because Q2's arrow shows the risk was already on the "
                "register in Q1."
            ),
            "illustrative": False,
            "controls": _controls(
                (
                    "DDI Dashboards to give better access to management information to inform "
                    "decisions"
                ),
                (
                    "Gold group task to look at journey maps for incident types to identify pinch "
                    "points and give insight into what could be done to make the process more "
                    "efficient"
                ),
                "Closely linked to Control Works and Connect",
                (
                    "Exploring opportunities to increase the sophistication of our demand "
                    "modelling and forecasting approach."
                ),
                (
                    "Increased understanding of resource levels, however further work required to "
                    "understand resource to demand capacity especially on late turn."
                ),
                (
                    "Review being undertaken into baseline responsibilities for Force Contact "
                    "staff and where ownership of the P2 risk and demand should be."
                ),
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR17",
            "title": "Organisational Learning",
            "description": (
                "Organisational learning is obtained across the force via its various learning "
                "hotspots (i.e., IA / HMIC recommendations, debriefs, inquiries (Manchester Arena "
                "bombings), IOPC reports etc).\n\n"
                "There is no integrated organisational learning structure across the force to "
                "ensure once learning is identified, it is evaluated and shared across the Force "
                "to positively impact policy practise and outcomes.\n\n"
                "There is a risk that WMP lacks the oversight required to analyse strategic, cross "
                "cutting and/or operational organisational learning to ensure risks and "
                "opportunities are managed and evaluated in showing learning and ideas have a "
                "route to action including integration into operational practice."
            ),
            "consequence": (
                "- Lack of coordinated dissemination of knowledge and learning across the Force.\n"
                "- No consistent approach to capturing and sharing OL, no ability to draw out "
                "themes\n"
                "- No clear governance or accountability for structured debriefs\n"
                "- Failing to embed the learning across the Force could lead to reputational "
                "damage should major incident occur across the region and learning available.\n"
                "- Increased scrutiny from external regulators – such as HMICFRS"
            ),
            "category": "Governance",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["H", "H"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "n/a"], ["Q2", "new"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (High); likelihood and impact are recorded "
                "on the diagonal of the rating's band. Trend 'N/A New →' read as Q1 n/a, Q2 new, "
                "Q3 level."
            ),
            "illustrative": False,
            "controls": _controls(
                "OL Working Group ran from April-June 2021.",
                "Standardised Learning Log template agreed.",
                "Governance flows and business rules drafted.",
                "Assessment criteria under development.",
                (
                    "Risk prioritisation of debrief recommendations agreed in principle and review "
                    "of previous structured debriefs ongoing."
                ),
                (
                    "Increase in trained structured debriefs in force being overseen by Strategy & "
                    "Direction (S&D). Debrief policy redraft being considered."
                ),
                (
                    "Governance, Risk and Assurance Snr Mgr from S&D engaged with all Portfolios "
                    "to support risk management approach, which incorporates critical/high risk "
                    "learning identification and embedding."
                ),
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR04",
            "title": "CONNECT Legacy/BRC Data",
            "description": (
                "Data migration into CONNECT could lead to loss of relevant information "
                "transferring over from legacy systems into CONNECT. Data loss/gaps could lead to "
                "the Force being unable to accurately access historic audit data."
            ),
            "consequence": (
                "- The impact of this risk may be that data in the back records is missing from "
                "the transfer to CONNECT. This could lead to certain data fields in things like "
                "DBS historic checks being excluded – e.g. crime reference numbers.\n"
                "- The impact of this risk could lead to potential reputational damage if "
                "information provided in DBS certificates do not adequately reflect all current "
                "and historic data.\n"
                "- CONNECT Legacy/BRC Data- Significant issues with this content- not all relevant "
                "information has been brought over into CONNECT, plus there are gaps in some "
                "outcomes/ markers that did not exist on legacy systems- for example, over 140K "
                "post 2018 DA records are no longer identified correctly, and there is currently "
                "no solution for accessing audit data."
            ),
            "category": "Technology",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["H", "H"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "new"], ["Q2", "level"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (High); likelihood and impact are recorded "
                "on the diagonal of the rating's band. Trend 'New → →' read as Q1 new, Q2 level, "
                "Q3 level. The bullet 'CONNECT Legacy/BRC Data- Significant issues...' is read as "
                "the last impact bullet, since it describes the effect rather than a control."
            ),
            "illustrative": False,
            "controls": _controls(
                (
                    "CONNECT team continuing to work through system architecture and integration "
                    "issues with Northgate as part of usual programme management business."
                ),
                (
                    "BRC Issue is under investigation by the Project/IT&D/Northgate - until this "
                    "is resolved WMP cannot delete legacy data."
                ),
                (
                    "DBS staff and others involved in investigation and disclosure are aware and "
                    "are currently checking legacy systems to ensure all relevant information is "
                    "considered."
                ),
                (
                    "The risk and associated issues are well monitored by CONNECT Project- "
                    "Decommissioning workstream is tracking these data pots successfully. Risk is "
                    "being monitored by CONNECT Project Board."
                ),
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR08",
            "title": "Investigative and Criminal Justice Process and Outcome",
            "description": (
                "- There is a risk that the case backlog that exists due to COVID may result in "
                "victims and witnesses losing faith in the Criminal Justice system. The backlog "
                "also puts at risk the cost recovery from Police Led Prosecutions. There is also "
                "the risk of an additional strain on CJS resources, particularly in Witness Care, "
                "due to the new court listings process.\n"
                "- Updates to the Attorney General’s Guidelines on Disclosure which sits alongside "
                "the Criminal Procedure and Investigations Act (“CPIA”) 1996, has an impact on the "
                "working practices of investigations officers and staff, with a short turnaround "
                "time for adhering to the guidance."
            ),
            "consequence": (
                "- The impact is that justice is not served for victims and witnesses and WMPs "
                "reputation is at risk as a reduced number of cases are being heard by the Courts "
                "(including murder trials). The reduction of Courts will also result in a "
                "significant loss of income recovery from PLP. There may also be additional "
                "welfare issue for Witness Care staff due to the supplementary work required.\n"
                "- The new guidance has implications for how the police engages with other parts "
                "of the CJS, in terms of timeliness, mandatory disclosures and digital evidence. "
                "In particular, it increases the expectations on the recording of materials in the "
                "course of an investigation - extending requirements to unused material and "
                "provision of schedules for all Pre-Charge cases. The combined effect of these "
                "changes could result in an increase in the number of bail cases and CPS "
                "rejections, creating further demands on the force."
            ),
            "category": "Operational",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["H", "H"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "level"], ["Q2", "level"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (High); likelihood and impact are recorded "
                "on the diagonal of the rating's band. Trend '→ → →' read as level in Q1, Q2 and "
                "Q3."
            ),
            "illustrative": False,
            "controls": _controls(
                (
                    "Magistrates Backlogs have reduced to 3% of the pre-covid caseloads. The Crown "
                    "remains at an increase of 49%."
                ),
                (
                    "CJ has secured home office funding to maintain the 5 additional temporary "
                    "staff, upskill witness care staff in accredited trauma training, fund RASSO "
                    "gatekeeper post to increase the file quality and timeliness of pre-charge "
                    "cases sent to CPS."
                ),
                (
                    "CJ is hosting a series of meetings with the Crown Courts to establish/review "
                    "the current listing process. CJ have applied for 3 additional posts through "
                    "the home office secondary funding specific to special measure advocates. The "
                    "unit continues to move work around ensuring an even spread of cases for the "
                    "team."
                ),
                (
                    "Comprehensive learning package to be rolled out across the Force in "
                    "December/January providing guidance for the DG6 changes. WMP will receive the "
                    "first iteration of the guidance as we have been involved in the development "
                    "of the new national guidance."
                ),
                (
                    "Considerable amount of training and checking of disclosures from other "
                    "departments undertaken."
                ),
                (
                    "Recruitment is ongoing in CMU to increase the current establishment, it is "
                    "envisaged that the roles will be filled in qtr 4 (2021/22)"
                ),
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR14",
            "title": "Alarms Management",
            "description": (
                "There is a risk that alarm notifications may fail at Force Control C3 due to the "
                "unreliability of receiver equipment and delays in replacing it."
            ),
            "consequence": (
                "Alarm notifications may fail at Force Control C3 due to the unreliability of "
                "receiver equipment and delays in replacing it. While the receivers are not "
                "upgraded the force runs the risk of the loss of alarm messages and the "
                "consequential failure to act on them."
            ),
            "category": "Technology",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["H", "H"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "n/a"], ["Q2", "new"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (High); likelihood and impact are recorded "
                "on the diagonal of the rating's band. Trend 'N/A New →' read as Q1 n/a, Q2 new, "
                "Q3 level. The bullet 'Migration to C3...' opens the key controls column (it "
                "shares that cell with the next bullet) and is kept there as published."
            ),
            "illustrative": False,
            "controls": _controls(
                (
                    "Migration to C3 has further raised the risk as equipment could be adversely "
                    "affected by relocation and reconnection. This would leave the Force "
                    "potentially unable to monitor and therefore respond to alarm calls. The risk "
                    "still remains though as the equipment is old and has the potential to fail."
                ),
                (
                    "The residual score remains static as Shared Services urgently need to assess "
                    "business requirements so the work can be prioritised and resources from IT&D "
                    "and Property Services can be committed to enable replacement."
                ),
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR16",
            "title": "Police Cadet Leaders - Safeguarding",
            "description": (
                "There is a risk that WMP Police Cadets policies, procedures and process fail to "
                "comply with the National Safety and Safeguarding guidelines (UKYSSF). The "
                "guidelines are set out by the National VPC who advises that WMP aligns its "
                "practice to the UK Youth Safer Spaces Framework (UKSSF) backed by the NPCC "
                "Enforcement."
            ),
            "consequence": (
                "- Increased spotlight on other Forces could increase media focus on all Police "
                "Force’s across the country including WMP.\n"
                "- If WMP does not ensure compliance with the safeguarding practices around "
                "recruitment of Police Cadet Leaders, this could increase the likelihood of having "
                "a negative impact on public confidence and legitimacy in safeguarding Police "
                "Cadets."
            ),
            "category": "Safeguarding",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["M", "M"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "n/a"], ["Q2", "new"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (Medium); likelihood and impact are "
                "recorded on the diagonal of the rating's band. Trend printed as 'N/A New  "
                "Medium': two cells and an empty one before the rating (the double space), read as "
                "Q1 n/a, Q2 new and Q3 blank; the blank Q3 cell is recorded as level because the "
                "risk is still on the register in Q3."
            ),
            "illustrative": False,
            "controls": _controls(
                "Working with national VPC to support writing policies that are fit for purpose.",
                (
                    "Safeguarding being reviewed. Mandatory training compliance being actively "
                    "managed, currently and has increased from 60% to 81%. Cadet Leaders who have "
                    "not had the training by 31/12/2021 will be paused pending completion of the "
                    "training workshop."
                ),
                "Safer Recruitment process remains at 100% compliant",
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR21",
            "title": "Mutual Aid & Resourcing",
            "description": (
                "There is a risk that significant resources abstractions (police officers and "
                "staff) will be required from operational business and duties during the "
                "operational period of the Commonwealth Games. There is a risk that a local, "
                "regional or national critical incident could see Mutual Aid and / or WMP officers "
                "and / or vehicles abstracted to resource the incident response."
            ),
            "consequence": (
                "The impact of this risk may be that WMP will have gaps in the Games staffing "
                "model, potentially causing a security / public safety risk. Should vehicles be "
                "unavailable, then officers' ability to perform their roles may be impacted and/or "
                "alternative transport may need to be found at short notice and with additional "
                "cost."
            ),
            "category": "Operational",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["M", "M"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "new"], ["Q2", "level"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (Medium); likelihood and impact are "
                "recorded on the diagonal of the rating's band. Trend 'New → →' read as Q1 new, Q2 "
                "level, Q3 level."
            ),
            "illustrative": False,
            "controls": _controls(
                (
                    "Explore scenario / resilience in Business Continuity / Testing & Exercising. "
                    "Three recent T&E events have already been conducted."
                ),
                "Engage with recruitment Uplift programme to assess opportunities.",
                (
                    "Working with the operation to build an abstraction and deployment model and "
                    "approach to identify with the organisation where resources will be taken from "
                    "and for how long."
                ),
                (
                    "CWG are currently in a period where resource planning is being fleshed out, "
                    "with the consideration of BAU capacity."
                ),
                (
                    "CWG SLT engaging with FET in December to ask Leads to work with their "
                    "departments to confirm staffing requirements. The MACA was submitted to "
                    "government in October for Mutual Aid resources with a decision expected by "
                    "end January."
                ),
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR07",
            "title": "WMP Demographics and Representation",
            "description": (
                "There is a risk that a failure to attract, recruit and retain a diverse and "
                "representative workforce across the force that is less representative of the "
                "communities we serve could create risk to public confidence.\n\n"
                "Failure to attract and retain a diverse and representative workforce (both "
                "officers and staff) required at every level of the Force to deliver our services "
                "to our diverse communities."
            ),
            "consequence": (
                "A less representative force will lack legitimacy in some communities, hampering "
                "its ability to achieve positive outcomes.\n\n"
                "The impact may be that the legitimacy and trust in WMP is diminished. The impact "
                "of not meeting the PCC's target of recruiting 1000 BAME officers may lead to "
                "reputational damage."
            ),
            "category": "People",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["M", "M"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "level"], ["Q2", "level"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (Medium); likelihood and impact are "
                "recorded on the diagonal of the rating's band. Trend '→ → →' read as level in Q1, "
                "Q2 and Q3. The description and impact cells are flattened into four paragraphs: "
                "the first two (the risk and the failure to attract a representative workforce) "
                "are read as the description, the last two ('A less representative force...', 'The "
                "impact may be...') as the impact."
            ),
            "illustrative": False,
            "controls": _controls(
                "New Diversity & Inclusion strategy currently being developed.",
                "Review of recruitment and promotions processes",
                (
                    "Departmental D&I plans are in place and each dept. has a local D&I governance "
                    "board. The D&I plans are reviewed as part of QPR process and any key risks "
                    "are escalated to the Business Partners. The plans are reviewed bi-annually "
                    "internally and will also be externally reviewed annually."
                ),
                "Key part of recruitment uplift project team.",
                (
                    "Gold Strategy continues to operate to ensure a robust delivery plan. The new "
                    "Police & Crime Plan has the target of 1000 to be achieved by March 2025 "
                    "(originally March 2023)."
                ),
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR10",
            "title": "Financial Management",
            "description": (
                "i. There is a risk that WMP’s finances are not sustainable over the medium term "
                "and/or efficiency savings required may adversely impact the operational services. "
                "Whilst the police grant has increased for 22/23 to fund increase in officer "
                "numbers, there are still unfunded inflationary pressures.\n\n"
                "ii - There is also a risk that as mandated/national initiatives develop (e.g. "
                "ESMCP, National Enabling Programme), the actual costs for delivery far exceed the "
                "estimated costs within the affordability envelope."
            ),
            "consequence": (
                "i - Impact on overall funding position. Medium term financial plan (MTFP) sets "
                "out strict budgeting envelope that must be met.\n\n"
                "ii - The inability to finance all component projects, or needing to de-prioritise "
                "other projects within the portfolio if the national changes are mandated."
            ),
            "category": "Finance",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["M", "M"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "level"], ["Q2", "level"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (Medium); likelihood and impact are "
                "recorded on the diagonal of the rating's band. Trend '→ → →' read as level in Q1, "
                "Q2 and Q3."
            ),
            "illustrative": False,
            "controls": _controls(
                "Influence National debate on Police Funding Formula",
                (
                    "Review and continue to scrutinise financial planning and prudence in managing "
                    "long term commitments"
                ),
                "Revised MTFP and focus on benefit maximisation and continued efficiencies",
                "Build in scenario planning, with potential savings / investment options available",
                (
                    "National Horizon scanning by R & C Manager to ensure we have full visibility "
                    "of emerging national programmes."
                ),
                (
                    "Work ongoing to provide portfolio leadership to assess current demand and "
                    "financial picture"
                ),
                "Regional working to ensure integrated planning (on ESMCP)",
                (
                    "We have commenced our 2 yr. Priority Based Budgeting process, with phase 1 "
                    "completed in October 2021. In addition, we have adopted a zero-based "
                    "budgeting approach to review some elements of non-pay expenditure."
                ),
            ),
            "actions": [],
        },
        {
            "register": "corporate",
            "ref": "CRR11",
            "title": "Safeguarding - Local Policing",
            "description": (
                "There is a risk that the Force fails follow safeguarding processes to protect the "
                "needs of the most vulnerable members of our community.\n\n"
                "There is also a risk that the Force fails to fully understand the safeguarding "
                "needs and experiences of citizens - young and old due to increased demand "
                "pressures and the challenging range of commissioned and partner-driven "
                "arrangements operating across the region."
            ),
            "consequence": (
                "- Poor identification impacts on the force's capacity to prevent and respond, "
                "creating public confidence and safety concerns.\n"
                "- Risk to vulnerable members of the community.\n"
                "- Potential reputational damage if risk not adequately mitigated."
            ),
            "category": "Safeguarding",
            "objectives": [],
            "owner": None,
            "manager": None,
            "leads": [],
            "horizon": "",
            "kind": "threat",
            "inherent": None,
            "current": ["M", "M"],
            "target": None,
            "response": "",
            "status": "open",
            "closed_reason": "",
            "progress": "",
            "marking": "OFFICIAL",
            "reported_trend": [["Q1", "level"], ["Q2", "level"], ["Q3", "level"]],
            "source_note": (
                "WMP publishes the residual rating only (Medium); likelihood and impact are "
                "recorded on the diagonal of the rating's band. Trend '→ → →' read as level in Q1, "
                "Q2 and Q3."
            ),
            "illustrative": False,
            "controls": _controls(
                (
                    "Neighbourhood Policing Units (NPUs) have appointed a Superintendent as their "
                    "local safeguarding & vulnerability champion to drive service improvement and "
                    "consistency. The Superintendent also engages at a Regional level via the "
                    "regional uniform users’ group to consolidate learning, address identified "
                    "risks and respond to feedback and areas for improvement presented at a "
                    "National and Regional level and from Ambulance, Fire and Local Authority "
                    "attendees."
                ),
                (
                    "Bespoke training and tailored briefings are delivered to supplement the role "
                    "out of the National College of Policing Approved Force wider Safeguarding and "
                    "Vulnerability training. NPU vulnerable persons officers have been able to "
                    "reflect upon the above training, complement this with localised good practice "
                    "and update their geographic ‘Intranet’ pages with updated guides, act as "
                    "local SPOCs to give assistance."
                ),
            ),
            "actions": [],
        },
    ],
}
