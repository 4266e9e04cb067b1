"""Hostile and careless configs (issue 15, items 4 and 6): bounded before anything parses them.

Every case that could exhaust memory or hang runs in a child process under an address-space
limit (``RLIMIT_AS``) and a timeout, so a regression fails the test instead of the machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from imbalance_torch.lightning.config_guard import (
    MAX_COLLECTION_ITEMS,
    MAX_CONFIG_BYTES,
    MAX_CONFIG_DEPTH,
    ConfigBoundError,
    check_config_file,
    check_recipe_configs,
    check_yaml_text,
    config_file_arguments,
)

resource = pytest.importorskip("resource")

from child_limits import TIMEOUT_S, run_limited  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
NODES_MESSAGE = "expands to more than 100,000 YAML values (aliases counted at each use)"


def bomb_list(levels: int = 9) -> str:
    """A flow list of ``10 ** levels`` strings, written in under 400 bytes (billion laughs)."""
    lines = ['- &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for level in range(1, levels):
        lines.append(f"- &a{level} [{','.join([f'*a{level - 1}'] * 10)}]")
    return "\n".join(lines)


def bomb_config() -> str:
    """A config whose ``data.categorical`` expands to a billion column names."""
    indented = "\n".join("    " + line for line in bomb_list().splitlines())
    return f"data:\n  categorical:\n{indented}\n"


def assert_one_line_error(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode != 0, done.stdout[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: "), done.stderr[-3000:]
    for fragment in fragments:
        assert fragment in last, last


# ---------------------------------------------------------------- recipes, in a child process


def test_train_refuses_bomb_file_within_seconds(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb_config())
    assert path.stat().st_size < 1024
    done, seconds = run_limited("recipes/train.py", "fit", "--config", str(path))
    assert_one_line_error(done, f"{path}: {NODES_MESSAGE}")
    assert seconds < TIMEOUT_S


def test_train_refuses_inline_bomb(tmp_path):
    done, _ = run_limited("recipes/train.py", "fit", "--config", bomb_config())
    assert_one_line_error(done, f"--config (inline YAML): {NODES_MESSAGE}")


def test_train_refuses_bomb_in_a_flag_value(tmp_path):
    done, _ = run_limited("recipes/train.py", "fit", "--data.categorical", bomb_list())
    assert_one_line_error(done, f"--data.categorical value: {NODES_MESSAGE}")


def test_train_refuses_a_fifo_as_config(tmp_path):
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)  # nobody writes to it: reading it would block forever
    done, _ = run_limited("recipes/train.py", "fit", "--config", str(fifo))
    assert_one_line_error(done, f"{fifo}: a config must be a regular file")


def test_train_parses_inline_config_longer_than_a_file_name():
    """An inline YAML string past 255 bytes is YAML, not a file name (was OSError ENAMETOOLONG)."""
    inline = "trainer:\n  max_epochs: 7\n# " + "padding " * 60 + "\n"
    assert len(inline.encode()) > 255
    done, _ = run_limited("recipes/train.py", "fit", "--config", inline, "--print_config")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "max_epochs: 7" in done.stdout


def test_train_refuses_long_file_name_without_traceback(tmp_path):
    """A path with a 300-byte name (was OSError ENAMETOOLONG): LightningCLI's one-line error."""
    name = str(tmp_path / ("a" * 300 + ".yaml"))
    done, _ = run_limited("recipes/train.py", "fit", "--config", name)
    assert_one_line_error(done, "File does not exist", name)


@pytest.fixture
def config_copy(tmp_path):
    """A copy of the repo's configs/ to plant hostile files in."""
    configs = tmp_path / "configs"
    shutil.copytree(REPO / "configs", configs)
    return configs


def test_compare_refuses_bomb_strategy_config(tmp_path, config_copy):
    path = config_copy / "strategies" / "bomb.yaml"
    path.write_text(bomb_config())
    done, seconds = run_limited(
        "recipes/compare.py", "--configs", str(config_copy), "--strategies", "bomb",
        "--rows", "2000", "--max-epochs", "1", "--seeds", "1", "--out", str(tmp_path / "out"),
    )
    assert_one_line_error(done, f"{path}: {NODES_MESSAGE}")
    assert not (tmp_path / "out" / "results.csv").exists()


def test_compare_refuses_bomb_in_default_data_config(tmp_path, config_copy):
    path = config_copy / "data.yaml"
    path.write_text(bomb_config())
    done, _ = run_limited(
        "recipes/compare.py", "--configs", str(config_copy), "--strategies", "none",
        "--rows", "2000", "--max-epochs", "1", "--seeds", "1", "--out", str(tmp_path / "out"),
    )
    assert_one_line_error(done, f"{path}: {NODES_MESSAGE}")


def test_cli_guard_refuses_bomb_file_and_value(tmp_path):
    """ImbalanceCLI itself (no recipe check in front) scans what jsonargparse loads."""
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb_config())
    script = (
        "import sys\n"
        "from imbalance_torch.lightning.cli import ImbalanceCLI, default_config_files\n"
        "ImbalanceCLI(args=sys.argv[1:], run=False,"
        " parser_kwargs={'default_config_files': default_config_files('configs')})\n"
    )
    done, _ = run_limited("-c", script, "--config", str(path))
    assert_one_line_error(done, "Problems parsing config", NODES_MESSAGE)
    done, _ = run_limited("-c", script, "--data.categorical", bomb_list())
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert NODES_MESSAGE in done.stderr


# ---------------------------------------------------------------- the scan itself, in process


def test_shipped_configs_pass():
    for path in sorted((REPO / "configs").rglob("*.yaml")):
        check_config_file(path)


def test_bomb_is_refused_without_building_it():
    start = time.perf_counter()
    with pytest.raises(ConfigBoundError, match=re.escape(f"c.yaml: {NODES_MESSAGE}")):
        check_yaml_text(bomb_config(), source="c.yaml")
    assert time.perf_counter() - start < 1.0


def test_long_scalar_repeated_by_aliases_is_refused():
    text = "- &s " + "x" * 1000 + "\n" + "\n".join(["- *s"] * 5000)
    with pytest.raises(ConfigBoundError, match=r"c.yaml: expands to more than 4,194,304 characters"):
        check_yaml_text(text, source="c.yaml")


def test_recursive_alias_is_refused():
    with pytest.raises(ConfigBoundError, match=r"alias \*x refers to a list or mapping that contains it"):
        check_yaml_text("a: &x [1, *x]", source="c.yaml")


def test_undefined_alias_is_refused():
    with pytest.raises(ConfigBoundError, match=r"alias \*y refers to no anchor &y"):
        check_yaml_text("a: *y", source="c.yaml")


def test_deep_nesting_is_refused():
    depth = MAX_CONFIG_DEPTH + 1
    with pytest.raises(ConfigBoundError, match=f"nested more than {MAX_CONFIG_DEPTH} deep"):
        check_yaml_text("[" * depth + "]" * depth, source="c.yaml")
    check_yaml_text("[" * MAX_CONFIG_DEPTH + "]" * MAX_CONFIG_DEPTH, source="c.yaml")


def test_list_size_is_bounded():
    check_yaml_text("[" + ",".join(["1"] * MAX_COLLECTION_ITEMS) + "]", source="c.yaml")
    with pytest.raises(ConfigBoundError, match="a list or mapping with more than 10,000 items"):
        check_yaml_text("[" + ",".join(["1"] * (MAX_COLLECTION_ITEMS + 1)) + "]", source="c.yaml")


def test_file_size_is_read_from_stat_first(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * MAX_CONFIG_BYTES)
    with pytest.raises(ConfigBoundError, match=r"big.yaml: 1,048,578 bytes, more than the 1,048,576"):
        check_config_file(path)


def test_non_utf8_and_non_yaml_files_are_refused(tmp_path):
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"a: \xff\n")
    with pytest.raises(ConfigBoundError, match=r"b.yaml: not UTF-8 text \(byte 3\)"):
        check_config_file(binary)
    broken = tmp_path / "c.yaml"
    broken.write_text("a: [1, 2\n")
    with pytest.raises(ConfigBoundError, match=r"c.yaml: not a valid YAML config"):
        check_config_file(broken)


def test_inline_config_of_any_length_is_never_taken_for_a_file():
    inline = "trainer: {max_epochs: 1}  # " + "x" * 5000
    assert config_file_arguments(["fit", "--config", inline]) == []
    check_recipe_configs(["fit", "--config", inline])
    assert config_file_arguments(["--config=" + str(REPO / "configs" / "data.yaml")]) == [
        str(REPO / "configs" / "data.yaml")
    ]


def test_inline_config_over_the_size_bound_is_refused():
    # Past 128 KiB one argument cannot reach a process (execve's MAX_ARG_STRLEN): in process.
    inline = "trainer:\n  max_epochs: 1\n# " + "x" * MAX_CONFIG_BYTES + "\n"
    with pytest.raises(ConfigBoundError, match=r"--config \(inline YAML\): 1,048,604 bytes of "):
        check_recipe_configs(["fit", "--config", inline])


def test_plain_string_flags_pass():
    check_recipe_configs(["fit", "--data.data", "a file: with colon [", "--trainer.max_epochs=3"])
