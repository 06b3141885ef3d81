"""The ``rag`` column (issue 15): a risk's red/amber/green status, worked out from its progress to
target, never stored (docs/decisions.md).

The Met's audit panel report (the seeds' 001 paper) gives each corporate risk a RAG status that
its owner and working leads assess with the road-to-target progress: "eight risks are reporting a
'green' status and on track ... two risks are reporting an 'amber' status" (the two whose progress
is Limited). So RAG is progress shown as a colour: On track is Green, Limited is Amber, Slipped and
No progress are Red, and a risk whose progress is not assessed has none. It is not the band's
colour: the band is the engine's, from the current rating, and is in ``current_band``.

Export writes it; import reads it only to check it against the progress the row will leave: a RAG
that disagrees is a row problem (change progress instead), never a silent change.
"""

from __future__ import annotations

from registers.models import Progress

from .values import fold

GREEN, AMBER, RED = "Green", "Amber", "Red"
RAG_OF_PROGRESS = {
    Progress.ON_TRACK: GREEN,
    Progress.LIMITED: AMBER,
    Progress.SLIPPED: RED,
    Progress.NO_PROGRESS: RED,
}
_NAMES = {"green": GREEN, "g": GREEN, "amber": AMBER, "a": AMBER, "red": RED, "r": RED}

NOT_A_RAG = "{text!r} is not a RAG status; use Red, Amber or Green (or leave it blank)"
NO_PROGRESS_FOR_RAG = (
    "RAG is worked out from progress, which is not assessed for this risk: give progress "
    "instead (On track is Green, Limited is Amber, Slipped or No progress is Red), or leave rag blank"
)
RAG_DISAGREES = (
    "{given} does not agree with progress {progress} ({worked_out}): RAG is worked out from "
    "progress, so change progress instead ({hint}), or leave rag blank"
)
_HINT = {
    GREEN: "On track is Green",
    AMBER: "Limited is Amber",
    RED: "Slipped or No progress is Red",
}


def rag_for(progress: str) -> str:
    """The RAG status of a progress value ("" when progress is not assessed)."""
    return RAG_OF_PROGRESS.get(progress, "")


def rag_problem(text: str, progress: str) -> str | None:
    """Why ``text`` (a rag cell) cannot stand beside ``progress`` (the value the row leaves), or
    None when it agrees."""
    given = _NAMES.get(fold(text))
    if given is None:
        return NOT_A_RAG.format(text=text)
    worked_out = rag_for(progress)
    if not worked_out:
        return NO_PROGRESS_FOR_RAG
    if given != worked_out:
        return RAG_DISAGREES.format(
            given=given,
            progress=Progress(progress).label,
            worked_out=worked_out,
            hint=_HINT[given],
        )
    return None
