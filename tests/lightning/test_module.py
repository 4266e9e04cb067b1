from __future__ import annotations

import lightning.pytorch as pl
import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score, roc_auc_score

from imbalance_torch.lightning import LOSSES, ImbalanceDataModule, TabularClassifier


def trainer(**kwargs):
    options = {
        "max_epochs": 2,
        "accelerator": "cpu",
        "logger": False,
        "enable_checkpointing": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "num_sanity_val_steps": 0,
    }
    options.update(kwargs)
    return pl.Trainer(**options)


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_trains_and_tests(blobs, loss):
    x, y = blobs
    dm = ImbalanceDataModule.from_arrays(x, y, batch_size=128)
    pl.seed_everything(0, verbose=False)
    model = TabularClassifier(**dm.model_arguments(), loss=loss, hidden_width=16)
    # The min-max AUC-M oscillates before it settles: on data like these, AUPRC 0.10 after 5
    # epochs at the default learning rate and 0.90 after 20 (measured), so it gets 20.
    fit = trainer(max_epochs=20 if loss == "auc_margin" else 5)
    fit.fit(model, dm)
    fit.test(model, dm, verbose=False)
    results = model.test_results
    assert results["auprc"] > 0.3
    # The logged metrics are scikit-learn's on the same predictions.
    score = model.test_predictions["probs"][:, 1].numpy()
    target = model.test_predictions["target"].numpy()
    assert results["auprc"] == pytest.approx(average_precision_score(target, score), abs=1e-5)
    assert results["auroc"] == pytest.approx(roc_auc_score(target, score), abs=1e-5)
    assert 0.0 < results["threshold"] < 1.0
    assert float(model.decision_threshold) == results["threshold"]


def test_prior_correction_for_a_resampled_model(blobs):
    x, y = blobs
    dm = ImbalanceDataModule.from_arrays(x, y, batch_size=128, resampling="random_over")
    model = TabularClassifier(**dm.model_arguments())
    torch.testing.assert_close(model.train_prior, torch.tensor([0.5, 0.5]))
    natural = torch.tensor(dm.natural_class_counts, dtype=torch.float32)
    torch.testing.assert_close(model.natural_prior, natural / natural.sum())
    pl.seed_everything(0, verbose=False)
    fit = trainer(max_epochs=5)
    fit.fit(model, dm)
    fit.test(model, dm, verbose=False)
    predictions = model.test_predictions
    # Corrected probabilities are (nearly) calibrated in the mean; raw ones over-predict.
    rate = predictions["target"].float().mean()
    raw_error = abs(predictions["probs"][:, 1].mean() - rate)
    corrected_error = abs(predictions["corrected"][:, 1].mean() - rate)
    assert predictions["probs"][:, 1].mean() > rate
    assert corrected_error < 0.5 * raw_error
    assert model.test_results["brier_corrected"] < model.test_results["brier"]


def test_focal_alpha_weights_the_positive_class_up(blobs):
    x, y = blobs
    dm = ImbalanceDataModule.from_arrays(x, y)
    model = TabularClassifier(**dm.model_arguments(), loss="focal", loss_options={"alpha": 0.75})
    torch.testing.assert_close(model.criterion.alpha, torch.tensor([0.25, 0.75]))


def test_model_and_data_class_count_mismatch_is_explained():
    with pytest.raises(ValueError, match=r"the data has 3 classes \(natural_class_counts=\[5, 5, 5\]\), but the model has num_classes=2; set --model.num_classes 3"):
        TabularClassifier(num_features=3, natural_class_counts=[5, 5, 5])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 3))
    y = rng.integers(0, 3, 300)
    dm = ImbalanceDataModule.from_arrays(x, y)
    model = TabularClassifier(num_features=3, num_classes=2)
    with pytest.raises(ValueError, match=r"the data has 3 classes \(0, 1, 2\), but the model has num_classes=2"):
        trainer(max_epochs=1).fit(model, dm)


def test_multiclass_data_trains():
    rng = np.random.default_rng(0)
    y = rng.choice(3, size=900, p=[0.7, 0.2, 0.1])
    x = rng.standard_normal((900, 3)) + y[:, None]
    dm = ImbalanceDataModule.from_arrays(x, y, resampling="smote", batch_size=256)
    model = TabularClassifier(**dm.model_arguments())
    fit = trainer(max_epochs=1)
    fit.fit(model, dm)
    fit.test(model, dm, verbose=False)
    assert 0.0 <= model.test_results["auprc"] <= 1.0


def test_bad_model_arguments():
    with pytest.raises(ValueError, match="loss='dice' is not a known loss; known: cross_entropy, class_weighted, focal, logit_adjusted"):
        TabularClassifier(num_features=3, loss="dice")
    with pytest.raises(ValueError, match="loss='class_weighted' needs the training class counts"):
        TabularClassifier(num_features=3, loss="class_weighted")
    with pytest.raises(ValueError, match=r"loss_options alpha must be in \(0, 1\) or None, got 1.5"):
        TabularClassifier(num_features=3, loss="focal", loss_options={"alpha": 1.5})
    with pytest.raises(ValueError, match="loss_options alpha=0.75 weights the positive class of a binary task"):
        TabularClassifier(num_features=3, num_classes=3, loss="focal")
    with pytest.raises(ValueError, match="num_features must be an int >= 1; got num_features=0"):
        TabularClassifier(num_features=0)


class _BatchLosses(pl.Callback):
    """Records every training batch's loss and row count, per epoch."""

    def __init__(self):
        self.epochs: list[list[tuple[float, int]]] = []

    def on_train_epoch_start(self, trainer, pl_module):
        self.epochs.append([])

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.epochs[-1].append((float(outputs["loss"]), int(batch[1].shape[0])))


@pytest.mark.parametrize("resampling", ["none", "random_over"])
def test_train_loss_is_the_row_weighted_mean_of_the_epoch(blobs, resampling):
    # train_loss is summed in training_step and logged once per epoch: it must be the mean
    # loss over the epoch's rows (batches of unequal size weighted by their rows), the value
    # Lightning's per-step self.log(on_epoch=True) gave.
    x, y = blobs
    dm = ImbalanceDataModule.from_arrays(x, y, batch_size=96, resampling=resampling)
    pl.seed_everything(0, verbose=False)
    model = TabularClassifier(**dm.model_arguments(), hidden_width=8)
    record = _BatchLosses()
    fit = trainer(max_epochs=2, callbacks=[record])
    fit.fit(model, dm)
    last = record.epochs[-1]
    assert len({rows for _, rows in last}) > 1, "the test needs a short last batch"
    expected = sum(loss * rows for loss, rows in last) / sum(rows for _, rows in last)
    assert float(fit.callback_metrics["train_loss"]) == pytest.approx(expected, rel=1e-5)
    # a fresh epoch starts a fresh sum
    first = record.epochs[0]
    assert expected != pytest.approx(
        sum(loss * rows for loss, rows in first + last) / sum(rows for _, rows in first + last)
    )


def test_integer_arguments_follow_the_one_validation_layer():
    """Issue 19: a str is a TypeError everywhere, numpy integers are integers everywhere."""
    import numpy as np

    with pytest.raises(TypeError, match=r"num_features must be an int >= 1; got '3' of type str"):
        TabularClassifier(num_features="3")
    with pytest.raises(TypeError, match=r"batch_size must be an int >= 1; got '3' of type str"):
        ImbalanceDataModule(batch_size="3")
    assert ImbalanceDataModule(batch_size=np.int64(64)).hparams.batch_size == 64
    assert type(TabularClassifier(num_features=np.int64(3)).hparams.num_features) is int
