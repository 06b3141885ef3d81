"""The Word (.docx) edition of a pack, rendered with python-docx from the same ``PackData`` as
the PDF, so it has the same sections and withholds exactly what the PDF withholds (the public
edition's data holds no OFFICIAL-SENSITIVE text to print).

Made for clerks who paste into their committee's own template: Word's built-in styles (Title,
Heading 1 for the sections, Heading 2 for each risk's action plan, Heading 3 within it, Caption
above each table) and real tables, never pictures of tables. A rating is its notation with the
band named ("12 (Medium)", "M v H (High)"), and its cell is shaded in the band's colour, so
colour is never the only signal. The marking is in every page's header and footer, as the
PDF's running header and footer carry it.
"""

from __future__ import annotations

import datetime as dt
import io

from django.utils.text import Truncator
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_ALIGN_VERTICAL, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import _Cell

from appetite.rules import AppetiteState
from registers.calendar import organisation_zone
from registers.selectors.heatmaps import text_on
from registers.services.pack_logo import Logo, logo_for_pack

from . import docx_indicators
from .data import AWAITING_SIGN_OFF, COMMITTEE, PackData, PackRisk, pack_data
from .docx_charts import chart_table, exposure_tables
from .layout import NO_UPDATE

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
GREY = RGBColor(0x50, 0x5A, 0x5F)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
INK = RGBColor(0x0B, 0x0C, 0x0C)
DASH = "—"


# --- small helpers ---------------------------------------------------------------------------


def _day(value) -> str:
    """ "31 March 2026" (the PDF's j F Y)."""
    return f"{value.day} {value:%B %Y}" if value else ""


def _short_day(value, zone=None) -> str:
    """ "31 Mar 2026" (the PDF's j M Y); a datetime is told in the organisation's zone."""
    if value is None:
        return DASH
    if isinstance(value, dt.datetime) and zone is not None:
        value = value.astimezone(zone)
    return f"{value.day} {value:%b %Y}"


def _person(user) -> str:
    if user is None:
        return DASH
    return user.get_full_name() or user.email


def _shade(cell, colour: str) -> None:
    """Fill a table cell with ``colour`` ("#d4351c")."""
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour.lstrip("#").upper())
    properties.append(shading)


def _repeat_header(row) -> None:
    """The table's heading row repeats at the top of each page the table runs onto."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _widths(table, widths: list) -> None:
    """Column widths in the table's grid (what LibreOffice and Word lay out by); each cell
    added later is given its column's width too (Word reads those)."""
    table._widths = widths
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width


def _run(
    text: str,
    *,
    bold=False,
    italic=False,
    underline=False,
    size: float | None = None,
    grey=False,
    colour: str | None = None,
    **_options,
):
    """A run (w:r) of ``text``, its line breaks kept, built as XML directly (python-docx's own
    run and font calls cost a tenth of a millisecond each: seconds for a 200-risk pack)."""
    run = OxmlElement("w:r")
    properties = []
    if bold:
        properties.append(OxmlElement("w:b"))
    if italic:
        properties.append(OxmlElement("w:i"))
    if grey or colour:
        element = OxmlElement("w:color")
        element.set(qn("w:val"), colour or "505A5F")
        properties.append(element)
    if size:
        element = OxmlElement("w:sz")
        element.set(qn("w:val"), str(round(size * 2)))
        properties.append(element)
    if underline:
        element = OxmlElement("w:u")
        element.set(qn("w:val"), "single")
        properties.append(element)
    if properties:
        run_properties = OxmlElement("w:rPr")
        run_properties.extend(properties)
        run.append(run_properties)
    for number, line in enumerate(str(text).split("\n")):
        if number:
            run.append(OxmlElement("w:br"))
        element = OxmlElement("w:t")
        element.text = line
        element.set(qn("xml:space"), "preserve")
        run.append(element)
    return run


def _cant_split(row) -> None:
    """A row is never split across pages (the PDF's rows are not either)."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _keep_with_next(paragraph) -> None:
    paragraph.paragraph_format.keep_with_next = True


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) Word fills in as it lays the pages out."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _logo_size(logo: Logo, max_width_mm: float, max_height_mm: float) -> tuple[Mm, Mm]:
    from PIL import Image  # imported late: only logos need it

    with Image.open(io.BytesIO(logo.content)) as image:
        width, height = image.size
    scale = min(max_width_mm / width, max_height_mm / height)
    return Mm(width * scale), Mm(height * scale)


class _Writer:
    """Appends the pack's parts to one Document."""

    def __init__(self, data: PackData, logo: Logo | None):
        self.data = data
        self.logo = logo
        self.zone = organisation_zone(data.organisation)
        self.doc = Document()
        self.style_ids: dict[str, str] = {}
        self._styles()

    # --- document frame ---

    def _styles(self) -> None:
        normal = self.doc.styles["Normal"]
        normal.font.name = "Arial"
        normal.font.size = Pt(10)
        for name, size in (("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11)):
            self.doc.styles[name].font.size = Pt(size)
        caption = self.doc.styles["Caption"]
        caption.font.size = Pt(9.5)
        caption.font.bold = True
        caption.font.italic = False
        caption.font.color.rgb = INK
        _keep_with_next(caption)

    def _page(self, section, *, landscape: bool = False) -> None:
        long, short = Mm(297), Mm(210)
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = (long, short) if landscape else (short, long)
        section.top_margin = section.bottom_margin = Mm(20)
        section.left_margin = section.right_margin = Mm(16 if not landscape else 14)
        section.header_distance = section.footer_distance = Mm(8)

    def frame(self) -> None:
        """A4, with the marking in the header and the footer of every page; the first page
        (the cover) has the marking without the running title."""
        data = self.data
        section = self.doc.sections[0]
        self._page(section)
        section.different_first_page_header_footer = True
        core = self.doc.core_properties
        core.title = f"{data.organisation.name} – {data.title} as at {_day(data.as_of)}"
        core.author = core.last_modified_by = data.organisation.name
        core.subject = f"{data.title}, {data.edition} edition"
        core.keywords = data.marking
        core.comments = ""
        core.created = core.modified = data.moment.astimezone(dt.UTC).replace(tzinfo=None)
        for header, running in ((section.header, True), (section.first_page_header, False)):
            self._header(header, running=running)
        for footer in (section.footer, section.first_page_footer):
            self._footer(footer)

    def _header(self, header, *, running: bool) -> None:
        marking = header.paragraphs[0]
        proof = getattr(self.data, "proof", None)
        if proof is not None and proof.draft:  # as the PDF's header says it, on every page
            run = marking.add_run("DRAFT – not released")
            run.bold = True
            run.font.size = Pt(9)
            run.font.color.rgb = RGBColor(0x94, 0x25, 0x14)
            marking.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            marking = header.add_paragraph()
        marking.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = marking.add_run(self.data.marking)
        run.bold = True
        run.font.size = Pt(8)
        if running:
            title = header.add_paragraph()
            if self.logo is not None:
                width, height = _logo_size(self.logo, 40, 7)
                title.add_run().add_picture(io.BytesIO(self.logo.content), width, height)
                title.add_run(" ")
                text = self.data.title
            else:
                text = f"{self.data.organisation.name} · {self.data.title}"
            run = title.add_run(text)
            run.font.size = Pt(8)
            run.font.color.rgb = GREY

    def _footer(self, footer) -> None:
        marking = footer.paragraphs[0]
        marking.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = marking.add_run(self.data.marking)
        run.bold = True
        run.font.size = Pt(8)
        line = footer.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        proof = getattr(self.data, "proof", None)  # a built pack's identifier and version
        stamp = (
            f"{proof.label}{' · DRAFT – not released' if proof.draft else ''} · " if proof else ""
        )
        run = line.add_run(
            f"{stamp}As at {_day(self.data.as_of)} · {self.data.edition.title()} edition · Page "
        )
        run.font.size = Pt(8)
        _field(line, "PAGE")
        line.add_run(" of ").font.size = Pt(8)
        _field(line, "NUMPAGES")

    def new_section(self, *, landscape: bool) -> None:
        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        self._page(section, landscape=landscape)
        section.different_first_page_header_footer = False

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # --- text ---

    def styled(self, name: str | None = None):
        """A new paragraph in a built-in style, its id looked up once (python-docx looks a
        style's name up among all styles on each use: seconds for a 200-risk pack)."""
        paragraph = self.doc.add_paragraph()
        if name:
            if name not in self.style_ids:
                self.style_ids[name] = self.doc.styles[name].style_id
            paragraph._p.style = self.style_ids[name]
        return paragraph

    def heading(self, text: str, level: int):
        paragraph = self.styled(f"Heading {level}")
        paragraph._p.append(_run(text))
        return paragraph

    def para(self, text: str = "", *, bold: bool = False, small: bool = False, style=None):
        paragraph = self.styled(style)
        if text:
            options = {"bold": bold}
            if small:
                options.update(size=8.5, grey=True)
            paragraph._p.append(_run(text, **options))
        return paragraph

    def note(self, text: str):
        paragraph = self.styled("Quote")
        paragraph._p.append(_run(text))
        return paragraph

    def labelled(self, pairs: list[tuple[str, str]]):
        """ "Owner: A · Leads: B" with the labels in bold."""
        paragraph = self.doc.add_paragraph()
        for number, (label, value) in enumerate(pairs):
            if number:
                paragraph._p.append(_run(" · "))
            paragraph._p.append(_run(f"{label}: ", bold=True))
            paragraph._p.append(_run(value))
        return paragraph

    # --- tables ---

    def table(self, caption: str, headings: list[str], widths: list[float]):
        """A table with a caption above it, a bold heading row that repeats on each page, and
        ``widths`` in millimetres."""
        if caption:
            self.para(caption, style="Caption")
        table = self.doc.add_table(rows=1, cols=len(headings))
        if "Table Grid" not in self.style_ids:
            self.style_ids["Table Grid"] = self.doc.styles["Table Grid"].style_id
        table._tbl.tblPr.style = self.style_ids["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        table.autofit = False
        _widths(table, [Mm(width) for width in widths])
        row = table.rows[0]
        _repeat_header(row)
        for cell, text, width in zip(row.cells, headings, table._widths, strict=True):
            cell.width = width
            self.fill(cell, [(text, {"bold": True})])
        return table

    def row(self, table, values: list) -> list:
        """A row of ``values``: each a string, or a list of (text, options) runs, or a callable
        given the cell to fill it itself. Built as XML directly: python-docx's own row and
        cell calls cost a millisecond a cell."""
        tr = table._tbl.add_tr()
        properties = OxmlElement("w:trPr")
        properties.append(OxmlElement("w:cantSplit"))  # never split across pages, as in the PDF
        tr.append(properties)
        cells = []
        for value, width in zip(values, table._widths, strict=True):
            tc = OxmlElement("w:tc")
            tc_properties = OxmlElement("w:tcPr")
            tc_width = OxmlElement("w:tcW")
            tc_width.set(qn("w:w"), str(int(width.twips)))
            tc_width.set(qn("w:type"), "dxa")
            tc_properties.append(tc_width)
            tc.append(tc_properties)
            tc.append(OxmlElement("w:p"))
            tr.append(tc)
            cell = _Cell(tc, table)
            if callable(value):
                value(cell)
            else:
                self.fill(cell, value)
            cells.append(cell)
        return cells

    def fill(self, cell, value) -> None:
        tc = cell._tc
        paragraph = tc.p_lst[0]
        runs = [(value, {})] if isinstance(value, str) else value
        for text, options in runs:
            if options.get("newline"):
                paragraph = OxmlElement("w:p")
                tc.append(paragraph)
            paragraph.append(_run(text, **{"size": 8.5, **options}))

    def rating_cell(self, rating, *, mark: str = "", extra=None, size: float = 8.5):
        """A filler for a cell holding a rating: its label (notation and band) on the band's
        colour, in white or ink, whichever reads."""

        def filler(cell):
            if rating is None:
                self.fill(cell, [("Not rated", {"grey": True, "size": size})])
                return
            _shade(cell, rating.colour)
            colour = "FFFFFF" if text_on(rating.colour) == "rr-on-dark" else "0B0C0C"
            runs = [(rating.label + mark, {"bold": True, "colour": colour, "size": size})]
            for text, options in extra or []:
                newline = options.get("newline", True)
                line_size = options.get("size", 8)
                runs.append((text, {"newline": newline, "size": line_size, "colour": colour}))
            self.fill(cell, runs)

        return filler


# --- the parts -------------------------------------------------------------------------------


def _appetite_runs(risk: PackRisk) -> list:
    marks = {AppetiteState.BREACH: "▲ ", AppetiteState.WARNING: "△ "}
    runs = [(marks.get(risk.appetite, "") + risk.appetite.label, {"bold": True})]
    if risk.tolerance is not None:
        text = f"tolerance {risk.tolerance}"
        if risk.warning is not None:
            text += f", warning {risk.warning}"
        runs.append((text, {"newline": True, "size": 8, "grey": True}))
    if risk.acceptance is not None:  # a breach accepted until a date (issue 17)
        text = risk.accepted_text
        runs.append((text[:1].upper() + text[1:], {"newline": True, "size": 8}))
    return runs


def _records_judgements(data: PackData) -> bool:
    """``data.records_judgements``, worked out once a pack (it reads every risk)."""
    if not hasattr(data, "_docx_judgements"):
        data._docx_judgements = data.records_judgements
    return data._docx_judgements


def _progress_runs(risk: PackRisk, data: PackData) -> list:
    runs = []
    if risk.judgement:
        since = f", set {_short_day(risk.judgement_since)}" if risk.judgement_since else ""
        runs += [(risk.judgement, {"bold": True}), (since, {})]
    elif _records_judgements(data):
        runs.append(("No judgement recorded", {}))
    runs.append((risk.progress_to_target, {"newline": bool(runs)}))
    return runs


def _trend(risk: PackRisk) -> str:
    word = risk.trend.word
    word = word[:1].upper() + word[1:]
    return f"{risk.trend.arrow} {word}" if risk.trend.arrow else word


def _cover(w: _Writer) -> None:
    data = w.data
    if w.logo is not None:
        width, height = _logo_size(w.logo, 90, 30)
        w.doc.add_paragraph().add_run().add_picture(io.BytesIO(w.logo.content), width, height)
    else:
        w.para(data.organisation.name).runs[0].font.size = Pt(14)
    w.para(data.title, style="Title")
    w.para(f"As at {_day(data.as_of)}").runs[0].font.size = Pt(16)
    counts = str(len(data.risks))
    if data.uses_appetite:
        counts += f" ({len(data.breaches)} in breach of appetite, {len(data.warnings)} at warning)"
    rows = [
        ("For", data.panel_name),
        ("Register" + ("s" if len(data.registers) != 1 else ""), data.register_names),
        ("Open risks", counts),
        ("Compared with", data.compared_with),
        ("Kind", "Quarterly pack" if data.kind != COMMITTEE else "Committee pack"),
        (
            "Edition",
            "Public: OFFICIAL-SENSITIVE detail is left out" if data.public else "Full",
        ),
        ("Marking", data.marking),
    ]
    proof = getattr(data, "proof", None)  # a stored pack's build: the name its footer gives
    if proof is not None:
        rows.insert(-1, ("Identifier", proof.label))
    table = w.table("", ["", ""], [45, 130])
    table.rows[0]._tr.getparent().remove(table.rows[0]._tr)  # a list of facts: no heading row
    for label, value in rows:
        w.row(table, [[(label, {"bold": True, "size": 10})], [(value, {"size": 10})]])
    w.para()
    marking = w.para(data.marking, bold=True)
    marking.runs[0].font.size = Pt(14)
    w.para(
        f"Built from the risk register's history as it stood at the end of "
        f"{_day(data.as_of)}; rebuilding this pack for the same date gives the same content.",
        small=True,
    )


def _contents(w: _Writer, sections: list[str]) -> None:
    data = w.data
    w.page_break()
    w.heading("Contents", 1)
    for title in sections:
        w.para(title)
        if title.split(".")[0] == _DETAILS_NUMBER[data.kind]:
            for risk in data.details:
                w.para(f"{risk.ref} {risk.record.title}", style="List Bullet")
    if data.public and data.withheld_count:
        n = data.withheld_count
        w.note(
            f"Public edition: {n} risk{'s' if n != 1 else ''} marked OFFICIAL-SENSITIVE "
            f"{'are' if n != 1 else 'is'} listed with ref, title and ratings only; "
            f"{'their' if n != 1 else 'its'} description, consequence, controls and actions "
            "are left out."
        )


_DETAILS_NUMBER = {"quarterly": "5", "committee": "3"}


def _cards(w: _Writer, cards: list[tuple[int, str]]) -> None:
    """The PDF's summary cards, as one table row of counts."""
    table = w.doc.add_table(rows=1, cols=len(cards))
    table.style = "Table Grid"
    for cell, (count, label) in zip(table.rows[0].cells, cards, strict=True):
        paragraph = cell.paragraphs[0]
        run = paragraph.add_run(str(count))
        run.bold = True
        run.font.size = Pt(16)
        cell.add_paragraph(label).runs[0].font.size = Pt(8.5)
    w.para()


class _Group:
    def __init__(self, caption: str, risks: list):
        self.caption, self.risks = caption, risks


def _summary_groups(data: PackData, caption: str) -> list:
    """The summary's tables: one, or one per horizon (``data.summary_groups``, the exception
    layout's), else one of every risk."""
    groups = getattr(data, "summary_groups", None)
    if groups is None:
        return [_Group(caption, data.risks)]
    return groups


def _change_tag(risk: PackRisk) -> list:
    changes = getattr(risk, "changes", None)
    if not changes:
        return []
    word = "NEW" if changes.new else "CHANGED"
    return [(word, {"newline": True, "size": 7, "bold": True})]


def _was(risk: PackRisk) -> list:
    """ "was 12 (Medium)" under a current rating changed since the last report."""
    changes = getattr(risk, "changes", None)
    rating = changes.rating if changes else None
    runs = [(f"was {rating.old}", {"size": 7.5})] if rating else []
    if getattr(risk, "awaiting_sign_off", False):  # the rating shown is the last signed off
        runs.append((AWAITING_SIGN_OFF, {"size": 7.5, "bold": True}))
    return runs


def _breach_runs(risk: PackRisk, *, short: bool = False) -> list:
    """How long a breach has lasted: "Outside appetite since March 2026, 3 quarters" on a
    risk's page, "Since March 2026, 3 quarters" in the summary's narrow column."""
    run = getattr(risk, "breach_run", None)
    if run is None:
        return []
    text = getattr(run, "breach_short", run.breach_text) if short else run.breach_text
    return [(text[:1].upper() + text[1:], {"newline": True, "size": 8, "bold": True})]


def _summary_table(w: _Writer, caption: str) -> None:
    """The summary (exception-based where the pack is laid out so): a risk with a full page
    gets its description and why; every other risk one line."""
    data = w.data
    quarter_ends = getattr(data, "quarter_ends", None) or []
    layout = hasattr(data, "summary_groups")
    groups = _summary_groups(data, caption)
    if not any(group.risks for group in groups):
        w.para("No open risks on the register at this date.")
    for group in groups:
        if not group.risks:
            continue
        if not hasattr(group, "full"):  # one table, a line or a full row each
            _summary_group(w, group.caption, group.risks, quarter_ends=quarter_ends, layout=layout)
            continue
        # the risks given a full page in one table, the others one short line each in another
        if group.full:
            which = f"the {len(group.full)} " if group.lines else ""
            caption = f"{group.caption}: {which}in full below"
            _summary_group(w, caption, group.full, quarter_ends=quarter_ends, layout=layout)
        if group.lines:
            which = f"the other {len(group.lines)}, " if group.full else ""
            _summary_lines(w, f"{group.caption}: {which}one line each", group.lines, quarter_ends)
    if data.version_legend:
        w.note(data.version_legend)


def _summary_lines(w: _Writer, caption: str, risks: list, quarter_ends: list) -> None:
    """The risks within tolerance, one short line each, as the PDF's second summary table: five
    columns (decision 50), the trend and appetite as marks beside the current rating, the
    target and progress in one cell, and the key under the caption."""
    headings = ["Ref", "Risk", "Owner", *[_short_day(end) for end in quarter_ends]]
    headings += ["Current", "Target and progress"]
    # 269 mm across the page; three quarters' ratings take room from the title
    quarters = [19] * len(quarter_ends)
    widths = [16, 72, 50, *quarters, 34] if quarters else [18, 100, 54, 36]
    widths.append(269 - sum(widths))
    w.para(caption, style="Caption")
    w.para(w.data.lines_key, small=True)  # the key at the top of the table, as in the PDF
    table = w.table("", headings, widths)
    small = 7.5
    for risk in risks:
        ref = [(risk.ref, {"bold": True, "size": small})]
        changes = getattr(risk, "changes", None)
        if changes:
            ref.append((" NEW" if changes.new else " CHANGED", {"size": 6.5, "bold": True}))
        title = [(risk.record.title, {"size": small})]
        if getattr(risk.record, "emerging", False):
            title.append((" (emerging)", {"size": small}))
        if risk.sensitive:
            title.append((" · OFFICIAL-SENSITIVE", {"size": small}))
        owner = [(risk.owner_name, {"size": small})]
        if not getattr(risk, "period_update", None):
            owner.append((f" · {NO_UPDATE}", {"size": small, "bold": True}))
        marks = getattr(risk, "line_marks", "")
        extra = [(f" {marks}", {"newline": False, "size": small})] if marks else []
        extra += _was(risk)  # on a line of its own, as in the PDF
        values = [ref, title, owner]
        for rating in getattr(risk, "quarters", None) or []:
            values.append(w.rating_cell(rating, size=small) if rating else DASH)
        values.append(
            w.rating_cell(
                risk.current,
                mark="†" if risk.older_version and risk.current else "",
                extra=extra,
                size=small,
            )
        )
        line = getattr(risk, "progress_line", None) or risk.progress_to_target
        # Without a target the progress says "No target set": the cell says it once, as the PDF.
        progress = [(f"{risk.target.label} · ", {"size": small})] if risk.target else []
        if risk.judgement:
            since = f", set {_short_day(risk.judgement_since)}" if risk.judgement_since else ""
            progress.append((f"{risk.judgement}{since}: ", {"bold": True, "size": small}))
        progress.append((line, {"size": small}))
        values.append(progress)
        w.row(table, values)


def _summary_group(
    w: _Writer, caption: str, risks: list, *, quarter_ends: list, layout: bool
) -> None:
    data = w.data
    appetite = data.uses_appetite
    headings = ["Ref", "Trend", "Risk", "Owner and leads" if not layout else "Owner"]
    headings += [_short_day(end) for end in quarter_ends]
    headings += ["Current", "Target"] + (["Appetite"] if appetite else []) + ["Progress to target"]
    # 269 mm across a landscape page
    if quarter_ends:  # three quarters' ratings take the room
        quarters = [19] * len(quarter_ends)
        widths = [14, 16, 55 if appetite else 77, 30, *quarters, 26, 24]
        widths += [22] if appetite else []
    else:
        widths = [17, 18, 78 if appetite else 90, 38, 30, 28] + ([26] if appetite else [])
    widths.append(269 - sum(widths))
    table = w.table(caption, headings, widths)
    for risk in risks:
        full = not layout or bool(getattr(risk, "page_reasons", None))
        update_missing = layout and not getattr(risk, "period_update", None)
        ref = [(risk.ref, {"bold": True}), *_change_tag(risk)]
        title = [(risk.record.title, {"bold": full})]
        if getattr(risk.record, "emerging", False):
            title.append((" (emerging)", {"size": 8}))
        if full and risk.sensitive:
            ref.append(("OFFICIAL-SENSITIVE", {"newline": True, "size": 7, "grey": True}))
        elif risk.sensitive:
            title.append((" OFFICIAL-SENSITIVE", {"size": 7, "grey": True}))
        if full:
            if risk.withheld:
                title.append(
                    (
                        "Description withheld (OFFICIAL-SENSITIVE).",
                        {"newline": True, "italic": True},
                    )
                )
            elif risk.record.description:
                words = 40 if layout else 70
                text = Truncator(risk.record.description).words(words)
                title.append((text, {"newline": True, "size": 8, "grey": True}))
            if layout:
                reasons = "; ".join(risk.page_reasons)
                title.append((f"{reasons}: in full below", {"newline": True, "size": 8}))
        owner = [(risk.owner_name, {})]
        if full and risk.lead_names:
            owner.append((f"Leads: {risk.lead_names}", {"newline": True, "size": 8}))
        if update_missing:
            owner.append(("No update this period", {"newline": True, "size": 8, "bold": True}))
        mark = "†" if risk.older_version and risk.current else ""
        values = [ref, _trend(risk), title, owner]
        for rating in getattr(risk, "quarters", None) or []:
            values.append(w.rating_cell(rating) if rating else DASH)
        values += [
            w.rating_cell(risk.current, mark=mark, extra=_was(risk)),
            w.rating_cell(risk.target),
        ]
        if appetite:
            runs = _appetite_runs(risk) if full else _appetite_runs(risk)[:1]
            values.append(runs + _breach_runs(risk, short=layout))
        if full:
            values.append(_progress_runs(risk, data))
        else:
            line = getattr(risk, "progress_line", None) or risk.progress_to_target
            runs = [(f"{risk.judgement}: ", {"bold": True})] if risk.judgement else []
            values.append([*runs, (line, {})])
        w.row(table, values)


def _heat_maps(w: _Writer) -> None:
    data = w.data
    if not data.heat_maps:
        w.para("No rated risks to map.")
        return
    refs = any(
        getattr(cell, "refs", ()) for m in data.heat_maps for r in m.rows for cell in r.cells
    )
    w.para(
        f"Each cell gives the number of open risks on the {data.register_names} at that "
        "likelihood and impact, with its band named"
        + (" and the refs of its risks (the first 10)" if refs else "")
        + ". Rows are likelihood (highest first), columns impact.",
        small=True,
    )
    for heatmap in data.heat_maps:
        _heat_map(w, heatmap)
    if not data.has_target_map:
        n = len(data.registers)
        w.note(
            f"No open risk on the register{'s' if n != 1 else ''} has a target rating, so "
            "there is no target heat map."
        )


def _heat_map(w: _Writer, heatmap) -> None:
    """One heat map as a real table: a row per likelihood (highest first) with its heading at
    the left, a column per impact with its heading along the bottom; each cell shaded in its
    band's colour and naming its count and band."""
    counted = heatmap.counted
    w.para(f"{heatmap.title}: {counted} open risk{'s' if counted != 1 else ''}", style="Caption")
    columns = len(heatmap.impacts) + 1
    width = min(24.0, 150.0 / columns)
    table = w.doc.add_table(rows=0, cols=columns)
    table.style = "Table Grid"
    table.autofit = False
    widths = [Mm(30)] + [Mm(width)] * (columns - 1)
    _widths(table, widths)
    for heat_row in heatmap.rows:
        row = table.add_row()
        row.height = Mm(11)
        cells = row.cells
        for cell, cell_width in zip(cells, widths, strict=True):
            cell.width = cell_width
        w.fill(
            cells[0],
            [
                (str(heat_row.likelihood.value), {"bold": True}),
                (heat_row.likelihood.label, {"newline": True, "size": 7}),
            ],
        )
        for cell, heat in zip(cells[1:], heat_row.cells, strict=True):
            _shade(cell, heat.rating.colour)
            cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
            colour = WHITE if heat.text_class == "rr-on-dark" else INK
            paragraph = cell.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            lines = []
            if heat.count:
                lines.append((f"{heat.count} risk{'s' if heat.count != 1 else ''}", 9, True))
            lines.append((heat.rating.band.name, 7, False))
            refs = list(getattr(heat, "refs", ()) or ())
            if heat.count and refs:
                more = f" +{len(refs) - 10} more" if len(refs) > 10 else ""
                lines.append((", ".join(refs[:10]) + more, 6.5, False))
            if heat.breaches:
                lines.append((f"{heat.breaches} in breach", 7, False))
            for number, (text, size, bold) in enumerate(lines):
                if number:
                    paragraph = cell.add_paragraph()
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                run = paragraph.add_run(text)
                run.font.size = Pt(size)
                run.bold = bold
                run.font.color.rgb = colour
    cells = table.add_row().cells
    w.fill(cells[0], [("↑ Likelihood", {"size": 7}), ("Impact →", {"newline": True, "size": 7})])
    for cell, level, cell_width in zip(cells[1:], heatmap.impacts, widths[1:], strict=True):
        cell.width = cell_width
        w.fill(
            cell, [(str(level.value), {"bold": True}), (level.label, {"newline": True, "size": 7})]
        )
    cells[0].width = widths[0]
    notes = []
    if heatmap.left_out:
        n = heatmap.left_out
        notes.append(
            f"{n} open risk{' is' if n == 1 else 's are'} rated on levels this scheme does not "
            f"have (another scheme or an earlier version) and {'is' if n == 1 else 'are'} not "
            "shown."
        )
    if heatmap.not_rated:
        n = heatmap.not_rated
        notes.append(f"{n} open risk{' has' if n == 1 else 's have'} no {heatmap.position} rating.")
    w.para(" ".join(notes), small=True)


def _movement(w: _Writer) -> None:
    data = w.data
    m = data.movement
    if m is None:
        return
    zone = w.zone
    if m.is_empty and not data.first_recorded:
        if data.records_note:  # decision 143: the period starts before the first record
            w.para(data.records_note)
        w.para(
            f"No risks on the {data.register_names} were added, closed, reopened, re-scored or "
            f"moved between registers since {data.since_label}."
        )
    else:
        _cards(
            w,
            ([(len(data.first_recorded), "first recorded")] if data.first_recorded else [])
            + [
                (len(m.added), "added"),
                (len(m.closed), "closed"),
                (m.risks_rescored, "re-scored"),
                (len(m.escalated), "escalated"),
                (len(m.de_escalated), "de-escalated"),
            ],
        )
        if data.records_note:  # after the figures, as the PDF (decision 143)
            w.para(data.records_note)
        if m.rating_changes:
            table = w.table(
                "Changes of current rating",
                ["Risk", "Register", "Before", "After", "When", "Reason"],
                [48, 26, 26, 30, 20, 28],
            )
            for change in m.rating_changes:
                arrow = change.direction.arrow
                w.row(
                    table,
                    [
                        [(f"{change.risk.ref} {change.risk.title}", {"bold": True})],
                        _register_name(change.risk),
                        w.rating_cell(change.old),
                        w.rating_cell(change.new, mark=f" {arrow}" if arrow else ""),
                        _short_day(change.when, zone),
                        [(change.account, {"size": 8})],
                    ],
                )
        if data.first_recorded or m.added or m.closed or m.reopened:
            table = w.table(
                data.movement_caption,
                ["Risk", "Register", "What", "When", "Note"],
                [62, 32, 18, 22, 44],
            )
            for events, what in (
                (data.first_recorded, "First recorded"),
                (m.added, "Added"),
                (m.closed, "Closed"),
                (m.reopened, "Reopened"),
            ):
                for event in events:
                    w.row(
                        table,
                        [
                            [(f"{event.risk.ref} {event.risk.title}", {"bold": True})],
                            _register_name(event.risk),
                            what,
                            _short_day(event.when, zone),
                            [(event.reason, {"size": 8})],
                        ],
                    )
        if m.escalation_steps:
            table = w.table(
                "Escalation and de-escalation",
                ["Risk", "Step", "From", "To", "When"],
                [56, 44, 28, 28, 22],
            )
            for step in m.escalation_steps:
                w.row(
                    table,
                    [
                        [(f"{step.risk.ref} {step.risk.title}", {"bold": True})],
                        step.description,
                        step.from_register.name if step.from_register else DASH,
                        step.to_register.name if step.to_register else DASH,
                        _short_day(step.when, zone),
                    ],
                )
    if m.flagged:
        table = w.table(
            "Moved more than one tolerance level (flagged for the committee)",
            ["Risk", "Then", "Now", "Levels moved"],
            [82, 34, 34, 28],
        )
        for move in m.flagged:
            w.row(
                table,
                [
                    [(f"{move.risk.ref} {move.risk.title}", {"bold": True})],
                    f"{move.old_score} ({move.old_level.name})",
                    f"{move.new_score} ({move.new_level.name})",
                    str(move.levels_moved),
                ],
            )


def _register_name(info) -> str:
    return info.register.name if info.register else DASH


def _risk_detail(w: _Writer, risk: PackRisk, *, new_page: bool = False) -> None:
    """A risk's action plan: its heading (Heading 2), the ratings, owner, and unless withheld,
    its background, consequence, controls, actions and road to target (Heading 3 each)."""
    data = w.data
    heading = w.heading(f"{risk.ref} {risk.record.title}", 2)
    heading.paragraph_format.page_break_before = new_page
    headings, widths, values = [], [], []
    if data.uses_appetite:
        headings.append("Appetite")
        values.append(_appetite_runs(risk) + _breach_runs(risk))
    headings += ["Inherent", "Current", "Target"]
    trend = _was(risk) + ([] if risk.trend == "not rated" else [(_trend(risk), {"size": 8})])
    values += [
        w.rating_cell(risk.inherent),
        w.rating_cell(risk.current, extra=trend),
        w.rating_cell(risk.target),
    ]
    widths = [178 / len(headings)] * len(headings)
    table = w.table("", headings, widths)
    w.row(table, values)
    pairs = [("Owner", risk.owner_name)]
    if risk.lead_names:
        pairs.append(("Leads", risk.lead_names))
    if risk.record.category_id:
        pairs.append(("Category", risk.record.category.name))
    if risk.record.marking == "OFFICIAL-SENSITIVE":
        pairs.append(("Marking", "OFFICIAL-SENSITIVE"))
    w.para()
    w.labelled(pairs)
    reasons = getattr(risk, "page_reasons", None)
    if reasons:
        since = f" since {data.since_label}" if _MOVED in reasons else ""
        w.note(f"In full because: {'; '.join(reasons)}{since}.")
    elif risk.ref in data.flagged_refs:
        w.note(f"Moved more than one tolerance level since {data.since_label}.")
    if hasattr(risk, "period_update"):
        _risk_update(w, risk)
    _risk_changes(w, risk)
    if risk.withheld:
        w.note(
            "OFFICIAL-SENSITIVE: the description, consequence, controls and actions of this risk "
            "are left out of the public edition."
        )
        _risk_chart(w, risk)
        return
    w.heading("Background", 3)
    w.para(risk.record.description or "No description recorded.")
    if risk.record.consequence:
        w.heading("Consequence", 3)
        w.para(risk.record.consequence)
    w.heading("Controls in place", 3)
    table = w.table("", ["Control", "Owner", "Effectiveness"], [104, 42, 32])
    for control in risk.controls:
        text = [(control.description, {})]
        state = getattr(control, "assurance_state", None)  # pack_data gives every control one
        if state is not None and state.lapsed:
            text.append((state.flag, {"newline": True, "bold": True}))
        if control.assurance:
            text.append(
                (f"Assurance: {control.assurance}", {"newline": True, "size": 8, "grey": True})
            )
        w.row(table, [text, _person(control.owner), control.get_effectiveness_display()])
    if not risk.controls:
        w.row(table, ["No controls recorded.", "", ""])
    w.heading("Actions (road to target)", 3)
    table = w.table("", ["Action", "Owner", "Due", "Status"], [84, 38, 26, 30])
    for action in risk.actions:
        text = [(action.description, {})]
        if action.progress_note:
            text.append((action.progress_note, {"newline": True, "size": 8, "grey": True}))
        status = [(action.get_status_display(), {})]
        if getattr(action, "is_overdue", False):
            status.append(("Overdue", {"newline": True, "bold": True}))
        w.row(
            table,
            [text, _person(action.owner), _short_day(action.due_date), status],
        )
    if not risk.actions:
        w.row(table, ["No actions recorded.", "", "", ""])
    docx_indicators.risk_indicators(w, risk)
    road = risk.progress_to_target
    if risk.judgement:
        since = f" (set {_day(risk.judgement_since)})" if risk.judgement_since else ""
        road = f"{risk.judgement}{since}; {road}"
    if risk.target:
        road += f"; target {risk.target.label}"
    w.para()
    w.labelled([("Road to target", road + ".")])
    _risk_chart(w, risk)


def _risk_chart(w: _Writer, risk: PackRisk) -> None:
    """Over eight quarters: the PDF's chart as its numbers (docx_charts.py)."""
    if risk.chart is not None:
        chart_table(w, risk.chart, heading="Over eight quarters")


_MOVED = "Moved more than one tolerance level"


def _risk_update(w: _Writer, risk: PackRisk) -> None:
    """The risk's latest update within the period, on its page."""
    data = w.data
    w.heading("This period's update", 3)
    update = risk.period_update
    if not update:
        w.note(
            f"No update this period: no review with an update was recorded between "
            f"{data.since_label} and {_day(data.as_of)}."
        )
    elif update.withheld:
        w.note(
            f"OFFICIAL-SENSITIVE: the update of {_day(update.reviewed_on)} by {update.author} "
            "is left out of the public edition."
        )
    else:
        w.para(update.text)
        rescored = " (re-scored)" if update.rescored else ""
        w.para(f"{update.author}, review of {_day(update.reviewed_on)}{rescored}", small=True)


def _field_runs(change, *, words: int = 40) -> list:
    """A changed field: its new text in bold and underlined, then "was" and the old text."""
    if change.is_rating:
        new = change.new_rating.label if change.new_rating else "Not rated"
        return [(new, {"bold": True}), (f" was {change.old}", {"size": 8, "grey": True})]
    if change.new:
        runs = [(change.new, {"bold": True, "underline": True})]
        if change.old:
            old = Truncator(change.old).words(words)
            runs.append((f" was {old}", {"size": 8, "grey": True}))
        return runs
    return [(f"removed: {Truncator(change.old).words(words)}", {"size": 8, "grey": True})]


def _risk_changes(w: _Writer, risk: PackRisk) -> None:
    """What changed on this risk since the last report, on its page."""
    changes = getattr(risk, "changes", None)
    if not changes or not changes.fields:
        return
    w.para(f"CHANGED since {w.data.since_label}", bold=True)
    for change in changes.fields:
        item = w.styled("List Bullet")
        item._p.append(_run(f"{change.label}: "))
        for text, options in _field_runs(change):
            item._p.append(_run(text, **options))


def _changes_section(w: _Writer) -> None:
    """What changed since the last report, with its key (reporting/packs/changes.py)."""
    data = w.data
    if not hasattr(data, "changes_legend"):
        return
    since = data.since_label
    w.heading(f"What changed since {since}", 2)
    w.note(
        f"Key: CHANGED a field changed since {since}: the new text is in bold and underlined, "
        "the text it replaced follows after “was”. NEW a risk added since; CLOSED a risk closed "
        "since. A changed rating is shown beside the one it replaced. Read from the registers' "
        "history, not marked by hand."
    )
    if data.records_note:  # decision 143, as the PDF
        w.para(data.records_note)
    c = data.changes
    if not c or not c.by_risk:
        w.para(f"No risk of the report was added, closed or changed since {since}.")
        return
    new, closed = data.changes_new, data.changes_closed
    if data.changes_listed_above:  # the movement section lists them, as in the PDF
        others = "; the others below" if new or closed else ""
        w.para(
            f"The risks added, closed or reopened since {since} are listed above, under "
            f"“{data.movement_caption}”{others}."
        )
    if new or closed:
        table = w.table(
            f"Risks added or closed since {since}",
            ["Ref", "What", "Risk", "Note"],
            [22, 25, 70, 61],
        )
        for r in new:
            what = "NEW" + (" CLOSED" if r.closed else "")
            note = f"Added since {since}" + (", and closed" if r.closed else "")
            w.row(table, [[(r.ref, {"bold": True})], [(what, {"bold": True})], r.title, note])
        for r in closed:
            note = r.closed_reason or "No reason recorded"
            w.row(table, [[(r.ref, {"bold": True})], [("CLOSED", {"bold": True})], r.title, note])
    if c.changed:
        table = w.table(
            "Changes to risks on the register then and now",
            ["Risk", "Changed", "Now", "Before"],
            [22, 29, 70, 57],
        )
        for r in c.changed:
            for number, change in enumerate(r.fields):
                ref = [(r.ref, {"bold": True}), ("CHANGED", {"newline": True, "size": 7})]
                if change.is_rating:
                    now = w.rating_cell(change.new_rating)
                    before = w.rating_cell(change.old_rating)
                else:
                    now = (
                        [(Truncator(change.new).words(60), {"bold": True, "underline": True})]
                        if change.new
                        else [("(removed)", {"grey": True})]
                    )
                    before = [(Truncator(change.old).words(60) or DASH, {"size": 8})]
                w.row(table, [ref if number == 0 else "", change.label, now, before])


def _deep_dive(w: _Writer) -> None:
    """The candidates for a deep dive: red at more than N consecutive quarter ends."""
    data = w.data
    if not hasattr(data, "deep_dive_rows"):
        return
    n = data.deep_dive_quarters
    ends = f"{n} consecutive quarter end{'s' if n != 1 else ''}"
    w.heading("Candidates for a deep dive", 2)
    w.para(
        f"Risks in the top band of their scoring scheme (red) at more than {ends}, as at "
        f"{_day(data.as_of)}, read from history: the panel may call them in."
    )
    if not data.deep_dive_rows:
        w.para(f"No risk has been in the top band for more than {ends}.")
        return
    table = w.table(
        "Candidates for a deep dive",
        ["Ref", "Risk", "Current", "Red since", "Owner"],
        [18, 70, 32, 30, 28],
    )
    for risk, run in data.deep_dive_rows:
        w.row(
            table,
            [
                [(risk.ref, {"bold": True})],
                risk.record.title,
                w.rating_cell(risk.current),
                f"{run.since_month}, {run.quarters_text}",
                risk.owner_name,
            ],
        )


def _updates_section(w: _Writer, number: str) -> None:
    """The updates given this period, by risk, then the owners who gave none."""
    data = w.data
    w.heading(f"{number}. Owners' updates this period", 1)
    updated = getattr(data, "updated_risks", None)
    if updated is None:  # before the section listed only the updates given
        updated = data.risks
    text = (
        f"The latest update each risk owner wrote when recording a review between "
        f"{data.since_label} and {_day(data.as_of)}: what changed and what is being done."
    )
    if hasattr(data, "updated_risks"):
        text += " Risks without an update are listed by owner after the updates, and marked in the summary."
    if data.public and data.withheld_count:
        text += (
            " The updates of OFFICIAL-SENSITIVE risks are left out of the public edition; "
            "their date and author are given."
        )
    w.para(text)
    table = w.table(
        "Updates by risk, as at the report date",
        ["Ref", "Risk", "Update", "By, on"],
        [16, 36, 90, 36],
    )
    for risk in updated:
        update = risk.period_update
        title = [(risk.record.title, {})]
        if getattr(risk.record, "emerging", False):
            title.append(("Emerging", {"newline": True, "size": 8}))
        if not update:
            said = [("No update this period", {"bold": True})]
            by = f"{risk.owner_name} (owner)"
        elif update.withheld:
            said = [("Update withheld (OFFICIAL-SENSITIVE).", {"italic": True})]
            by = [(update.author, {}), (_short_day(update.reviewed_on), {"newline": True})]
        else:
            said = update.text
            by = [(update.author, {}), (_short_day(update.reviewed_on), {"newline": True})]
        w.row(table, [[(risk.ref, {"bold": True})], title, said, by])
    if not updated:
        none = (
            "No risk owner recorded an update this period."
            if data.risks
            else "No open risks on the register at this date."
        )
        w.row(table, ["", "", none, ""])
    owners = getattr(data, "owners_without_update", None) or []
    if owners:
        table = w.table(
            "Owners who gave no update this period",
            ["Owner", "Risks", "Risks without an update"],
            [62, 26, 90],
        )
        for row in owners:
            w.row(table, [[(row.owner, {"bold": True})], str(len(row.risks)), row.refs])
    elif data.risks:
        w.para("Every risk's owner gave an update this period.")


def _emerging_section(w: _Writer, number: str) -> None:
    data = w.data
    w.heading(f"{number}. Emerging risks", 1)
    if not data.emerging:
        n = len(data.registers)
        w.para(f"No risk on the register{'s' if n != 1 else ''} is flagged as emerging.")
        return
    text = (
        "Risks on the horizon that owners have flagged as emerging: not yet fully understood "
        "or scored."
    )
    if data.heat_maps:
        text += " Those without a current rating are not on the heat maps."
    w.para(text)
    table = w.table(
        "Emerging risks, as at the report date",
        ["Ref", "Risk", "Owner", "Current", "Update"],
        [16, 68, 34, 34, 26],
    )
    for risk in data.emerging:
        ref = [(risk.ref, {"bold": True})]
        if risk.sensitive:
            ref.append(("OFFICIAL-SENSITIVE", {"newline": True, "size": 7, "grey": True}))
        title = [(risk.record.title, {"bold": True})]
        if risk.withheld:
            title.append(
                ("Description withheld (OFFICIAL-SENSITIVE).", {"newline": True, "italic": True})
            )
        elif risk.record.description:
            text = Truncator(risk.record.description).words(50)
            title.append((text, {"newline": True, "size": 8, "grey": True}))
        update = risk.period_update
        w.row(
            table,
            [
                ref,
                title,
                risk.owner_name,
                w.rating_cell(risk.current) if risk.current else "Not yet rated",
                _short_day(update.reviewed_on) if update else "No update this period",
            ],
        )


def _exec_summary(w: _Writer) -> None:
    """The executive summary (the coordinator's words, or the generated draft), first."""
    proof = getattr(w.data, "proof", None)
    if proof is None:
        return
    w.page_break()
    w.heading("Executive summary", 1)
    if proof.corrects_version:
        w.note(
            f"Version {proof.version}, correcting version {proof.corrects_version}: "
            f"{proof.correction_note}"
        )
    if proof.summary_generated:
        w.para(
            f"Generated from the registers as at {_day(w.data.as_of)}; the coordinator has not "
            "written a summary for this pack.",
            small=True,
        )
    for paragraph in proof.summary.replace("\r\n", "\n").split("\n\n"):
        if paragraph.strip():
            w.para(paragraph.strip())


def _details(w: _Writer, *, intro: str, none: str, after: str = "") -> None:
    data = w.data
    if not data.details:
        w.para(none)
        docx_indicators.red_indicators(w)
        return
    refs = ", ".join(risk.ref for risk in data.details)
    # The plans follow one another, as in the PDF (not a page each: it is not so there)
    w.para(f"{intro}: {refs}. Each is set out in full below, in that order{after}.")
    for risk in data.details:
        _risk_detail(w, risk)
    docx_indicators.red_indicators(w)


def _n(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


# --- the two kinds ---------------------------------------------------------------------------


def _quarterly(w: _Writer) -> None:
    data = w.data
    names = data.register_names
    layout = hasattr(data, "summary_groups")  # the exception layout (issue 16)
    if layout:
        which = "in breach, at warning, " if data.uses_appetite else ""
        plans = f"5. Risk action plans: risks {which}moved or chosen"
    else:
        which = ": risks in breach or at warning" if data.uses_appetite else ""
        plans = f"5. Risk action plans{which}"
    sections = [
        f"1. Summary of {names} risks",
        "2. Heat maps: current and target positions",
        "3. Alignment with objectives",
        "4. Movement since the last report",
        plans,
        "6. Overdue actions",
    ]
    words = hasattr(data, "emerging")  # the period's words (issue 16)
    if words:
        sections += ["7. Owners' updates this period", "8. Emerging risks"]
    _contents(w, sections)
    w.new_section(landscape=True)
    w.heading(sections[0], 1)
    cards = [(len(data.risks), "open risks")]
    if data.uses_appetite:
        cards += [(len(data.breaches), "in breach of appetite"), (len(data.warnings), "at warning")]
    cards += [(count, name) for name, _colour, count in data.band_summary]
    _cards(w, cards)
    legend = (
        f"Trend compares each risk's current rating with {data.since_label}: ↑ up (worse), "
        "↓ down (better), → level, New (added or first rated since); a risk not rated now has "
        "no trend. Ratings use the organisation's scoring scheme and name the band"
    )
    if data.uses_appetite:
        legend += "; appetite compares the current score with the tolerance of the risk's category"
    legend += ". Progress to target gives "
    if data.records_judgements:
        legend += "the judgement recorded for the risk and when it was last set, then "
    legend += (
        "the current position against the target: at target only when both likelihood and "
        "impact are at or below the target's."
    )
    w.para(legend, small=True)
    _summary_table(w, "Open risks on the register, as at the report date")
    w.new_section(landscape=False)
    w.heading(sections[1], 1)
    _heat_maps(w)
    w.heading(sections[2], 1)
    if data.alignment:
        table = w.table(
            "Objectives and the risks that threaten them", ["Objective", "Risks"], [62, 116]
        )
        for objective, risks in data.alignment:
            linked = [
                (
                    f"{risk.ref} {risk.record.title} "
                    f"({risk.current.label if risk.current else 'Not rated'})",
                    {"newline": bool(number)},
                )
                for number, risk in enumerate(risks)
            ] or [("No open risk aligned", {"grey": True})]
            w.row(table, [[(f"{objective.code} {objective.name}", {"bold": True})], linked])
        if data.unaligned:
            linked = [
                (f"{risk.ref} {risk.record.title}", {"newline": bool(number)})
                for number, risk in enumerate(data.unaligned)
            ]
            w.row(table, [[("Not aligned to an objective", {"bold": True})], linked])
    else:
        w.para("The organisation has not recorded objectives.")
    w.heading(sections[3], 1)
    w.para(
        f"Changes between {data.since_label} and {_day(data.as_of)}, read from the registers' "
        "history."
    )
    _movement(w)
    _changes_section(w)
    _deep_dive(w)
    w.heading(sections[4], 1)
    count = len(data.details)
    if layout:
        total, are = len(data.risks), "is" if count == 1 else "are"
        intro = (
            f"{count} of {_n(total, 'risk')} {are} in breach of appetite, at the warning "
            f"threshold, moved more than one tolerance level since {data.since_label} or chosen "
            "for a deep dive"
        )
        after = "; every other risk has its line in the summary"
        none = (
            "No risk on the register is in breach of appetite, at warning, moved more than one "
            "tolerance level or chosen for a deep dive: each has its line in the summary."
            if data.uses_appetite
            else "No appetite thresholds are set for these risks and none moved more than one "
            "tolerance level or was chosen for a deep dive, so no risk action plan is singled out."
        )
    else:
        intro = (
            f"{_n(count, 'risk')} {'is' if count == 1 else 'are'} above "
            f"{'its' if count == 1 else 'their'} appetite warning or tolerance threshold"
        )
        after = ""
        none = (
            "No risk on the register is in breach of appetite or at warning."
            if data.uses_appetite
            else "No appetite thresholds are set for these risks, so no risk action plan is "
            "singled out."
        )
    _details(w, intro=intro, none=none, after=after)
    w.heading(sections[5], 1)
    if data.overdue_actions:
        table = w.table(
            f"Actions past their due date and not completed, as at {_day(data.as_of)}",
            ["Risk", "Action", "Owner", "Due", "Days overdue", "Status"],
            [16, 72, 28, 22, 18, 22],
        )
        for item in data.overdue_actions:
            w.row(
                table,
                [
                    [(item.risk.ref, {"bold": True})],
                    item.action.description,
                    _person(item.action.owner),
                    _short_day(item.action.due_date),
                    str(item.days),
                    item.action.get_status_display(),
                ],
            )
    else:
        left_out = (
            " (actions of OFFICIAL-SENSITIVE risks are left out of the public edition)"
            if data.public and data.withheld_count
            else ""
        )
        w.para(f"No overdue actions on the register's risks{left_out}.")
    if words:
        _updates_section(w, "7")
        _emerging_section(w, "8")


def _committee(w: _Writer) -> None:
    data = w.data
    layout = hasattr(data, "summary_groups")  # the exception layout (issue 16)
    if layout:
        which = "above tolerance, at warning, " if data.uses_appetite else ""
        in_full = f"3. Risks in full: {which}moved or chosen"
    else:
        in_full = "3. Risks above tolerance or moved more than one tolerance level"
    sections = [
        "1. Strategic risks: current scores",
        f"2. Significant changes since {data.since_label}",
        in_full,
        "4. Review health per register",
    ]
    words = hasattr(data, "emerging")  # the period's words (issue 16)
    if words:
        sections += ["5. Owners' updates this period", "6. Emerging risks"]
    _contents(w, sections)
    w.new_section(landscape=True)
    w.heading(sections[0], 1)
    cards = [(len(data.risks), "strategic risks")]
    if data.uses_appetite:
        cards.append((len(data.breaches), "above tolerance"))
    if layout:
        cards.append((len(data.details), "in full (pages below)"))
    else:
        moved = len(data.movement.flagged) if data.movement else 0
        cards.append((moved, "moved more than one tolerance level"))
    _cards(w, cards)
    _summary_table(w, "Strategic risks, as at the report date")
    w.new_section(landscape=False)
    w.heading("Heat maps", 2)
    _heat_maps(w)
    exposure_tables(w, data)
    w.heading(sections[1], 1)
    _movement(w)
    _changes_section(w)
    _deep_dive(w)
    w.heading(sections[2], 1)
    count = len(data.details)
    if layout:
        total, are = len(data.risks), "is" if count == 1 else "are"
        _details(
            w,
            intro=(
                f"{count} of {_n(total, 'strategic risk')} {are} above tolerance, at the "
                f"appetite warning threshold, moved more than one tolerance level since "
                f"{data.since_label} or chosen for a deep dive"
            ),
            after="; every other risk is within tolerance and has its line in the summary",
            none="No strategic risk is above its tolerance threshold, at warning, moved more "
            "than one tolerance level or chosen for a deep dive: each has its line in the summary.",
        )
    else:
        _details(
            w,
            intro=(
                f"{_n(count, 'strategic risk')} {'is' if count == 1 else 'are'} above tolerance "
                f"or moved more than one tolerance level since {data.since_label}"
            ),
            none="No strategic risk is above its tolerance threshold or moved more than one "
            "tolerance level.",
        )
    w.heading(sections[3], 1)
    # As the PDF: updates awaiting sign-off and risks with no review date have a column when
    # there are any (decisions 123, 142); open risks = overdue + no review date + on time.
    awaiting, unscheduled = data.health_awaiting, data.health_not_scheduled
    extra = int(awaiting) + int(unscheduled)
    table = w.table(
        data.health_caption,
        ["Register", "Open risks", "Overdue"]
        + (["No review date"] if unscheduled else [])
        + ["On time"]
        + (["Awaiting sign-off"] if awaiting else [])
        + ["Due soon"],
        {0: [70, 27, 27, 27, 27], 1: [60, 22, 22, 26, 26, 22], 2: [50, 19, 19, 22, 24, 24, 20]}[
            extra
        ],
    )
    for row in data.health:
        health = row.health
        on_time = str(health.on_time)
        if health.percent_on_time is not None:
            on_time += f" ({health.percent_on_time}%)"
        name = ("    " * row.depth) + row.register.name
        w.row(
            table,
            [
                [(name, {"bold": True})],
                str(health.open),
                str(health.overdue),
                *([str(health.not_scheduled)] if unscheduled else []),
                on_time,
                *([str(health.awaiting_sign_off)] if awaiting else []),
                str(health.due_soon),
            ],
        )
    if words:
        _updates_section(w, "5")
        _emerging_section(w, "6")


def render_docx(data: PackData, *, logo: Logo | None = None) -> bytes:
    """The pack's Word edition; with ``logo``, the cover and running header show it instead
    of the organisation's name."""
    w = _Writer(data, logo)
    w.frame()
    _cover(w)
    _exec_summary(w)
    if data.kind == COMMITTEE:
        _committee(w)
    else:
        _quarterly(w)
    out = io.BytesIO()
    w.doc.save(out)
    return out.getvalue()


def render_docx_for(data: PackData) -> bytes:
    """The Word edition with the organisation's logo, as the PDF gets it."""
    return render_docx(data, logo=logo_for_pack(data.organisation))


def pack_render_docx(
    *, organisation, kind: str, as_of: dt.date, edition: str = "full", registers=None
) -> bytes:
    """The Word edition built synchronously from the pack's data (the command's path)."""
    data = pack_data(
        organisation=organisation, kind=kind, as_of=as_of, edition=edition, registers=registers
    )
    return render_docx_for(data)


def docx_filename(pdf_filename: str) -> str:
    """The Word edition's file name beside the PDF's: the same name ending in .docx."""
    return pdf_filename.removesuffix(".pdf") + ".docx"
