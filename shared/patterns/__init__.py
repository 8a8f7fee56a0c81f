"""svideo's EventBridge event-pattern engine: validation, matching, a rule index and Pipes filtering."""

from shared.patterns.api import matches
from shared.patterns.compiler import CompiledPattern, compile_pattern
from shared.patterns.errors import InvalidPatternError
from shared.patterns.index import PatternIndex
from shared.patterns.pipes import matches_pipe_record

__all__ = [
    "CompiledPattern",
    "InvalidPatternError",
    "PatternIndex",
    "compile_pattern",
    "matches",
    "matches_pipe_record",
]
