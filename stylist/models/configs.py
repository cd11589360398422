"""The trainers' configurations: pydantic models that a checkpoint stores as a plain dict.

`config.model_dump()` is what a checkpoint or report records; `Config.model_validate(dict)`
reads it back. `Config.from_options(**options)` is how a trainer builds one from keyword
options: a bad option becomes one ValueError sentence (the CLI prints it), not pydantic's
multi-line report.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError


class TrainingConfig(BaseModel):
    """Base of HeadsConfig, CNNConfig, FewShotConfig and EncoderTrainOptions."""

    # An unknown option is a typo, not something to ignore silently.
    model_config = ConfigDict(extra="forbid")

    @classmethod
    def from_options(cls, **options: Any) -> TrainingConfig:
        try:
            return cls(**options)
        except ValidationError as err:
            raise ValueError(_first_problem(err)) from None

    def updated(self, **changes: Any) -> TrainingConfig:
        """A copy with some options changed, validated like a new one."""
        return type(self).from_options(**{**self.model_dump(), **changes})


def _first_problem(err: ValidationError) -> str:
    problem = err.errors()[0]
    field = ".".join(str(part) for part in problem.get("loc", ()))
    if problem["type"] == "value_error":  # our own validators already speak in sentences
        return str(problem["ctx"]["error"])
    if problem["type"] == "extra_forbidden":
        return f'"{field}" is not an option of {err.title}.'
    return f"The option {field} is not valid: {problem['msg'].lower()}."
