"""The query path: catalog, purpose envelope, SQL guard, planner, executor and the facade."""

from engine.federation import Federation, QueryReport
from engine.plan import QueryPlan
from engine.purpose import Purpose

__all__ = ["Federation", "Purpose", "QueryPlan", "QueryReport"]
