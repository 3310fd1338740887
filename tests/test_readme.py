"""The README's example runs as written, and its links point at files that exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_is_a_readme_not_the_manual():
    # the bound: the README says what, the two commands, an example, links
    assert len(README.encode()) < 10_000
    assert "make demo" in README and "make test" in README


def test_readme_links_and_figure_exist():
    targets = re.findall(r"\]\(([^)#]+)\)", README)
    assert targets, "the README links to the docs"
    missing = [t for t in targets if not t.startswith("http") and not (ROOT / t).exists()]
    assert missing == []


def test_readme_python_example_runs(tmp_path, monkeypatch):
    code = README.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    scope = {"__name__": "readme"}
    exec(compile(code, "README.md", "exec"), scope)
    assert (tmp_path / "runs" / "study.nc").exists() and (tmp_path / "runs" / "study.png").exists()
    assert set(scope["ds"]["fit_method"].values) == {"mle", "conjugate", "pymc"}
