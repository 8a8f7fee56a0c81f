"""Validate an EventBridge event pattern once and compile it into an immutable matcher tree.

Semantics follow the EventBridge user guide ("Event patterns", "Comparison operators", "Arrays",
"Null values") and the aws/event-ruler README where the guide is silent:

- a pattern object is an AND of its fields; a leaf array is an OR of its values and operators;
- an event array matches when any element matches; arrays of objects are "crushed" into their
  parent field, but two fields only match together when they come from the same array element
  (ruler's array-consistent matching);
- operators only test leaves (scalars, or scalars inside arrays), never objects;
- ``exists: false`` holds when the event has no leaf at that path anywhere, which is also true when
  the path leads to an object;
- numbers compare numerically (300 == 3.0e2), a JSON boolean is never a number;
- a key with dots names a path, in the pattern and in the event alike: ruler flattens both to
  dot-joined field names, so ``{"a.b": [1]}`` and ``{"a": {"b": [1]}}`` are one pattern and
  ``{"a.b": 1}`` and ``{"a": {"b": 1}}`` one event;
- a wildcard is rejected for ``**``, for a backslash that escapes neither ``*`` nor ``\\``, and when
  its field's wildcards are too complex (ruler's MachineComplexityEvaluator, see WILDCARD_COMPLEXITY).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any, Final

from shared.patterns.errors import InvalidPatternError

# The user guide limits numeric matching to this range (inclusive).
NUMERIC_LIMIT: Final = 5.0e9
OR_KEY: Final = "$or"
OPERATORS: Final = frozenset(
    {"prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric", "exists", "cidr"}
)
_NUMERIC_OPERATORS: Final = frozenset({"=", "<", "<=", ">", ">="})
_ROOT: Final = "<pattern>"
# ruler's MachineComplexityEvaluator: the most wildcard prefixes one input can be in at once, per field.
WILDCARD_COMPLEXITY: Final = 100
_TOO_COMPLEX: Final = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
    "sequences after a wildcard character"
)

ValueTest = Callable[[Any], bool]
Path = tuple[str, ...]


class _Missing:
    __slots__ = ()


MISSING: Final = _Missing()


def is_number(value: Any) -> bool:
    """True for JSON numbers; False for booleans, which Python counts as ints."""
    kind = type(value)
    return kind is int or kind is float


def scalars(values: list[Any]) -> Iterator[Any]:
    """The leaf values inside an event array, nested arrays flattened, objects skipped."""
    for value in values:
        kind = type(value)
        if kind is list:
            yield from scalars(value)
        elif kind is not dict:
            yield value


def objects(values: list[Any]) -> list[dict[str, Any]]:
    """The objects inside an event array, nested arrays flattened (ruler "crushes" arrays)."""
    found: list[dict[str, Any]] = []
    for value in values:
        kind = type(value)
        if kind is dict:
            found.append(value)
        elif kind is list:
            found.extend(objects(value))
    return found


def expand_dotted(value: Any) -> Any:
    """The event with dotted keys turned into nested objects (``{"a.b": 1}`` -> ``{"a": {"b": 1}}``).

    Returns ``value`` itself when no key has a dot, which is the common case and costs one scan."""
    return _expand(value) if _has_dotted_key(value) else value


# The last event found to have no dotted key: one event matched against many patterns in turn (rules
# tested one by one, Pipes filters) is scanned once. An event is not changed while it is being matched.
_LAST_PLAIN: list[Any] = [None]


def _has_dotted_key(value: Any) -> bool:
    pending = [value]
    while pending:
        node = pending.pop()
        if type(node) is dict:
            for key, item in node.items():
                if "." in key:
                    return True
                kind = type(item)
                if kind is dict or kind is list:
                    pending.append(item)
        else:
            for item in node:
                kind = type(item)
                if kind is dict or kind is list:
                    pending.append(item)
    return False


def _expand(value: Any) -> Any:
    kind = type(value)
    if kind is list:
        return [_expand(item) for item in value]
    if kind is not dict:
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        new = _expand(item)
        if "." in key:
            *parents, last = key.split(".")
            node = result
            for step in parents:
                child = node.get(step)
                if type(child) is dict:
                    node = child
                    continue
                fresh: dict[str, Any] = {}
                if child is None:
                    node[step] = fresh
                elif type(child) is list:
                    child.append(fresh)  # a list this expansion built, never the event's own
                else:
                    node[step] = [child, fresh]  # "a": 1 and "a.b": 2 are two fields: keep both
                node = fresh
            _merge(node, last, new)
        else:
            _merge(result, key, new)
    return result


def _merge(node: dict[str, Any], key: str, value: Any) -> None:
    """Two event keys that flatten to one field give that field both values, as an array would."""
    if key not in node:
        node[key] = value
        return
    existing = node[key]
    if type(existing) is dict and type(value) is dict:
        for inner, item in value.items():
            _merge(existing, inner, item)
        return
    left = existing if type(existing) is list else [existing]
    node[key] = [*left, *(value if type(value) is list else [value])]


def leaf_values(root: Any, path: Path) -> list[Any]:
    """Every leaf value at ``path`` anywhere in the event, through arrays of objects."""
    nodes: list[Any] = [root]
    for step in path[:-1]:
        following: list[Any] = []
        for node in nodes:
            child = node.get(step, MISSING) if type(node) is dict else MISSING
            if type(child) is dict:
                following.append(child)
            elif type(child) is list:
                following.extend(objects(child))
        if not following:
            return []
        nodes = following
    last = path[-1]
    found: list[Any] = []
    for node in nodes:
        if type(node) is not dict:
            continue
        value = node.get(last, MISSING)
        if type(value) is list:
            found.extend(scalars(value))
        elif value is not MISSING and type(value) is not dict:
            found.append(value)
    return found


class Leaf:
    """The OR of the values and operators in one leaf array of the pattern."""

    __slots__ = (
        "exists_false",
        "exists_true",
        "match_false",
        "match_null",
        "match_true",
        "numbers",
        "path",
        "prefixes",
        "strings",
        "tests",
    )

    def __init__(
        self,
        path: Path,
        strings: frozenset[str],
        numbers: frozenset[int | float],
        literals: tuple[bool, bool, bool],
        tests: tuple[ValueTest, ...],
        exists: tuple[bool, bool],
        prefixes: tuple[str, ...] = (),
    ) -> None:
        self.path = path
        # Set only when every alternative of the leaf is a case-sensitive prefix.
        self.prefixes = prefixes
        self.strings = strings
        self.numbers = numbers
        self.match_true, self.match_false, self.match_null = literals
        self.tests = tests
        self.exists_true, self.exists_false = exists

    @property
    def exact_only(self) -> bool:
        """True when the leaf is a plain list of values, so an index can look it up."""
        return not self.tests and not self.exists_true and not self.exists_false

    def exact_values(self) -> list[Any]:
        found: list[Any] = [*self.strings, *self.numbers]
        found.extend(v for v, on in ((True, self.match_true), (False, self.match_false)) if on)
        if self.match_null:
            found.append(None)
        return found

    def value_matches(self, value: Any) -> bool:
        kind = type(value)
        if kind is str:
            if value in self.strings:
                return True
        elif kind is bool:
            if self.match_true if value else self.match_false:
                return True
        elif value is None:
            if self.match_null:
                return True
        elif (kind is int or kind is float) and value in self.numbers:
            return True
        return any(test(value) for test in self.tests)

    def matches(self, raw: Any, root: dict[str, Any]) -> bool:
        kind = type(raw)
        if kind is list:
            values: Any = tuple(scalars(raw))
        elif raw is MISSING or kind is dict:
            values = ()
        else:
            return bool(self.exists_true or self.value_matches(raw))
        if values:
            if self.exists_true:
                return True
            return any(self.value_matches(value) for value in values)
        # No leaf here: only absence can match, and absence is judged on the whole event.
        return self.exists_false and not leaf_values(root, self.path)


class Node:
    """An AND of the fields of one pattern object, plus its ``$or`` groups."""

    __slots__ = ("alternatives", "children", "leaves")

    def __init__(
        self,
        leaves: tuple[tuple[str, Leaf], ...],
        children: tuple[tuple[str, Node], ...],
        alternatives: tuple[tuple[Node, ...], ...],
    ) -> None:
        self.leaves = leaves
        self.children = children
        self.alternatives = alternatives

    def matches(self, obj: dict[str, Any] | None, root: dict[str, Any]) -> bool:
        raw: Any
        for key, leaf in self.leaves:
            raw = obj.get(key, MISSING) if obj is not None else MISSING
            if not leaf.matches(raw, root):
                return False
        for key, child in self.children:
            raw = obj.get(key, MISSING) if obj is not None else MISSING
            kind = type(raw)
            if kind is dict:
                if not child.matches(raw, root):
                    return False
            elif kind is list and (candidates := objects(raw)):
                # Array consistency: every field of the sub-pattern must hold in one element.
                if not any(child.matches(candidate, root) for candidate in candidates):
                    return False
            elif not child.matches(None, root):
                return False
        return all(any(branch.matches(obj, root) for branch in group) for group in self.alternatives)


class CompiledPattern:
    """A validated pattern; immutable, so one instance can serve many threads."""

    __slots__ = ("_root", "source")
    _root: Node
    source: str

    def __init__(self, source: str, root: Node) -> None:
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "_root", root)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("CompiledPattern is immutable")

    def __repr__(self) -> str:
        return f"CompiledPattern({self.source})"

    def matches(self, event: dict[str, Any]) -> bool:
        if type(event) is not dict:
            raise ValueError(f"event must be a JSON object, got {type(event).__name__}")
        if event is not _LAST_PLAIN[0]:
            expanded = expand_dotted(event)
            if expanded is event:
                _LAST_PLAIN[0] = event
            event = expanded
        return self._root.matches(event, event)

    def matches_expanded(self, event: dict[str, Any]) -> bool:
        """``matches`` for an event already passed through ``expand_dotted`` (the index does it once)."""
        return self._root.matches(event, event)

    def exact_conjuncts(self) -> list[tuple[Path, list[Any]]]:
        """Leaves every match needs, made of plain values only: what an index can key on."""
        return [(leaf.path, leaf.exact_values()) for leaf in self._required_leaves() if leaf.exact_only]

    def prefix_conjuncts(self) -> list[tuple[Path, tuple[str, ...]]]:
        """Leaves every match needs, made of case-sensitive prefixes only."""
        return [(leaf.path, leaf.prefixes) for leaf in self._required_leaves() if leaf.prefixes]

    def _required_leaves(self) -> list[Leaf]:
        found: list[Leaf] = []
        pending = [self._root]
        while pending:
            node = pending.pop()
            found.extend(leaf for _, leaf in node.leaves)
            pending.extend(child for _, child in node.children)
        return found


def compile_pattern(pattern: dict[str, Any] | str | CompiledPattern) -> CompiledPattern:
    """Validate ``pattern`` (a dict or its JSON text) and compile it; raises InvalidPatternError."""
    if isinstance(pattern, CompiledPattern):
        return pattern
    if isinstance(pattern, str):
        return _compile_text(pattern)
    if not isinstance(pattern, dict):
        raise InvalidPatternError(_ROOT, f"pattern must be a JSON object, got {type(pattern).__name__}")
    try:
        text = json.dumps(pattern, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidPatternError(_ROOT, f"pattern is not JSON-serialisable: {error}") from error
    return _compile_text(text)


@lru_cache(maxsize=2048)
def _compile_text(text: str) -> CompiledPattern:
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidPatternError(_ROOT, f"pattern is not valid JSON: {error}") from error
    if not isinstance(parsed, dict):
        raise InvalidPatternError(_ROOT, f"pattern must be a JSON object, got {_json_kind(parsed)}")
    root = _compile_object(_nest_dotted(parsed), (), "", inside_or=False)
    return CompiledPattern(json.dumps(parsed, separators=(",", ":")), root)


def _nest_dotted(spec: Any) -> Any:
    """Pattern keys with dots as nested objects; two keys naming one field keep both conditions (AND)."""
    if not isinstance(spec, dict):
        return spec
    nested: dict[str, Any] = {}
    extra: list[tuple[str, Any]] = []
    for key, value in spec.items():
        if key == OR_KEY and isinstance(value, list):
            nested[key] = [_nest_dotted(item) for item in value]
            continue
        value = _nest_dotted(value) if isinstance(value, dict) else value
        if "." in key and key not in OPERATORS:
            *parents, last = key.split(".")
            for step in reversed([*parents[1:], last]):
                value = {step: value}
            key = parents[0]
        if key in nested:
            if isinstance(nested[key], dict) and isinstance(value, dict):
                nested[key] = _merge_specs(nested[key], value)
            else:
                extra.append((key, value))
        else:
            nested[key] = value
    if not extra:
        return nested
    return _Conjunction(nested, extra)


class _Conjunction(dict[str, Any]):
    """A pattern object with one field named twice (``"a.b"`` and ``"a": {"b": ...}``): both must hold."""

    def __init__(self, fields: dict[str, Any], extra: list[tuple[str, Any]]) -> None:
        super().__init__(fields)
        self.extra = extra

    def items(self) -> Any:
        return [*super().items(), *self.extra]


def _merge_specs(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    merged = dict(left)
    extra: list[tuple[str, Any]] = list(getattr(left, "extra", []))
    for key, value in right.items():
        if key in merged and isinstance(merged[key], dict) and isinstance(value, dict):
            merged[key] = _merge_specs(merged[key], value)
        elif key in merged:
            extra.append((key, value))
        else:
            merged[key] = value
    return _Conjunction(merged, extra) if extra else merged


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def _join(display: str, key: str) -> str:
    return f"{display}.{key}" if display else key


def _compile_object(spec: Any, path: Path, display: str, *, inside_or: bool) -> Node:
    where = display or _ROOT
    if not isinstance(spec, dict):
        raise InvalidPatternError(where, f"must be an object, got {_json_kind(spec)}")
    if not spec:
        raise InvalidPatternError(where, "empty objects are not allowed")
    leaves: list[tuple[str, Leaf]] = []
    children: list[tuple[str, Node]] = []
    alternatives: list[tuple[Node, ...]] = []
    for key, value in spec.items():
        here = _join(display, key)
        if key == OR_KEY:
            alternatives.append(_compile_or(value, path, here))
            continue
        if inside_or and key in OPERATORS:
            raise InvalidPatternError(
                here, f'"{key}" is an operator name and cannot be a field name inside $or'
            )
        if isinstance(value, dict):
            children.append((key, _compile_object(value, (*path, key), here, inside_or=inside_or)))
        elif isinstance(value, list):
            leaves.append((key, _compile_leaf(value, (*path, key), here)))
        else:
            raise InvalidPatternError(here, f"must be an object or an array, got {_json_kind(value)}")
    # Cheap, selective leaves first: plain values before operators.
    leaves.sort(key=lambda item: not item[1].exact_only)
    return Node(tuple(leaves), tuple(children), tuple(alternatives))


def _compile_or(value: Any, path: Path, here: str) -> tuple[Node, ...]:
    if not isinstance(value, list):
        raise InvalidPatternError(here, f"$or must be an array of objects, got {_json_kind(value)}")
    if len(value) < 2:
        raise InvalidPatternError(here, "$or needs at least 2 objects")
    branches = []
    for position, item in enumerate(value):
        where = f"{here}[{position}]"
        if not isinstance(item, dict):
            raise InvalidPatternError(where, f"only objects are allowed in $or, got {_json_kind(item)}")
        branches.append(_compile_object(item, path, where, inside_or=True))
    return tuple(branches)


def _compile_leaf(values: list[Any], path: Path, here: str) -> Leaf:
    if not values:
        raise InvalidPatternError(here, "empty arrays are not allowed")
    strings: set[str] = set()
    numbers: set[int | float] = set()
    literals = [False, False, False]
    exists = [False, False]
    tests: list[ValueTest] = []
    prefixes: list[str] = []
    wildcards: list[str] = []
    for item in values:
        if item is True:
            literals[0] = True
        elif item is False:
            literals[1] = True
        elif item is None:
            literals[2] = True
        elif isinstance(item, str):
            strings.add(item)
        elif is_number(item):
            numbers.add(item)
        elif isinstance(item, dict):
            operator, test = _compile_operator(item, here)
            if operator == "wildcard":
                wildcards.append(item[operator])
            if operator == "exists":
                exists[0 if test is _EXISTS else 1] = True
            else:
                tests.append(test)
                if operator == "prefix" and isinstance(item[operator], str):
                    prefixes.append(item[operator])
        else:
            raise InvalidPatternError(
                here,
                "match values must be strings, numbers, true, false, null or operators, "
                f"got {_json_kind(item)}",
            )
    if len(wildcards) > 1:
        check_wildcard_complexity(wildcards, here)
    return Leaf(
        path,
        frozenset(strings),
        frozenset(numbers),
        (literals[0], literals[1], literals[2]),
        tuple(tests),
        (exists[0], exists[1]),
        tuple(prefixes) if len(prefixes) == len(values) else (),
    )


def _exists(_: Any) -> bool:
    return True


def _not_exists(_: Any) -> bool:
    return False


_EXISTS: Final = _exists
_NOT_EXISTS: Final = _not_exists


def _single_key(spec: dict[str, Any], here: str, what: str) -> tuple[str, Any]:
    if len(spec) != 1:
        keys = ", ".join(f'"{key}"' for key in spec) or "none"
        raise InvalidPatternError(here, f"{what} must have exactly one key, got {keys}")
    ((key, value),) = spec.items()
    return key, value


def _compile_operator(spec: dict[str, Any], here: str) -> tuple[str, ValueTest]:
    operator, argument = _single_key(spec, here, "a match expression")
    if operator == "exists":
        if not isinstance(argument, bool):
            raise InvalidPatternError(here, f"exists must be true or false, got {_json_kind(argument)}")
        return operator, _EXISTS if argument else _NOT_EXISTS
    if operator in ("prefix", "suffix"):
        return operator, _affix_test(operator, argument, here)
    if operator == "equals-ignore-case":
        folded = _string_argument(argument, here, operator).lower()
        return operator, lambda v: type(v) is str and v.lower() == folded
    if operator == "wildcard":
        text = _string_argument(argument, here, operator)
        regex = _wildcard_regex(text, here)
        check_wildcard_complexity([text], here)
        return operator, lambda v: type(v) is str and regex.fullmatch(v) is not None
    if operator == "numeric":
        return operator, _numeric_test(argument, here)
    if operator == "cidr":
        return operator, _cidr_test(argument, here)
    if operator == "anything-but":
        positive = _anything_but_positive(argument, here)
        return operator, lambda v: not positive(v)
    raise InvalidPatternError(here, f'unrecognized match type "{operator}"')


def _string_argument(argument: Any, here: str, operator: str) -> str:
    if not isinstance(argument, str):
        raise InvalidPatternError(
            here, f"{operator} match pattern must be a string, got {_json_kind(argument)}"
        )
    return argument


def _affix_test(operator: str, argument: Any, here: str) -> ValueTest:
    ignore_case = False
    if isinstance(argument, dict):
        inner, argument = _single_key(argument, here, f"{operator} object")
        if inner != "equals-ignore-case":
            raise InvalidPatternError(here, f'unsupported {operator} pattern "{inner}"')
        ignore_case = True
        argument = _string_argument(argument, here, f"{operator}/equals-ignore-case")
    else:
        argument = _string_argument(argument, here, operator)
    return _affix(operator, argument, ignore_case)


def _affix(operator: str, text: str, ignore_case: bool) -> ValueTest:
    if ignore_case:
        folded = text.lower()
        if operator == "prefix":
            return lambda v: type(v) is str and v.lower().startswith(folded)
        return lambda v: type(v) is str and v.lower().endswith(folded)
    if operator == "prefix":
        return lambda v: type(v) is str and v.startswith(text)
    return lambda v: type(v) is str and v.endswith(text)


def _wildcard_regex(text: str, here: str) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    previous_star = False
    while position < len(text):
        char = text[position]
        if char == "\\":
            escaped = text[position + 1 : position + 2]
            if escaped not in ("*", "\\"):
                raise InvalidPatternError(here, 'wildcard: a backslash may only escape "*" or "\\"')
            parts.append(re.escape(escaped))
            position += 2
            previous_star = False
        elif char == "*":
            if previous_star:
                raise InvalidPatternError(
                    here, 'wildcard: consecutive wildcard characters ("**") are not allowed'
                )
            parts.append(".*")
            position += 1
            previous_star = True
        else:
            parts.append(re.escape(char))
            position += 1
            previous_star = False
    return re.compile("".join(parts), re.DOTALL)


def _wildcard_tokens(text: str) -> list[str | None]:
    """A validated wildcard as characters, None standing for each unescaped ``*``."""
    tokens: list[str | None] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "\\":
            tokens.append(text[position + 1])
            position += 2
        else:
            tokens.append(None if char == "*" else char)
            position += 1
    return tokens


def wildcard_complexity(texts: list[str], limit: int = WILDCARD_COMPLEXITY) -> int:
    """The most wildcard-rule prefixes that one input can be in at once (already validated wildcards).

    ruler's MachineComplexityEvaluator for the wildcards of one field: each pattern is a chain of
    states, one per prefix, a prefix ending in ``*`` looping on any character; a subset construction
    over all patterns counts the states live together (start states excluded, identical patterns
    once), stopping at ``limit``."""
    patterns = [_wildcard_tokens(text) for text in dict.fromkeys(texts)]
    alphabet = {token for tokens in patterns for token in tokens if token is not None}
    alphabet.add("\x00")  # stands for every character no pattern names

    def closure(states: set[tuple[int, int]]) -> frozenset[tuple[int, int]]:
        # A star may match nothing: a state before a star is also the star's state.
        pending = list(states)
        seen = set(states)
        while pending:
            which, length = pending.pop()
            tokens = patterns[which]
            if length < len(tokens) and tokens[length] is None and (which, length + 1) not in seen:
                seen.add((which, length + 1))
                pending.append((which, length + 1))
        return frozenset(seen)

    start = closure({(which, 0) for which in range(len(patterns))})
    frontier = [start]
    visited = {start}
    worst = 0
    while frontier and worst < limit and len(visited) < 20_000:
        current = frontier.pop()
        for char in alphabet:
            following: set[tuple[int, int]] = set()
            for which, length in current:
                tokens = patterns[which]
                if length and tokens[length - 1] is None:
                    following.add((which, length))
                if length < len(tokens) and tokens[length] == char:
                    following.add((which, length + 1))
            if not following:
                continue
            state = closure(following)
            worst = max(worst, sum(1 for _, length in state if length))
            if state not in visited:
                visited.add(state)
                frontier.append(state)
    return worst


def check_wildcard_complexity(texts: list[str], here: str) -> None:
    if any("*" in text for text in texts) and wildcard_complexity(texts) > WILDCARD_COMPLEXITY:
        raise InvalidPatternError(here, f"wildcard: {_TOO_COMPLEX}")


def _numeric_operand(items: list[Any], position: int, operator: str, here: str) -> int | float:
    if position >= len(items) or not is_number(items[position]):
        raise InvalidPatternError(here, f'numeric: "{operator}" must be followed by a number')
    value: int | float = items[position]
    if not -NUMERIC_LIMIT <= value <= NUMERIC_LIMIT:
        raise InvalidPatternError(here, f"numeric: {value} is outside the supported range -5.0e9..5.0e9")
    return value


def _numeric_test(argument: Any, here: str) -> ValueTest:
    if not isinstance(argument, list) or not argument:
        raise InvalidPatternError(here, 'numeric must be a non-empty array such as [">", 0, "<=", 5]')
    first = argument[0]
    if not isinstance(first, str) or first not in _NUMERIC_OPERATORS:
        raise InvalidPatternError(here, f"numeric: unrecognized operator {json.dumps(first)}")
    bound = _numeric_operand(argument, 1, first, here)
    if first in ("=", "<", "<=") or len(argument) == 2:
        if len(argument) != 2:
            raise InvalidPatternError(here, f'numeric: too many elements after "{first}"')
        return _numeric_single(first, bound)
    upper_operator = argument[2]
    if upper_operator not in ("<", "<="):
        raise InvalidPatternError(
            here, f'numeric: the upper bound must use "<" or "<=", got {json.dumps(upper_operator)}'
        )
    upper = _numeric_operand(argument, 3, upper_operator, here)
    if len(argument) != 4:
        raise InvalidPatternError(here, "numeric: too many elements in range expression")
    if bound >= upper:
        raise InvalidPatternError(
            here, f"numeric: the lower bound {bound} must be below the upper bound {upper}"
        )
    low_open, high_open = first == ">", upper_operator == "<"

    def in_range(v: Any) -> bool:
        if not is_number(v) or not -NUMERIC_LIMIT <= v <= NUMERIC_LIMIT:
            return False
        above = v > bound if low_open else v >= bound
        return above and (v < upper if high_open else v <= upper)

    return in_range


def _numeric_single(operator: str, bound: int | float) -> ValueTest:
    compare: Callable[[Any], bool] = {
        "=": lambda v: v == bound,
        "<": lambda v: v < bound,
        "<=": lambda v: v <= bound,
        ">": lambda v: v > bound,
        ">=": lambda v: v >= bound,
    }[operator]
    return lambda v: is_number(v) and -NUMERIC_LIMIT <= v <= NUMERIC_LIMIT and compare(v)


def _cidr_test(argument: Any, here: str) -> ValueTest:
    text = _string_argument(argument, here, "cidr")
    if text.count("/") != 1:
        raise InvalidPatternError(here, f'cidr: malformed CIDR "{text}" (expected address/prefix-length)')
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as error:
        raise InvalidPatternError(here, f'cidr: malformed CIDR "{text}": {error}') from error

    def in_network(v: Any) -> bool:
        if type(v) is not str:
            return False
        try:
            address = ipaddress.ip_address(v)
        except ValueError:
            return False
        return address.version == network.version and address in network

    return in_network


def _string_list(argument: Any, here: str, operator: str) -> list[str]:
    items = argument if isinstance(argument, list) else [argument]
    if not items:
        raise InvalidPatternError(here, f"anything-but/{operator}: the list must not be empty")
    for item in items:
        if not isinstance(item, str):
            raise InvalidPatternError(
                here, f"anything-but/{operator}: values must be strings, got {_json_kind(item)}"
            )
    return items


def _anything_but_positive(argument: Any, here: str) -> ValueTest:
    """The test anything-but negates; it is False for value types it does not apply to."""
    if isinstance(argument, dict):
        operator, inner = _single_key(argument, here, "an anything-but object")
        if operator in ("prefix", "suffix"):
            # One prefix/suffix or a list of them (ruler 1.8+, EventBridge): none may match.
            affixes = []
            for text in _string_list(inner, here, operator):
                if not text:
                    raise InvalidPatternError(
                        here, f"anything-but/{operator}: an empty {operator} is not allowed"
                    )
                affixes.append(text)
            if operator == "prefix":
                starts = tuple(affixes)
                return lambda v: type(v) is str and v.startswith(starts)
            ends = tuple(affixes)
            return lambda v: type(v) is str and v.endswith(ends)
        if operator == "equals-ignore-case":
            folded = frozenset(item.lower() for item in _string_list(inner, here, operator))
            return lambda v: type(v) is str and v.lower() in folded
        if operator == "wildcard":
            texts = _string_list(inner, here, operator)
            regexes = [_wildcard_regex(item, here) for item in texts]
            check_wildcard_complexity(texts, here)
            return lambda v: type(v) is str and any(regex.fullmatch(v) for regex in regexes)
        raise InvalidPatternError(here, f'unsupported anything-but pattern "{operator}"')
    items = argument if isinstance(argument, list) else [argument]
    if not items:
        raise InvalidPatternError(here, "anything-but: the list must not be empty")
    if all(isinstance(item, str) for item in items):
        strings = frozenset(items)
        return lambda v: type(v) is str and v in strings
    if all(is_number(item) for item in items):
        numbers = frozenset(items)
        return lambda v: is_number(v) and v in numbers
    if any(not (isinstance(item, str) or is_number(item)) for item in items):
        bad = next(item for item in items if not (isinstance(item, str) or is_number(item)))
        raise InvalidPatternError(
            here, f"anything-but: values must be strings or numbers, got {_json_kind(bad)}"
        )
    raise InvalidPatternError(here, "anything-but: a list must hold only strings or only numbers, not both")
