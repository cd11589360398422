"""Real-catalog evaluation: `stylist eval-real` ingests a catalog in the Kaggle layout, trains
the CNN, the encoder with its attribute heads and the few-shot head from scratch, evaluates them
with the same reports `stylist eval` writes, benchmarks tagging and writes docs/evaluation.md.

Modules: budget (presets as data, fitting a time budget), state (resumable stage state),
stages (one thin call per trainer / evaluator), runner (the orchestration), report + template
(the markdown page), bench (tagging latency and memory), commands (the CLI).
"""
