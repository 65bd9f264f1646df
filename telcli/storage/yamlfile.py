"""Safe loading of the YAML files people write for telcli (config, address files, plans).

Every failure of reading, decoding, parsing or constructing a value becomes one
``ConfigError`` (exit 3) naming the file, the line and, where there is one, the key:

    /home/ops/.config/telcli/config.yaml:4: timeout: invalid !!float value 'abc'

The document is composed into nodes (so every value keeps its line) with PyYAML's safe
loader, bounded in size and nesting depth; values are then constructed one scalar at a time
(:func:`scalar`) or a whole subtree at a time (:func:`to_python`), only with the YAML core
schema's tags. Nothing here executes anything, and no input raises anything but ConfigError:
invalid UTF-8, explicit tags whose text does not parse (``!!float abc``, ``!!bool maybe``,
``!!timestamp 2020-13-45``), unknown tags (``!!python/name:os.system``), lists or mappings used
as keys, duplicate keys, recursive aliases and 2,000-deep nesting are all reported, not raised.

``yaml`` is imported inside the functions (it costs ~30 ms; see STYLE.md §9).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telcli.errors import ConfigError
from telcli.validate import InvalidValue, shown, utf8

if TYPE_CHECKING:
    import yaml

# Deeper than any file telcli reads needs (plans nest about 5 levels), far shallower than the
# ~330 levels at which PyYAML's recursive composer exhausts Python's stack.
MAX_DEPTH = 64
# Config, address and plan files are hand-written: a few KB. Anything this large is a mistake.
MAX_BYTES = 4 * 1024 * 1024
# Nodes :func:`to_python` may produce: bounds the expansion of aliases ("billion laughs").
MAX_NODES = 100_000
_PREFIX = "tag:yaml.org,2002:"
# The core schema's scalar tags, plus timestamp and binary which PyYAML's safe loader resolves
# implicitly (a value may be written with or without the explicit tag).
SCALAR_TAGS = frozenset(
    _PREFIX + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary")
)
_KIND = {"ScalarNode": "a single value", "SequenceNode": "a list", "MappingNode": "a mapping"}


def where(path: Path, node: Any) -> str:
    """``path:line`` of a node (1-based line)."""
    return f"{path}:{node.start_mark.line + 1}"


def kind(node: Any) -> str:
    return _KIND.get(type(node).__name__, "a value")


@cache
def _loader_class() -> type[Any]:
    import yaml
    from yaml.composer import ComposerError

    class DepthLimitedLoader(yaml.SafeLoader):
        """PyYAML's composer recurses once per nesting level; stop it at MAX_DEPTH instead of
        letting a deep document end in RecursionError."""

        _depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            self._depth += 1
            try:
                if self._depth > MAX_DEPTH:
                    mark = self.peek_event().start_mark
                    raise ComposerError(
                        None, None, f"nested more than {MAX_DEPTH} levels deep", mark
                    )
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    return DepthLimitedLoader


def _decode(path: Path, data: bytes) -> str:
    try:
        return utf8(data)
    except InvalidValue as exc:
        raise ConfigError(f"{path}:{exc.message}", hint=exc.hint) from None


def read_text(path: Path, *, max_bytes: int = MAX_BYTES) -> str:
    """The text of ``path``: at most ``max_bytes``, UTF-8 (a BOM is dropped).

    ConfigError for an unreadable, oversized or non-UTF-8 file (naming the line)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise ConfigError(
            f"{path}: larger than {max_bytes // (1024 * 1024)} MiB; not a file telcli can read"
        )
    return _decode(path, data)


def compose(path: Path, *, max_bytes: int = MAX_BYTES) -> yaml.Node | None:
    """The single YAML document in ``path`` as a node tree (None for an empty document).

    ConfigError for an unreadable, oversized, non-UTF-8, invalid or too deeply nested file."""
    return compose_text(path, read_text(path, max_bytes=max_bytes))


def compose_text(path: Path, text: str) -> yaml.Node | None:
    """:func:`compose` for text already read (``path`` names it in errors).

    With libyaml (PyYAML's C extension) the events are first scanned for depth, then composed
    in C: several times faster on a large plan. Without it, a pure-Python loader that stops
    at :data:`MAX_DEPTH` as it composes."""
    import yaml

    fast = getattr(yaml, "CSafeLoader", None)
    loader = None
    try:
        if fast is not None:
            _check_depth(yaml.parse(text, Loader=fast))
            node: yaml.Node | None = yaml.compose(text, Loader=fast)
            return node
        loader = _loader_class()(text)  # the reader checks every character here
        node = loader.get_single_node()
        return node
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise ConfigError(
            f"{path}:{line}: invalid YAML: control character {_codepoint(exc.character)}"
            " is not allowed"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        if problem == "exceeded maximum nesting depth":  # libyaml's own limit (1,000)
            problem = f"nested more than {MAX_DEPTH} levels deep"
        elif context and not context.startswith("while"):
            problem = f"{context}, {problem}"  # "expected a single document…, but found…"
        raise ConfigError(f"{path}{line}: invalid YAML: {problem}") from None
    except RecursionError:  # a safety net: MAX_DEPTH stops nesting long before this
        raise ConfigError(f"{path}: invalid YAML: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()


def _check_depth(events: Any) -> None:
    import yaml
    from yaml.composer import ComposerError

    depth = 0
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                message = f"nested more than {MAX_DEPTH} levels deep"
                raise ComposerError(None, None, message, event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def construct(node: Any) -> Any:
    """A scalar node's value with YAML's core-schema tags only (safe_load semantics: ``1`` is
    an int, ``"1"`` a str). ``ValueError`` (with the reason) for another tag, a list or mapping,
    or text its tag cannot parse; callers that collect problems catch it."""
    import yaml

    if not isinstance(node, yaml.ScalarNode):
        raise ValueError(f"must be a single value, not {kind(node)}")
    tag = node.tag or ""
    if tag not in SCALAR_TAGS:
        raise ValueError(f"unsupported tag {_short(tag)}")
    try:
        return yaml.constructor.SafeConstructor().construct_document(node)
    except Exception:  # e.g. ValueError from float("abc"), KeyError from bool("maybe")
        raise ValueError(f"invalid {_short(tag)} value {shown(node.value)}") from None


def scalar(path: Path, node: Any, key: str) -> Any:
    """The Python value of one scalar node, built by the safe constructor with a core tag only.

    ConfigError (``file:line: key: …``) for a list or mapping, an unsupported tag, or text the
    tag cannot parse."""
    try:
        return construct(node)
    except ValueError as exc:
        if str(exc).startswith("must be"):
            raise ConfigError(f"{where(path, node)}: {key} {exc}") from None
        hint = "drop the tag: plain values like 20, true or text need none"
        raise ConfigError(
            f"{where(path, node)}: {key}: {exc}",
            hint=hint if str(exc).startswith("unsupported tag") else None,
        ) from None


def mapping(path: Path, node: Any, what: str) -> list[tuple[str, Any, Any]]:
    """``(key, key node, value node)`` for each entry of a mapping node, in file order.

    Keys must be plain scalars (a list or mapping as a key is an error) and appear once."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(
            f"{where(path, node)}: {what} must be a mapping of key: value, not {kind(node)}"
        )
    _plain(path, node, "map", what)
    seen: dict[str, int] = {}
    out = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise ConfigError(
                f"{where(path, key_node)}: {what}: a key must be a plain name, not {kind(key_node)}"
            )
        key = key_node.value
        line = key_node.start_mark.line + 1
        if key in seen:
            raise ConfigError(
                f"{where(path, key_node)}: {what}: {key!r} appears twice (first on line"
                f" {seen[key]})",
                hint="keep one of them",
            )
        seen[key] = line
        out.append((key, key_node, value_node))
    return out


def sequence(path: Path, node: Any, what: str) -> list[Any]:
    """The item nodes of a sequence node."""
    import yaml

    if not isinstance(node, yaml.SequenceNode):
        raise ConfigError(f"{where(path, node)}: {what} must be a list, not {kind(node)}")
    _plain(path, node, "seq", what)
    return list(node.value)


def _plain(path: Path, node: Any, tag: str, what: str) -> None:
    """Collections carry no tag but their own (``!!set``, ``!!omap``, ``!!python/…`` are
    refused rather than silently read as a plain mapping or list)."""
    if node.tag != _PREFIX + tag:
        raise ConfigError(f"{where(path, node)}: {what}: unsupported tag {_short(node.tag)}")


def to_python(path: Path, node: Any, what: str = "value") -> Any:
    """A whole subtree as plain dicts, lists and scalars (the rules of :func:`mapping` and
    :func:`scalar` applied throughout), bounded to :data:`MAX_NODES` nodes and
    :data:`MAX_DEPTH` levels so that aliases can neither expand without limit nor loop."""
    import yaml

    budget = [MAX_NODES]

    def build(node: Any, what: str, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_DEPTH:
            where_ = what if len(what) <= 60 else what[:60] + "…"
            raise ConfigError(
                f"{where(path, node)}: {where_}: too large or too deeply nested"
                " (aliases expand to more than the limit)"
            )
        if isinstance(node, yaml.MappingNode):
            return {
                key: build(value, f"{what}.{key}" if what else key, depth + 1)
                for key, _, value in mapping(path, node, what or "the document")
            }
        if isinstance(node, yaml.SequenceNode):
            return [build(item, f"{what}[{i}]", depth + 1) for i, item in enumerate(node.value)]
        return scalar(path, node, what)

    return build(node, what, 0)


def _codepoint(character: object) -> str:
    return f"U+{character:04X}" if isinstance(character, int) else shown(character)


def _short(tag: str) -> str:
    return "!!" + tag[len(_PREFIX) :] if tag.startswith(_PREFIX) else shown(tag)
