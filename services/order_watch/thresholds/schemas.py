"""API models of rule thresholds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from services.common.vocab import Severity

MEANINGS = {
    "projected_late": "P(miss) at or above which a travelling parcel alerts at this severity",
    "carrier_exception": "P(miss), counting the day it costs, below which an exception nobody must act on stays quiet",
    "stalled": "share of the carrier's on-time parcels whose longest silence after the status must be outlasted",
    "not_shipped_in_time": "transit quantile the hand-over deadline allows for",
}


class ThresholdValue(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"value": 0.9}})

    value: float = Field(ge=0, le=1, description="A probability or share between 0 and 1.")


class Threshold(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "rule": "projected_late",
                "severity": "warning",
                "value": 0.8,
                "meaning": MEANINGS["projected_late"],
            }
        }
    )

    rule: str
    severity: Severity
    value: float
    meaning: str
