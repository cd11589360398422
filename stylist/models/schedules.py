"""Learning-rate schedules shared by the trainers."""

from __future__ import annotations

import torch


def one_cycle(
    optimizer: torch.optim.Optimizer,
    max_lr: float | list[float],
    total_steps: int,
    pct_start: float,
) -> torch.optim.lr_scheduler.OneCycleLR:
    """OneCycleLR that also works for very short runs.

    torch divides by (pct_start·total_steps − 1), so a run of a handful of steps (one epoch on a
    small catalog) crashes with ZeroDivisionError. Short runs get at least two warm-up steps and
    a schedule of at least four steps; stepping it fewer times than planned is harmless.
    """
    total = max(int(total_steps), 4)
    pct = min(max(pct_start, 2.0 / total), 0.5)
    return torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, total_steps=total, pct_start=pct
    )
