"""Scoring raw rows with a checkpoint: the round trip in a fresh process, thresholds stored and
reported, the Python API and its errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import pytest
import torch

from imbalance_torch.lightning import ImbalanceDataModule, TabularClassifier
from imbalance_torch.lightning.scoring import Scorer, predict_file, predict_main

REPO = Path(__file__).resolve().parents[2]


def make_transactions(rows: int = 1200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    fraud = rng.random(rows) < 0.1
    return pd.DataFrame(
        {
            "tx_id": np.arange(10_000, 10_000 + rows),
            "amount": rng.gamma(2.0, 40.0, rows) * np.where(fraud, 3.0, 1.0),
            "merchant": rng.choice(["shop", "fuel", "web"], rows),
            "v1": rng.standard_normal(rows) + 1.5 * fraud,
            "v2": rng.standard_normal(rows),
            "Class": fraud.astype(int),
        }
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scoring")
    frame = make_transactions()
    frame.loc[[5, 50], "v2"] = np.nan
    train_csv = folder / "train.csv"
    frame.to_csv(train_csv, index=False)
    dm = ImbalanceDataModule(
        data=str(train_csv), target="Class", categorical=["merchant"], drop_columns=["tx_id"],
        impute_median=True, batch_size=64,
    )
    pl.seed_everything(0, verbose=False)
    model = TabularClassifier(
        **dm.model_arguments(), hidden_width=8, min_precision=0.5, alert_share=0.05,
        cost_column="amount", cost_false_alarm=20.0,
    )
    trainer = pl.Trainer(
        max_epochs=2, accelerator="cpu", logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
    )
    trainer.fit(model, dm)
    ckpt = folder / "model.ckpt"
    trainer.save_checkpoint(ckpt)
    trainer.test(model, dm, verbose=False)
    test_rows = frame.iloc[dm.splits.test]
    test_csv = folder / "test.csv"
    test_rows.to_csv(test_csv, index=False)
    return {"folder": folder, "ckpt": ckpt, "test_csv": test_csv, "test_rows": test_rows,
            "model": model, "dm": dm}


def test_round_trip_in_a_fresh_process_equals_the_test_scores(trained):
    out = trained["folder"] / "scores.csv"
    command = [sys.executable, str(REPO / "recipes" / "train.py"), "predict",
               "--ckpt_path", str(trained["ckpt"]), "--data", str(trained["test_csv"]),
               "--out", str(out), "--id_column", "tx_id"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and "thresholds: max_f1=" in done.stdout
    scores = pd.read_csv(out)
    model = trained["model"]
    expected = model.test_predictions
    assert len(scores) == len(trained["test_rows"])
    np.testing.assert_array_equal(scores["tx_id"], trained["test_rows"]["tx_id"])
    np.testing.assert_allclose(scores["probability"], expected["probs"][:, 1].numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(
        scores["probability_corrected"], expected["corrected"][:, 1].numpy(), rtol=0, atol=1e-6
    )
    assert set(model.thresholds) == {"max_f1", "min_precision", "alert_share", "cost"}
    for name, threshold in model.thresholds.items():
        flags = scores[f"flag_{name}"].to_numpy()
        np.testing.assert_array_equal(flags, scores["probability"].to_numpy() >= threshold)
        # The flags give the test precision and recall reported by test.
        target = expected["target"].numpy() == 1
        recall = (flags & target).sum() / target.sum()
        assert recall == pytest.approx(model.test_results[f"recall_{name}"])


def test_checkpoint_holds_preprocessing_and_thresholds_as_plain_values(trained):
    checkpoint = torch.load(trained["ckpt"], weights_only=True)
    assert checkpoint["thresholds"] == trained["model"].thresholds
    # The preprocessing is the data module's state (Lightning keys it by the class name).
    data_state = checkpoint["ImbalanceDataModule"]
    assert data_state["preprocessing"] == trained["dm"].preprocessing.state_dict()
    assert data_state["preprocessing"]["input_columns"] == ["amount", "merchant", "v1", "v2"]
    assert "preprocessing" not in checkpoint  # no longer saved by the model


def test_a_checkpoint_of_the_previous_layout_is_read_alike(trained):
    # The previous release saved the preprocessing beside the model's state (top-level key);
    # the same plain values are read from there and score the same.
    checkpoint = torch.load(trained["ckpt"], weights_only=True)
    checkpoint["preprocessing"] = checkpoint["ImbalanceDataModule"].pop("preprocessing")
    old = trained["folder"] / "previous_layout.ckpt"
    torch.save(checkpoint, old)
    rows = trained["test_rows"]
    expected = Scorer.from_checkpoint(trained["ckpt"]).predict_proba(rows)
    scorer = Scorer.from_checkpoint(old)
    assert scorer.preprocessing.state_dict() == trained["dm"].preprocessing.state_dict()
    pd.testing.assert_frame_equal(scorer.predict_proba(rows), expected)


def test_test_results_report_each_threshold_with_cost_and_value_caught(trained):
    results = trained["model"].test_results
    for name in ("max_f1", "min_precision", "alert_share", "cost"):
        for metric in ("threshold", "precision", "recall", "alerts", "cost", "value_caught"):
            assert f"{metric}_{name}" in results
    assert results["threshold_max_f1"] == results["threshold"]


def test_python_api_and_parquet(trained):
    scorer = Scorer.from_checkpoint(trained["ckpt"])
    rows = trained["test_rows"]
    proba = scorer.predict_proba(rows)
    assert list(proba.columns) == ["probability", "probability_corrected"]
    assert (proba.index == rows.index).all()
    np.testing.assert_allclose(
        proba["probability"], trained["model"].test_predictions["probs"][:, 1].numpy(), atol=1e-6
    )
    flags = scorer.predict(rows, threshold="alert_share")
    np.testing.assert_array_equal(flags, proba["probability"].to_numpy() >= scorer.thresholds["alert_share"])
    assert scorer.predict(rows, threshold=0.0).all()
    out = predict_file(trained["ckpt"], trained["test_csv"], trained["folder"] / "scores.parquet")
    written = pd.read_parquet(out)
    assert list(written.columns[:3]) == ["row", "probability", "probability_corrected"]
    np.testing.assert_array_equal(written["row"], np.arange(len(rows)))
    np.testing.assert_allclose(written["probability"], proba["probability"].to_numpy())


def test_unknown_threshold_name_and_bad_threshold_type(trained):
    scorer = Scorer.from_checkpoint(trained["ckpt"])
    rows = trained["test_rows"].head(5)
    with pytest.raises(ValueError, match=r"threshold='alert_count' was not chosen for this model; it stores \['alert_share', 'cost', 'max_f1', 'min_precision'\]"):
        scorer.predict(rows, threshold="alert_count")
    with pytest.raises(TypeError, match="threshold must be a stored policy name or a number, got None"):
        scorer.predict(rows, threshold=None)


def test_scoring_errors_name_the_file_and_column(trained):
    rows = trained["test_rows"].drop(columns="v1")
    bad = trained["folder"] / "no_v1.csv"
    rows.to_csv(bad, index=False)
    with pytest.raises(ValueError, match=r"no_v1.csv lacks the column\(s\) \['v1'\]"):
        predict_file(trained["ckpt"], bad, trained["folder"] / "x.csv")
    with pytest.raises(ValueError, match="out='scores.txt' must end in .csv or .parquet"):
        predict_file(trained["ckpt"], trained["test_csv"], "scores.txt")
    with pytest.raises(FileNotFoundError, match="ckpt_path='missing.ckpt': no such checkpoint file"):
        predict_file("missing.ckpt", trained["test_csv"], trained["folder"] / "x.csv")


def test_a_checkpoint_without_preprocessing_is_refused(trained):
    checkpoint = torch.load(trained["ckpt"], weights_only=True)
    del checkpoint["ImbalanceDataModule"]["preprocessing"]
    path = trained["folder"] / "bare.ckpt"
    torch.save(checkpoint, path)
    with pytest.raises(ValueError, match="bare.ckpt holds no fitted preprocessing"):
        Scorer.from_checkpoint(path)
    torch.save({"weights": torch.zeros(1)}, path)
    with pytest.raises(ValueError, match="bare.ckpt is not a TabularClassifier checkpoint"):
        Scorer.from_checkpoint(path)


def test_predict_command_needs_its_arguments(capsys):
    with pytest.raises(SystemExit):
        predict_main(["--ckpt_path", "a.ckpt"])
    assert "the following arguments are required: --data, --out" in capsys.readouterr().err


def test_cost_column_must_be_a_numeric_feature(trained):
    with pytest.raises(ValueError, match=r"column 'merchant' is not a numeric feature column of the training data train.csv; its numeric columns are \['amount', 'v1', 'v2'\]"):
        trained["dm"].preprocessing.raw_numeric(torch.zeros(1, 4), "merchant")
    model = TabularClassifier(num_features=3, cost_column="amount", cost_false_alarm=1.0)
    with pytest.raises(ValueError, match="cost_column='amount' needs the data module's preprocessing"):
        model.setup("fit")


def test_comparison_summary_gets_cost_and_value_caught_when_costs_are_given():
    from imbalance_torch.lightning.compare.summary import add_cost_metrics

    rows = [{"arm": "none", "test_cost": 10.0, "test_value_caught": 4.0},
            {"arm": "none", "test_cost": 14.0, "test_value_caught": 6.0},
            {"arm": "smote"}]
    summary = [{"arm": "none"}, {"arm": "smote"}]
    add_cost_metrics(summary, rows)
    assert summary[0]["cost"] == pytest.approx({"mean": 12.0, "std": 2 ** 1.5})
    assert summary[0]["value_caught"] == pytest.approx({"mean": 5.0, "std": 2 ** 0.5})
    assert "cost" not in summary[1]


def test_multiclass_scores_every_class_and_the_arg_max(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.choice([0, 1, 2], 600, p=[0.6, 0.3, 0.1])
    x = rng.standard_normal((600, 3)) + y[:, None]
    dm = ImbalanceDataModule.from_arrays(x, y, batch_size=64)
    pl.seed_everything(0, verbose=False)
    model = TabularClassifier(**dm.model_arguments(), hidden_width=8)
    trainer = pl.Trainer(max_epochs=1, accelerator="cpu", logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model, dm)
    trainer.save_checkpoint(tmp_path / "multi.ckpt")
    scorer = Scorer.from_checkpoint(tmp_path / "multi.ckpt")
    assert scorer.thresholds == {}
    scores = scorer.score(x[:10])
    assert list(scores.columns) == ["row", "probability_0", "probability_1", "probability_2", "prediction"]
    probs = scores[["probability_0", "probability_1", "probability_2"]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(scorer.predict(x[:10]), np.array(["0", "1", "2"])[probs.argmax(axis=1)])


def test_evaluation_and_scoring_share_one_probability_path(trained, monkeypatch):
    # Test probabilities and predict probabilities of the same rows are one computation:
    # TabularClassifier.probabilities, called by the module's test step and by the scorer.
    model, dm = trained["model"], trained["dm"]
    features, _ = dm.split_tensors("test")
    was_training = model.training
    model.eval()  # Lightning leaves the module in train mode after test (dropout on)
    with torch.no_grad():
        raw, corrected = model.probabilities(features)
    model.train(was_training)
    expected = model.test_predictions
    torch.testing.assert_close(raw, expected["probs"], rtol=0, atol=0)
    torch.testing.assert_close(corrected, expected["corrected"], rtol=0, atol=0)
    scorer = Scorer.from_checkpoint(trained["ckpt"])
    calls = []
    original = type(scorer.model).probabilities

    def counted(self, batch):
        calls.append(batch.shape[0])
        return original(self, batch)

    monkeypatch.setattr(type(scorer.model), "probabilities", counted)
    scored_raw, scored_corrected = scorer.probabilities(trained["test_rows"])
    assert calls == [len(trained["test_rows"])]
    torch.testing.assert_close(scored_raw, expected["probs"], rtol=0, atol=0)
    torch.testing.assert_close(scored_corrected, expected["corrected"], rtol=0, atol=0)
