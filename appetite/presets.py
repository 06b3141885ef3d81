"""Default appetite levels. Orange Book (HM Treasury, 2020 risk appetite guidance) for most
organisations; Aberdeen's Tables 1 and 4, with the score range each level tolerates."""

ORANGE_BOOK = [
    {
        "name": "Averse",
        "description": "Avoidance of risk and uncertainty is a key objective.",
        "min_score": None,
        "max_score": None,
    },
    {
        "name": "Minimal",
        "description": "Preference for very safe options that have a low degree "
        "of inherent risk and only limited potential for reward.",
        "min_score": None,
        "max_score": None,
    },
    {
        "name": "Cautious",
        "description": "Preference for safe options that have a low degree of "
        "inherent risk and may only have limited potential for reward.",
        "min_score": None,
        "max_score": None,
    },
    {
        "name": "Open",
        "description": "Willing to consider all options and choose the one most "
        "likely to result in successful delivery, while providing an acceptable level of reward.",
        "min_score": None,
        "max_score": None,
    },
    {
        "name": "Eager",
        "description": "Eager to be innovative and to choose options based on "
        "potential higher rewards despite greater inherent risk.",
        "min_score": None,
        "max_score": None,
    },
]

ABERDEEN = [
    {
        "name": "Avoid",
        "description": "No appetite; not prepared to accept any level of risk.",
        "min_score": 1,
        "max_score": 6,
    },
    {
        "name": "Averse",
        "description": "Prepared to accept only low levels of risk, with a "
        "preference for very safe or prudent options, even if these carry potential for only very "
        "limited return.",
        "min_score": 7,
        "max_score": 12,
    },
    {
        "name": "Moderate",
        "description": "A tendency to accept low or moderate levels of risk in "
        "order to achieve objectives; a more ambitious outlook, albeit still relatively prudent.",
        "min_score": 13,
        "max_score": 19,
    },
    {
        "name": "Open",
        "description": "Willing to consider all options/actions/activities to achieve "
        "objectives, even where there are elevated levels of associated risk.",
        "min_score": 20,
        "max_score": 26,
    },
    {
        "name": "High",
        "description": "Eager to pursue original, creative, pioneering "
        "options/activities to achieve objectives, and to accept substantial risks in order to "
        "achieve successful outcomes and significant rewards.",
        "min_score": 27,
        "max_score": 36,
    },
]

APPETITE_PRESETS = {"orange_book": ORANGE_BOOK, "aberdeen": ABERDEEN}
