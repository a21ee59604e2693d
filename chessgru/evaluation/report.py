"""The evaluation report (a dict from :func:`.protocol.evaluate`) as text and as a plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from chessgru.errors import UserError
from chessgru.evaluation.baselines import KS
from chessgru.evaluation.protocol import METHOD_LABELS, MIN_PLY


def _pct(value: float | None) -> str:
    return "    -" if value is None else f"{100 * value:5.1f}"


def format_report(report: dict[str, Any]) -> str:
    """The report as text: one table per player, accuracies in percent."""
    lines = []
    labels = report.get("labels", METHOD_LABELS)
    for p in report["players"]:
        model = p.get("model_conditioning")
        lines += [
            f"{p['name']}: {p['games']} games ({p['train_games']} train, {p['test_games']} test), "
            f"{p['positions']} of their moves scored, {p['positions_ply10']} at plies >= {MIN_PLY}"
            + (f"; model conditioned on the {model}" if model else ""),
            f"  {'':<28}{'':>7} | {'all plies':<17} | plies >= {MIN_PLY}",
            f"  {'method':<28}{'moves':>7} | top-1 top-3 top-5 | top-1 top-3 top-5",
        ]
        for method, r in p["results"].items():
            row = " ".join(_pct(r["all"][f"top{k}"]) for k in KS)
            late = " ".join(_pct(r["ply10"][f"top{k}"]) for k in KS)
            lines.append(f"  {labels.get(method, method):<28}{r['positions']:>7} | {row} | {late}")
        lines.append("")
    lines.extend(f"note: {n}" for n in report.get("notes", []))
    return "\n".join(lines).rstrip() + "\n"


def plot_report(
    report: dict[str, Any], path: str | Path, max_move: int = 60, min_positions: int = 20
) -> None:
    """Top-1 (solid) and top-5 (dashed) accuracy by move number, one panel per player.

    Move numbers with fewer than ``min_positions`` scored moves are left out: a handful of
    long games would draw noise, not a trend.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise UserError("Plotting needs matplotlib: pip install 'chessgru[plot]'.") from exc
    players = report["players"]
    if not players:
        raise UserError("Nothing to plot: no player was evaluated.")
    labels = report.get("labels", METHOD_LABELS)
    cols = min(len(players), 2)
    rows = (len(players) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, 4 * rows), squeeze=False, sharey=True)
    # Random last and thin: where the tree falls back to random the two curves coincide.
    order = ("model", "engine", "opening_tree", "random")
    for ax, p in zip(axes.flat, players, strict=False):
        for method in sorted(p["by_move"], key=lambda m: order.index(m) if m in order else -1):
            curve = _binned(p["by_move"][method], min_positions)
            keep = (curve["move"] <= max_move) & (curve["positions"] >= min_positions)
            style = {"color": _COLORS.get(method), "lw": 1.0 if method == "random" else 1.8}
            for k, dashes in (("top1", "-"), ("top5", "--")):
                ax.plot(
                    curve["move"][keep],
                    100 * curve[k][keep],
                    ls=dashes,
                    label=f"{labels.get(method, method)}, {k[:3]}-{k[3:]}",
                    **style,
                )
        ax.axvline(MIN_PLY // 2 + 0.5, color="black", lw=0.6, ls=":")
        ax.text(MIN_PLY // 2 + 1, 97, f"ply {MIN_PLY} ->", va="top", fontsize=8)
        ax.set_title(f"{p['name']}: {p['test_games']} test games, {p['positions']} moves")
        ax.set_xlabel("move number")
        ax.set_xlim(1, max_move)
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("moves matched (%)")
    for ax in list(axes.flat)[len(players) :]:
        ax.axis("off")
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=4, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0.1 / rows + 0.02, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _binned(by_move: dict[str, list], min_positions: int) -> dict[str, np.ndarray]:
    """Accuracy by move number, in bins of several moves when a method scored few moves
    per move number (the engine's sample): the bin width makes a typical bin hold
    ``min_positions`` moves. Bins are drawn at their mean move number."""
    curve = {key: np.asarray(v, dtype=float) for key, v in by_move.items()}
    if not len(curve["move"]):
        return curve
    typical = float(np.median(curve["positions"]))
    width = max(1, int(np.ceil(min_positions / max(typical, 1.0))))
    if width == 1:
        return curve
    bins = (curve["move"] - 1) // width
    weights = curve["positions"]
    out: dict[str, list[float]] = {key: [] for key in curve}
    for b in np.unique(bins):
        sel = bins == b
        w = weights[sel]
        out["positions"].append(float(w.sum()))
        for key in curve:
            if key != "positions":
                out[key].append(float((curve[key][sel] * w).sum() / w.sum()))
    return {key: np.asarray(v) for key, v in out.items()}


_COLORS = {
    "random": "tab:gray",
    "opening_tree": "tab:orange",
    "model": "tab:blue",
    "engine": "tab:green",
}
