"""The comparison's verdict is corrected for the comparisons it makes (issue 21 item 4).

Generated result rows stand in for a comparison: Holm's adjustment against a hand-computed
example and its step-down definition, a late arm that looks "worse than the best" by chance
(raw p < 0.05, adjusted not), a comparison where no arm beats ``none`` after the adjustment
(the advice is to train ``none``), the kept-model flag with the validation positives, and
``summary.md`` describing each seed's split.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from imbalance_torch.lightning.compare.report import (
    format_paired,
    kept_model_flags,
    paired_markdown,
    summarize,
    train_advice,
)
from imbalance_torch.lightning.compare.statistics import compare_with_best, holm, paired_by_seed


def rows_of(scores: dict[str, list[float]]) -> list[dict]:
    return [
        {"arm": arm, "strategy": arm, "seed": seed, "test_auprc": value, "val_auprc": value,
         "epochs": 5, "wall_s": 1.0}
        for arm, values in scores.items() for seed, value in enumerate(values)
    ]


def by_arm(summary: list[dict]) -> dict[str, dict]:
    return {entry["arm"]: entry for entry in summary}


# --- Holm's adjustment ----------------------------------------------------------------------


def test_holm_matches_a_hand_computed_example():
    # sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> max so far 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # capped at 1; a NaN (no test) stays NaN and is not counted: m = 2 here
    assert holm([0.5, 0.6]) == [1.0, 1.0]
    adjusted = holm([math.nan, 0.02, 0.04])
    assert math.isnan(adjusted[0]) and adjusted[1:] == pytest.approx([0.04, 0.04])
    assert holm([]) == []


def test_holm_agrees_with_its_step_down_definition():
    """Holm rejects the i-th smallest p while p_(j) <= alpha / (m - j + 1) for every j <= i;
    the adjusted p-value is below alpha exactly for the rejected ones."""
    rng = np.random.default_rng(3)
    for _ in range(200):
        m = int(rng.integers(1, 12))
        p_values = rng.uniform(0, 0.2, m) ** rng.uniform(0.5, 3)
        alpha = float(rng.uniform(0.01, 0.1))
        order = np.argsort(p_values)
        rejected = np.zeros(m, dtype=bool)
        for rank, index in enumerate(order):
            if p_values[index] > alpha / (m - rank):
                break
            rejected[index] = True
        assert (np.array(holm(list(p_values))) <= alpha).tolist() == rejected.tolist()


def test_holm_agrees_with_statsmodels():
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    p_values = [0.001, 0.2, 0.013, 0.04, 0.0101, 0.7]
    expected = multitest.multipletests(p_values, method="holm")[1]
    assert holm(p_values) == pytest.approx(list(expected))


def test_holm_refuses_what_is_not_a_p_value():
    with pytest.raises(ValueError, match=r"p_values\[1\]=1.5 is not a p-value; p-values lie in \[0, 1\]"):
        holm([0.1, 1.5])
    with pytest.raises(ValueError, match=r"p_values\[0\]=-0.01 is not a p-value"):
        holm([-0.01])
    with pytest.raises(ValueError, match=r"p_values\[0\]=inf is not a p-value"):
        holm([math.inf])
    with pytest.raises(TypeError, match=r"p_values\[0\]='0.1' of type str is not a number"):
        holm(["0.1"])
    with pytest.raises(TypeError, match=r"p_values\[1\]=True of type bool is not a number"):
        holm([0.1, True])


# --- the family of comparisons with the best arm ----------------------------------------------

# Six arms, three seeds. "best" has the highest mean; "late" (the last arm in the plan) is
# below it on every seed by a similar margin, so its raw paired t-test against the best says
# p < 0.05, but that comparison is one of the 15 made at once (the best arm was picked after
# the results): after Holm's adjustment it is within noise.
BY_CHANCE = {
    "none": [0.50, 0.60, 0.55],
    "a": [0.52, 0.61, 0.53],
    "best": [0.58, 0.63, 0.60],
    "b": [0.53, 0.58, 0.57],
    "c": [0.49, 0.62, 0.56],
    "late": [0.55, 0.59, 0.56],
}


def test_a_late_arm_worse_than_the_best_by_chance_is_not_reported_worse():
    rows = rows_of(BY_CHANCE)
    raw = paired_by_seed(rows, "late", "best")
    assert raw.p_value < 0.05 and raw.verdict == "worse"  # the uncorrected reading
    summary = summarize(rows)
    late = by_arm(summary)["late"]["vs_best"]
    assert late["reference"] == "best" and late["p_value"] == pytest.approx(raw.p_value)
    assert late["adjustment"] == "holm" and late["family_size"] == 15
    assert late["adjusted_p_value"] >= 0.05
    assert late["verdict"] == "within noise"
    assert late["reading"].startswith("within noise of best (p=0.0")
    assert ", Holm p=" in late["reading"]
    console = " ".join(format_paired(summary).split())
    assert "worse: " not in console and "late (p=" in console.split("within noise: ")[1]
    assert "Holm over all 15 pairwise comparisons of the 6 arms" in console
    markdown = paired_markdown(summary)
    assert "worse than best" not in markdown
    assert "Holm-adjusted over all 15 pairwise comparisons of the 6 arms" in markdown


def test_the_best_arm_family_is_every_pair_not_only_its_own_comparisons():
    """Holm over only the five comparisons with the (after-the-fact) best arm would still
    call "late" worse; over every pair it is within noise (NOTE [multiple comparisons])."""
    rows = rows_of(BY_CHANCE)
    own = [paired_by_seed(rows, arm, "best") for arm in BY_CHANCE if arm != "best"]
    late_own = holm([c.p_value for c in own])[[c.arm for c in own].index("late")]
    assert late_own < 0.05
    adjusted = compare_with_best(rows, list(BY_CHANCE), "best")["late"]
    assert adjusted.adjusted_p_value >= 0.05 and adjusted.verdict == "within noise"


def test_a_clear_difference_survives_the_adjustment():
    scores = {"none": [0.50, 0.55, 0.60, 0.52, 0.58], "smote": [0.60, 0.66, 0.70, 0.63, 0.68],
              "focal": [0.52, 0.53, 0.61, 0.50, 0.60]}
    summary = by_arm(summarize(rows_of(scores)))
    smote = summary["smote"]["vs_reference"]
    assert smote["family"] == "the 2 comparisons with none"
    assert smote["adjusted_p_value"] < 0.05 and smote["verdict"] == "better"
    assert summary["none"]["vs_best"]["verdict"] == "worse"


# --- the advice ------------------------------------------------------------------------------

# "late" has the highest mean and beats none on the raw test (p < 0.05), but among the four
# comparisons with none its Holm-adjusted p-value is not below 0.05: no arm beats none.
NO_WINNER = {
    "none": [0.50, 0.60, 0.55],
    "class_weighted": [0.52, 0.58, 0.57],
    "focal": [0.49, 0.63, 0.55],
    "smote": [0.53, 0.60, 0.54],
    "late": [0.55, 0.63, 0.59],
}


def test_when_no_arm_beats_none_after_correction_the_advice_is_to_train_none():
    rows = rows_of(NO_WINNER)
    raw = paired_by_seed(rows, "late", "none")
    assert raw.p_value < 0.05 and raw.verdict == "better"  # the uncorrected reading
    summary = summarize(rows)
    assert max(summary, key=lambda e: e["auprc"]["mean"])["arm"] == "late"
    advice = train_advice(summary)
    assert advice["arm"] == "none" and advice["better_than_reference"] == []
    assert advice["adjustment"] == "the 4 comparisons with none"
    assert advice["reason"].startswith(
        "no strategy is better than none after the Holm adjustment over the 4 comparisons with "
        "none (the smallest p-value: late, mean +0.040, p=0."
    )
    assert "none is the simplest arm" in advice["reason"]
    assert "Verdict: train none: no strategy is better than none" in " ".join(
        format_paired(summary).split())
    assert "**Verdict:** train none: no strategy is better than none" in paired_markdown(summary)


def test_the_suggested_train_command_is_for_none_when_nothing_beats_it():
    from imbalance_torch.lightning.commands.console import CONFIG_DIR
    from imbalance_torch.lightning.compare.arms import plan_arms
    from imbalance_torch.lightning.compare.budget import training_budget
    from imbalance_torch.lightning.compare.summary import suggestion as _suggestion
    from imbalance_torch.lightning.compare.summary import suggestion_text as _suggestion_text

    scores = {name: NO_WINNER[key] for name, key in
              (("none", "none"), ("class_weighted", "class_weighted"), ("focal", "focal"),
               ("smote", "smote"), ("random_over", "late"))}
    arms, _ = plan_arms(CONFIG_DIR, list(scores))
    meta = _suggestion(summarize(rows_of(scores)), arms, "imbalance-torch compare",
                       ["--data.rows", "5000"], training_budget(3000))
    assert meta["suggested_arm"] == "none"
    assert meta["train_suggested"].startswith("imbalance-torch train fit --strategy none --data.rows 5000")
    assert meta["suggestion_reason"].startswith("no strategy is better than none")
    text = _suggestion_text(meta)
    assert text.splitlines() == ["train none with the same budget (see the verdict above):",
                                 "  " + meta["train_suggested"]]
    assert "```bash\nimbalance-torch train fit --strategy none" in _suggestion_text(meta, markdown=True)


def test_an_arm_that_beats_none_after_correction_is_the_advice():
    scores = {"none": [0.50, 0.55, 0.60, 0.52, 0.58], "smote": [0.60, 0.66, 0.70, 0.63, 0.68],
              "random_over": [0.59, 0.64, 0.69, 0.61, 0.66], "focal": [0.52, 0.53, 0.61, 0.50, 0.60]}
    advice = train_advice(summarize(rows_of(scores)))
    assert advice["arm"] == "smote"
    assert advice["better_than_reference"] == ["smote", "random_over"]
    assert advice["reason"].startswith("smote is better than none after the Holm adjustment over "
                                       "the 3 comparisons with none (mean +0.104, p<0.001, Holm p<0.001)")
    assert "(random_over too)" in advice["reason"]


def test_advice_with_one_seed_or_without_none():
    one_seed = {arm: values[:1] for arm, values in NO_WINNER.items()}
    advice = train_advice(summarize(rows_of(one_seed)))
    assert advice["arm"] == "none"
    assert advice["reason"].startswith("one seed per strategy: no test can tell an arm from none")
    without = {arm: values for arm, values in NO_WINNER.items() if arm != "none"}
    advice = train_advice(summarize(rows_of(without)))
    assert advice["arm"] == "late"
    assert advice["reason"].startswith("no 'none' arm ran, so no strategy was tested against "
                                       "the untreated baseline; late has the highest mean")


# --- the kept-model flag and the splits per seed ----------------------------------------------


def split_of(seed: int, val_positives: int, kind: str = "stratified") -> str:
    counts = {"train": [5000, 40], "val": [1700, val_positives], "test": [1700, 14]}
    description = {"kind": kind, "seed": seed, "val_fraction": 0.2, "test_fraction": 0.2,
                   "rows": {name: sum(c) for name, c in counts.items()},
                   "classes": ["0", "1"], "class_counts": counts}
    if kind == "group":
        description.update(group_column="card", stratified=True,
                           groups={"train": 800, "val": 200, "test": 200})
    return json.dumps(description)


def kept_rows(val_positives: list[int], kind: str = "stratified") -> list[dict]:
    rows = []
    for arm, notes in (("none", ["", "", ""]), ("smote", ["first evaluation", "", "first evaluation"])):
        for seed, note in enumerate(notes):
            rows.append({
                "arm": arm, "strategy": arm, "seed": seed, "test_auprc": 0.5 + seed / 100,
                "val_auprc": 0.6, "wall_s": 1.0, "kept_note": note,
                "kept_step": 125 if note else 2500, "budget_steps": 5000,
                "val_check_interval": 125, "stopped_early": True,
                "split": split_of(seed, val_positives[seed], kind),
            })
    return rows


def test_first_evaluation_flag_says_what_it_means_the_positives_and_what_to_do():
    lines = kept_model_flags(summarize(kept_rows([4, 9, 6])))
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("smote: kept at the first evaluation in 2 of 3 run(s) (step 125 of 5,000)")
    assert "judged by a model trained for one evaluation interval" in line
    assert "a validation split too small or noisy for later gains to show (validation held 4 and 6 " \
           "positive row(s) (seeds 0, 2))" in line
    assert "a rise that ended early" in line
    assert "--data.val_fraction" in line and "--trainer.val_check_interval, below 125 steps" in line
    same = kept_model_flags(summarize(kept_rows([7, 7, 7])))[0]
    assert "(validation held 7 positive row(s))" in same


def test_summary_md_describes_the_split_each_seed_drew():
    from imbalance_torch.lightning.compare.report import markdown_table
    from imbalance_torch.lightning.compare.summary import summary_markdown as _markdown

    rows = kept_rows([4, 9, 6], kind="group")
    rows[0]["split"] = rows[3]["split"] = split_of(0, 4, "group").replace('"val": 200', '"val": 190')
    summary = summarize(rows)
    probe = json.loads(split_of(0, 4, "group"))
    meta = {
        "command": "imbalance-torch compare --data cards.csv", "seeds": 3,
        "dataset": {"source": "cards.csv", "rows": 10_000, "features": 5, "classes": ["0", "1"],
                    "class_counts": [8400, 68], "train_class_counts": [5000, 40],
                    "val_class_counts": [1700, 4], "test_class_counts": [1700, 14], "split": probe},
        "budget_text": "batch 64, 5,000 steps", "wall_s": 10.0, "machine": "test", "jobs": 1,
        "cached_runs": 0, "out": "out", "min_precision": 0.9,
    }
    text = _markdown(meta, markdown_table(summary), [], paired_markdown(summary), kept_model_flags(summary))
    header = text.split("## Paired differences")[0]
    assert "- Split: group split on 'card', drawn anew for each seed" in header
    assert "seed 0 (rows" not in header and "(split train" not in header
    for seed, positives in ((0, 4), (1, 9), (2, 6)):
        assert f"- seed {seed}: group split on 'card', stratified (" in text
        assert f"(positive rows: {positives} validation, 14 test)" in text
    assert "val 1704 rows / 190 groups" in text and "val 1709 rows / 200 groups" in text
    assert "No run flagged." not in text and "validation held 4 and 6 positive row(s)" in text


def test_a_comparison_keeps_each_runs_split_and_reports_it_per_seed(tmp_path):
    """End to end: every run's row carries the split its seed drew, summary.md lists each
    seed's split, and the paired tables give raw and Holm-adjusted p-values."""
    import csv

    from imbalance_torch.lightning.commands.compare import main

    out = tmp_path / "out"
    status = main(["--strategies", "none", "class_weighted", "--seeds", "2", "--max-epochs", "1",
                   "--rows", "5000", "--jobs", "1", "--out", str(out)])
    assert status == 0
    with open(out / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        split = json.loads(row["split"])
        assert split["kind"] == "stratified" and split["seed"] == int(row["seed"])
        assert sum(split["class_counts"]["val"]) == split["rows"]["val"]
    text = (out / "summary.md").read_text()
    assert "- Split: stratified random split, drawn anew for each seed" in text
    for seed in (0, 1):
        assert f"- seed {seed}: stratified random split, seed {seed} (rows: train 3000" in text
    assert "| t-test p | Holm p | Wilcoxon p | reading |" in text and "**Verdict:** train " in text
    payload = json.loads((out / "summary.json").read_text())
    summary = payload["summary"]
    assert summary[1]["vs_reference"]["adjustment"] == "holm"
    assert summary[1]["vs_reference"]["family"] == "the 1 comparison with none"
    # The printed and recorded training is the verdict's, not the best mean's.
    from imbalance_torch.lightning.compare.report import train_advice

    advised = train_advice(summary)["arm"]
    meta = payload["meta"]
    assert meta["suggested_arm"] == advised
    from imbalance_torch.lightning.strategies import CONFIG_DIR, read_strategies

    strategy = read_strategies(CONFIG_DIR)[advised]  # its YAML file, or its two parts
    assert " ".join(strategy.cli_args()).replace(str(CONFIG_DIR) + "/", "") in meta["train_suggested"].replace(str(CONFIG_DIR) + "/", "")
    assert f"Train {advised} with the same budget" in text
