"""Build the report: run every study of ``analyses/`` and write ``report/index.html``.

``make report`` runs the studies at full size (about 30 minutes on 2 cores; the figures go
to ``analyses/figures``, committed); ``make report QUICK=1`` (``--quick``) runs them at
small sizes in a few minutes into ``build/report-quick`` (figures beside the index), a
check that everything runs, not a result. ``--only`` reruns some studies and rebuilds
the page with the others as they were last built (``studies.json``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

from bayescollapse.present.report import load_studies, write_report

HERE = Path(__file__).parent
#: the studies, in the report's order (each a module here with ``study(quick, figures)``)
STUDIES = (
    "paper_study",
    "bayes_vs_mle",
    "calibration",
    "neighbours",
    "gaussian_regimes",
    "markov_regimes",
    "hierarchical_pooling",
    "phase_diagram",
    "decoding_and_weights",
    "curation",
    "regression",
    "mixture",
    "reparametrisation",  # the appendices last
    "k50_regimes",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    parser.add_argument("--out", type=Path, help="report folder (default: report/ or build/)")
    parser.add_argument("--only", nargs="+", choices=STUDIES, metavar="STUDY", help="some studies")
    args = parser.parse_args(argv)
    out = args.out or (HERE.parent / ("build/report-quick" if args.quick else "report"))
    figures = out / "figures" if args.quick else None
    sys.path.insert(0, str(HERE))
    studies = load_studies(out) if args.only else {}  # --only: the others as last built
    for name in args.only or STUDIES:
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        result = importlib.import_module(name).study(quick=args.quick, figures=figures)
        result.wall_seconds = time.perf_counter() - start
        print(f"   {result.wall_seconds:.0f} s", flush=True)
        studies[name] = result
    ordered = [studies[name] for name in STUDIES if name in studies]
    index = write_report(ordered, out, quick=args.quick)
    print(index)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
