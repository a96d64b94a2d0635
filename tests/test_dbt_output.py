"""`terminal.dbt_output_to`: dbt's console lines counted into the dbt stage, and `on_start` called
once, when dbt's first result shows its process is running."""

from __future__ import annotations

import io
import sys

from orchestration.terminal import Out, Stages, dbt_output_to


def _stages() -> Stages:
    return Stages(Out())  # stdout is not a terminal under pytest: one line per finished stage


def test_on_start_waits_for_dbt_first_result_and_runs_once(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    started: list[str] = []
    stages = _stages()
    stages.start("dbt", "dbt", total=3)
    with dbt_output_to(stages, "dbt", verbose=False, estimated_total=3, on_start=lambda: started.append("x")):
        print("Running with dbt=1.11.16")
        print("Found 2 models, 1 data test")
        assert started == []  # dbt is still starting
        print("1 of 3 START sql view model staging.a ... [RUN]")
        assert started == []
        print("1 of 3 OK created sql view model staging.a ... [OK in 0.05s]")
        assert started == ["x"]
        print("2 of 3 OK created sql view model staging.b ... [OK in 0.05s]")
        print("3 of 3 PASS not_null_a_id ... [PASS in 0.02s]")
    assert started == ["x"]
    assert stages.stages["dbt"].done == 3


def test_on_start_runs_at_once_when_verbose():
    started: list[str] = []
    with dbt_output_to(_stages(), "dbt", verbose=True, estimated_total=3, on_start=lambda: started.append("x")) as sink:
        assert started == ["x"] and sink is None
