"""University of Aberdeen: demo data from the Risk Management Framework (version 2, May 2018).

Source: ``/work/shared/seeds/003_aa00866f3cc1b25d.txt`` (the framework's text starts around
line 200; the lines before it are unrelated search-result noise).

What is transcribed from the framework:

* Scoring: likelihood and impact both on six levels (Table 6 "Measuring Likelihood", Table 7
  "Measuring Impact": Negligible 1, Measurable 2, Significant 3, Highly Significant 4, Major 5,
  Severe 6), product score 1 to 36; preset ``aberdeen-6x6``.
* Appetite levels: Avoid, Averse, Moderate, Open, High (Table 1), with the score ranges of Table 4
  (Avoid 1-6, Averse 7-12, Moderate 13-19, Open 20-26, High 27-36); preset ``aberdeen``.
* Categories: the ten strategic risk areas of Tables 2 and 5. Table 2 spells one of them
  "Research Performance & Impact"; Table 5 spells it "Research Performance and Impact", which we
  use.
* Appetite statements: the tolerance thresholds are Table 5 verbatim. Table 2 (the appetite matrix)
  lost its ticks when the PDF was extracted, so each area's appetite *level* is our reading: the
  Table 4 level whose score range contains the area's threshold (13, 17 and 18 are Moderate; 20 is
  Open). No early-warning score is published, so ``warning`` is None.
* Objectives: the framework categorises risks with the SORF acronym (Table 3: Strategic,
  Operational, Regulatory, Financial) and says "SORF is also used to categorise objectives", so the
  four SORF categories are the objectives (codes S, O, R, F).
* Responses: the 4Ts of section 4.3.2 (Transfer, Treat, Tolerate, Terminate).
* Reporting: Court and Audit Committee each receive bi-annual reports (sections 3.6 and 4.5). The
  framework gives no months; May and November are our reading (the framework itself was approved
  by UMG, Operating Board, Audit Committee and Court in April/May 2018 and reviewed in October).
* Review: School registers are formally reviewed twice a year through the School Planning Process
  (6 months); the Project Board reviews risk every time it meets (1 month here). Default 6 months.
* Registers: the Strategic Risk Register (slug ``corporate``), one School register (the framework's
  own example name, "Business School Risk Register") and one capital-project register. On projects
  the Project Sponsor is normally the Risk Owner and impact is re-calibrated to the project budget
  (a projected cost overrun of 5% is Highly Significant, 6-10% Major, above 10% Severe).

What is NOT in the source: the framework publishes no risks. Every risk below is illustrative
(``"illustrative": True``, title starting "Illustrative: "), written to be realistic for a Scottish
university and to exercise the product:

* each risk has an Initial (inherent) and a Current score, and the Current score is lower than
  the Initial one (section 4.4: "The Current Risk Score should always be lower than the Initial
  Risk Score") -- except SRR06, whose Current score deliberately equals its Initial score so that
  the product's "current should be lower" warning has a demo case;
* SRR02 (20 > 17), SRR05 (18 > 17) and SRR08 (20 > 18) have a Current score above their area's
  Table 5 threshold, so the breach reporting of section 4.5 has something to show. No other risk
  (school or project registers included) breaches;
* the framework defines no target score, so ``target`` is None throughout;
* owners on the Strategic Risk Register are Vice-Principal posts (section 3.6: "normally a Vice
  Principal"), managers a different post; posts are generic, not named individuals.
"""

SOURCE_NOTE = (
    "Illustrative: the framework publishes no risks; area, appetite and threshold are from "
    "Tables 2, 4 and 5."
)

_LEVEL_NOTE = (
    "Level is our reading from Table 4 (the range containing the threshold): Table 2's appetite "
    "ticks were lost when the framework PDF was extracted."
)


def _appetite(area, threshold, level, range_text):
    return {
        "category": area,
        "level": level,
        "tolerance": threshold,
        "warning": None,
        "rationale": (
            f"Table 5 tolerance threshold for {area}: {threshold}. {_LEVEL_NOTE} "
            f"{threshold} falls in {level} ({range_text})."
        ),
    }


def _person(key, post):
    return {"key": key, "name": f"{post} (demo)", "job_title": post, "email": f"{key}@abdn.demo"}


def _risk(**fields):
    """A risk with the defaults every illustrative Aberdeen risk shares."""
    risk = {
        "register": "corporate",
        "consequence": "",
        "objectives": [],
        "manager": None,
        "leads": [],
        "horizon": "",
        "kind": "threat",
        "inherent": None,
        "current": None,
        "target": None,
        "response": "Treat",
        "status": "open",
        "closed_reason": "",
        "progress": "",
        "marking": "OFFICIAL",
        "reported_trend": [],
        "source_note": SOURCE_NOTE,
        "illustrative": True,
        "controls": [],
        "actions": [],
    }
    risk.update(fields)
    return risk


def _control(description, owner=None, effectiveness="not_assessed", assurance=""):
    return {
        "description": description,
        "owner": owner,
        "effectiveness": effectiveness,
        "assurance": assurance,
    }


def _action(description, owner, due, status, priority, difficulty, progress_note=""):
    return {
        "description": description,
        "owner": owner,
        "due": due,
        "status": status,
        "priority": priority,
        "difficulty": difficulty,
        "progress_note": progress_note,
    }


ORGANISATION = {
    "slug": "aberdeen",
    "name": "University of Aberdeen",
    "short_name": "Aberdeen",
    "scheme": "aberdeen-6x6",
    "source": "University of Aberdeen Risk Management Framework (version 2, updated May 2018)",
    "panel_name": "University Court and Audit Committee",
    "response_options": ["Transfer", "Treat", "Tolerate", "Terminate"],
    "quarter_end_months": [3, 6, 9, 12],
    # Bi-annual reports to Court and Audit Committee (sections 3.6 and 4.5); the months are our
    # reading.
    "committee_months": [5, 11],
    "default_review_months": 6,
    "appetite_levels": "aberdeen",
    "categories": [
        {
            "name": "Equality and Diversity",
            "description": "Strategic risk area (Tables 2 and 5); tolerance threshold 13.",
        },
        {
            "name": "Financial Sustainability",
            "description": "Strategic risk area (Tables 2 and 5); tolerance threshold 17.",
        },
        {
            "name": "Governance and Core Business",
            "description": "Strategic risk area (Tables 2 and 5); tolerance threshold 13.",
        },
        {
            "name": "Health and Safety",
            "description": "Strategic risk area (Tables 2 and 5); tolerance threshold 13.",
        },
        {
            "name": "Infrastructure Sustainability",
            "description": "Strategic risk area (Tables 2 and 5); tolerance threshold 17.",
        },
        {
            "name": "Internationalisation",
            "description": "Strategic risk area (Tables 2 and 5); tolerance threshold 18.",
        },
        {
            "name": "Research Performance and Impact",
            "description": "Strategic risk area (Tables 2 and 5; Table 2 writes "
            '"Research Performance & Impact"); tolerance threshold 18.',
        },
        {
            "name": "Staff Recruitment and Retention",
            "description": "Strategic risk area (Tables 2 and 5); tolerance threshold 18.",
        },
        {
            "name": "Student Experience",
            "description": "Strategic risk area (Tables 2 and 5); tolerance threshold 20.",
        },
        {
            "name": "Student Recruitment",
            "description": "Strategic risk area (Tables 2 and 5); tolerance threshold 18.",
        },
    ],
    # SORF (Table 3); section 4.2: "SORF is also used to categorise objectives".
    "objectives": [
        {
            "code": "S",
            "name": "Strategic",
            "description": "Risk to key institutional aspiration/s (Table 3).",
        },
        {
            "code": "O",
            "name": "Operational",
            "description": "Risk affecting service/s to staff / students (Table 3).",
        },
        {
            "code": "R",
            "name": "Regulatory",
            "description": "Risk to meeting legal / statutory responsibilities (Table 3).",
        },
        {
            "code": "F",
            "name": "Financial",
            "description": "Risk affecting funding or income streams (Table 3).",
        },
    ],
    "appetite_statements": [
        _appetite("Equality and Diversity", 13, "Moderate", "13-19"),
        _appetite("Financial Sustainability", 17, "Moderate", "13-19"),
        _appetite("Governance and Core Business", 13, "Moderate", "13-19"),
        _appetite("Health and Safety", 13, "Moderate", "13-19"),
        _appetite("Infrastructure Sustainability", 17, "Moderate", "13-19"),
        _appetite("Internationalisation", 18, "Moderate", "13-19"),
        _appetite("Research Performance and Impact", 18, "Moderate", "13-19"),
        _appetite("Staff Recruitment and Retention", 18, "Moderate", "13-19"),
        _appetite("Student Experience", 20, "Open", "20-26"),
        _appetite("Student Recruitment", 18, "Moderate", "13-19"),
    ],
    "people": [
        # Risk Owners on the Strategic Risk Register: Vice-Principals (section 3.6).
        _person("senior-vp", "Senior Vice-Principal"),
        _person("vp-education", "Vice-Principal (Education)"),
        _person("vp-research", "Vice-Principal (Research and Knowledge Exchange)"),
        _person("vp-international", "Vice-Principal (Internationalisation)"),
        _person("vp-people", "Vice-Principal (People)"),
        # Risk Managers and action leads.
        _person("director-planning", "Director of Planning"),
        _person("director-finance", "Director of Finance"),
        _person("university-secretary", "University Secretary"),
        _person("head-hsw", "Head of Health, Safety and Wellbeing"),
        _person("director-estates", "Director of Estates and Facilities"),
        _person("director-dis", "Director of Digital and Information Services"),
        _person("director-international", "Director of International Partnerships"),
        _person("director-research", "Director of Research and Innovation"),
        _person("director-people", "Director of People"),
        _person("head-edi", "Head of Equality, Diversity and Inclusion"),
        _person("director-student-life", "Director of Student Life"),
        _person("head-admissions", "Head of Student Recruitment and Admissions"),
        # Business School register (Heads of School are normally Risk Owners, section 3.6).
        _person("bs-head", "Head of the Business School"),
        _person("bs-school-admin", "School Administrator (Business School)"),
        _person("bs-pgt-director", "Director of Postgraduate Taught Programmes (Business School)"),
        _person("bs-quality-lead", "Director of Quality Assurance (Business School)"),
        # Capital project register (the Project Sponsor is normally Risk Owner, section 3.6).
        _person("project-sponsor", "Project Sponsor (New Teaching Hub)"),
        _person("project-manager", "Project Manager (New Teaching Hub)"),
        _person("cost-consultant", "Cost Consultant (New Teaching Hub)"),
    ],
    "registers": [
        {
            "slug": "corporate",
            "name": "Strategic Risk Register",
            "level": "corporate",
            "parent": None,
            "review_months": None,
            "scheme": None,
            "description": (
                "The University's Strategic Risk Register: one risk per strategic risk area "
                "(Tables 2 and 5), reported bi-annually to Court and Audit Committee via Operating "
                "Board and the University Management Group. Risks here are illustrative."
            ),
        },
        {
            "slug": "business-school",
            "name": "Business School risk register",
            "level": "school",
            "parent": "corporate",
            "review_months": 6,
            "scheme": None,
            "description": (
                "School register (the framework's own example name). Reviewed regularly by the School "
                "Executive and formally twice a year through the School Planning Process; uses the "
                "strategic areas' appetite as its baseline (section 4.3.1). Risks here are "
                "illustrative."
            ),
        },
        {
            "slug": "new-teaching-hub-project",
            "name": "New Teaching Hub project risk register",
            "level": "project",
            "parent": "corporate",
            "review_months": 1,
            "scheme": None,
            "description": (
                "Illustrative capital project. The Project Board reviews risk every time it meets and "
                "reports to the Capital Programme Management Committee. Scoring is re-calibrated to "
                "the project budget: a projected cost overrun of 5% is Highly Significant (4), 6-10% "
                "Major (5) and above 10% Severe (6)."
            ),
        },
    ],
    "risks": [
        # ---------------------------------------------------------------- Strategic Risk Register
        _risk(
            ref="SRR01",
            title="Illustrative: Insufficient progress on equality, diversity and inclusion "
            "commitments",
            description=(
                "The University does not make the progress it has committed to on its gender and "
                "ethnicity pay gaps, Athena SWAN and Race Equality Charter actions and its Public "
                "Sector Equality Duty outcomes, or a serious incident of harassment is poorly "
                "handled."
            ),
            consequence=(
                "Loss of charter awards affecting research funding eligibility, regulatory "
                "criticism, reputational damage and reduced ability to attract diverse staff and "
                "students."
            ),
            category="Equality and Diversity",
            objectives=["R", "S"],
            owner="vp-people",
            manager="head-edi",
            leads=["director-people"],
            inherent=[4, 4],  # 16
            current=[3, 4],  # 12, within threshold 13
            response="Treat",
            controls=[
                _control(
                    "EDI Committee oversight of institutional action plans, reporting to "
                    "University Management Group.",
                    "head-edi",
                    "partially_effective",
                    "Annual EDI report to Court.",
                ),
                _control(
                    "Mandatory equality, diversity and unconscious-bias training for all "
                    "staff and recruitment panels.",
                    "director-people",
                    "partially_effective",
                    "Completion rates reported quarterly; below 80% in two Schools.",
                ),
                _control(
                    "Dignity at Work and Study policy with report-and-support reporting route.",
                    "head-edi",
                    "effective",
                ),
            ],
            actions=[
                _action(
                    "Publish an ethnicity pay gap analysis alongside the statutory gender pay "
                    "gap report.",
                    "director-people",
                    "2026-04-30",
                    "completed",
                    "high",
                    "medium",
                    "Published with the 2026 equal pay statement.",
                ),
                _action(
                    "Submit the institutional Athena SWAN renewal with an updated action plan.",
                    "head-edi",
                    "2027-04-30",
                    "in_progress",
                    "high",
                    "high",
                ),
            ],
        ),
        _risk(
            ref="SRR02",
            title="Illustrative: Failure to achieve a sustainable operating surplus",
            description=(
                "Real-terms reductions in Scottish Funding Council teaching grant, rising pay and "
                "pension (USS) costs and volatility in international fee income leave the "
                "University unable to generate the surplus needed to invest in its estate and "
                "strategy."
            ),
            consequence=(
                "Breach of financial covenants, a forced cost-reduction programme, deferral of "
                "capital investment and intervention by the Scottish Funding Council."
            ),
            category="Financial Sustainability",
            objectives=["F", "S"],
            owner="senior-vp",
            manager="director-finance",
            leads=["director-planning"],
            inherent=[5, 6],  # 30
            current=[4, 5],  # 20, above threshold 17: breach
            response="Treat",
            controls=[
                _control(
                    "Five-year financial forecast approved by Court, with monthly management "
                    "accounts to the Operating Board.",
                    "director-finance",
                    "effective",
                    "Internal audit of budget setting, 2025/26: substantial assurance.",
                ),
                _control(
                    "Budget holders' cost-control and vacancy-management process.",
                    "director-finance",
                    "partially_effective",
                    "Savings achieved but behind plan in the first half-year.",
                ),
                _control(
                    "Treasury management policy and covenant monitoring.",
                    "director-finance",
                    "effective",
                ),
            ],
            actions=[
                _action(
                    "Deliver the recurrent savings programme agreed by Court.",
                    "director-finance",
                    "2026-07-31",
                    "in_progress",
                    "high",
                    "high",
                    "Two thirds of the target secured; remainder slipped into 2026/27.",
                ),
                _action(
                    "Model income scenarios for a further fall in international recruitment "
                    "and present contingency options to Operating Board.",
                    "director-planning",
                    "2027-01-31",
                    "in_progress",
                    "high",
                    "medium",
                ),
                _action(
                    "Review the business case for every capital project above GBP 1m against "
                    "the revised forecast.",
                    "director-finance",
                    "2027-03-31",
                    "not_started",
                    "medium",
                    "medium",
                ),
            ],
        ),
        _risk(
            ref="SRR03",
            title="Illustrative: Non-compliance with governance requirements and the Scottish "
            "Code of Good HE Governance",
            description=(
                "Governance arrangements, delegated authorities or committee assurance fail to "
                "meet the Higher Education Governance (Scotland) Act, the Scottish Code of Good "
                "HE Governance or the conditions of the Scottish Funding Council's funding and "
                "Outcome Agreement."
            ),
            consequence=(
                "Withholding of funding, a critical external review, loss of stakeholder "
                "confidence and personal liability concerns for Court members."
            ),
            category="Governance and Core Business",
            objectives=["R"],
            owner="senior-vp",
            manager="university-secretary",
            inherent=[3, 5],  # 15
            current=[2, 5],  # 10, within threshold 13
            response="Treat",
            controls=[
                _control(
                    "Annual statement of compliance with the Scottish Code of Good HE "
                    "Governance, reviewed by Court.",
                    "university-secretary",
                    "effective",
                ),
                _control(
                    "Scheme of delegation and committee terms of reference reviewed each year.",
                    "university-secretary",
                    "effective",
                    "Internal audit of governance, 2025/26: reasonable assurance.",
                ),
            ],
            actions=[
                _action(
                    "Commission the periodic externally facilitated review of Court effectiveness.",
                    "university-secretary",
                    "2027-06-30",
                    "not_started",
                    "medium",
                    "medium",
                ),
            ],
        ),
        _risk(
            ref="SRR04",
            title="Illustrative: Serious health and safety incident in laboratories, workshops or "
            "fieldwork",
            description=(
                "A serious injury, dangerous occurrence or exposure to hazardous substances occurs "
                "in teaching or research laboratories, workshops or during fieldwork and offshore "
                "or overseas travel, because risk assessments, training or supervision are "
                "inadequate."
            ),
            consequence=(
                "Harm to staff, students or visitors, RIDDOR reporting, Health and Safety "
                "Executive enforcement or prosecution, and reputational damage."
            ),
            category="Health and Safety",
            objectives=["R", "O"],
            owner="vp-people",
            manager="head-hsw",
            inherent=[4, 6],  # 24
            current=[2, 6],  # 12, within threshold 13
            response="Treat",
            controls=[
                _control(
                    "Health and safety management system with School safety coordinators "
                    "and annual School safety audits.",
                    "head-hsw",
                    "effective",
                    "Annual health and safety report to Court.",
                ),
                _control(
                    "Fieldwork and travel risk assessment and approval procedure.",
                    "head-hsw",
                    "partially_effective",
                    "Audit sample found incomplete assessments for postgraduate fieldwork.",
                ),
                _control(
                    "Employer's and public liability insurance.", "director-finance", "effective"
                ),
            ],
            actions=[
                _action(
                    "Introduce an online fieldwork risk-assessment and approval workflow.",
                    "head-hsw",
                    "2026-09-30",
                    "in_progress",
                    "high",
                    "medium",
                    "Pilot in two Schools; roll-out delayed by system procurement.",
                ),
                _action(
                    "Deliver refresher training for laboratory supervisors on hazardous "
                    "substances (COSHH).",
                    "head-hsw",
                    "2027-02-28",
                    "not_started",
                    "medium",
                    "low",
                ),
            ],
        ),
        _risk(
            ref="SRR05",
            title="Illustrative: Estate and digital infrastructure unable to support University "
            "activity",
            description=(
                "A growing backlog of estate maintenance, ageing plant and legacy IT systems, "
                "together with the cost of meeting net-zero targets, means buildings or core "
                "systems fail, or a cyber attack disables critical services."
            ),
            consequence=(
                "Loss of teaching and research space or systems, data loss, regulatory action by "
                "the Information Commissioner, unplanned expenditure and failure to meet the "
                "University's climate commitments."
            ),
            category="Infrastructure Sustainability",
            objectives=["O", "S"],
            owner="senior-vp",
            manager="director-estates",
            leads=["director-dis"],
            inherent=[5, 5],  # 25
            current=[3, 6],  # 18, above threshold 17: breach
            response="Treat",
            controls=[
                _control(
                    "Planned preventive maintenance programme prioritised by building "
                    "condition survey.",
                    "director-estates",
                    "partially_effective",
                    "Backlog rising faster than the maintenance budget.",
                ),
                _control(
                    "Cyber security controls: multi-factor authentication, patching, "
                    "offline backups and a Cyber Essentials Plus certified environment.",
                    "director-dis",
                    "partially_effective",
                    "Penetration test identified legacy systems outwith the certified scope.",
                ),
                _control(
                    "Business continuity and IT disaster recovery plans, tested annually.",
                    "director-dis",
                    "partially_effective",
                ),
            ],
            actions=[
                _action(
                    "Approve a ten-year estate strategy with a funded backlog-reduction plan.",
                    "director-estates",
                    "2026-06-30",
                    "in_progress",
                    "high",
                    "high",
                    "Draft strategy awaiting Operating Board; date missed.",
                ),
                _action(
                    "Decommission or isolate the remaining legacy systems identified by the "
                    "penetration test.",
                    "director-dis",
                    "2027-03-31",
                    "in_progress",
                    "high",
                    "high",
                ),
                _action(
                    "Run a cyber incident exercise with the University Management Group.",
                    "director-dis",
                    "2026-03-31",
                    "completed",
                    "medium",
                    "low",
                    "Exercise held; lessons fed into the recovery plan.",
                ),
            ],
        ),
        # Demo case: Current equals Initial, against section 4.4's rule that the Current score
        # should always be lower. Within threshold 18.
        _risk(
            ref="SRR06",
            title="Illustrative: Failure of an overseas transnational education partnership",
            description=(
                "An overseas campus or transnational education partnership under-recruits, fails "
                "academic quality review or is disrupted by changes in the partner country's "
                "regulation or political situation."
            ),
            consequence=(
                "Financial loss on the partnership, reputational damage overseas and with the "
                "Quality Assurance Agency, and obligations to teach out enrolled students."
            ),
            category="Internationalisation",
            objectives=["S", "F"],
            owner="vp-international",
            manager="director-international",
            inherent=[3, 5],  # 15
            current=[3, 5],  # 15: equal to the Initial score (demo of the warning)
            response="Tolerate",
            controls=[
                _control(
                    "Partnership agreements with break clauses and teach-out provisions.",
                    "director-international",
                    "effective",
                ),
                _control(
                    "Joint academic quality board with the partner, reporting to the "
                    "University Education Committee.",
                    "director-international",
                    "not_assessed",
                    "Scoring not yet revised to reflect the controls: re-assess at next review.",
                ),
            ],
            actions=[
                _action(
                    "Re-assess the Current Risk Score taking account of the controls in place "
                    "and record the evidence.",
                    "director-international",
                    "2026-12-31",
                    "not_started",
                    "medium",
                    "low",
                ),
            ],
        ),
        _risk(
            ref="SRR07",
            title="Illustrative: Research performance falls short in the next Research Excellence "
            "Framework",
            description=(
                "The University's submission to REF 2029 achieves a lower share of world-leading "
                "outputs and impact than planned, and competitive research grant income falls."
            ),
            consequence=(
                "Loss of Research Excellence Grant from the Scottish Funding Council, fall in "
                "league-table position and difficulty attracting research staff and students."
            ),
            category="Research Performance and Impact",
            objectives=["S", "F"],
            owner="vp-research",
            manager="director-research",
            inherent=[4, 5],  # 20
            current=[3, 5],  # 15, within threshold 18
            response="Treat",
            controls=[
                _control(
                    "Annual internal review of outputs and impact case studies by School "
                    "REF panels with external readers.",
                    "director-research",
                    "effective",
                ),
                _control(
                    "Research Policy Committee oversight of the Research Risk Register.",
                    "vp-research",
                    "effective",
                ),
            ],
            actions=[
                _action(
                    "Complete the mock REF exercise and feed results into staff research plans.",
                    "director-research",
                    "2026-11-30",
                    "in_progress",
                    "high",
                    "medium",
                ),
                _action(
                    "Fund impact officers in the three Schools with the weakest impact pipeline.",
                    "director-research",
                    "2027-01-31",
                    "not_started",
                    "medium",
                    "medium",
                ),
            ],
        ),
        _risk(
            ref="SRR08",
            title="Illustrative: Inability to recruit and retain high-quality staff in key "
            "disciplines",
            description=(
                "Salary competition from industry and other universities, the cost of living in "
                "Aberdeen and uncertainty over pensions and immigration rules make it hard to "
                "recruit and keep staff in key academic disciplines and professional roles."
            ),
            consequence=(
                "Programmes and research groups become unsustainable, workloads and sickness "
                "absence rise and strategic objectives are missed."
            ),
            category="Staff Recruitment and Retention",
            objectives=["O", "S"],
            owner="vp-people",
            manager="director-people",
            inherent=[5, 5],  # 25
            current=[4, 5],  # 20, above threshold 18: breach
            response="Treat",
            controls=[
                _control(
                    "Market supplements and a recruitment and retention payments policy.",
                    "director-people",
                    "partially_effective",
                ),
                _control(
                    "Workforce planning in School and Professional Services plans.",
                    "director-planning",
                    "partially_effective",
                    "Plans do not yet identify hard-to-fill roles consistently.",
                ),
                _control(
                    "Exit interviews and staff survey analysed by People committee.",
                    "director-people",
                    "effective",
                ),
            ],
            actions=[
                _action(
                    "Launch a targeted international recruitment campaign for "
                    "hard-to-fill academic posts.",
                    "director-people",
                    "2026-05-31",
                    "in_progress",
                    "high",
                    "medium",
                    "Campaign delayed by visa policy changes; now due to close late.",
                ),
                _action(
                    "Introduce a workload allocation model across all Schools.",
                    "director-people",
                    "2027-08-31",
                    "in_progress",
                    "medium",
                    "high",
                ),
            ],
        ),
        _risk(
            ref="SRR09",
            title="Illustrative: Decline in student satisfaction and wellbeing",
            description=(
                "Students' experience of teaching, assessment and feedback and of support "
                "services deteriorates, and demand for mental health support outstrips capacity."
            ),
            consequence=(
                "Lower National Student Survey results and league-table position, higher "
                "non-continuation, complaints to the Scottish Public Services Ombudsman and harm "
                "to students."
            ),
            category="Student Experience",
            objectives=["O", "S"],
            owner="vp-education",
            manager="director-student-life",
            inherent=[4, 5],  # 20
            current=[3, 4],  # 12, within threshold 20
            response="Treat",
            controls=[
                _control(
                    "Annual course monitoring with student-staff liaison committees.",
                    "vp-education",
                    "effective",
                ),
                _control(
                    "Student Support and counselling service with triage and external "
                    "out-of-hours provision.",
                    "director-student-life",
                    "partially_effective",
                    "Waiting times above target in peak weeks.",
                ),
            ],
            actions=[
                _action(
                    "Implement the assessment and feedback enhancement plan agreed with the "
                    "Students' Association.",
                    "vp-education",
                    "2027-06-30",
                    "in_progress",
                    "high",
                    "medium",
                ),
                _action(
                    "Adopt a whole-institution student mental health strategy.",
                    "director-student-life",
                    "2026-10-31",
                    "completed",
                    "high",
                    "medium",
                ),
            ],
        ),
        _risk(
            ref="SRR10",
            title="Illustrative: Failure to meet student recruitment targets",
            description=(
                "Intakes of funded Scottish students, rest-of-UK students and postgraduate taught "
                "students fall below target because of demographic change, competition and "
                "changes to student visa rules."
            ),
            consequence=(
                "Loss of fee income, clawback of Scottish Funding Council funded places and "
                "under-use of teaching capacity."
            ),
            category="Student Recruitment",
            objectives=["F", "S"],
            owner="vp-education",
            manager="head-admissions",
            leads=["director-international"],
            inherent=[5, 5],  # 25
            current=[3, 5],  # 15, within threshold 18
            response="Treat",
            controls=[
                _control(
                    "Recruitment targets set in the planning round and monitored weekly "
                    "during the admissions cycle.",
                    "head-admissions",
                    "effective",
                ),
                _control(
                    "Diversified international agent network and country plans.",
                    "director-international",
                    "partially_effective",
                ),
            ],
            actions=[
                _action(
                    "Review the postgraduate taught portfolio and close programmes below "
                    "viable intake.",
                    "head-admissions",
                    "2027-03-31",
                    "not_started",
                    "medium",
                    "high",
                ),
                _action(
                    "Expand widening-access articulation agreements with colleges.",
                    "head-admissions",
                    "2026-08-31",
                    "completed",
                    "medium",
                    "low",
                ),
            ],
        ),
        # ---------------------------------------------------------------- Business School
        _risk(
            register="business-school",
            ref="BS01",
            title="Illustrative: Shortfall in international postgraduate taught recruitment",
            description=(
                "Recruitment to the School's MSc programmes depends on a small number of "
                "countries; a change in visa policy or in one market leaves intakes below target."
            ),
            consequence="Shortfall against the School's income target in the School Plan.",
            category="Student Recruitment",
            objectives=["F"],
            owner="bs-head",
            manager="bs-pgt-director",
            inherent=[5, 5],  # 25
            current=[3, 5],  # 15, within the Student Recruitment baseline 18
            response="Treat",
            controls=[
                _control(
                    "Weekly application and deposit monitoring against target.",
                    "bs-school-admin",
                    "effective",
                ),
                _control(
                    "Country recruitment plans agreed with the International Recruitment team.",
                    "bs-pgt-director",
                    "partially_effective",
                ),
            ],
            actions=[
                _action(
                    "Launch a January-start intake for two MSc programmes.",
                    "bs-pgt-director",
                    "2027-01-31",
                    "in_progress",
                    "high",
                    "medium",
                ),
            ],
        ),
        _risk(
            register="business-school",
            ref="BS02",
            title="Illustrative: Quality failure at an overseas partner delivering a franchised "
            "programme",
            description=(
                "An overseas partner delivering a franchised Business School degree does not meet "
                "the University's quality assurance requirements."
            ),
            consequence=(
                "Risk to academic standards, to the University's award and to professional "
                "accreditation of the School's programmes."
            ),
            category="Governance and Core Business",
            objectives=["R"],
            owner="bs-head",
            manager="bs-quality-lead",
            inherent=[4, 5],  # 20
            current=[2, 5],  # 10, within the Governance baseline 13
            response="Terminate",
            controls=[
                _control(
                    "Annual programme monitoring and external examiner reports for the partner.",
                    "bs-quality-lead",
                    "effective",
                ),
                _control(
                    "Recruitment to the franchised programme suspended.", "bs-head", "effective"
                ),
            ],
            actions=[
                _action(
                    "Withdraw from the partnership after teaching out the current cohort.",
                    "bs-head",
                    "2027-07-31",
                    "in_progress",
                    "high",
                    "medium",
                ),
            ],
        ),
        # ---------------------------------------------------------------- Capital project
        _risk(
            register="new-teaching-hub-project",
            ref="PRJ01",
            title="Illustrative: Construction cost overrun against the project budget",
            description=(
                "Construction inflation and design changes push the out-turn cost above the "
                "approved budget. Impact is scored against the project budget (section 4.3.2): "
                "a projected overrun above 10% is Severe (6), 6-10% Major (5), 5% Highly "
                "Significant (4)."
            ),
            consequence=("Additional capital required from University reserves, or scope reduced."),
            category="Financial Sustainability",
            objectives=["F"],
            owner="project-sponsor",
            manager="project-manager",
            leads=["cost-consultant"],
            inherent=[4, 6],  # 24: overrun above 10% possible without controls
            current=[3, 5],  # 15: projected overrun now 6-10%; within baseline 17
            response="Transfer",
            controls=[
                _control(
                    "Two-stage design-and-build contract with a guaranteed maximum price "
                    "transferring construction cost risk to the contractor.",
                    "project-manager",
                    "effective",
                ),
                _control(
                    "Monthly cost report to the Project Board with a managed contingency.",
                    "cost-consultant",
                    "effective",
                ),
            ],
            actions=[
                _action(
                    "Agree the guaranteed maximum price before the main works start.",
                    "project-manager",
                    "2026-06-30",
                    "completed",
                    "high",
                    "high",
                ),
                _action(
                    "Value-engineering review of fit-out packages.",
                    "cost-consultant",
                    "2026-12-31",
                    "in_progress",
                    "medium",
                    "medium",
                ),
            ],
        ),
        _risk(
            register="new-teaching-hub-project",
            ref="PRJ02",
            title="Illustrative: Building not ready for the start of the academic session",
            description=(
                "Delays in construction, commissioning or IT fit-out mean the building is not "
                "handed over in time for teaching to be timetabled in it."
            ),
            consequence=(
                "Teaching relocated to temporary space, poorer student experience and additional "
                "cost."
            ),
            category="Student Experience",
            objectives=["O"],
            owner="project-sponsor",
            manager="project-manager",
            inherent=[4, 5],  # 20
            current=[3, 4],  # 12, within baseline 20
            response="Treat",
            controls=[
                _control(
                    "Programme with float to the handover date, reviewed at each Project Board.",
                    "project-manager",
                    "partially_effective",
                ),
                _control(
                    "Contingency timetable using existing teaching space.",
                    "project-sponsor",
                    "effective",
                ),
            ],
            actions=[
                _action(
                    "Agree early access for IT and audio-visual fit-out with the contractor.",
                    "project-manager",
                    "2027-02-28",
                    "not_started",
                    "high",
                    "medium",
                ),
            ],
        ),
    ],
}
