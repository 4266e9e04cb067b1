"""The fitted preprocessing: fitted on train only, plain-value state, checks on raw tables."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from imbalance_torch.lightning import ImbalanceDataModule
from imbalance_torch.lightning.tables.preprocessing import UNKNOWN_CATEGORY, Preprocessing


def make_frame(rows: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.gamma(2.0, 50.0, rows),
            "merchant": rng.choice(["a", "b", "c"], rows),
            "v1": rng.standard_normal(rows),
            "Class": (rng.random(rows) < 0.2).astype(int),
        }
    )


def fitted(frame: pd.DataFrame | None = None, **kwargs) -> tuple[ImbalanceDataModule, Preprocessing]:
    frame = make_frame() if frame is None else frame
    dm = ImbalanceDataModule.from_frame(frame, target="Class", categorical=["merchant"], **kwargs)
    dm.setup("fit")
    return dm, dm.preprocessing


def test_fitted_on_the_train_split_only_and_makes_the_training_features():
    frame = make_frame()
    frame.loc[[3, 7], "v1"] = np.nan
    dm, prep = fitted(frame, impute_median=True)
    train = dm.splits.train
    numeric = frame[["amount", "v1"]].to_numpy()[train]
    np.testing.assert_allclose(prep.impute_values, np.nanmedian(numeric, axis=0))
    filled = np.where(np.isnan(numeric), np.nanmedian(numeric, axis=0), numeric)
    np.testing.assert_allclose(prep.means, filled.mean(axis=0))
    np.testing.assert_allclose(prep.scales, filled.std(axis=0))
    assert prep.input_columns == ("amount", "merchant", "v1")
    assert prep.feature_names == ("amount", "v1", "merchant")
    assert prep.categories == (("a", "b", "c"),)
    assert prep.class_names == ("0", "1") and prep.positive_class == 1
    assert prep.split["kind"] == "stratified" and prep.split["rows"]["train"] == train.size
    # The same object turns the raw table into exactly the features the model trained on.
    torch.testing.assert_close(prep.transform(frame), dm.split_and_preprocess().features, rtol=0, atol=0)


def test_state_is_plain_values_that_load_without_pickle():
    _, prep = fitted()
    buffer = io.BytesIO()
    torch.save({"preprocessing": prep.state_dict()}, buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)["preprocessing"]
    assert Preprocessing.from_state_dict(state) == prep


def test_a_state_of_another_version_is_refused():
    _, prep = fitted()
    state = {**prep.state_dict(), "version": 99}
    with pytest.raises(ValueError, match="preprocessing has version 99; this imbalance-torch reads version 1"):
        Preprocessing.from_state_dict(state)


def test_missing_column_is_an_error_naming_it():
    _, prep = fitted()
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['v1'\] that the model was trained on"):
        prep.transform(make_frame().drop(columns="v1"))


def test_extra_columns_are_ignored_with_a_warning_or_refused():
    _, prep = fitted()
    frame = make_frame().assign(note="x")
    with pytest.warns(UserWarning, match=r"has column\(s\) \['note'\] that the model was not trained on; they are ignored"):
        with_extra = prep.transform(frame)
    torch.testing.assert_close(with_extra, prep.transform(make_frame()))
    with pytest.raises(ValueError, match=r"has column\(s\) \['note'\] that the model was not trained on; drop them"):
        prep.transform(frame, extra_columns="error")
    with pytest.raises(ValueError, match="extra_columns must be 'warn' or 'error', got 'drop'"):
        prep.transform(frame, extra_columns="drop")


def test_target_and_id_columns_are_not_extra():
    _, prep = fitted()
    frame = make_frame().assign(tx_id=np.arange(300))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prep.transform(frame, id_column="tx_id")
    with pytest.raises(ValueError, match="id_column='card' is not a column of the data"):
        prep.transform(frame, id_column="card")


def test_reordered_columns_are_matched_by_name():
    _, prep = fitted()
    frame = make_frame()
    torch.testing.assert_close(prep.transform(frame[["v1", "Class", "merchant", "amount"]]), prep.transform(frame))


def test_numeric_column_turned_text_is_an_error_naming_it():
    _, prep = fitted()
    frame = make_frame().assign(amount=lambda f: f["amount"].map("{:.2f} EUR".format))
    with pytest.raises(TypeError, match=r"column 'amount' held numbers in training, but the data holds text values \(dtype "):
        prep.transform(frame)


def test_text_categories_turned_numbers_are_an_error_naming_the_column():
    _, prep = fitted()
    frame = make_frame().assign(merchant=1)
    with pytest.raises(TypeError, match=r"column 'merchant' held text categories in training .* but the data holds numbers"):
        prep.transform(frame)


def test_a_column_of_other_values_for_categories_is_an_error():
    _, prep = fitted()
    frame = make_frame().assign(merchant=1 + 2j)
    with pytest.raises(TypeError, match="column 'merchant' held categories in training, but the data holds complex values"):
        prep.transform(frame)


def test_unseen_categories_get_the_unknown_code_and_a_counted_warning():
    _, prep = fitted()
    frame = make_frame().head(10).copy()
    frame.loc[[2, 5, 6], "merchant"] = ["z", "y", "z"]
    with pytest.warns(UserWarning, match=r"column 'merchant' of the data holds 3 values in categories never seen in training \(first: \['z', 'y'\]\)"):
        encoded = prep.encode(frame)
    codes = encoded[:, -1]
    assert (codes[[2, 5, 6]] == UNKNOWN_CATEGORY).all() and (codes >= 0).sum() == 7


def test_the_model_encodes_an_unknown_category_as_no_category():
    from imbalance_torch.lightning import TabularClassifier

    model = TabularClassifier(num_features=2, categorical_cardinalities=[3], depth=0)
    with torch.no_grad():
        model.network[0].weight.zero_()
        model.network[0].weight[:, 1:] = 1.0  # logits = sum of the one-hot
        model.network[0].bias.zero_()
    logits = model(torch.tensor([[0.0, 2.0], [0.0, float(UNKNOWN_CATEGORY)]]))
    torch.testing.assert_close(logits, torch.tensor([[1.0, 1.0], [0.0, 0.0]]))


def test_numeric_categories_match_by_value():
    rng = np.random.default_rng(1)
    frame = make_frame().assign(merchant=rng.choice([3, 7], 300))
    _, prep = fitted(frame)
    assert prep.category_kinds == ("number",)
    as_float = frame.assign(merchant=frame["merchant"].astype(float))
    as_text = frame.assign(merchant=frame["merchant"].astype(str))
    torch.testing.assert_close(prep.transform(as_float), prep.transform(frame))
    torch.testing.assert_close(prep.transform(as_text), prep.transform(frame))


def test_nan_without_fitted_imputation_is_an_error_naming_the_column():
    _, prep = fitted()
    frame = make_frame()
    frame.loc[[4, 9], "v1"] = np.nan
    with pytest.raises(ValueError, match=r"column 'v1' of the data holds 2 NaN values \(first at rows \[4, 9\]\), and the model was trained without imputation"):
        prep.transform(frame)


def test_nan_with_fitted_imputation_takes_the_train_median():
    _, prep = fitted(impute_median=True)
    frame = make_frame().head(3).copy()
    frame.loc[1, "v1"] = np.nan
    out = prep.transform(frame)
    expected = (prep.impute_values[1] - prep.means[1]) / prep.scales[1]
    assert out[1, 1].item() == pytest.approx(expected, abs=1e-6)


def test_infinite_values_are_an_error_naming_the_column():
    _, prep = fitted()
    frame = make_frame()
    frame.loc[5, "amount"] = np.inf
    with pytest.raises(ValueError, match=r"column 'amount' of the data holds 1 infinite values \(first at rows \[5\]\)"):
        prep.transform(frame)


def test_arrays_follow_the_input_order():
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.integers(0, 3, 300), rng.standard_normal((300, 2))])
    y = (rng.random(300) < 0.2).astype(int)
    dm = ImbalanceDataModule.from_arrays(x, y, categorical_features=[0])
    dm.setup("fit")
    prep = dm.preprocessing
    assert prep.input_columns == ("x0", "x1", "x2") and prep.feature_names == ("x1", "x2", "x0")
    torch.testing.assert_close(prep.transform(x), dm.split_and_preprocess().features, rtol=0, atol=0)
    torch.testing.assert_close(prep.transform(torch.from_numpy(x)), prep.transform(x))
    with pytest.raises(ValueError, match=r"an array to score must be \(rows, 3\) with columns in the training order \['x0', 'x1', 'x2'\], got shape \(300, 2\)"):
        prep.transform(x[:, :2])
    with pytest.raises(TypeError, match="cannot score data of type list"):
        prep.transform(x.tolist())


def test_csv_and_parquet_files(tmp_path):
    frame = make_frame()
    csv_path = tmp_path / "train.csv"
    frame.to_csv(csv_path, index=False)
    dm = ImbalanceDataModule(data=str(csv_path), target="Class", categorical=["merchant"])
    dm.setup("fit")
    prep = dm.preprocessing
    assert prep.input_columns == ("amount", "merchant", "v1")
    frame.to_parquet(tmp_path / "new.parquet")
    torch.testing.assert_close(prep.transform(tmp_path / "new.parquet"), dm.split_and_preprocess().features)
    torch.testing.assert_close(prep.transform(str(csv_path)), dm.split_and_preprocess().features)
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['v1'\]"):
        frame.drop(columns="v1").to_csv(tmp_path / "bad.csv", index=False)
        prep.transform(tmp_path / "bad.csv")
    with pytest.raises(ValueError, match="data='rows.txt' is not a .csv or .parquet path"):
        prep.transform("rows.txt")


def test_values_beyond_float32_after_preprocessing_are_an_error_naming_the_column():
    _, prep = fitted()
    frame = make_frame().head(3).assign(v1=1e300)
    with pytest.raises(ValueError, match=r"columns \['v1'\] hold values beyond the float32 range after preprocessing"):
        prep.transform(frame)
