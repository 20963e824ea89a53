"""A user's mail replayed through OwnVoice, with and without learning from their edits.

The newest ``walk`` mails of a file are taken out of the library; the rest is the user's past writing, on
which a first adapter is trained. Then the walk goes through the taken-out mails in time order, in two copies
of the same home: for each mail, a draft is made from its leak-free request (subject, addressee, the mail it
answers) and scored against the real mail by the normalised word edit distance (how much the user would have
to change). In the *learning* copy the real mail is then accepted as the user's final text for that draft
(so it joins the exemplars, the style card and the preference pairs at once), and every ``every`` mails
``retrain.retrain_if_it_pays`` trains a new adapter and keeps it only if it drafts the held-out mail
better. The *static* copy never learns. Same seeds, same requests; the difference per mail gets a paired
bootstrap interval.

That per-mail curve mixes two things: what was learned and how hard the next mail is (the walk's later mails
are on other topics, and both copies' curves rise or fall with them). So the walk also keeps back the
newest ``probe`` mails, never walked and never in either library, and drafts all of them (same seeds each
time) before the walk and after each block of ``every`` mails: the *probe curve* measures the same mails
at every point, so it moves only with what the copy has learned. The static copy's probe drafts are made
before and after the walk (its state does not change); the differences get paired bootstrap intervals
over the probe mails. Beside the probe curve stand texts that need no model, scored on the same probe mails
with the library at the start (``edit_bounds``): the floor (other writers, greeting and sign-off only, the
nearest past mail) and the ceiling (the user's own closest past mail), so the curve's room to fall shows.
"""

from __future__ import annotations

import json
import shutil
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

from ownvoice.store import documents as docs_table

from .edit_bounds import BOUNDS, LABELS, edit_bounds
from .intents import addressee, subject_instruction
from .jobs import ProgressFn, report
from .learning_curve import normalised_edit
from .metrics import paired_bootstrap
from .prompts import DraftRequest
from .retrain import RetrainRule
from .training import TrainingOptions

ARMS = ("static", "learning")


@dataclass(frozen=True)
class SimConfig:
    """How to replay."""

    walk: int = 24  # the newest mails, walked in time order
    every: int = 8  # retrain after this many accepted mails (learning copy)
    steps: int = 30  # training steps of each adapter (the first one and each retrain)
    eval_mails: int = 6  # held-out mails a retrain drafts to decide whether to keep the new adapter
    window: int = 6  # the curve's moving window (mails)
    probe: int = 0  # the newest mails kept back and drafted at every retrain point (0: no probe curve)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.walk < 1 or self.every < 1 or self.steps < 1 or self.probe < 0:
            raise ValueError("walk, every and steps must be at least 1, probe at least 0")


PROBE_SEED = 1000  # probe mail j is drafted with seed + PROBE_SEED + j at every point


def _draft_request(doc, seed: int) -> DraftRequest:
    return DraftRequest(
        instruction=subject_instruction(doc),
        incoming=doc.context or "",
        recipient=addressee(doc),
        seed=seed,
    )


def moving_mean(values: list[float], window: int) -> list[float]:
    """The mean of each value and up to ``window - 1`` before it."""
    return [statistics.fmean(values[max(0, i - window + 1) : i + 1]) for i in range(len(values))]


def _probe_edits(app, probes: list, seed: int) -> list[float]:
    """Edit distance of a draft for each probe mail (same seeds at every call)."""
    return [
        normalised_edit(app.draft(_draft_request(doc, seed + PROBE_SEED + j), "user").text, doc.body)
        for j, doc in enumerate(probes)
    ]


def run_simulation(
    data: list[Path],
    work: Path,
    cfg: SimConfig = SimConfig(),
    progress: Optional[ProgressFn] = None,
    others: Sequence[str] = (),
) -> dict:
    """Replay the newest mails of ``data`` in two homes under ``work``; return the report (``others``: other
    people's mails, the probe curve's floor)."""
    from .app import OwnVoice

    started = time.perf_counter()
    work = Path(work)
    static_home = work / "static"
    if static_home.exists():
        shutil.rmtree(static_home)
    app = OwnVoice(static_home)
    summary = app.import_paths(data, "user", progress=progress)
    prof = app.profile("user")
    docs = sorted(
        docs_table.list_documents(app.db, prof.id), key=lambda d: (d.sent_at or d.created or "", d.id)
    )
    if len(docs) < cfg.walk + cfg.probe + 20:
        raise ValueError(
            f"{len(docs)} mails: a walk of {cfg.walk} and {cfg.probe} probe mails need at least "
            f"{cfg.walk + cfg.probe + 20}"
        )
    probes = docs[len(docs) - cfg.probe :] if cfg.probe else []
    walk = docs[len(docs) - cfg.probe - cfg.walk : len(docs) - cfg.probe]
    for doc in walk + probes:  # the future: not in the library when the walk starts
        docs_table.delete_document(app.db, doc.id)
    bounds: dict[str, list[float]] = {}
    if probes:
        report(progress, "floor and ceiling", 0, 1)
        bounds = edit_bounds(
            [doc.body for doc in probes],
            [_draft_request(doc, cfg.seed) for doc in probes],
            app.style("user"),
            lambda req: next((e.doc.body for e in app.retrieve(req, "user")), ""),
            [doc.body for doc in docs[: len(docs) - len(walk) - len(probes)]],
            others,
        )
    report(progress, "first adapter", 0, 1)
    first = app.train(
        "user", progress=progress, options=TrainingOptions(steps=cfg.steps, playback_model=False)
    )
    from ownvoice.store import adapters as adapters_table

    adapters_table.set_active(app.db, prof.id, first.adapter_id)  # the walk starts from it in both copies
    app.close()
    learning_home = work / "learning"
    if learning_home.exists():
        shutil.rmtree(learning_home)
    shutil.copytree(static_home, learning_home)
    edits: dict[str, list[float]] = {}
    drafts: dict[str, list[str]] = {}
    retrains: list[dict] = []
    probe_points: dict[str, list[dict]] = {arm: [] for arm in ARMS}
    for arm in ARMS:
        app = OwnVoice(static_home if arm == "static" else learning_home)
        scores, texts = [], []
        if probes:
            report(progress, f"probe ({arm}, before the walk)", 0, 1)
            probe_points[arm].append({"after_mail": 0, "edit": _probe_edits(app, probes, cfg.seed)})
        for i, doc in enumerate(walk):
            result = app.draft(_draft_request(doc, cfg.seed + i), "user")
            scores.append(normalised_edit(result.text, doc.body))
            texts.append(result.text)
            if arm == "learning":
                assert result.generation_id is not None
                app.accept_generation(result.generation_id, doc.body, subject=doc.subject)
                block_end = (i + 1) % cfg.every == 0 or i + 1 == len(walk)
                if block_end and (i + 1 < len(walk) or probes):
                    rule = RetrainRule(
                        min_new_documents=cfg.every,
                        max_load_per_core=float("inf"),
                        require_mains_power=False,
                        steps=cfg.steps,
                        eval_mails=cfg.eval_mails,
                    )
                    res = app.retrain("user", rule, force=True, background=False)
                    retrains.append({"after_mail": i + 1, **res.as_dict()})
                    if probes:
                        report(progress, f"probe (learning, after mail {i + 1})", 0, 1)
                        probe_points[arm].append(
                            {"after_mail": i + 1, "edit": _probe_edits(app, probes, cfg.seed)}
                        )
            elif probes and i + 1 == len(walk):
                report(progress, "probe (static, after the walk)", 0, 1)
                probe_points[arm].append({"after_mail": i + 1, "edit": _probe_edits(app, probes, cfg.seed)})
            report(progress, f"walk ({arm})", i + 1, len(walk))
        edits[arm], drafts[arm] = scores, texts
        app.close()
    half = len(walk) // 2
    return {
        "data": [str(p) for p in data],
        "imported": summary.imported,
        "library_at_start": len(docs) - len(walk) - len(probes),
        "config": asdict(cfg),
        "first_adapter": {
            "version": first.version,
            **{k: first.metrics.get(k) for k in ("eval_loss_base", "eval_loss_adapter", "steps")},
        },
        "edit": edits,
        "curve": {arm: moving_mean(edits[arm], cfg.window) for arm in ARMS},
        "mean": {arm: statistics.fmean(edits[arm]) for arm in ARMS},
        "mean_second_half": {arm: statistics.fmean(edits[arm][half:]) for arm in ARMS},
        "difference": paired_bootstrap(edits["static"], edits["learning"], seed=cfg.seed),
        "difference_second_half": paired_bootstrap(
            edits["static"][half:], edits["learning"][half:], seed=cfg.seed
        ),
        "retrains": retrains,
        "probe": _probe_report(probes, probe_points, bounds, cfg.seed) if probes else None,
        "rows": [
            {
                "subject": doc.subject,
                "request": subject_instruction(doc),
                "reference": doc.body,
                **{f"draft_{arm}": drafts[arm][i] for arm in ARMS},
                **{f"edit_{arm}": edits[arm][i] for arm in ARMS},
            }
            for i, doc in enumerate(walk)
        ],
        "seconds": round(time.perf_counter() - started, 1),
    }


def _probe_report(
    probes: list, points: dict[str, list[dict]], bounds: dict[str, list[float]], seed: int
) -> dict:
    """The probe curve: mean edit per point and arm, the paired differences that judge it, and the floor
    and ceiling on the same mails."""
    for arm in ARMS:
        for pt in points[arm]:
            pt["mean"] = statistics.fmean(pt["edit"])
    first, last = points["learning"][0]["edit"], points["learning"][-1]["edit"]
    return {
        "mails": len(probes),
        "subjects": [doc.subject for doc in probes],
        "points": points,
        "bounds": {key: {"edit": edits, "mean": statistics.fmean(edits)} for key, edits in bounds.items()},
        # positive: the learning copy's drafts of the same mails need less editing at the end
        "learning_start_minus_end": paired_bootstrap(first, last, seed=seed),
        # positive: at the end, the learning copy's drafts need less editing than the static copy's
        "static_minus_learning_end": paired_bootstrap(points["static"][-1]["edit"], last, seed=seed),
    }


def simulation_markdown(r: dict) -> str:
    """The report in markdown."""
    cfg = r["config"]
    d, d2 = r["difference"], r["difference_second_half"]
    lines = [
        f"Library at the start: {r['library_at_start']} mails; walk: {cfg['walk']} mails in time order; "
        f"retrain every {cfg['every']} accepted mails ({cfg['steps']} steps each, promotion on "
        f"{cfg['eval_mails']} held-out mails).",
        "",
        "| | mean edit (all mails) | mean edit (second half) | first window | last window |",
        "|---|---|---|---|---|",
    ]
    for arm in ARMS:
        c = r["curve"][arm]
        lines.append(
            f"| {arm} | {r['mean'][arm]:.3f} | {r['mean_second_half'][arm]:.3f} | "
            f"{c[min(len(c) - 1, cfg['window'] - 1)]:.3f} | {c[-1]:.3f} |"
        )
    lines += [
        "",
        f"Static minus learning (paired bootstrap 95%): all mails {d['mean']:+.3f} "
        f"[{d['lo']:+.3f}, {d['hi']:+.3f}]; second half {d2['mean']:+.3f} [{d2['lo']:+.3f}, {d2['hi']:+.3f}] "
        "(positive: learning leaves less to edit).",
        "",
        "| after mail | new version | ROUGE-L new | ROUGE-L in use | kept |",
        "|---|---|---|---|---|",
    ]
    for t in r["retrains"]:
        lines.append(
            f"| {t['after_mail']} | v{t['version']} | {t['score_new']:.3f} | {t['score_previous']:.3f} | "
            f"{'new' if t['promoted'] else 'previous'} |"
        )
    pr = r.get("probe")
    if pr:
        learn = pr["points"]["learning"]
        lines += [
            "",
            f"Probe curve: the newest {pr['mails']} mails, kept back, drafted with the same seeds "
            "at each point.",
            "",
            "| after mail | " + " | ".join(str(p["after_mail"]) for p in learn) + " |",
            "|---|" + "---|" * len(learn),
            "| learning | " + " | ".join(f"{p['mean']:.3f}" for p in learn) + " |",
            "| static | "
            + " | ".join(
                next(
                    (
                        f"{s['mean']:.3f}"
                        for s in pr["points"]["static"]
                        if s["after_mail"] == p["after_mail"]
                    ),
                    "",
                )
                for p in learn
            )
            + " |",
            "",
        ]
        for key, text in (
            ("learning_start_minus_end", "Learning, start minus end"),
            ("static_minus_learning_end", "Static minus learning at the end"),
        ):
            b = pr[key]
            lines.append(
                f"{text} (paired bootstrap 95% over the probe mails): {b['mean']:+.3f} [{b['lo']:+.3f}, "
                f"{b['hi']:+.3f}] (positive: less to edit with learning)."
            )
        if pr.get("bounds"):
            lines += [
                "",
                "| on the same probe mails, no model (library at the start) | mean edit |",
                "|---|---|",
            ]
            lines += [
                f"| {LABELS[key]} | {pr['bounds'][key]['mean']:.3f} |"
                for key in BOUNDS
                if key in pr["bounds"]
            ]
    lines.append(f"\nRun time: {r['seconds']} s.")
    return "\n".join(lines) + "\n"


def write_simulation(r: dict, out: Path) -> Path:
    """simulation.json, simulation.md and curve.png in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "simulation.json").write_text(json.dumps(r, indent=2))
    (out / "simulation.md").write_text(simulation_markdown(r))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pr = r.get("probe")
    fig, axes = plt.subplots(1, 2 if pr else 1, figsize=(10 if pr else 7, 3.2), squeeze=False)
    ax = axes[0][0]
    for arm in ARMS:
        ax.plot(range(1, len(r["curve"][arm]) + 1), r["curve"][arm], label=f"{arm} (moving mean)")
        ax.scatter(range(1, len(r["edit"][arm]) + 1), r["edit"][arm], s=8, alpha=0.4)
    for t in r["retrains"]:
        ax.axvline(t["after_mail"] + 0.5, color="grey", lw=0.6, ls="--")
    ax.set_xlabel("mail of the walk (time order)")
    ax.set_ylabel("normalised edit distance")
    ax.legend(fontsize=8)
    if pr:
        bx = axes[0][1]
        for arm in ARMS:
            pts = pr["points"][arm]
            bx.plot([p["after_mail"] for p in pts], [p["mean"] for p in pts], marker="o", label=arm)
        for key, style in (("own_best", ":"), ("other_writers", "--"), ("greeting_signoff", "-.")):
            if key in pr.get("bounds", {}):
                bx.axhline(pr["bounds"][key]["mean"], color="grey", lw=0.8, ls=style, label=LABELS[key])
        bx.set_xlabel("mails learned from (walk position)")
        bx.set_ylabel(f"mean edit, {pr['mails']} kept-back mails")
        bx.set_title("probe curve (same mails, same seeds)", fontsize=9)
        bx.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(out / "curve.png", dpi=110)
    plt.close(fig)
    return out / "simulation.md"
