"""The examples in SMOTEDataset's docstring run as written."""

import doctest

import imbalance_torch.data._dataset as dataset_module


def test_smote_dataset_docstring_examples():
    result = doctest.testmod(dataset_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
