"""A scheme file with a number longer than any scheme needs is refused naming the problem, by
the parser and by both commands, never a traceback (Python refuses to read integers of over
4,300 digits with a ValueError that json does not turn into a JSONDecodeError)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from scoring.definition import SCHEME_NUMBER_TOO_LONG, SchemeError, load_scheme_file
from scoring.engine import RatingError, level_for
from scoring.presets import preset_path

ROOT = Path(__file__).resolve().parents[2]


def scheme_with(tmp_path, digits: int, where: str = "value") -> Path:
    data = json.loads(preset_path("espo-5x5").read_text())
    text = json.dumps(data)
    marker = 987654321
    if where == "value":
        data["likelihood"][0]["value"] = marker
    else:
        data["bands"][0]["review_months"] = marker
    text = json.dumps(data).replace(str(marker), "9" * digits)
    path = tmp_path / "scheme.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize("digits", [4301, 5000, 4000, 40])
@pytest.mark.parametrize("where", ["value", "review_months"])
def test_a_number_too_long_for_a_scheme_is_refused_naming_the_problem(tmp_path, digits, where):
    path = scheme_with(tmp_path, digits, where)
    with pytest.raises(SchemeError) as caught:
        load_scheme_file(path)
    (problem,) = caught.value.problems
    assert problem == f"{path}: " + SCHEME_NUMBER_TOO_LONG.format(digits=digits)


def test_short_numbers_are_still_judged_by_the_rules(tmp_path):
    path = scheme_with(tmp_path, 9)
    with pytest.raises(SchemeError) as caught:
        load_scheme_file(path)
    assert SCHEME_NUMBER_TOO_LONG.split("{")[0] not in str(caught.value.problems)


@pytest.mark.django_db
def test_load_scheme_refuses_it_naming_the_problem(tmp_path, organisation):
    path = scheme_with(tmp_path, 5000)
    with pytest.raises(CommandError) as caught:
        call_command("load_scheme", str(path), "--org", organisation.slug)
    assert SCHEME_NUMBER_TOO_LONG.format(digits=5000) in str(caught.value)


def test_show_scheme_exits_non_zero_naming_the_problem(tmp_path):
    path = scheme_with(tmp_path, 5000)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "show_scheme", str(path), "--format", "csv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert SCHEME_NUMBER_TOO_LONG.format(digits=5000) in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("typed", ["9" * 5000, "1" + "0" * 24, "²", "4.5", "", "nan"])
def test_a_level_typed_as_no_level_of_the_scheme_is_a_rating_error(typed):
    scheme = load_scheme_file(preset_path("espo-5x5"))
    with pytest.raises(RatingError) as caught:
        level_for(scheme, "likelihood", typed)
    assert len(str(caught.value)) < 400
