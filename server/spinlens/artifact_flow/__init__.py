"""Static artifact-flow analysis of Metaflow flows: which artifacts reach each step
and where each was assigned, for hover, completion, definition, references and
diagnostics. AST only, like ``flow_analysis``: no import, no execution.

    analysis = analyze_artifacts(text, path)      # memoized per text
    analysis.symbol_at(line, col)                  # hover, definition, references
    analysis.completions_at(line, text_before_cursor)
    analysis.diagnostics()
"""

from __future__ import annotations

from .analysis import ArtifactAnalysis, FlowArtifacts, analyze_artifacts
from .model import (
    Access,
    Assignment,
    Completion,
    Diagnostic,
    DiagnosticCode,
    Location,
    QuickFix,
    StepFlow,
    Symbol,
    SymbolKind,
    TextEdit,
)

__all__ = [
    "Access",
    "ArtifactAnalysis",
    "Assignment",
    "Completion",
    "Diagnostic",
    "DiagnosticCode",
    "FlowArtifacts",
    "Location",
    "QuickFix",
    "StepFlow",
    "Symbol",
    "SymbolKind",
    "TextEdit",
    "analyze_artifacts",
]
