"""The report: numbers against theory, the HTML page, and the quick build of every study."""

import html
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from bayescollapse.present.report import Number, Study, load_studies, write_report

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(
    ("number", "z", "agrees"),
    [
        (Number("a", 0.0102, theory=0.0100, se=0.0001, bound=4.0), 2.0, True),
        (Number("b", 0.5, theory=0.3, se=0.04, bound=4.0), 5.0, False),
        (Number("c", 0.5, theory=0.6, se=0.04, bound=4.0), -2.5, True),
        (Number("d", 0.0, theory=0.0, se=0.0, bound=4.0), math.nan, True),  # exact: no z
        (Number("e", 1.0, theory=0.0, se=0.0, bound=4.0), math.inf, False),
        (Number("f", 1.0, se=0.1), math.nan, None),  # no theory: no z, no verdict
        (Number("g", 1.0, theory=0.9, se=0.1), 1.0, None),  # no bound: no verdict
        # 8 pairs: the bound 4 is t = 8.47 on 7 dof (same tail, 3.2e-5): z 5 agrees
        (Number("h", 0.5, theory=0.3, se=0.04, bound=4.0, dof=7), 5.0, True),
        (Number("i", 0.7, theory=0.3, se=0.04, bound=4.0, dof=7), 10.0, False),
    ],
)
def test_number_z_and_verdict_by_hand(number, z, agrees):
    if math.isnan(z):
        assert math.isnan(number.z)
    else:
        assert number.z == pytest.approx(z)
    assert number.agrees is agrees


def test_a_zero_se_equality_reads_exact_not_agreement():
    # issue 26: "NUTS minus exact" printed SE 0, z 0 and "agrees"; a number without noise
    # that equals its theory is a check ("exact"), with no z and no tolerance shown
    from bayescollapse.present.report import _numbers_table

    row = _numbers_table([Number("same data", 1.0, theory=1.0, se=0.0, bound=4.0)])
    assert ">exact<" in row and "agrees" not in row and "&le;" not in row


def test_a_small_sample_bound_is_read_on_t_and_says_so():
    from scipy import stats

    from bayescollapse.present.report import _numbers_table

    number = Number("paired, 8 pairs", 0.5, theory=0.3, se=0.04, bound=4.0, dof=7)
    assert number.limit == pytest.approx(stats.t.isf(stats.norm.sf(4.0), 7))
    assert number.limit == pytest.approx(8.47, abs=0.01)
    assert "|t| &le; 8.5, 7 dof" in _numbers_table([number])
    assert Number("many", 0.5, theory=0.3, se=0.04, bound=4.0).limit == 4.0


def _study(tmp_path, key, numbers):
    figure = tmp_path / "figs" / f"{key}.png"
    figure.parent.mkdir(exist_ok=True)
    figure.write_bytes(b"\x89PNG")
    return Study(
        key=key,
        title=f"Study {key} <&>",
        caption=f"caption of {key}",
        figures=[figure],
        params={"K": 50, "regime": "alpha<0.5"},
        seed=17,
        numbers=numbers,
        findings=[f"finding of {key}"],
        wall_seconds=12.0,
    )


def test_report_page_shows_every_figure_number_verdict_and_parameter(tmp_path):
    studies = [
        _study(tmp_path, "one", [Number("error <T>", 0.0102, theory=0.01, se=0.0001, bound=4)]),
        _study(tmp_path, "two", [Number("far", 0.5, theory=0.3, se=0.04, bound=4)]),
    ]
    index = write_report(studies, tmp_path / "out")
    page = index.read_text()
    for s in studies:
        assert "Study " + s.key + " &lt;&amp;&gt;" in page  # titles are escaped
        assert f"caption of {s.key}" in page and f"finding of {s.key}" in page
        assert "src='../figs/" + s.key + ".png'" in page  # relative to the page
        assert (index.parent / "../figs" / f"{s.key}.png").exists()
    assert "error &lt;T&gt;" in page and "0.0102" in page and ">2<" in page
    assert "class='agrees'" in page and "class='outside'>OUTSIDE" in page
    assert "alpha&lt;0.5" in page and ">17<" in page  # parameters and seed
    assert "0.4 min in all" in page  # 2 x 12 s
    record = json.loads((index.parent / "studies.json").read_text())
    assert record["two"]["numbers"][0]["z"] == pytest.approx(5.0)
    assert record["one"]["figures"] == ["../figs/one.png"]
    # read back, the studies rebuild the same page (what --only relies on)
    again = load_studies(index.parent)
    assert list(again) == ["one", "two"]
    assert again["two"].numbers[0].z == pytest.approx(5.0)
    rebuilt = write_report(list(again.values()), tmp_path / "out").read_text()
    assert rebuilt.split("</p>", 1)[1] == page.split("</p>", 1)[1]  # all but the build time


@pytest.mark.slow
def test_quick_report_builds_with_every_study_figure_and_number(tmp_path):
    # the whole report at its quick sizes, as `make report QUICK=1` runs it
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, str(ROOT / "analyses" / "report.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    page = (out / "index.html").read_text()
    record = json.loads((out / "studies.json").read_text())
    sys.path.insert(0, str(ROOT / "analyses"))
    try:
        from report import STUDIES
    finally:
        sys.path.pop(0)
    assert list(record) == list(STUDIES)
    for key, study in record.items():
        assert f"id='{key}'" in page
        assert study["figures"] and study["numbers"], key
        for figure in study["figures"]:
            assert (out / figure).stat().st_size > 10_000, figure  # a real PNG
            assert f"src='{figure}'" in page
        for number in study["numbers"]:
            assert html.escape(number["label"]) in page
            assert math.isfinite(number["value"]), number
