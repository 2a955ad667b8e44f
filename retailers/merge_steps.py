"""Steps that higher apps run inside a dossier merge (retailers.services.retailer_merge), before the
duplicate's rows are moved to the survivor: for rows the generic move cannot handle, such as a
points account (one per shop) when both shops hold one. Filled in the apps' AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable

MergeStep = Callable[..., None]  # step(*, survivor, duplicate), inside the merge's transaction

_steps: list[MergeStep] = []


def register_merge_step(step: MergeStep) -> None:
    if step not in _steps:
        _steps.append(step)


def run_merge_steps(*, survivor, duplicate) -> None:
    for step in _steps:
        step(survivor=survivor, duplicate=duplicate)
