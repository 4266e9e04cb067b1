"""The SMOTE family's shared arguments (issue 19 item 4): stored by one constructor
(SMOTEFamily.__init__) and documented once (FAMILY_ARGS_DOC, put into each member's docstring
by substitute)."""

from __future__ import annotations

import textwrap

import pytest

from imbalance_torch.neighbors import ExactNeighbors
from imbalance_torch.oversample import ADASYN, SMOTE, SMOTENC, BorderlineSMOTE
from imbalance_torch.oversample._family import FAMILY_ARGS_DOC, SMOTEFamily, substitute
from imbalance_torch.undersample import TomekLinks

MEMBERS = [SMOTE, BorderlineSMOTE, ADASYN, SMOTENC]
SHARED = ("neighbors", "safe", "safe_k", "filter", "filter_search")


@pytest.mark.parametrize("cls", MEMBERS, ids=lambda c: c.__name__)
def test_each_member_documents_the_shared_arguments_once(cls):
    assert issubclass(cls, SMOTEFamily)
    doc = cls.__doc__
    assert "{family_args}" not in doc
    assert doc.count(textwrap.indent(FAMILY_ARGS_DOC, " " * 8)) == 1
    for name in SHARED:
        assert doc.count(f"\n        {name}: ") == 1, name


@pytest.mark.parametrize("cls", MEMBERS, ids=lambda c: c.__name__)
def test_the_base_constructor_stores_the_shared_arguments(cls):
    search, cleaner = ExactNeighbors(), TomekLinks()
    extra = {"categorical_features": [0]} if cls is SMOTENC else {}
    made = cls(
        neighbors=search, safe=True, safe_k=3, filter=cleaner, filter_search="exact", **extra
    )
    assert (made.neighbors, made.safe, made.safe_k, made.filter, made.filter_search) == (
        search,
        True,
        3,
        cleaner,
        "exact",
    )
    params = made.get_params()
    assert all(name in params for name in SHARED)
    default = cls(**extra)
    assert (
        default.neighbors,
        default.safe,
        default.safe_k,
        default.filter,
        default.filter_search,
    ) == (
        None,
        False,
        5,
        None,
        "candidates",
    )


def test_substitute_indents_the_block_and_refuses_a_missing_or_unknown_placeholder():
    @substitute(block="a: one\n    more\nb: two")
    class Good:
        """Title.

        Args:
            {block}
        """

    assert (
        Good.__doc__
        == "Title.\n\n        Args:\n            a: one\n                more\n            b: two\n        "
    )

    with pytest.raises(ValueError, match=r"^Plain's docstring has no line \{block\}\.$"):

        @substitute(block="x")
        class Plain:
            """No placeholder."""

    with pytest.raises(
        ValueError, match=r"^Other's docstring has \{other\} but no block of that name\.$"
    ):

        @substitute(block="x")
        class Other:
            """{block}
            {other}
            """
