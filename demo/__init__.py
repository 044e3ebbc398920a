"""The Taipei demo scenario: synthetic data, its five sources, the catalog and sample queries."""

from demo.generate import DemoData, generate
from demo.national_id import generate_national_ids, is_valid_national_id
from demo.scenario import SampleQuery, sample_queries, setup

__all__ = [
    "DemoData",
    "SampleQuery",
    "generate",
    "generate_national_ids",
    "is_valid_national_id",
    "sample_queries",
    "setup",
]
