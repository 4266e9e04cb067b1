"""Bounds on every config the recipes read, checked before LightningCLI parses it.

NOTE [Configs are code]
A LightningCLI config is a program, not data: a ``class_path`` imports the class it names and
a callback argument may name any importable function, which the trainer then calls. Configs
must be trusted like scripts; this module does not make an untrusted config safe to run.
What it does bound is *reading*: a YAML file of a few hundred bytes whose anchors refer to
anchors ("billion laughs") expands to billions of values once anything walks it, and
jsonargparse walks every value. So every config text the recipes hand on is first scanned as
a stream of YAML events (no object is built, aliases are counted at each use) and refused,
in one line naming the source and the bound, as soon as it exceeds one of:

* :data:`MAX_CONFIG_BYTES` of text (a file's size is read from ``stat`` before it is opened;
  only regular files are read, so a FIFO or ``/dev/zero`` is refused, not waited on);
* :data:`MAX_CONFIG_NODES` values, aliases counted at each use;
* :data:`MAX_CONFIG_CHARACTERS` characters of scalar text, aliases counted at each use;
* :data:`MAX_COLLECTION_ITEMS` items in one list or mapping;
* :data:`MAX_CONFIG_DEPTH` levels of nesting; and an alias that refers to itself.

``recipes/train.py`` and ``recipes/compare.py`` call :func:`check_recipe_configs` before any
work, and :class:`~imbalance_torch.lightning.cli.ImbalanceCLI` installs
:func:`install_yaml_guard` so that every YAML text jsonargparse loads (files named inside a
config included) passes the same scan.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_COLLECTION_ITEMS",
    "MAX_CONFIG_BYTES",
    "MAX_CONFIG_DEPTH",
    "MAX_CONFIG_NODES",
    "MAX_CONFIG_CHARACTERS",
    "ConfigBoundError",
    "check_config_file",
    "check_recipe_configs",
    "check_yaml_text",
    "config_file_arguments",
    "install_yaml_guard",
    "read_config_file",
]

MAX_CONFIG_BYTES = 1 << 20
"""Largest config text read: 1 MiB (file or inline ``--config`` string)."""
MAX_CONFIG_NODES = 100_000
"""Most YAML values in one config, every alias counted at each use."""
MAX_CONFIG_CHARACTERS = 4 << 20
"""Most characters of scalar text in one config, every alias counted at each use."""
MAX_COLLECTION_ITEMS = 10_000
"""Most items in one list, or keys in one mapping."""
MAX_CONFIG_DEPTH = 64
"""Deepest nesting of lists and mappings."""

_ADVICE = (
    "a config this large is almost surely an alias bomb or a mistake; write the values out "
    "once, without anchors that refer to anchors, or split the config"
)


class ConfigBoundError(ValueError):
    """A config exceeds a bound of :mod:`~imbalance_torch.lightning.config_guard`."""


class _FileBoundError(ConfigBoundError):
    """A config file's refusal inside jsonargparse (see :func:`install_yaml_guard`)."""


@dataclass
class _Open:
    """A list or mapping whose end event has not been seen yet."""

    anchor: str | None
    is_mapping: bool
    nodes: int = 1
    characters: int = 0
    items: int = 0


def check_yaml_text(text: str, *, source: str) -> None:
    """Refuse YAML ``text`` that would expand past the bounds, without building it.

    Args:
        text: the YAML text.
        source: what to call it in a message (a path, ``--config (inline YAML)``).

    Raises:
        ConfigBoundError: a bound exceeded; the message names ``source`` and the bound.
        yaml.YAMLError: not YAML at all (callers decide whether that is their business).
    """
    import yaml

    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_CONFIG_BYTES:
        raise ConfigBoundError(
            f"{source}: {size:,} bytes of config, more than the {MAX_CONFIG_BYTES:,} bytes "
            f"a config may hold; {_ADVICE}."
        )
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    anchors: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, characters) it expands to
    stack: list[_Open] = []  # the lists and mappings open at this point of the stream
    nodes = characters = 0
    for event in yaml.parse(text, Loader=loader):  # events only: no value is ever built
        if isinstance(event, yaml.CollectionEndEvent):
            _close(stack, anchors)
            continue
        if not isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.CollectionStartEvent)):
            continue  # stream and document markers
        if stack:
            stack[-1].items += 1
            _check_items(stack[-1], source)
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append(_Open(event.anchor, isinstance(event, yaml.MappingStartEvent)))
            _check_depth(len(stack), source)
            nodes += 1
        else:
            if isinstance(event, yaml.AliasEvent):
                weight = _alias_weight(event.anchor, anchors, stack, source)
            else:
                weight = (1, len(event.value))
                if event.anchor:
                    anchors[event.anchor] = weight
            if stack:
                stack[-1].nodes += weight[0]
                stack[-1].characters += weight[1]
            nodes += weight[0]
            characters += weight[1]
        _check_totals(nodes, characters, source)


def _close(stack: list[_Open], anchors: dict[str, tuple[int, int]]) -> None:
    closed = stack.pop()
    if closed.anchor:
        anchors[closed.anchor] = (closed.nodes, closed.characters)
    if stack:
        stack[-1].nodes += closed.nodes
        stack[-1].characters += closed.characters


def _check_depth(depth: int, source: str) -> None:
    if depth > MAX_CONFIG_DEPTH:
        raise ConfigBoundError(
            f"{source}: lists/mappings nested more than {MAX_CONFIG_DEPTH} deep, the most a "
            "config may nest; flatten it."
        )


def _check_items(collection: _Open, source: str) -> None:
    if collection.items > (2 if collection.is_mapping else 1) * MAX_COLLECTION_ITEMS:
        raise ConfigBoundError(
            f"{source}: a list or mapping with more than {MAX_COLLECTION_ITEMS:,} items, the "
            f"most one may hold in a config; {_ADVICE}."
        )


def _alias_weight(
    anchor: str, anchors: dict[str, tuple[int, int]], stack: list[_Open], source: str
) -> tuple[int, int]:
    if anchor in anchors:
        return anchors[anchor]
    if any(frame.anchor == anchor for frame in stack):
        raise ConfigBoundError(
            f"{source}: alias *{anchor} refers to a list or mapping that contains it (a "
            "recursive config expands forever); remove the alias."
        )
    raise ConfigBoundError(f"{source}: alias *{anchor} refers to no anchor &{anchor}.")


def _check_totals(nodes: int, characters: int, source: str) -> None:
    if nodes > MAX_CONFIG_NODES:
        raise ConfigBoundError(
            f"{source}: expands to more than {MAX_CONFIG_NODES:,} YAML values (aliases "
            f"counted at each use), the most a config may hold; {_ADVICE}."
        )
    if characters > MAX_CONFIG_CHARACTERS:
        raise ConfigBoundError(
            f"{source}: expands to more than {MAX_CONFIG_CHARACTERS:,} characters of "
            f"values (aliases counted at each use), the most a config may hold; {_ADVICE}."
        )


def read_config_file(path: str | Path) -> str:
    """Read a config file within the bounds, or refuse it before reading past them.

    Raises:
        ConfigBoundError: not a regular file, too large, or a bound of
            :func:`check_yaml_text` exceeded.
        OSError: the file cannot be read (missing, no permission).
    """
    info = os.stat(path)  # follows symlinks: a link to a regular file is a regular file
    if not stat.S_ISREG(info.st_mode):
        raise ConfigBoundError(
            f"{path}: a config must be a regular file, not a FIFO, device or directory; "
            "pass the path of a YAML file."
        )
    if info.st_size > MAX_CONFIG_BYTES:
        raise ConfigBoundError(
            f"{path}: {info.st_size:,} bytes, more than the {MAX_CONFIG_BYTES:,} bytes a config "
            f"may hold; {_ADVICE}."
        )
    with open(path, "rb") as handle:
        raw = handle.read(MAX_CONFIG_BYTES + 1)  # the file may have grown since stat
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigBoundError(
            f"{path}: not UTF-8 text (byte {error.start}); a config is a UTF-8 YAML file."
        ) from None
    check_yaml_text(text, source=str(path))
    return text


def check_config_file(path: str | Path) -> None:
    """Refuse a config file that exceeds the bounds or is not YAML, before anything parses it.

    Raises:
        ConfigBoundError: see :func:`read_config_file`; also for text that is not YAML.
        OSError: the file cannot be read.
    """
    import yaml

    try:
        read_config_file(path)
    except yaml.YAMLError as error:
        raise ConfigBoundError(
            f"{path}: not a valid YAML config ({' '.join(str(error).split())})."
        ) from None


def _is_file_path(value: str) -> bool:
    """Whether ``value`` names an existing filesystem entry (any string, any length)."""
    try:
        os.stat(value)
    except (OSError, ValueError):  # too long, embedded NUL, missing: not a path
        return False
    return True


def _argument_values(args: Sequence[str]) -> Iterable[tuple[str | None, str]]:
    """``(option, value)`` for every value on a command line (``None`` for positionals)."""
    option = None
    for arg in args:
        if arg.startswith("--"):
            name, sep, value = arg.partition("=")
            if sep:
                yield name, value
                option = None
            else:
                option = name
        else:
            yield option, arg
            option = None


def config_file_arguments(args: Sequence[str]) -> list[str]:
    """The ``--config`` values of a command line that name existing files (not inline YAML)."""
    return [v for option, v in _argument_values(args) if option == "--config" and _is_file_path(v)]


def check_recipe_configs(args: Sequence[str], config_files: Iterable[str | Path] = ()) -> None:
    """Check every config a recipe is about to hand to LightningCLI.

    ``config_files`` (the defaults and strategy configs) and every ``--config FILE`` are read
    within the bounds; an inline ``--config`` YAML string of any length is scanned as text
    (never taken for a file name); any other command-line value is scanned too, since
    jsonargparse parses values as YAML.

    Raises:
        ConfigBoundError: a bound exceeded, naming the file or option and the bound.
        OSError: a config file that exists but cannot be read.
    """
    import yaml

    for path in config_files:
        if os.path.exists(path):
            check_config_file(path)
    files = config_file_arguments(args)
    for option, value in _argument_values(args):
        if option == "--config" and value in files:
            check_config_file(value)
            continue
        source = (
            "--config (inline YAML)" if option == "--config" else f"{option or 'argument'} value"
        )
        try:
            check_yaml_text(value, source=source)
        except yaml.YAMLError:
            pass  # not YAML: LightningCLI reads it as a plain string or reports it


def install_yaml_guard() -> None:
    """Make jsonargparse scan every YAML text with :func:`check_yaml_text` before loading it.

    Idempotent. Covers what the recipes' own check cannot see: config files named inside a
    config and values parsed by LightningCLI in user code.
    """
    import yaml
    from jsonargparse import get_loader, set_loader

    load = get_loader("yaml")
    if getattr(load, "_imbalance_torch_guard", False):
        return

    def guarded_load(stream: Any, path: Any = None) -> Any:
        if isinstance(stream, str):
            try:
                check_yaml_text(stream, source=str(path) if path else "a YAML value")
            except ConfigBoundError as error:
                raise (_FileBoundError if path else ConfigBoundError)(str(error)) from None
        return load(stream)

    guarded_load._imbalance_torch_guard = True  # type: ignore[attr-defined]
    # jsonargparse turns a listed loader exception into its one-line "error: Problems parsing
    # config" for a file, but for a command-line value it means "not YAML, keep the string",
    # which a later plain YAML load would expand after all. So only refusals of a file are
    # listed; a value's refusal stays a ValueError, which jsonargparse reports for its key.
    set_loader("yaml", guarded_load, (yaml.YAMLError, _FileBoundError))
