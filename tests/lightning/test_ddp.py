"""Two CPU processes (gloo) under Lightning DDP serve exactly the single-process epoch.

Checked from logged provenance (``logged_fit.py``): in every epoch the ranks' rows together
are the rows of the single-process run with the same seed, no row is served twice, every
row's provenance (base row, neighbour, gap, label) is the single-process one, and every rank
built the same training data, neighbour index and targets. Once with Lightning's default
``use_distributed_sampler=True`` and once with it off; then a 2-rank run resumed from an
end-of-epoch checkpoint continues exactly like the uninterrupted one.
"""

from __future__ import annotations

import json

import pytest
from logged_fit import read_batches, run

from imbalance_torch.lightning.datamodule.resume import check_same_on_every_rank

EPOCHS = 2
FIELDS = ("base", "neighbor", "gap", "label", "synthetic")


def rows_of_epoch(log: dict, epoch: int) -> list[tuple]:
    """``(index, provenance...)`` of every row served in ``epoch``, in serving order."""
    rows = []
    for (e, _), record in sorted(log.items()):
        if e == epoch:
            rows += list(zip(record["index"], *(record[f] for f in FIELDS)))
    return rows


@pytest.mark.slow
def test_ddp_union_of_ranks_is_the_single_process_epoch(tmp_path):
    run(tmp_path / "single", tmp_path / "single_ckpt", "--epochs", str(EPOCHS))
    single = read_batches(tmp_path / "single")
    single_state = json.loads((tmp_path / "single" / "state.rank0.json").read_text())
    for mode in ("default", "false"):
        out = tmp_path / f"ddp_{mode}"
        run(out, tmp_path / f"ckpt_{mode}", "--epochs", str(EPOCHS), "--devices", "2",
            "--use-distributed-sampler", mode, timeout=300)
        ranks = [read_batches(out, rank) for rank in (0, 1)]
        states = [json.loads((out / f"state.rank{rank}.json").read_text()) for rank in (0, 1)]
        # Rank-dependent state never diverges: same data, neighbour index and targets.
        for state in states:
            assert state["world_size"] == 2 and state["num_replicas"] == 2, mode
            assert state["sampler"] == "BalancedSampler", mode
            assert state["data_state"] == single_state["data_state"], mode
            assert state["epoch_counts"] == single_state["epoch_counts"], mode
        assert states[0]["data_state"]["neighbor_index"] is not None
        for epoch in range(EPOCHS):
            expected = rows_of_epoch(single, epoch)
            shards = [rows_of_epoch(log, epoch) for log in ranks]
            assert len(shards[0]) == len(shards[1]) == len(expected) // 2, (mode, epoch)
            union = shards[0] + shards[1]
            indices = [row[0] for row in union]
            assert len(set(indices)) == len(indices), f"{mode}: a row was served twice in epoch {epoch}"
            assert sorted(union) == sorted(expected), f"{mode}: epoch {epoch} differs from the single-process epoch"
            # Strided shards: rank r serves the single-process order's rows r, r + 2, ...
            order = [row[0] for row in expected]
            assert [row[0] for row in shards[0]] == order[0::2]
            assert [row[0] for row in shards[1]] == order[1::2]
            synthetic = [row for row in union if row[5]]
            assert synthetic and all(row[0] >= 2**62 for row in synthetic)  # epoch-carrying indices
        assert rows_of_epoch(ranks[0], 0) != rows_of_epoch(ranks[0], 1)

    # Resuming under DDP: both ranks continue with exactly the rows and weights of the
    # uninterrupted 2-rank run (from its end-of-epoch-0 checkpoint).
    reference = tmp_path / "ddp_default"
    out = tmp_path / "ddp_resumed"
    run(out, tmp_path / "ckpt_resumed", "--epochs", str(EPOCHS), "--devices", "2",
        "--ckpt", str(tmp_path / "ckpt_default" / "epoch" / "epoch=0.ckpt"), timeout=300)
    for rank in (0, 1):
        resumed, full = read_batches(out, rank), read_batches(reference, rank)
        assert sorted(resumed) == sorted(k for k in full if k[0] >= 1)
        assert all(resumed[k] == full[k] for k in resumed), f"rank {rank}"
    final = [json.loads((d / "final.json").read_text()) for d in (reference, out)]
    assert final[0]["weights"] == final[1]["weights"] and final[0]["test"] == final[1]["test"]


class _Strategy:
    """A stand-in for a 2-rank Lightning strategy whose rank 0 built ``reference``."""

    def __init__(self, reference: dict, others_agree: bool = True) -> None:
        self.reference = reference
        self.others_agree = others_agree

    def broadcast(self, obj, src=0):
        return json.dumps(self.reference, sort_keys=True)

    def reduce_boolean_decision(self, decision, all=True):
        return decision and self.others_agree


def test_ranks_that_built_other_data_fail_together():
    state = {"train_rows": 10, "neighbor_index": "aaa", "settings": {"sampler_seed": 0}}
    check_same_on_every_rank(_Strategy(state), state, rank=1)
    other = {**state, "neighbor_index": "bbb"}
    with pytest.raises(RuntimeError, match=r"DDP rank 1 built other training data than rank 0: neighbor_index='aaa' \(rank 1: 'bbb'\)"):
        check_same_on_every_rank(_Strategy(state), other, rank=1)
    with pytest.raises(RuntimeError, match="rank 0: another DDP rank built other training data"):
        check_same_on_every_rank(_Strategy(state, others_agree=False), state, rank=0)
