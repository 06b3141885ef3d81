"""Hostile spreadsheets cost little: zip parts that expand too far are refused before they are
expanded, cells and shared texts are counted as they are read, and reading stops after a run of
blank rows. Time is not asserted (bench/ measures speed); what the reader did, and a loose bound
on the memory it took, are."""

import io
import tracemalloc
import zipfile

import pytest
from django.urls import reverse

from reporting.spreadsheets.reading import (
    BLANK_ROWS_NOTE,
    BLANK_ROWS_READ_PAST,
    DEFAULT_MAX_CELLS,
    DEFAULT_WEB_MAX_ROWS,
    MAX_COLUMNS,
    PART_TOO_BIG,
    TOO_MANY_CELLS,
    TOO_MANY_CELLS_REASON,
    TOO_MANY_ROWS_REASON,
    TOO_MANY_TEXTS,
    TOO_MANY_TEXTS_REASON,
    WORKBOOK_TOO_BIG,
    SpreadsheetError,
    TooBigForBrowser,
    describe_size,
    max_cells,
    read_spreadsheet,
    web_max_cells,
    web_max_rows,
    web_too_big_message,
)
from tests.reporting.conftest import csv_bytes, xlsx_bytes

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
MB = 1024 * 1024

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
ROOT_RELS = f"""<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELS}">
<Relationship Id="rId1" Target="xl/workbook.xml"
 Type="{RELS}/officeDocument"/></Relationships>"""
WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>
<sheet name="Risks" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELS}">
<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""


def text_cell(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


HEADER = f'<row r="1">{text_cell("A1", "ref")}{text_cell("B1", "title")}</row>'
TWO_RISKS = (
    f'<row r="2">{text_cell("A2", "R1")}{text_cell("B2", "Fire")}</row>'
    f'<row r="3">{text_cell("A3", "R2")}{text_cell("B3", "Flood")}</row>'
)


def hostile_workbook(*, sheet_data=(HEADER + TWO_RISKS,), shared=(), before="", extra=()):
    """A workbook written by hand. ``sheet_data`` and ``shared`` are iterables of XML pieces
    streamed into the zip, so a part of hundreds of MB never sits in the test's memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(f'<worksheet xmlns="{MAIN}">{before}<sheetData>'.encode())
            for piece in sheet_data:
                part.write(piece.encode())
            part.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w") as part:
            part.write(f'<sst xmlns="{MAIN}">'.encode())
            for piece in shared:
                part.write(piece.encode())
            part.write(b"</sst>")
        for name, content in extra:
            archive.writestr(name, content)
    return buffer.getvalue()


def repeated(piece: str, total_bytes: int, chunk: int = 1 << 20):
    block = piece * max(1, chunk // len(piece))
    for _ in range(total_bytes // len(block)):
        yield block


def read(data, filename="register.xlsx"):
    return read_spreadsheet(data=data, filename=filename)


def read_measured(data, filename="register.xlsx"):
    """Read, returning the sheet (or the refusal) and the peak memory Python allocated, in MB."""
    tracemalloc.start()
    try:
        try:
            result = read(data, filename)
        except SpreadsheetError as exc:
            result = exc
        peak = tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()
    return result, peak


# --- zip parts ---------------------------------------------------------------------------------


def test_shared_texts_expanding_to_120_mb_are_refused_before_they_are_expanded():
    data = hostile_workbook(shared=repeated("<si><t>all work and no play</t></si>", 120 * MB))
    assert len(data) < 1 * MB  # the attacker's file: small on the wire
    refused, peak = read_measured(data)
    assert isinstance(refused, SpreadsheetError)
    assert str(refused) == PART_TOO_BIG.format(
        part="xl/sharedStrings.xml", size="120 MB", limit=describe_size(40 * MB)
    )
    assert peak < 20


def test_a_worksheet_expanding_too_far_is_refused(settings):
    settings.RISKREG_MAX_UPLOAD_BYTES = 100_000  # each streamed part may expand to 800 KB
    data = hostile_workbook(sheet_data=[HEADER, "<row/>" * 200_000])
    with pytest.raises(SpreadsheetError) as refused:
        read(data)
    assert str(refused.value) == PART_TOO_BIG.format(
        part="xl/worksheets/sheet1.xml", size=describe_size(1_200_052), limit="781 KB"
    )


def test_styles_and_other_xml_parts_parsed_whole_get_a_small_allowance():
    data = hostile_workbook(extra=[("xl/styles.xml", "<styleSheet/>" + " " * (3 * MB))])
    with pytest.raises(SpreadsheetError) as refused:
        read(data)
    assert str(refused.value) == PART_TOO_BIG.format(
        part="xl/styles.xml", size="3 MB", limit="2 MB"
    )


def test_parts_together_over_the_total_are_refused(settings):
    settings.RISKREG_MAX_UPLOAD_BYTES = 100_000  # all parts together: 2 MB at most
    pieces = [(f"xl/media/image{n}.png", b"\0" * 190_000) for n in range(12)]
    with pytest.raises(SpreadsheetError) as refused:
        read(hostile_workbook(extra=pieces))
    assert str(refused.value).startswith(WORKBOOK_TOO_BIG.split("{")[0])


# --- cells and shared texts --------------------------------------------------------------------


def test_default_cell_limit():
    assert max_cells() == DEFAULT_MAX_CELLS == 600_000


def test_cells_are_counted_as_they_are_read_including_empty_formatted_ones(settings):
    settings.RISKREG_IMPORT_MAX_CELLS = 1_000
    data = hostile_workbook(sheet_data=[HEADER, TWO_RISKS, '<row><c s="1"/><c s="1"/></row>' * 600])
    with pytest.raises(SpreadsheetError) as refused:
        read(data)
    assert str(refused.value) == TOO_MANY_CELLS.format(limit=1_000)


def test_one_row_of_a_million_cells_is_refused_part_way_through(settings):
    settings.RISKREG_IMPORT_MAX_CELLS = 50_000
    data = hostile_workbook(sheet_data=[HEADER, "<row>", *repeated("<c/>", 4 * MB), "</row>"])
    refused, peak = read_measured(data)
    assert str(refused) == TOO_MANY_CELLS.format(limit=50_000)
    assert peak < 20  # the row's million cells were never all built


def test_shared_texts_beyond_the_cell_limit_are_refused(settings):
    settings.RISKREG_IMPORT_MAX_CELLS = 1_000
    data = hostile_workbook(shared=["<si><t>x</t></si>" * 1_001])
    with pytest.raises(SpreadsheetError) as refused:
        read(data)
    assert str(refused.value) == TOO_MANY_TEXTS.format(limit=1_000)


def test_shared_texts_read_as_openpyxl_does():
    shared = [
        "<si><t>ref</t></si>",
        "<si><t>title</t></si>",
        "<si><r><t>Cyber </t></r><r><rPr><b/></rPr><t>attack</t></r>"
        "<rPh sb='0' eb='1'><t>phonetic</t></rPh></si>",
    ]
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>2</v></c></row>'
    )
    sheet = read(hostile_workbook(sheet_data=[rows], shared=shared))
    assert sheet.rows[0].values == {"ref": "ref", "title": "Cyber attack"}


def test_a_cell_in_the_last_column_does_not_widen_its_row():
    far = text_cell("XFD2", "far away")
    row = f'<row r="2">{text_cell("A2", "R1")}{text_cell("B2", "Fire")}{far}</row>'
    sheet = read(hostile_workbook(sheet_data=[HEADER, row * 1]))
    assert sheet.rows[0].values == {"ref": "R1", "title": "Fire"}
    assert MAX_COLUMNS == 200


def test_formulas_and_dates_still_arrive_as_before():
    data = xlsx_bytes(
        [["ref", "title", "next_review"], ["R1", "Fire", "x"]], formulas=[("C2", "=TODAY()")]
    )
    sheet = read(data)
    assert [str(problem) for problem in sheet.problems] == [
        "row 2: next_review: formulas are not accepted, paste values"
    ]


# --- blank rows --------------------------------------------------------------------------------


def test_a_million_blank_rows_are_not_read():
    data = hostile_workbook(sheet_data=[HEADER, TWO_RISKS, *repeated("<row/>", 6 * MB)])
    assert len(data) < 1 * MB
    sheet, peak = read_measured(data)
    assert [row.values["ref"] for row in sheet.rows] == ["R1", "R2"]
    assert sheet.rows_read == 3 + BLANK_ROWS_READ_PAST
    assert sheet.notes == [BLANK_ROWS_NOTE.format(row=3, blank=BLANK_ROWS_READ_PAST)]
    assert peak < 40


def test_blank_rows_with_formatted_cells_and_numbers_are_not_read_either():
    rows = (f'<row r="{n}" ht="15"><c r="A{n}" s="3"/></row>' for n in range(4, 300_000))
    sheet = read(hostile_workbook(sheet_data=[HEADER, TWO_RISKS, *rows]))
    assert sheet.rows_read == 3 + BLANK_ROWS_READ_PAST
    assert len(sheet.rows) == 2


def test_a_stored_dimension_claiming_every_row_is_not_trusted():
    data = hostile_workbook(before='<dimension ref="A1:XFD1048576"/>')
    sheet = read(data)
    assert sheet.rows_read == 3
    assert sheet.notes == []


def test_a_row_far_below_the_rest_is_not_read_and_the_note_says_so():
    far = f'<row r="1048576">{text_cell("A1048576", "R9")}{text_cell("B1048576", "x")}</row>'
    sheet = read(hostile_workbook(sheet_data=[HEADER, TWO_RISKS, far]))
    assert [row.number for row in sheet.rows] == [2, 3]
    assert sheet.notes == [BLANK_ROWS_NOTE.format(row=3, blank=BLANK_ROWS_READ_PAST)]


def test_gaps_shorter_than_the_blank_run_are_read_through():
    rows = [
        HEADER,
        TWO_RISKS,
        f'<row r="900">{text_cell("A900", "R3")}{text_cell("B900", "x")}</row>',
    ]
    sheet = read(hostile_workbook(sheet_data=rows))
    assert [row.number for row in sheet.rows] == [2, 3, 900]
    assert sheet.notes == []


def test_a_sheet_of_nothing_but_blank_rows_has_no_header_row():
    with pytest.raises(SpreadsheetError, match="no header row"):
        read(hostile_workbook(sheet_data=repeated("<row/>", 6 * MB)))


def test_the_note_reaches_the_import_preview_and_the_command(db):
    from reporting.spreadsheets.importing import plan_from_sheet
    from tests.factories import OrganisationFactory, corporate_register_of

    sheet = read(hostile_workbook(sheet_data=[HEADER, TWO_RISKS, *repeated("<row/>", MB)]))
    plan = plan_from_sheet(register=corporate_register_of(OrganisationFactory()), sheet=sheet)
    assert BLANK_ROWS_NOTE.format(row=3, blank=BLANK_ROWS_READ_PAST) in plan.notes


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_blank_lines_are_not_read_past_the_run():
    data = csv_bytes([["ref", "title"], ["R1", "Fire"]]) + b"\r\n" * 2_000_000 + b"R2,Flood\r\n"
    sheet, peak = read_measured(data, "register.csv")
    assert [row.values["ref"] for row in sheet.rows] == ["R1"]
    assert sheet.rows_read == 2 + BLANK_ROWS_READ_PAST
    assert sheet.notes == [BLANK_ROWS_NOTE.format(row=2, blank=BLANK_ROWS_READ_PAST)]
    assert peak < 40


def test_csv_of_millions_of_short_lines_costs_little_memory(settings):
    settings.RISKREG_IMPORT_MAX_CELLS = 50_000
    data = b"ab\n" * 1_700_000  # 5 MB of lines, none of them a header row
    refused, peak = read_measured(data, "register.csv")
    assert str(refused) == TOO_MANY_CELLS.format(limit=50_000)
    assert peak < 40


def test_csv_cells_are_counted(settings):
    settings.RISKREG_IMPORT_MAX_CELLS = 1_000
    data = b"ref,title\nR1,x" + b"," * 2_000 + b"\n"
    with pytest.raises(SpreadsheetError) as refused:
        read(data, "register.csv")
    assert str(refused.value) == TOO_MANY_CELLS.format(limit=1_000)


# --- imports too big for the browser -----------------------------------------------------------


def web_member(organisation):
    from registers.models import Role
    from registers.permissions import membership_sync
    from tests.factories import MembershipFactory

    membership = MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    membership_sync(membership)
    return membership.user


def rows_of_risks(count):
    return csv_bytes([["ref", "title"]] + [[f"R{n}", f"Risk {n}"] for n in range(1, count + 1)])


def test_default_web_limits():
    # Big files are checked and written in the background (reporting.spreadsheets.jobs): the
    # browser takes 10,000 rows, read under the command's own cell limit.
    assert web_max_rows() == DEFAULT_WEB_MAX_ROWS == 10_000
    assert web_max_cells() == max_cells() == 600_000


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (rows_of_risks(301), TOO_MANY_ROWS_REASON.format(limit=300)),
        (
            csv_bytes([["ref", "title", *["note"] * 198]] + [["R1", "x", *["n"] * 198]] * 200),
            TOO_MANY_CELLS_REASON.format(limit=30_000),
        ),
        (
            hostile_workbook(shared=["<si><t>x</t></si>" * 30_001]),
            TOO_MANY_TEXTS_REASON.format(limit=30_000),
        ),
    ],
    # Short, fixed ids: the workbook's bytes hold its build time, and pytest-xdist refuses to
    # run when its workers collect tests under different names.
    ids=["rows", "cells", "shared-texts"],
)
def test_the_browser_reads_under_lower_limits_and_says_which(data, reason, settings):
    settings.RISKREG_WEB_IMPORT_MAX_ROWS = 300  # a deployment's lower browser limit
    filename = "a.xlsx" if data.startswith(b"PK") else "a.csv"
    with pytest.raises(TooBigForBrowser) as refused:
        read_spreadsheet(data=data, filename=filename, for_browser=True)
    assert refused.value.reason == reason
    read_spreadsheet(data=data, filename=filename)  # the command reads it


@pytest.mark.django_db
def test_a_web_upload_over_the_browsers_row_limit_is_refused_up_front(client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registers.models import Risk
    from reporting.models import ImportUpload
    from tests.factories import OrganisationFactory

    settings.RISKREG_WEB_IMPORT_MAX_ROWS = 5
    organisation = OrganisationFactory()
    client.force_login(web_member(organisation))
    url = reverse("register_import", args=[organisation.slug, "corporate"])
    response = client.post(url, {"file": SimpleUploadedFile("big one.csv", rows_of_risks(6))})
    assert response.status_code == 400
    expected = "big one.csv: " + web_too_big_message(
        reason=TOO_MANY_ROWS_REASON.format(limit=5),
        filename="big one.csv",
        organisation=organisation.slug,
        register="corporate",
    )
    assert response.context["form"].errors["file"] == [expected]
    assert "python manage.py import_register 'big one.csv' --org" in expected
    assert not ImportUpload.objects.exists() and not Risk.objects.exists()
    # At the limit the file goes on to its preview.
    response = client.post(url, {"file": SimpleUploadedFile("ok.csv", rows_of_risks(5))})
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_preview_over_a_lowered_row_limit_is_refused_not_timed_out(client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import OrganisationFactory

    organisation = OrganisationFactory()
    client.force_login(web_member(organisation))
    url = reverse("register_import", args=[organisation.slug, "corporate"])
    preview = client.post(url, {"file": SimpleUploadedFile("a.csv", rows_of_risks(6))}).url
    settings.RISKREG_WEB_IMPORT_MAX_ROWS = 5
    response = client.post(preview, {"fingerprint": "x", "confirm": "1"}, follow=True)
    assert response.status_code == 200
    assert "python manage.py import_register a.csv" in response.content.decode()


@pytest.mark.django_db
def test_the_command_is_not_held_to_the_browsers_limit(settings, tmp_path):
    from django.core.management import call_command

    from registers.models import Risk
    from tests.factories import OrganisationFactory

    settings.RISKREG_WEB_IMPORT_MAX_ROWS = 5
    organisation = OrganisationFactory()
    path = tmp_path / "big.csv"
    path.write_bytes(rows_of_risks(6))
    call_command(
        "import_register",
        str(path),
        "--org",
        organisation.slug,
        "--register",
        "corporate",
        stdout=io.StringIO(),
    )
    assert Risk.objects.filter(organisation=organisation).count() == 6
