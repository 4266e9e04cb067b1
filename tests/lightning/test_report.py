"""Reports carry the paired statistics, and their plots are honest and print-safe.

Synthetic result rows stand in for a comparison (no training here): the paired numbers in
``summarize``, ``summary.md`` and the console must be those of
``lightning/compare/statistics.py``; the PR plot must draw every seed; no two strategies may share
a hue or a (line style, marker) pair; the AUPRC figure must show the paired differences.
"""

from __future__ import annotations

import colorsys
import csv
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from scipy import stats

from imbalance_torch.lightning.compare.report import (
    arm_styles,
    auprc_figure,
    format_paired,
    paired_markdown,
    plot_critical_difference,
    pr_curves_figure,
    summarize,
    write_json,
)
from imbalance_torch.lightning.compare.statistics import paired_by_seed

REPO = Path(__file__).resolve().parents[2]
# test AUPRC per seed: smote clearly above none, focal within noise of none, random_over
# within noise of smote.
AUPRC = {
    "none": [0.50, 0.55, 0.60],
    "smote": [0.58, 0.62, 0.69],
    "focal": [0.52, 0.53, 0.61],
    "random_over": [0.57, 0.63, 0.68],
}


def _rows(seeds: int = 3) -> list[dict]:
    return [
        {"arm": arm, "strategy": arm, "seed": seed, "test_auprc": values[seed],
         "val_auprc": values[seed], "epochs": 5, "wall_s": 1.0}
        for arm, values in AUPRC.items() for seed in range(seeds)
    ]


def _curves(seeds: int = 3) -> dict:
    rng = np.random.default_rng(0)
    target = (np.arange(200) % 10 == 0).astype(int)
    return {arm: {seed: (target * 0.5 + rng.random(200), target) for seed in range(seeds)}
            for arm in AUPRC}


def test_summarize_pairs_every_arm_with_none_and_the_best():
    rows = _rows()
    summary = {entry["arm"]: entry for entry in summarize(rows)}
    assert summary["none"]["vs_reference"] is None
    assert summary["smote"]["vs_best"] is None  # smote is the best arm
    raw_smote = paired_by_seed(rows, "smote", "none").as_dict()
    raw_focal = paired_by_seed(rows, "focal", "smote").as_dict()
    for key in ("differences", "mean", "ci_low", "ci_high", "p_value", "wilcoxon_p_value"):
        assert summary["smote"]["vs_reference"][key] == raw_smote[key]
        assert summary["focal"]["vs_best"][key] == raw_focal[key]
    assert summary["smote"]["vs_reference"]["adjustment"] == "holm"
    assert summary["smote"]["vs_reference"]["family"] == "the 3 comparisons with none"
    assert summary["focal"]["vs_best"]["family_size"] == 6  # every pair of the 4 arms
    smote = summary["smote"]["vs_reference"]
    expected = stats.ttest_rel(AUPRC["smote"], AUPRC["none"])
    assert smote["p_value"] == pytest.approx(expected.pvalue)
    assert smote["mean"] == pytest.approx(np.mean(np.subtract(AUPRC["smote"], AUPRC["none"])))
    assert smote["reading"].startswith("better than none")
    assert summary["focal"]["vs_reference"]["reading"].startswith("within noise of none (p=")


def test_without_a_none_arm_only_the_best_is_a_reference():
    rows = [r for r in _rows() if r["arm"] != "none"]
    summary = summarize(rows)
    assert all(entry["vs_reference"] is None for entry in summary)
    assert summary[1]["vs_best"]["reference"] == "smote"


def test_summary_json_carries_the_paired_table(tmp_path):
    path = tmp_path / "summary.json"
    write_json(path, {"summary": summarize(_rows(seeds=1))})
    focal = json.loads(path.read_text())["summary"][2]["vs_reference"]
    assert focal["ci_low"] is None and focal["p_value"] is None  # NaN -> null
    assert focal["reading"] == "one seed only: no test possible"


def test_markdown_and_console_give_the_computed_readings():
    summary = summarize(_rows())
    focal = next(e for e in summary if e["arm"] == "focal")["vs_reference"]
    markdown = paired_markdown(summary)
    assert ("| strategy | seeds | difference per seed | mean | 95 % CI (unadjusted) | t-test p "
            "| Holm p | Wilcoxon p | reading |") in markdown
    assert "Test AUPRC against the best arm, smote" in markdown
    assert f"| {focal['reading']} |" in markdown
    console = format_paired(summary)
    assert focal["reading"] in console
    random_over = next(e for e in summary if e["arm"] == "random_over")["vs_best"]
    assert random_over["verdict"] == "within noise"
    assert (f"within noise: focal (p=0.013, Holm p=0.052), random_over "
            f"(p={random_over['p_value']:.2g}, Holm p=1)") in " ".join(console.split())
    assert "Best mean test AUPRC: smote; against it, Holm over all 6 pairwise" in console
    assert max(len(line) for line in console.splitlines()) <= 100


def test_one_seed_says_plainly_that_no_test_is_possible():
    summary = summarize(_rows(seeds=1))
    assert "no paired test is possible" in paired_markdown(summary)
    assert format_paired(summary).startswith("One seed per strategy: no paired test is possible")


def _hue(color: str) -> float:
    return colorsys.rgb_to_hls(*to_rgb(color))[0]


@pytest.mark.parametrize("count", [2, 6, 18])
def test_no_two_arms_share_a_hue_or_a_line_style_and_marker(count):
    names = ["none", *(f"arm{i}" for i in range(count - 1))]
    styles = arm_styles(names)
    assert styles["none"]["color"] == "#000000"  # the reference: no hue at all
    hues = sorted(_hue(styles[n]["color"]) for n in names[1:])
    gaps = np.diff([*hues, hues[0] + 1.0])
    assert gaps.min() > 0.9 / (count - 1)  # evenly spread around the colour wheel
    assert len({(s["linestyle"], s["marker"]) for s in styles.values()}) == count


def test_pr_plot_has_one_panel_per_arm_with_seeds_mean_and_reference():
    # Issue: 36 curves in one axes could not be told apart; now one panel per strategy.
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve

    curves = _curves()
    figure = pr_curves_figure(curves, summarize(_rows()), title="t")
    panels = [axis for axis in figure.axes if axis.get_visible()]
    assert len(panels) == len(AUPRC)
    for axis, arm in zip(panels, curves):
        gids = {line.get_gid(): line for line in axis.get_lines() if line.get_gid()}
        seeds = {gid for gid in gids if "|seed " in gid}
        assert seeds == {f"{arm}|seed {seed}" for seed in range(3)}  # only this arm's seeds
        assert f"{arm}|mean" in gids
        assert ("none|reference" in gids) == (arm != "none")
        # the bold line is the seeds' mean of the interpolated precision (max at recall >= r)
        recall_grid, mean = gids[f"{arm}|mean"].get_data()
        expected = []
        for scores, target in curves[arm].values():
            precision, recall, _ = precision_recall_curve(target, scores)
            expected.append([precision[recall >= r].max() for r in recall_grid])
        assert np.allclose(mean, np.mean(expected, axis=0))
        assert axis.get_title().startswith(f"{arm}: AUPRC ")
    assert "smote: AUPRC 0.630 ± 0.056" in [axis.get_title() for axis in panels]
    assert "seeds thin, their mean bold" in figure._suptitle.get_text()
    plt.close(figure)


def test_auprc_figure_shows_the_paired_differences_against_none():
    import matplotlib.pyplot as plt

    summary = summarize(_rows())
    figure = auprc_figure(summary, _rows(), title="t")
    bars, differences = figure.axes
    for entry in summary:
        seeds = [c for c in bars.collections if c.get_gid() == f"{entry['arm']}|seeds"]
        assert np.sort(seeds[0].get_offsets()[:, 0]).tolist() == pytest.approx(
            sorted(AUPRC[entry["arm"]])
        )
        dots = [c for c in differences.collections if c.get_gid() == f"{entry['arm']}|differences"]
        if entry["arm"] == "none":
            assert dots == []
            continue
        assert dots[0].get_offsets()[:, 0].tolist() == pytest.approx(
            entry["vs_reference"]["differences"]
        )
    assert "95 % t interval" in differences.get_title()
    assert "minus none" in differences.get_xlabel()
    plt.close(figure)


def test_auprc_figure_with_one_arm_or_one_seed():
    import matplotlib.pyplot as plt

    only_none = [r for r in _rows() if r["arm"] == "none"]
    figure = auprc_figure(summarize(only_none), only_none, title="t")
    assert len(figure.axes) == 1
    plt.close(figure)
    figure = auprc_figure(summarize(_rows(seeds=1)), _rows(seeds=1), title="t")
    assert figure.axes[1].get_title() == "one seed: no interval, no test"
    plt.close(figure)


def _load_keel():
    spec = importlib.util.spec_from_file_location("keel_benchmark", REPO / "benchmarks" / "keel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_keel_across_datasets_view_and_cd_diagram(tmp_path):
    keel = _load_keel()
    rng = np.random.default_rng(3)
    effects = {"none": 0.0, "smote": 0.04, "random_over": 0.02, "focal": 0.0}
    rows = [
        {"dataset": f"d{d}", "arm": arm, "seed": seed,
         "test_auprc": 0.5 + 0.03 * d + effect + 0.01 * rng.standard_normal()}
        for d in range(8) for arm, effect in effects.items() for seed in range(3)
    ]
    _, payload = keel.table(rows, [f"d{d}" for d in range(8)])
    text, across = keel.across_datasets(rows, payload)
    means = np.array([[payload["auprc_mean"][f"d{d}"][a] for a in effects] for d in range(8)])
    assert across["friedman"]["statistic"] == pytest.approx(
        stats.friedmanchisquare(*means.T).statistic
    )
    assert across["critical_difference"] == pytest.approx(1.658, abs=1e-3)  # 2.569 sqrt(20/48)
    smote = across["effects"]["smote"]["across_datasets"]
    per_dataset = [means[d, 1] - means[d, 0] for d in range(8)]
    assert smote["mean"] == pytest.approx(np.mean(per_dataset))
    assert smote["wilcoxon_p_value"] == pytest.approx(stats.wilcoxon(per_dataset).pvalue)
    assert "Friedman test over 8 datasets and 4 strategies" in text
    assert smote["reading"] in text
    path = tmp_path / "cd.png"
    plot_critical_difference(path, payload["mean_rank"], across["critical_difference"],
                             across["cliques"], title="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert math.isfinite(across["nemenyi_q_alpha"])


def test_keel_budget_check_and_kept_model_flags():
    keel = _load_keel()
    rng = np.random.default_rng(5)
    rows = []
    for d, shift in (("near", 0.0), ("far", -0.2)):
        for seed in range(5):
            base = 0.6 + 0.05 * rng.standard_normal()
            for arm, value in (("none", base + shift + 0.01 * rng.standard_normal()),
                               (keel.REFERENCE_ARM, base)):
                rows.append({"dataset": d, "arm": arm, "seed": seed, "test_auprc": value,
                             "batch_size": 32, "budget_steps": 800, "train_rows_per_epoch": 300,
                             "kept_note": "end of budget" if (d, seed, arm) == ("far", 0, "none")
                             else ("first evaluation" if seed == 1 else "")})
    text, check = keel.budget_check(rows, ["near", "far", "absent"])
    assert set(check) == {"near", "far"}
    far = [r for r in rows if r["dataset"] == "far"]
    expected_p = stats.ttest_rel([r["test_auprc"] for r in far if r["arm"] == "none"],
                                 [r["test_auprc"] for r in far if r["arm"] != "none"]).pvalue
    assert check["far"]["comparison"]["p_value"] == pytest.approx(expected_p)
    assert check["far"]["comparison"]["verdict"] == "worse"
    assert check["near"]["comparison"]["verdict"] == "within noise"
    assert check["far"]["undertrained_flags"] == [1, 0]
    assert "Within noise (p >= 0.05, or equal on every seed): 1 of 2 datasets." in text
    flags_text, flags = keel.kept_model_flags(rows)
    assert flags["end of budget"] == {"far": 1}
    assert flags["first evaluation"] == {"near": 2, "far": 2}
    assert "- may be undertrained: 1 run(s): far: 1 (none seed 0)" in flags_text


def test_keel_report_covers_only_the_strategies_and_seeds_asked_for(tmp_path):
    # The cache of an --out folder can hold other strategies and seeds from earlier commands;
    # they are reused when asked for again, never reported by a command that did not ask.
    keel = _load_keel()
    cache = tmp_path / "cache"
    cache.mkdir()
    rng = np.random.default_rng(0)
    with open(cache / "ecoli1.jsonl", "w") as handle:
        for arm in ("none", "smote", "random_over", keel.REFERENCE_ARM):
            for seed in range(4):
                handle.write(json.dumps({
                    "dataset": "ecoli1", "arm": arm, "strategy": arm, "seed": seed,
                    "test_auprc": float(0.7 + 0.05 * rng.random()), "kept_note": "",
                    "batch_size": 32, "budget_steps": 560, "train_rows_per_epoch": 201,
                }) + "\n")
    assert keel.main(["--datasets", "ecoli1", "--strategies", "none", "smote", "--seeds", "2",
                      "--out", str(tmp_path)]) == 0  # everything asked for is cached: no run
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert sorted((r["arm"], r["seed"]) for r in rows) == [
        ("none", "0"), ("none", "1"), ("smote", "0"), ("smote", "1")]
    assert "random_over" not in (tmp_path / "keel_table.md").read_text()
    assert not (tmp_path / "budget_check.md").exists()
