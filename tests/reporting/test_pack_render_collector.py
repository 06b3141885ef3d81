"""The PDF render pauses Python's cyclic garbage collector (reporting.packs.render.collector_paused,
issue 20): the pack is the same, and the collector is back on afterwards, even when the render
fails."""

from __future__ import annotations

import contextlib
import gc

import pytest
from django.utils import timezone

from reporting.packs import render
from reporting.packs.data import pack_data
from tests.reporting.test_packs import _aberdeen_once, aberdeen  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_paused_collector_builds_the_same_pdf_and_is_back_on(aberdeen, monkeypatch):  # noqa: F811
    data = pack_data(organisation=aberdeen, kind="quarterly", as_of=timezone.localdate())
    paused = render.render_pdf(data)
    assert gc.isenabled()
    monkeypatch.setattr(render, "collector_paused", contextlib.nullcontext)
    collected = render.render_pdf(data)
    assert paused.pdf == collected.pdf
    assert paused.pages == collected.pages


def test_collector_is_back_on_after_a_failed_render(aberdeen, monkeypatch):  # noqa: F811
    from weasyprint import HTML

    def broken(self, *args, **kwargs):
        assert not gc.isenabled()
        raise RuntimeError("layout failed")

    monkeypatch.setattr(HTML, "render", broken)
    data = pack_data(organisation=aberdeen, kind="committee", as_of=timezone.localdate())
    with pytest.raises(RuntimeError, match="layout failed"):
        render.render_pdf(data)
    assert gc.isenabled()


def test_a_caller_that_paused_the_collector_keeps_it_paused():
    gc.disable()
    try:
        with render.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
