"""NUTS diagnostics of one sampler run, extracted once for every family and fit.

R-hat (rank-normalised split R-hat, the larger of bulk and folded), bulk and tail ESS and
the Monte Carlo SE of the mean, as defined by Vehtari et al. (2021) and computed by
ArviZ, here in one vectorised pass over every parameter at once: ArviZ's own functions
loop over parameters in Python, which took half of a PyMC generation at the paper's
scale. A test holds these values to ArviZ's.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import fft, special

from bayescollapse.metrics.intervals import sorted_quantiles

__all__ = ["DIAGNOSTICS", "ess", "nuts_diagnostics", "rhat"]

#: per-parameter statistics recorded for every sampled variable ``v`` as ``v_<name>``
DIAGNOSTICS = ("r_hat", "ess_bulk", "ess_tail", "mcse_mean")


def _split(x: np.ndarray) -> np.ndarray:
    """Split every chain in halves: (P, chain, draw) -> (P, 2 chain, draw // 2)."""
    half = x.shape[-1] // 2
    return np.concatenate([x[..., :half], x[..., x.shape[-1] - half :]], axis=-2)


def _sorted(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the order of every row (P, N) and the row's values in that order."""
    order = np.argsort(flat, axis=-1)
    return order, np.take_along_axis(flat, order, axis=-1)


def _z_scale(x: np.ndarray, sorted_: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Rank-normalise over all draws of each parameter (average ranks for ties, as ArviZ).

    ``sorted_`` is :func:`_sorted` of ``x`` flattened per parameter, when already made.
    The average rank of a tie group is the mean of its first and last places in the order,
    found by running maxima and minima over the sorted row (no second sort).
    """
    flat = x.reshape(x.shape[0], -1)
    order, ordered = _sorted(flat) if sorted_ is None else sorted_
    n = flat.shape[-1]
    place = np.arange(n, dtype=float)
    starts = np.ones(flat.shape, bool)  # a place that opens a group of equal values
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    if starts.all():  # no ties: the rank of a draw is its place in the order
        in_order = np.broadcast_to(place + 1.0, flat.shape)
    else:
        ends = np.ones(flat.shape, bool)  # a place that closes a group
        ends[:, :-1] = starts[:, 1:]
        first = np.maximum.accumulate(np.where(starts, place, 0.0), axis=-1)
        last = np.minimum.accumulate(np.where(ends, place, n)[:, ::-1], axis=-1)[:, ::-1]
        in_order = (first + last) / 2 + 1.0
    rank = np.empty(flat.shape)
    np.put_along_axis(rank, order, in_order, axis=-1)
    c = 3 / 8
    return special.ndtri((rank - c) / (n - 2 * c + 1)).reshape(x.shape)


def _basic_rhat(x: np.ndarray) -> np.ndarray:
    n = x.shape[-1]
    between = n * np.var(x.mean(axis=-1), axis=-1, ddof=1)
    within = np.mean(np.var(x, axis=-1, ddof=1), axis=-1)
    return np.sqrt((between / within + n - 1) / n)


def rhat(x: np.ndarray, *, z_split: np.ndarray | None = None, median=None) -> np.ndarray:
    """Rank-normalised split R-hat of draws (P, chain, draw), per parameter.

    ``z_split``, the rank-normalised split draws, and ``median``, each parameter's median,
    may be given when already computed.
    """
    split = _split(x)
    if z_split is None:
        z_split = _z_scale(split)
    if median is None:
        median = np.median(split.reshape(split.shape[0], -1), axis=-1)
    folded = np.abs(split - median[:, None, None])
    return np.maximum(_basic_rhat(z_split), _basic_rhat(_z_scale(folded)))


def ess(x: np.ndarray) -> np.ndarray:
    """ESS of draws (P, chain, draw) by Geyer's initial monotone sequence, per parameter.

    The same estimator as ArviZ's ``_ess``, vectorised: the autocorrelations of every
    parameter at every lag at once, the truncation and the monotone correction as prefix
    operations on the sums of consecutive pairs.
    """
    x = np.asarray(x, float)
    params, chains, n = x.shape
    total = chains * n
    constant = (x.max(axis=(1, 2)) - x.min(axis=(1, 2))) < np.finfo(float).resolution
    centred = x - x.mean(axis=-1, keepdims=True)
    m = fft.next_fast_len(2 * n)
    spectrum = fft.rfft(centred, n=m, axis=-1)
    acov = fft.irfft(spectrum * np.conjugate(spectrum), n=m, axis=-1)[..., :n] / n
    mean_acov = acov.mean(axis=1)  # (P, n)
    mean_var = mean_acov[:, 0] * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if chains > 1:
        var_plus = var_plus + np.var(x.mean(axis=-1), axis=-1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = 1.0 - (mean_var[:, None] - mean_acov) / var_plus[:, None]  # (P, n)
    rho[:, 0] = 1.0
    pairs = (n - 1) // 2 + 1  # pairs (0, 1), (2, 3), ...
    padded = np.zeros((params, 2 * pairs))
    width = min(n, 2 * pairs)
    padded[:, :width] = rho[:, :width]
    even, odd = padded[:, 0::2], padded[:, 1::2]  # (P, pairs)
    sums = even + odd
    # iterations k = 1.. of Geyer's loop run while every earlier pair sum is > 0 and
    # 2k - 1 < n - 3; J is how many ran
    limit = max(int(np.ceil((n - 2) / 2)) - 1, 0)
    leading = np.cumprod(sums > 0, axis=-1).sum(axis=-1)
    last = np.minimum(leading, limit)  # J, per parameter
    # pairs 1..J-1 take the running minimum of the pair sums (the monotone sequence)
    running = np.minimum.accumulate(sums, axis=-1)
    body = np.where(np.arange(pairs) < last[:, None], running, 0.0).sum(axis=-1)
    even_last = np.take_along_axis(even, last[:, None], axis=-1)[:, 0]
    sum_last = np.take_along_axis(sums, last[:, None], axis=-1)[:, 0]
    tail = np.where((sum_last >= 0) | (even_last > 0), even_last, 0.0)
    tau = np.maximum(-1.0 + 2.0 * body + tail, 1 / np.log10(total))
    out = np.where(np.isnan(rho).any(axis=-1), np.nan, total / tau)
    return np.where(constant, float(total), out)


#: the tail ESS is the smaller ESS of the indicators of these quantiles; ArviZ 1 uses its
#: ``stats.ci_prob`` (0.89) for them by default, and so do we, to agree with ``az.summary``
TAIL_QUANTILES = (0.11, 0.89)


def _ess_tail(x: np.ndarray, quantiles: np.ndarray | None = None) -> np.ndarray:
    """Return the tail ESS; ``quantiles`` (2, P) at :data:`TAIL_QUANTILES`, if computed."""
    q = quantiles
    if q is None:
        q = np.quantile(x.reshape(x.shape[0], -1), TAIL_QUANTILES, axis=-1)  # (2, P)
    return np.minimum(ess(_split(x <= q[0][:, None, None])), ess(_split(x <= q[1][:, None, None])))


def nuts_diagnostics(
    posterior: xr.Dataset,
    sample_stats: xr.Dataset,
    variables: tuple[str, ...],
    *,
    also: tuple[str, ...] = (),
) -> dict[str, np.ndarray]:
    """R-hat, ESS, MCSE and divergences of one sampler run that fitted a replicate block.

    Parameters
    ----------
    posterior : xarray.Dataset
        Draws with dims (chain, draw, replicate, ...).
    sample_stats : xarray.Dataset
        The run's sampler statistics, with ``diverging``.
    variables : tuple of str
        The sampled variables to diagnose, each with its own results.
    also : tuple of str
        Further variables of the model (hyperparameters, a plug-in's own) that count in
        the worst values over the parameters; a variable without a ``replicate`` dim (one
        for the whole block) counts for every replicate.

    Returns
    -------
    dict of str to numpy.ndarray
        ``<v>_r_hat``, ``<v>_ess_bulk``, ``<v>_ess_tail`` and ``<v>_mcse_mean`` for every
        variable ``v``, with the replicate axis first; ``r_hat_max``, ``ess_bulk_min`` and
        ``ess_tail_min`` over every parameter of a replicate, shape (R,); ``divergences``
        of the run (a scalar: every replicate of the block shares it).
    """
    out: dict[str, np.ndarray] = {}
    flat: dict[str, list[np.ndarray]] = {name: [] for name in DIAGNOSTICS}
    replicates = posterior.sizes.get("replicate", 1)
    for v in (*variables, *also):
        da = posterior[v]
        if "replicate" not in da.dims:
            da = da.expand_dims(replicate=replicates)
        da = da.transpose("replicate", ..., "chain", "draw")
        shape = da.shape[:-2]
        x = np.ascontiguousarray(da.values.reshape(-1, *da.shape[-2:]))  # (P, chain, draw)
        split = _split(x)
        # one sort per parameter serves the ranks (R-hat, bulk ESS) and the quantiles
        sorted_ = _sorted(split.reshape(split.shape[0], -1))
        z_split = _z_scale(split, sorted_)
        median, *tails = sorted_quantiles(sorted_[1], (0.5, *TAIL_QUANTILES))
        whole = x.shape[-1] % 2 == 0  # else the split drops each chain's middle draw
        values = {
            "r_hat": rhat(x, z_split=z_split, median=median),
            "ess_bulk": ess(z_split),
            "ess_tail": _ess_tail(x, np.array(tails) if whole else None),
            "mcse_mean": x.reshape(x.shape[0], -1).std(axis=-1, ddof=1) / np.sqrt(ess(split)),
        }
        for name, value in values.items():
            if v in variables:
                out[f"{v}_{name}"] = value.reshape(shape)
            flat[name].append(value.reshape(shape[0], -1))  # (replicate, parameters)
    joined = {name: np.concatenate(parts, axis=1) for name, parts in flat.items()}
    out["r_hat_max"] = np.nanmax(joined["r_hat"], axis=1)
    out["ess_bulk_min"] = np.nanmin(joined["ess_bulk"], axis=1)
    out["ess_tail_min"] = np.nanmin(joined["ess_tail"], axis=1)
    out["divergences"] = np.float64(sample_stats["diverging"].sum())
    return out
