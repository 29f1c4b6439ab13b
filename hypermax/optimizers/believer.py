"""Running trials for a Gaussian process taken as it predicts them: the kriging believer.

With trials running in parallel, Optuna's GPSampler maximises a batch expected improvement over
the running trials' possible outcomes, sampled (``qLogEI``). On the quality benchmark, 4 trials
at a time against one at a time, that lost 2.6x in median gap on Rosenbrock-5D and 77x on
Hartmann6, where taking each running trial at the loss the process predicts there
(Ginsbourger et al., "Kriging is well-suited to parallelize optimization", 2010) lost nothing
on seeds 0 to 9 of any of the four functions, and less than the batch acquisition on
Rosenbrock-5D on seeds 10 to 15 as well (``benchmarks/README.md``). Optuna itself counts
running trials that way for its probability-of-improvement acquisition.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna


@cache
def believer_sampler_class() -> type[optuna.samplers.GPSampler]:
    """GPSampler that takes each running trial as the process predicts it
    (:func:`believed_acquisition`) instead of Optuna's batch acquisition, through the one method
    Optuna leaves to subclasses."""
    import optuna

    class BelieverGPSampler(optuna.samplers.GPSampler):
        def _optimize_acqf(self, acqf: Any, best_params: Any) -> Any:
            return super()._optimize_acqf(believed_acquisition(acqf), best_params)

    return BelieverGPSampler


def believed_acquisition(acquisition: Any) -> Any:
    """The kriging believer (Ginsbourger et al., 2010) in place of Optuna's batch expected
    improvement (``qLogEI``, which GPSampler builds when trials are running): each running
    trial joins the fitted process at its posterior mean, which leaves the mean as it was and
    removes the uncertainty around the trial, and the next point maximises plain expected
    improvement over the best finished loss. Any other acquisition is returned as it is, and so
    is ``qLogEI`` if Optuna's internals ever differ."""
    from optuna._gp import acqf as acqf_module

    if not isinstance(acquisition, acqf_module.qLogEI):
        return acquisition
    try:
        conditional = acquisition._cond_gpr
        believing = _believing(conditional._gpr, conditional._X_running)
        threshold = acquisition._threshold
    except AttributeError:  # another Optuna version: its batch acquisition
        return acquisition
    return acqf_module.LogEI(believing, acquisition.search_space, threshold)


def _believing(gpr: Any, running: Any) -> Any:
    """A process fitted as ``gpr`` is (same kernel, same hyperparameters) to its finished trials
    and to the running ones at the mean ``gpr`` predicts for them. Built anew rather than
    extended in place, which only some Optuna versions offer (``append_running_data``)."""
    import torch
    from optuna._gp.gp import GPRegressor

    with torch.no_grad():
        predicted = gpr.posterior(running)[0]
        believing = GPRegressor(
            gpr._is_categorical,
            torch.cat([gpr._X_train, running]),
            torch.cat([gpr._y_train.squeeze(-1), predicted]),
            gpr.inverse_squared_lengthscales,
            gpr.kernel_scale,
            gpr.noise_var,
        )
        believing._cache_matrix()
    return believing
