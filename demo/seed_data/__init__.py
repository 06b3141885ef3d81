"""Demo data transcribed from the source documents in ``../shared/seeds``.

Each module (``mopac``, ``met``, ``wmp``, ``aberdeen``, ``espo``) defines one constant, ``ORGANISATION``,
a plain dict read by ``demo.seeding``. Nothing here imports Django: it is data.

Format (keys not marked optional are required)::

    ORGANISATION = {
        "slug": "mopac",
        "name": "Mayor's Office for Policing and Crime",
        "short_name": "MOPAC",
        "scheme": "mopac-3x3",            # a preset key from scoring/presets/ (see below)
        "source": "MPS-MOPAC Joint Audit Panel paper, 28 March 2022",
        "panel_name": "MPS-MOPAC Joint Audit Panel",
        "response_options": ["Treat", "Tolerate", "Transfer", "Terminate"],
        "quarter_end_months": [3, 6, 9, 12],
        "committee_months": [3, 10],       # months of the bi-annual (or annual) committee
        "default_review_months": 3,        # when neither band, register nor risk says otherwise
        "appetite_levels": "orange_book", # or "aberdeen"
        "categories": [{"name": "Strategic", "description": "..."}],
        "objectives": [{"code": "P1", "name": "...", "description": ""}],
        "appetite_statements": [          # optional; category None = organisation-wide default
            {"category": "Financial Sustainability", "level": "Moderate",
             "tolerance": 17, "warning": None, "rationale": "Table 5"},
        ],
        "people": [                        # demo users; owners named only by post get a job title
            {"key": "cfo", "name": "MOPAC Chief Finance Officer", "job_title": "CFO",
             "email": "cfo@mopac.demo"},
        ],
        "registers": [
            {"slug": "corporate", "name": "Corporate risk register", "level": "corporate",
             "parent": None, "review_months": None, "scheme": None,
             "description": "optional"},
        ],
        "risks": [
            {
                "register": "corporate", "ref": "1", "title": "...", "description": "...",
                "consequence": "", "category": "Strategic", "objectives": ["P1"],
                "owner": "cfo", "manager": None, "leads": ["head-finance"],
                "horizon": "",                # "", "short" or "long"
                "kind": "threat",             # or "opportunity"
                "inherent": None,             # or [likelihood, impact]: value, code or label
                "current": ["M", "H"],
                "target": ["L", "M"],
                "back_from": None,            # optional, illustrative registers only (ESPO,
                                              # Aberdeen's strategic): the position eight
                                              # quarters back (demo.back_history)
                "response": "",
                "status": "open",             # "open" or "closed"
                "closed_reason": "",
                "progress": "",               # "", "on_track", "limited", "slipped", "no_progress"
                "marking": "OFFICIAL",        # or "OFFICIAL-SENSITIVE"
                "reported_trend": [],         # as published, e.g. [["Q1 2021/22", "new"], ["Q2", "level"]]
                "source_note": "",           # what was read or inferred, and where
                "illustrative": False,        # True where the source gives no real risk
                "controls": [
                    {"description": "...", "owner": None, "effectiveness": "not_assessed",
                     # effective, partially_effective, ineffective, not_assessed
                     "assurance": ""},
                ],
                "actions": [
                    {"description": "...", "owner": None, "due": None,  # "2022-03-31" or None
                     "status": "in_progress",  # not_started, in_progress, completed, cancelled
                     "priority": "", "difficulty": "",  # "", "low", "medium", "high"
                     "progress_note": ""},
                ],
            },
        ],
    }

Level codes: ``met-4x4`` and ``wmp-4x4`` use L, M, H, VH (Low, Medium, High, Very high) on both
axes; ``mopac-3x3`` uses L, M, H; ``espo-5x5`` likelihood VL, L, M, H, VH and impact I, MI, MO, S, VS;
``aberdeen-6x6`` uses the values 1 to 6. Owners, managers, leads and action/control owners are
``people`` keys.

Preset scheme keys: ``espo-5x5``, ``aberdeen-6x6``, ``met-4x4`` (L/M/H/VH, "M v H"),
``mopac-3x3`` (L/M/H), ``wmp-4x4`` (residual rating Low/Medium/High/Critical).
"""
