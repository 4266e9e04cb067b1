"""The one validation layer (issue 19 item 4): check_int / check_float / check_choice take
(name, value, *, bounds, fix), accept any numbers.Integral / numbers.Real, refuse bools, and
raise TypeError for a wrong type and ValueError for a wrong value."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbalance_torch._validation import check_choice, check_float, check_int, check_positive_int


@pytest.mark.parametrize("value", [4, np.int64(4), np.int32(4), np.uint8(4)])
def test_check_int_accepts_every_integral(value):
    out = check_int("batch_size", value, minimum=1)
    assert out == 4 and type(out) is int


@pytest.mark.parametrize("value", [True, np.bool_(True), "3", 3.0, torch.tensor(3), None])
def test_check_int_refuses_other_types_with_type_error(value):
    with pytest.raises(
        TypeError,
        match=r"batch_size must be an int >= 1; got .* of type \w+\. Pass a plain integer such as batch_size=5\.",
    ):
        check_int("batch_size", value, minimum=1)


def test_check_int_bounds_are_value_errors():
    with pytest.raises(ValueError, match=r"^depth must be an int >= 0; got depth=-1\.$"):
        check_int("depth", -1, minimum=0)
    with pytest.raises(
        ValueError,
        match=r"^rank must be an int in \[0, 3\]; got rank=4\. Pass rank < num_replicas\.$",
    ):
        check_int("rank", np.int64(4), minimum=0, maximum=3, fix="Pass rank < num_replicas.")
    with pytest.raises(ValueError, match=r"^k must be an int <= 2; got k=3\.$"):
        check_int("k", 3, maximum=2)
    assert check_int("k", -7) == -7
    with pytest.raises(TypeError, match=r"k must be an int; got 'x' of type str\. Use an index\.$"):
        check_int("k", "x", fix="Use an index.")


def test_check_positive_int_keeps_its_message():
    with pytest.raises(
        TypeError,
        match=r"^k must be an int >= 1; got '3' of type str\. Pass a plain integer such as k=5\.$",
    ):
        check_positive_int("3", "k")
    with pytest.raises(ValueError, match=r"^k must be an int >= 1; got k=0\.$"):
        check_positive_int(0, "k")
    assert check_positive_int(np.int64(2), "k") == 2


@pytest.mark.parametrize("value", [0.5, 1, np.float32(0.5), np.int64(1)])
def test_check_float_accepts_every_real(value):
    out = check_float("alpha", value, minimum=0, maximum=1, low_open=True)
    assert out == float(value) and type(out) is float


@pytest.mark.parametrize("value", [True, "0.5", torch.tensor(0.5), None])
def test_check_float_refuses_other_types(value):
    with pytest.raises(
        TypeError,
        match=r"alpha must be a float in \(0, 1\]; got .* of type \w+\. Pass a plain number\.",
    ):
        check_float("alpha", value, minimum=0, maximum=1, low_open=True)


@pytest.mark.parametrize("value", [0, 0.0, 1.5, float("nan"), float("inf")])
def test_check_float_bounds_nan_and_inf_are_value_errors(value):
    with pytest.raises(
        ValueError, match=r"alpha must be a float in \(0, 1\] \(finite\); got alpha="
    ):
        check_float("alpha", value, minimum=0, maximum=1, low_open=True)


def test_check_float_open_and_one_sided_bounds():
    with pytest.raises(
        ValueError,
        match=r"^gamma must be a float >= 0 \(finite\); got gamma=-0\.1\. Use 0 for none\.$",
    ):
        check_float("gamma", -0.1, minimum=0, fix="Use 0 for none.")
    with pytest.raises(ValueError, match=r"^p must be a float < 1 \(finite\); got p=1\.$"):
        check_float("p", 1, maximum=1, high_open=True)
    assert check_float("x", -1e300) == -1e300


def test_check_choice():
    assert check_choice("kind", "borderline-1", ("borderline-1", "borderline-2")) == "borderline-1"
    with pytest.raises(
        ValueError,
        match=r"^kind must be one of 'borderline-1', 'borderline-2'; got kind='borderline-3'\.$",
    ):
        check_choice("kind", "borderline-3", ("borderline-1", "borderline-2"))
    with pytest.raises(
        TypeError, match=r"^kind must be one of 'a', 'b'; got 1 of type int\. Pass a name\.$"
    ):
        check_choice("kind", 1, ("a", "b"), fix="Pass a name.")
    with pytest.raises(TypeError, match=r"^k must be one of 1, 2; got True of type bool\.$"):
        check_choice("k", True, (1, 2))
