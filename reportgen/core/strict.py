"""The one strict base of every model read from YAML (config, SRM and framework catalogs):
an unknown key is an error, not silently ignored, and a loaded model is never changed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
