# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv (with a Python >= 3.12 found on this machine) and installs the project once.

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

# A candidate counts only if it really runs and is >= 3.12 (pyenv shims exist but may fail).
PYTHON ?= $(shell for c in python3.13 python3.12 \
	  $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3 \
	  $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python3 \
	  $$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3 python3; do \
	  if "$$c" -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1; then \
	    echo "$$c"; break; fi; done)

.PHONY: install demo test test-all coverage seeds bench lint analyses report docs docs-check clean

install: $(STAMP)

$(PY):
	@if [ -z "$(PYTHON)" ]; then \
	  echo "bayescollapse needs Python >= 3.12; none found (tried python3.13, python3.12, pyenv's, python3)." >&2; \
	  echo "Install one, or run: make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)" >&2; exit 2; fi
	"$(PYTHON)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

DOCS_STAMP := $(VENV)/.docs-stamp

$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e ".[test,docs]"
	@touch $(DOCS_STAMP)

# the documentation site, offline, every warning an error: build/docs/index.html
docs: $(DOCS_STAMP)
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs build/docs

# the built site and the report opened in headless Chromium (Debian's chromium and
# chromium-driver): no broken image, link or anchor; screenshots in build/screenshots/
docs-check: docs
	BAYESCOLLAPSE_BROWSER_CHECK=1 $(PY) -m pytest -q -p no:cacheprovider -m browser tests/docs

demo: $(STAMP)
	$(VENV)/bin/bayescollapse run --config configs/demo.toml --out results/demo.nc \
	    --figure results/demo.png --force
	$(VENV)/bin/bayescollapse diagnose results/demo.nc --force
	$(VENV)/bin/bayescollapse run --model markov --tokens 8 --order 1 --sequence-length 20 \
	    --method conjugate --real-fraction zero 0.1 power:0.5:-0.5 \
	    --sample-size 50 50 power:50:1.5 --pairing zip --generations 15 --replicates 20 \
	    --seed 2026 --out results/demo_lm.nc --figure results/demo_lm.png --force

test: $(STAMP)
	@$(PY) -m pytest -m "not slow and not browser" -q -n 2 --dist loadfile; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; rc=0; fi; exit $$rc

test-all: $(STAMP)
	@$(PY) -m pytest -q -n 2 --dist loadfile; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; rc=0; fi; exit $$rc

# branch coverage of the core by the default tests (the rooms the issue names first)
coverage: $(STAMP)
	@$(PY) -m pytest -m "not slow and not browser" -q -n 2 --dist loadfile --cov \
		--cov-report=term-missing:skip-covered --cov-report=html:results/coverage

seeds: $(STAMP)
	$(PY) scripts/seed_sweep.py --salts 20

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

analyses: $(STAMP)
	@for a in analyses/*.py; do case $$a in */report.py) continue;; esac; \
	  echo "== $$a"; $(PY) $$a || exit 1; done

# every study of analyses/ into report/index.html (about 30 min on 2 cores); QUICK=1: small sizes, a few
# minutes, into build/report-quick/
report: $(STAMP)
	$(PY) analyses/report.py $(if $(QUICK),--quick,)

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) results build *.egg-info
