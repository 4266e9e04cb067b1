"""Header-level checks of CSV/Parquet files run before the file is read; hints name flags
exactly as they are typed."""

from __future__ import annotations

import re
import shlex

import numpy as np
import pandas as pd
import pytest

from imbalance_torch.lightning.tables import table as tables


@pytest.fixture
def never_read_whole(monkeypatch):
    """Fail if the whole file is read: the header and the first rows must answer."""

    def refuse(*args, **kwargs):
        raise AssertionError("the whole file was read before a header-level check")

    monkeypatch.setattr(tables, "read_frame", refuse)


def write(tmp_path, suffix, rows=3000):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "amount": rng.random(rows),
        "city": rng.choice(["paris", "rome"], rows),
        "plan": rng.choice(["a", "b"], rows),
        "Class": (rng.random(rows) < 0.1).astype(int),
    })
    path = tmp_path / f"cards.{suffix}"
    if suffix == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, row_group_size=500)
    return path


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_missing_target_is_found_on_the_header(tmp_path, never_read_whole, suffix):
    path = write(tmp_path, suffix)
    with pytest.raises(ValueError, match=r"target='label' is not a column of cards\.\w+; its columns are: amount, city, plan, Class\. Pass the label column's name as target \(--data\.target NAME"):
        tables.load_table(path, target="label")
    with pytest.raises(ValueError, match=r"target is required to read cards\.\w+"):
        tables.load_table(path)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_declared_columns_must_exist(tmp_path, never_read_whole, suffix):
    path = write(tmp_path, suffix)
    with pytest.raises(ValueError, match=r"categorical=\['town'\] names columns that cards\.\w+ does not have"):
        tables.load_table(path, target="Class", categorical=["town", "plan"])
    with pytest.raises(ValueError, match=r"time_column/group_column=\['day'\] names columns"):
        tables.load_table(path, target="Class", categorical=["city", "plan"], split_columns=["day"])


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_undeclared_text_columns_are_found_in_the_first_rows(tmp_path, never_read_whole, suffix):
    path = write(tmp_path, suffix)
    with pytest.raises(TypeError, match=re.escape(
        "declare them categorical (categorical=['city', 'plan'] in Python, or on the command "
        "line --data.categorical '[city, plan]' (compare also takes --categorical city plan))"
    )):
        tables.load_table(path, target="Class")


def test_the_hinted_flags_parse_as_typed(tmp_path):
    """The hint's command-line form is what jsonargparse accepts; the old form is not."""
    from imbalance_torch.lightning.cli import ImbalanceCLI

    path = write(tmp_path, "csv", rows=200)
    with pytest.raises(TypeError) as caught:
        tables.load_table(path, target="Class")
    flags = re.search(r"on the command line (--data\.categorical '\[[^]]*\]')", str(caught.value))
    args = ["--data.data", str(path), "--data.target", "Class", *shlex.split(flags.group(1))]
    cli = ImbalanceCLI(
        args=args, run=False, save_config_callback=None,
        trainer_defaults={"logger": False, "enable_checkpointing": False},
    )
    assert cli.datamodule.hparams.categorical == ["city", "plan"]
    assert cli.datamodule.table.feature_names == ("amount", "city", "plan")
