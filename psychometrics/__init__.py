"""binnenuit's validation statistics and pipeline.

Imports of heavy engines (semopy, factor_analyzer) happen inside the functions
that need them, so importing this package stays fast.
"""

from psychometrics.pipeline import SCHEMA_VERSION, ValidationResult, validate

__all__ = ["SCHEMA_VERSION", "ValidationResult", "validate"]
