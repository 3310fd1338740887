"""Write the golden results: a fixed set of small runs of every family, method and loop option.

Run once, by hand, on the release whose results are the reference::

    .venv/bin/python tests/golden/make_golden.py

Each case is saved as the NetCDF file ``save_results`` writes. ``tests/test_golden.py``
opens every file with today's reader (results written before stay readable) and reruns
its recorded configuration, which must give the same arrays bit for bit. PyMC cases
(``--pymc``) compile a model per family and are checked by the slow set only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bayescollapse import RunConfig, run, save_results

HERE = Path(__file__).parent
SMALL = {"generations": 3, "replicates": 4, "replicate_block": 2, "seed": 2027}

#: case name -> the RunConfig keys (TOML form)
CASES: dict[str, dict] = {
    "categorical_fits": {
        "num_tokens": 6,
        "truth": "zipf:1.2",
        "settings": [
            {"method": "mle"},
            {"method": "conjugate", "synthetic": "ancestral"},
            {"method": "conjugate", "synthetic": "predictive", "prior_concentration": 0.3},
            {"method": "conjugate", "synthetic": "plugin", "prior_update": "carry"},
        ],
    },
    "categorical_schemes": {
        "num_tokens": 5,
        "tail_rank": 2,
        "coverage_levels": [0.5, 0.9],
        "hdi_prob": 0.8,
        "settings": [
            {"scheme": "replace", "real_fraction": "zero", "method": "mle"},
            {"scheme": "accumulate", "real_fraction": "zero", "sample_size": "power:20:1"},
            {"scheme": "accumulate-subsample", "real_fraction": "0.3", "sample_size": "30"},
            {"real_fraction": "power:0.5:-0.5", "sample_size": "list:40,30,20,10"},
        ],
    },
    "categorical_options": {
        "num_tokens": 8,
        "settings": [
            {"method": "mle", "temperature": 0.7},
            {"method": "mle", "top_k": 3},
            {"method": "conjugate", "top_p": 0.8},
            {"method": "mle", "real_weight": "0.6", "sample_size": "50"},
            {"method": "conjugate", "real_data": "fixed", "sample_size": "40"},
            {"method": "mle", "real_data": "resampled", "sample_size": "40"},
            {"method": "add-one"},
        ],
        "plugins": ["bayescollapse.models.examples.add_one"],
    },
    "markov_fits": {
        "model": "markov",
        "num_tokens": 4,
        "order": 1,
        "sequence_length": 6,
        "settings": [
            {"method": "mle", "sample_size": "20"},
            {"method": "conjugate", "sample_size": "20", "synthetic": "predictive"},
            {"method": "conjugate", "sample_size": "20", "temperature": 1.5},
        ],
    },
    "markov_order2": {
        "model": "markov",
        "num_tokens": 3,
        "order": 2,
        "sequence_length": 8,
        "unseen": "marginal",
        "truth": "dirichlet-rows:0.5:7",
        "settings": [
            {"method": "mle", "sample_size": "10", "scheme": "accumulate"},
            {"method": "conjugate", "sample_size": "10", "prior_update": "carry"},
        ],
    },
    "gaussian_fits": {
        "model": "gaussian",
        "settings": [
            {"method": "mle", "sample_size": "30"},
            {"method": "unbiased", "sample_size": "30", "variance_scale": 0.8},
            {"method": "conjugate", "sample_size": "30", "synthetic": "predictive"},
            {"method": "conjugate", "sample_size": "30", "prior": "jeffreys"},
            {
                "method": "conjugate",
                "sample_size": "30",
                "prior_kappa": 1.0,
                "prior_update": "carry",
            },
            {"method": "mle", "sample_size": "30", "real_data": "fixed"},
            {"method": "mle", "sample_size": "30", "real_weight": "0.7"},
        ],
    },
    "regression_fits": {
        "model": "linear-regression",
        "dim": 3,
        "settings": [
            {"method": "mle", "sample_size": "30"},
            {"method": "unbiased", "scheme": "replace", "real_fraction": "zero"},
            {"method": "conjugate", "sample_size": "30", "synthetic": "predictive"},
            {"method": "conjugate", "scheme": "accumulate-subsample", "real_fraction": "zero"},
        ],
    },
    "mixture_fits": {
        "model": "gaussian-mixture",
        "truth": "mixture:0.3:-2:1,0.7:1:0.5",
        "settings": [
            {"method": "mle", "sample_size": "40"},
            {"method": "complete-data-mle", "scheme": "replace", "real_fraction": "zero"},
            {"method": "complete-data", "sample_size": "40", "synthetic": "predictive"},
            {"method": "complete-data", "sample_size": "40", "prior_update": "carry"},
            {"method": "mle", "sample_size": "30", "real_data": "fixed", "variance_scale": 0.8},
        ],
    },
}

PYMC_CASES: dict[str, dict] = {
    "categorical_pymc": {
        "num_tokens": 4,
        "draws": 100,
        "tune": 100,
        "generations": 1,
        "settings": [{"method": "pymc", "sample_size": "50"}],
    },
    "markov_pymc": {
        "model": "markov",
        "num_tokens": 3,
        "sequence_length": 5,
        "draws": 100,
        "tune": 100,
        "generations": 1,
        "settings": [
            {"method": "pymc", "sample_size": "10"},
            {"method": "pymc-hierarchical", "sample_size": "10"},
        ],
    },
    "gaussian_pymc": {
        "model": "gaussian",
        "draws": 100,
        "tune": 100,
        "generations": 1,
        "settings": [{"method": "pymc", "sample_size": "30"}],
    },
    "mixture_pymc": {
        "model": "gaussian-mixture",
        "draws": 100,
        "tune": 100,
        "generations": 1,
        "settings": [{"method": "pymc", "sample_size": "60"}],
    },
}


def config(keys: dict) -> RunConfig:
    """The case's RunConfig (the small run sizes unless it names its own)."""
    return RunConfig.from_dict({**SMALL, **keys})


def main() -> None:
    """Write every case (and the PyMC ones with ``--pymc``) next to this file."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pymc", action="store_true", help="also the PyMC cases")
    p.add_argument("--only", nargs="+", metavar="CASE", help="write these cases only (new ones)")
    args = p.parse_args()
    cases = {**CASES, **(PYMC_CASES if args.pymc else {})}
    cases = {k: v for k, v in cases.items() if not args.only or k in args.only}
    for name, keys in cases.items():
        path = save_results(run(config(keys)), HERE / f"{name}.nc", overwrite=True)
        print(path)


if __name__ == "__main__":
    main()
