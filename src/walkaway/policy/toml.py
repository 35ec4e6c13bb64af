"""Reading and writing a tree of frozen dataclasses as TOML, strictly.

The policy is defined once, as frozen dataclasses (``walkaway.policy``); this module
validates a parsed TOML table against those classes and writes them back. Every
problem becomes a :class:`PolicyError` with one line that names the key and says what
was expected. Field metadata may carry ``min`` / ``max`` bounds, and ``rest=True``
marks a mapping that takes the remaining keys of its table (a rule's thresholds).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import types
import typing
from collections.abc import Mapping
from enum import Enum
from typing import Any

from walkaway.errors import PolicyError

Table = dict[str, Any]
T = typing.TypeVar("T")


def fail(path: str, expected: str, value: object) -> PolicyError:
    shown = json.dumps(value, default=str) if not isinstance(value, dict) else "a table"
    return PolicyError(f"policy key '{path}': expected {expected}, got {shown}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _unknown(path: str, key: str, known: typing.Iterable[str]) -> PolicyError:
    known = sorted(known)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
    return PolicyError(f"policy key '{_join(path, key)}' is unknown; {hint}")


def overlay(base: Table, override: Table, path: str = "") -> Table:
    """``override`` laid over ``base``: tables merge key by key, anything else replaces.

    A key that ``base`` does not have is refused, so the default policy defines the
    key space and a team file only holds what it changes.
    """
    merged = dict(base)
    for key, value in override.items():
        if key not in base:
            raise _unknown(path, key, base)
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise fail(_join(path, key), "a table", value)
            merged[key] = overlay(base[key], value, _join(path, key))
        else:
            merged[key] = value
    return merged


def build(cls: type[T], table: object, path: str = "") -> T:
    """An instance of the dataclass ``cls`` from a TOML table, checked key by key."""
    if not isinstance(table, dict):
        raise fail(path or "policy", "a table", table)
    hints = _type_hints(cls)  # type: ignore[arg-type]
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    rest = next((f for f in fields.values() if f.metadata.get("rest")), None)
    values: dict[str, Any] = {}
    leftovers: Table = {}
    for key, raw in table.items():
        if key in fields and fields[key] is not rest:
            values[key] = _convert(hints[key], raw, _join(path, key), fields[key].metadata)
        elif rest is not None:
            leftovers[key] = raw
        else:
            raise _unknown(path, key, fields)
    if rest is not None:
        values[rest.name] = _convert(hints[rest.name], leftovers, path, rest.metadata)
    for name, fld in fields.items():
        missing = fld.default is dataclasses.MISSING and fld.default_factory is dataclasses.MISSING
        if missing and name not in values:
            raise PolicyError(f"policy key '{_join(path, name)}' is missing")
    return cls(**values)


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    # Each class's annotations are text (PEP 563): evaluated once, not once per table of
    # that class (a policy has dozens of stages and rules).
    return typing.get_type_hints(cls)


def _convert(tp: Any, raw: object, path: str, meta: Mapping[str, Any]) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        return _convert_union(args, raw, path, meta)
    if origin is tuple:
        if isinstance(raw, dict) and dataclasses.is_dataclass(args[0]):
            raw = [raw]  # one table where a list of tables is expected
        if not isinstance(raw, list):
            raise fail(path, "a list", raw)
        return tuple(_convert(args[0], item, f"{path}[{i}]", meta) for i, item in enumerate(raw))
    if origin in (Mapping, dict):
        if not isinstance(raw, dict):
            raise fail(path, "a table", raw)
        return {k: _convert(args[1], v, _join(path, k), meta) for k, v in raw.items()}
    if origin is typing.Literal:
        if raw not in args:
            raise fail(path, "one of " + ", ".join(map(str, args)), raw)
        return raw
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return build(tp, raw, path)
    return _convert_scalar(tp, raw, path, meta)


def _convert_union(args: tuple[Any, ...], raw: object, path: str, meta: Mapping[str, Any]) -> Any:
    # bool first: TOML's true is also a Python int.
    for option in sorted(args, key=lambda a: a is not bool):
        try:
            return _convert(option, raw, path, meta)
        except PolicyError:
            continue
    names = " or ".join(_describe(a) for a in args)
    raise fail(path, names, raw)


def _describe(tp: Any) -> str:
    return {bool: "true/false", int: "a whole number", float: "a number", str: "text"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _convert_scalar(tp: Any, raw: object, path: str, meta: Mapping[str, Any]) -> Any:
    value: Any
    if tp is bool:
        if not isinstance(raw, bool):
            raise fail(path, "true or false", raw)
        return raw
    if isinstance(raw, bool):
        raise fail(path, _describe(tp), raw)
    if tp is int and isinstance(raw, int):
        value = raw
    elif tp is float and isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(tp, type) and issubclass(tp, Enum):
        if raw not in [m.value for m in tp]:
            raise fail(path, "one of " + ", ".join(str(m.value) for m in tp), raw)
        return tp(raw)
    elif tp is str and isinstance(raw, str):
        return raw
    else:
        raise fail(path, _describe(tp), raw)
    low, high = meta.get("min"), meta.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise fail(path, f"a number {bounds}", raw)
    return value


def dump(obj: object) -> str:
    """TOML text that :func:`build` reads back into an equal object."""
    lines: list[str] = []
    _dump_table(obj, "", lines, in_array=False)
    return "\n".join(lines).strip() + "\n"


def _dump_table(obj: object, path: str, lines: list[str], *, in_array: bool) -> None:
    nested: list[tuple[str, object]] = []
    for fld in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, fld.name)
        if value is None:
            continue  # TOML has no null: a missing key reads back as None
        if fld.metadata.get("rest"):
            lines.extend(f"{_key(k)} = {_scalar(v)}" for k, v in value.items())
        elif _is_tabular(value, in_array=in_array):
            nested.append((fld.name, value))
        else:
            lines.append(f"{_key(fld.name)} = {_scalar(value)}")
    for name, value in nested:
        sub = _join(path, _key(name))
        if isinstance(value, tuple):
            for item in value:
                lines.extend(["", f"[[{sub}]]"])
                _dump_table(item, sub, lines, in_array=True)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                lines.extend(["", f"[{sub}.{_key(key)}]"])
                _dump_table(item, f"{sub}.{_key(key)}", lines, in_array=in_array)
        else:
            lines.extend(["", f"[{sub}]"])
            _dump_table(value, sub, lines, in_array=in_array)


def _is_tabular(value: object, *, in_array: bool) -> bool:
    if in_array:
        # Inside [[...]] everything is written inline: simpler than nested headers.
        return False
    if dataclasses.is_dataclass(value):
        return True
    if isinstance(value, tuple) and value:
        # An empty list stays a plain value.
        return dataclasses.is_dataclass(value[0])
    if isinstance(value, Mapping) and value:
        return all(dataclasses.is_dataclass(v) for v in value.values())
    return False


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else json.dumps(name)


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return json.dumps(value.value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_scalar(v)}" for k, v in value.items()) + " }"
    if dataclasses.is_dataclass(value):
        pairs = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return _scalar(pairs)
    raise TypeError(f"cannot write {value!r} as TOML")
