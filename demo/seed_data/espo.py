"""ESPO: demo data from the Risk Management Statement: Policy, Guidance and Register (v1a, 2012).

Source: ``/work/shared/seeds/004_7f4538433709ac6d.txt``.

What is transcribed from the statement:

* Scoring: 5 x 5, impact 1 Insignificant (I), 2 Minor (MI), 3 Moderate (MO), 4 Serious (S),
  5 Very Serious (VS); likelihood 1 Very Low (VL, 2%), 2 Low (L, 5%), 3 Medium (M, 10%),
  4 High (H, 20%), 5 Very High (VH, 50%); product 1 to 25; preset ``espo-5x5``. Bands Low 1-6,
  Medium 8-12, High 14-20, Very high over 20 (the statement also says "20 or above" once; we read
  20 as High, so only 25 is Very high on this grid).
* Appetite: one organisation-wide statement. The tolerance is verbatim ("The risk tolerance
  threshold score has been set at 10 or less"). The statement uses no Orange Book level; "Cautious"
  is our reading of its "conservative and prudent" approach. No early-warning score: ``warning``
  is None.
* Responses: the six the statement lists under "Range of responses (controls) to a risk":
  Reduce, Accept, Transfer, Terminate, Contingency, Prevent.
* Gross (raw) risk is stored as ``inherent``, net (residual) risk as ``current``.
* Categories: the impact guide's table has the columns "Severity descriptors", "Possible
  consequences" and "Examples"; its consequence bullets are in four areas (financial impact as a
  share of turnover, regulatory consequence, adverse publicity, injury) and its examples add service
  delivery (IT failure, the warehouse stopping, closure of part of the business) and staff (staff
  shortages, failure to recruit, wrongful dismissal). Those give the five categories below; the
  statement's "Staff: impact on them" criterion is folded into "People and Health and Safety".
* Reporting: the Director reports the Corporate Risk Register to the Management Committee in March
  each year, and the Annual Governance Statement (June Committee) reviews risk management, hence
  committee months 3 and 6. SMT reviews the register quarterly; the default review period is the
  annual review the statement gives for low and medium risks (12 months).
* Risk indicators ("warning lights") are named in the risk description and become key risk
  indicators (issue 18), their description the statement's words. Their units, thresholds and
  monthly (or quarterly) readings over the last nine months are NOT in the source: they are
  illustrative, chosen to show a trend (one rising to red, one falling, one stale), and labelled
  so wherever they show.

Back history (issue 18, ``demo.back_history``): eight quarters of illustrative quarterly
reviews before each risk's first record, moving toward its net score: from halfway between gross
and net (controls taking effect), or from ``back_from`` for the four risks whose indicators say
the risk has been rising (ESPO-01, ESPO-02, ESPO-07, ESPO-08). Labelled illustrative in history
and in each review's note.

What is NOT in the source: the statement publishes no register. The eight risks are illustrative
(``"illustrative": True``, titles starting "Illustrative: "), drawn from the impact guide's
examples. Net scores cover every band: Low (ESPO-04 5, ESPO-06 6), Medium (ESPO-01 9, ESPO-02 8,
ESPO-03 12), High (ESPO-05 16, ESPO-07 15) and Very high (ESPO-08 25). Four net scores exceed the
tolerance of 10 (ESPO-03, ESPO-05, ESPO-07, ESPO-08), so breaches show; those four carry a target
at or below 10, as the statement says responses "should bring the most serious risks below the risk
tolerance thresholds". ESPO-08 is an external risk whose net score equals its gross score (controls
cannot change the likelihood of public-sector spending cuts). The statement has no list of
objectives, so ``objectives`` is empty. Owners are SMT posts (the statement: "All Risk owners for
those risks that affect the whole organisation will be the Senior Management Team").
"""

SOURCE_NOTE = (
    "Illustrative: drawn from ESPO's Size of Risk impact guide (2012); the statement publishes no "
    "register."
)


def _person(key, post):
    return {"key": key, "name": f"{post} (demo)", "job_title": post, "email": f"{key}@espo.demo"}


def _risk(**fields):
    """A risk with the defaults every illustrative ESPO risk shares."""
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
        "response": "Reduce",
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


def _indicator(description, owner=None, **kri):
    """A key risk indicator (illustrative): ``kri`` holds its name, unit, direction, amber and
    red thresholds, frequency, readings (oldest first) and how many periods ago the last one was
    taken (``last``, 0 for this month)."""
    return {
        "indicator": {
            "name": kri["name"],
            "description": f"Indicator: {description}",
            "unit": kri.get("unit", ""),
            "direction": kri.get("direction", "higher_worse"),
            "amber_from": kri["amber"],
            "red_from": kri["red"],
            "frequency": kri.get("frequency", "monthly"),
            "readings": kri["readings"],
            "last": kri.get("last", 0),
        },
        "owner": owner,
    }


def _action(description, owner, due, status, progress_note=""):
    return {
        "description": description,
        "owner": owner,
        "due": due,
        "status": status,
        "priority": "",
        "difficulty": "",
        "progress_note": progress_note,
    }


ORGANISATION = {
    "slug": "espo",
    "name": "Eastern Shires Purchasing Organisation",
    "short_name": "ESPO",
    "scheme": "espo-5x5",
    "source": "ESPO Risk Management Statement: Policy, Guidance and Register (v1a, February 2012)",
    "panel_name": "Management Committee",
    "response_options": ["Reduce", "Accept", "Transfer", "Terminate", "Contingency", "Prevent"],
    "quarter_end_months": [3, 6, 9, 12],
    # March: annual report on the Corporate Risk Register; June: Annual Governance Statement.
    "committee_months": [3, 6],
    # ESPO's committee papers rank the strategic risks by score, highest first.
    "pack_order": "score",
    "default_review_months": 12,
    "appetite_levels": "orange_book",
    "categories": [
        {
            "name": "Financial",
            "description": "Impact guide: financial impact as a share of total turnover (under "
            "0.5% Minor; up to 2% Moderate; over 2% in a year Serious; over 2% for "
            "consecutive years Very serious).",
        },
        {
            "name": "Regulatory",
            "description": "Impact guide: regulatory consequence (none, limited, significant, "
            "substantial); includes compliance with procurement legislation.",
        },
        {
            "name": "Reputational",
            "description": "Impact guide: adverse publicity (minor; local or limited; negative "
            "national headlines; sustained negative regional or national headlines).",
        },
        {
            "name": "People and Health and Safety",
            "description": "Impact guide: injury (minor reversible to multiple irreversible injury or "
            "death) and staff examples (staff shortages, failure to recruit, "
            "employment claims).",
        },
        {
            "name": "Service Delivery",
            "description": "Impact guide examples: IT systems failure, the warehouse unable to "
            "function, closure of a major part of the business.",
        },
    ],
    "objectives": [],
    "appetite_statements": [
        {
            "category": None,
            "level": "Cautious",
            "tolerance": 10,
            "warning": None,
            "rationale": (
                '"The risk tolerance threshold score has been set at 10 or less. The exact meaning '
                "of this value is somewhat subjective and this is to be reviewed annually to assess "
                'whether it is appropriate as a methodology to highlight the key risk areas." '
                "(Risk Management Guide, Implement responses.) The level Cautious is our reading of "
                'the statement\'s "conservative and prudent" approach; the statement names no '
                "appetite level."
            ),
        },
    ],
    "people": [
        # Senior Management Team (risk owners).
        _person("director", "Director"),
        _person("ad-operations", "Assistant Director – Operations"),
        _person("ad-procurement", "Assistant Director – Procurement"),
        _person("finance-manager", "Finance Manager"),
        # Managers and action owners.
        _person("warehouse-manager", "Warehouse Manager"),
        _person("transport-manager", "Transport Manager"),
        _person("it-manager", "IT Manager"),
        _person("hr-manager", "HR Manager"),
        _person("group-buyer", "Group Buyer"),
        _person("risk-coordinator", "Risk Co-ordinator"),
    ],
    "registers": [
        {
            "slug": "corporate",
            "name": "ESPO corporate risk register",
            "level": "corporate",
            "parent": None,
            "review_months": None,
            "scheme": None,
            "description": (
                "Corporate Risk Register: appraised each December/January and presented to the March "
                "Management Committee; reviewed quarterly by SMT. Risks here are illustrative."
            ),
        },
    ],
    "risks": [
        _risk(
            ref="ESPO-01",
            title="Illustrative: Loss of a major contract",
            description=(
                "A major framework or managed-service contract is lost at re-tender or terminated "
                "by the customer (impact guide example at Moderate). Indicators: contract spend "
                "against forecast; customer satisfaction scores; contracts due for re-tender "
                "within 18 months."
            ),
            consequence="Financial loss up to 2% of total turnover in a year.",
            category="Financial",
            owner="ad-procurement",
            manager="group-buyer",
            inherent=["H", "MO"],  # 4 x 3 = 12 Medium
            current=["M", "MO"],  # 3 x 3 = 9 Medium
            back_from=["L", "MO"],  # 6 Low: rising with contract spend below forecast
            response="Reduce",
            controls=[
                _control(
                    "Account management and quarterly reviews with major customers.",
                    "group-buyer",
                    "effective",
                ),
                _control(
                    "Business case process weighing reward and risk before contract award "
                    "(Pre-Procurement Panel and Panel).",
                    "ad-procurement",
                    "effective",
                ),
                _indicator(
                    "contract spend against forecast, reported monthly.",
                    "finance-manager",
                    name="Contract spend below forecast",
                    unit="%",
                    amber="5",
                    red="10",
                    readings=["3", "4", "4", "6", "7", "6", "8", "9", "11"],
                ),
            ],
            actions=[
                _action(
                    "Start re-tender planning 18 months before expiry of each major contract.",
                    "group-buyer",
                    "2026-09-30",
                    "completed",
                ),
            ],
        ),
        _risk(
            ref="ESPO-02",
            title="Illustrative: Loss of member confidence leads a member authority to leave the "
            "consortium",
            description=(
                "Dissatisfaction with service or governance, or adverse publicity, leads a member "
                "authority to leave the consortium (impact guide example at Serious). Indicators: "
                "member spend through ESPO; issues raised at the Chief Officer Group."
            ),
            consequence=(
                "Loss of turnover and of the member's share of surplus; negative headlines in the "
                "trade or national press."
            ),
            category="Reputational",
            owner="director",
            manager="risk-coordinator",
            inherent=["M", "S"],  # 3 x 4 = 12 Medium
            current=["L", "S"],  # 2 x 4 = 8 Medium
            back_from=["VL", "S"],  # 4 Low: rising as member spend slips
            response="Prevent",
            controls=[
                _control(
                    "Regular meetings of the Chief Officer Group with senior management.",
                    "director",
                    "effective",
                ),
                _control(
                    "Annual report to the Management Committee on performance and risk.",
                    "director",
                    "effective",
                ),
                _indicator(
                    "share of each member authority's spend placed through ESPO.",
                    "finance-manager",
                    name="Member spend placed through ESPO",
                    unit="%",
                    direction="higher_better",
                    amber="60",
                    red="50",
                    readings=["68", "67", "66", "64", "63", "61", "60", "59", "58"],
                ),
            ],
            actions=[
                _action(
                    "Agree a member engagement plan with each member authority.",
                    "director",
                    "2027-03-31",
                    "in_progress",
                ),
            ],
        ),
        _risk(
            ref="ESPO-03",
            title="Illustrative: ESPO IT systems fail completely and cannot be recovered",
            description=(
                "Failure of the ordering, warehouse management or finance systems, from hardware "
                "failure or a cyber attack, with no timely recovery (impact guide example at "
                "Serious). Indicators: unplanned system downtime; failed backup or restore tests."
            ),
            consequence=(
                "Orders cannot be taken or picked; loss of sales and customer confidence."
            ),
            category="Service Delivery",
            owner="ad-operations",
            manager="it-manager",
            inherent=["H", "S"],  # 4 x 4 = 16 High
            current=["M", "S"],  # 3 x 4 = 12 Medium, above tolerance 10
            target=["L", "S"],  # 2 x 4 = 8
            response="Contingency",
            controls=[
                _control("Nightly backups held off site.", "it-manager", "effective"),
                _control(
                    "Business continuity plan including manual ordering procedures.",
                    "ad-operations",
                    "partially_effective",
                    "Not tested against a full loss of the warehouse management system.",
                ),
                _indicator(
                    "unplanned system downtime hours per month; failed restore tests.",
                    "it-manager",
                    name="Unplanned system downtime",
                    unit="hours",
                    amber="4",
                    red="8",
                    readings=["6", "5", "7", "3", "2", "4", "2", "1", "2"],
                ),
            ],
            actions=[
                _action(
                    "Test full recovery of the warehouse management system at the standby site.",
                    "it-manager",
                    "2026-06-30",
                    "in_progress",
                    "Test slipped; supplier availability.",
                ),
                _action(
                    "Procure a replacement for the unsupported order-processing server.",
                    "it-manager",
                    "2027-03-31",
                    "not_started",
                ),
            ],
        ),
        _risk(
            ref="ESPO-04",
            title="Illustrative: Major fire at the warehouse and offices",
            description=(
                "A major buildings fire destroys stock and stops the warehouse (impact guide "
                "example at Very serious). Indicators: fire-alarm and sprinkler inspection "
                "results; housekeeping audit findings."
            ),
            consequence="Closure of a major part of the business; loss of stock and premises.",
            category="Service Delivery",
            owner="ad-operations",
            manager="warehouse-manager",
            inherent=["L", "VS"],  # 2 x 5 = 10 Medium
            current=["VL", "VS"],  # 1 x 5 = 5 Low
            response="Transfer",
            controls=[
                _control(
                    "Buildings, stock and business-interruption insurance.",
                    "finance-manager",
                    "effective",
                ),
                _control(
                    "Fire risk assessment, sprinklers, alarms and evacuation drills.",
                    "warehouse-manager",
                    "effective",
                ),
                _indicator(
                    "fire-alarm and sprinkler inspection results; housekeeping audit findings.",
                    "warehouse-manager",
                    name="Housekeeping audit findings",
                    unit="findings",
                    amber="3",
                    red="6",
                    readings=["5", "4", "4", "3", "2", "2", "1"],
                    last=2,  # not read for two months: stale
                ),
            ],
            actions=[
                _action(
                    "Review insurance cover against current stock values.",
                    "finance-manager",
                    "2027-01-31",
                    "not_started",
                ),
            ],
        ),
        _risk(
            ref="ESPO-05",
            title="Illustrative: Breach of procurement legislation leads to a successful legal "
            "challenge",
            description=(
                "A tender does not comply with procurement legislation (the statement's Legal "
                "category) and an unsuccessful bidder challenges the award. Indicators: number of "
                "clarification questions and challenges received during standstill; procurement "
                "compliance checks failed."
            ),
            consequence=(
                "Significant regulatory consequence: contract award set aside, damages and legal "
                "costs, negative publicity."
            ),
            category="Regulatory",
            owner="ad-procurement",
            manager="group-buyer",
            inherent=["VH", "S"],  # 5 x 4 = 20 High
            current=["H", "S"],  # 4 x 4 = 16 High, above tolerance 10
            target=["L", "S"],  # 2 x 4 = 8
            response="Prevent",
            controls=[
                _control(
                    "Standard Operating Procedures and a library of standard tender documentation.",
                    "ad-procurement",
                    "partially_effective",
                    "Procedures not yet updated for the current procurement regulations.",
                ),
                _control(
                    "Pre-Procurement Panel and contract-award Panel review.",
                    "ad-procurement",
                    "effective",
                ),
                _indicator(
                    "challenges and standstill-period complaints received per quarter.",
                    "group-buyer",
                    name="Challenges and standstill complaints",
                    unit="a quarter",
                    amber="2",
                    red="4",
                    frequency="quarterly",
                    readings=["1", "2", "3", "2"],
                ),
            ],
            actions=[
                _action(
                    "Update Standard Operating Procedures and templates for the current "
                    "procurement regulations.",
                    "ad-procurement",
                    "2026-05-31",
                    "in_progress",
                    "Drafts complete; legal review outstanding.",
                ),
                _action(
                    "Procurement law refresher training for all Group and Senior Buyers.",
                    "hr-manager",
                    "2027-02-28",
                    "not_started",
                ),
            ],
        ),
        _risk(
            ref="ESPO-06",
            title="Illustrative: Staff injured in warehouse or transport operations",
            description=(
                "A member of staff is injured by vehicles, lifting equipment or manual handling in "
                "the warehouse or on deliveries (impact guide examples: staff injured due to "
                "negligence; major accident). Indicators: accident and near-miss statistics "
                "reviewed by the Health and Safety Committee."
            ),
            consequence="Injury to staff, enforcement action and claims.",
            category="People and Health and Safety",
            owner="ad-operations",
            manager="warehouse-manager",
            leads=["transport-manager"],
            inherent=["M", "VS"],  # 3 x 5 = 15 High
            current=["L", "MO"],  # 2 x 3 = 6 Low
            response="Prevent",
            controls=[
                _control(
                    "Quarterly Health and Safety Committee chaired by the Assistant "
                    "Director – Operations or the Warehouse Manager.",
                    "ad-operations",
                    "effective",
                ),
                _control(
                    "Safe systems of work, segregated pedestrian routes and certified "
                    "lift-truck training.",
                    "warehouse-manager",
                    "effective",
                ),
                _indicator(
                    "accident and near-miss rates and trends.",
                    "warehouse-manager",
                    name="Accidents and near misses",
                    unit="a month",
                    amber="5",
                    red="8",
                    readings=["9", "8", "7", "7", "6", "5", "5", "4", "4"],
                ),
            ],
            actions=[
                _action(
                    "Audit vehicle loading and delivery procedures.",
                    "transport-manager",
                    "2026-10-31",
                    "completed",
                ),
            ],
        ),
        _risk(
            ref="ESPO-07",
            title="Illustrative: Sustained failure to recruit and retain key staff",
            description=(
                "ESPO cannot recruit or keep experienced buyers and specialist staff, or staff "
                "shortages stop the warehouse functioning, for example in a pandemic (impact "
                "guide examples at Serious and Very serious). Indicators: vacancy and turnover "
                "rates; sickness absence; time to fill posts."
            ),
            consequence="Major loss of sales; procurement projects delayed or abandoned.",
            category="People and Health and Safety",
            owner="director",
            manager="hr-manager",
            inherent=["VH", "VS"],  # 5 x 5 = 25 Very high
            current=["M", "VS"],  # 3 x 5 = 15 High, above tolerance 10
            back_from=["L", "VS"],  # 10 Medium: rising with the vacancy rate
            target=["L", "VS"],  # 2 x 5 = 10
            response="Reduce",
            controls=[
                _control("Succession planning for key posts.", "hr-manager", "partially_effective"),
                _control(
                    "Pandemic and staff-shortage section of the business continuity plan.",
                    "ad-operations",
                    "partially_effective",
                ),
                _indicator(
                    "vacancy, turnover and sickness-absence rates, reported monthly.",
                    "hr-manager",
                    name="Staff vacancy rate",
                    unit="%",
                    amber="6",
                    red="9",
                    readings=["5", "5.5", "6", "6.5", "7", "7.5", "8", "8.5", "9.2"],
                ),
            ],
            actions=[
                _action(
                    "Introduce a buyer trainee scheme.", "hr-manager", "2027-09-30", "not_started"
                ),
                _action(
                    "Benchmark buyer pay against other purchasing consortia.",
                    "hr-manager",
                    "2026-04-30",
                    "in_progress",
                    "Survey data received late; report overdue.",
                ),
            ],
        ),
        _risk(
            ref="ESPO-08",
            title="Illustrative: Sustained fall in customer spending through public-sector "
            "budget reductions",
            description=(
                "Reductions in member authorities', schools' and other public bodies' budgets cut "
                "purchases through ESPO year after year (impact guide: financial loss, or loss of "
                "potential surplus, over 2% of turnover for consecutive years). External risk: "
                "controls cannot reduce its likelihood, so the net score equals the gross. "
                "Indicators: sales against budget; government spending announcements."
            ),
            consequence=(
                "Loss of surplus returned to members; a major savings programme needed to break "
                "even."
            ),
            category="Financial",
            owner="finance-manager",
            manager="risk-coordinator",
            inherent=["VH", "VS"],  # 5 x 5 = 25 Very high
            current=["VH", "VS"],  # 5 x 5 = 25 Very high, above tolerance 10
            back_from=["H", "VS"],  # 20 High: rising as sales fall behind budget
            target=["VH", "MI"],  # 5 x 2 = 10
            response="Contingency",
            controls=[
                _control(
                    "Business planning and budgeting with weekly/monthly monitoring of "
                    "sales targets.",
                    "finance-manager",
                    "effective",
                ),
                _control(
                    "Market intelligence on the external environment reported to SMT.",
                    "director",
                    "partially_effective",
                ),
                _indicator(
                    "sales against budget, weekly; government spending announcements.",
                    "finance-manager",
                    name="Sales against budget",
                    unit="% of budget",
                    direction="higher_better",
                    amber="97",
                    red="93",
                    readings=["101", "100", "99", "98", "98", "97", "96", "96", "95"],
                ),
            ],
            actions=[
                _action(
                    "Prepare a contingency savings plan to be triggered if sales fall more "
                    "than 5% below budget for two consecutive quarters.",
                    "finance-manager",
                    "2026-12-31",
                    "in_progress",
                ),
                _action(
                    "Develop new customer sectors to diversify income.",
                    "director",
                    "2027-06-30",
                    "in_progress",
                ),
            ],
        ),
    ],
}
