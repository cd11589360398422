"""Learning-rate schedules shared by the trainers."""

from __future__ import annotations

import math

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


def warmup_cosine(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup_fraction: float
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over the first `warmup_fraction` of the steps, then cosine decay to zero
    (the contrastive encoder trainers' schedule; at least one warm-up step)."""
    warmup = max(1, int(warmup_fraction * total_steps))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total_steps - warmup)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
