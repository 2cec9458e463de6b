"""Custom step decorators (Metaflow's @user_step_decorator), as in Metaflow's
"Custom Decorators" docs: code before and after the step, attributes, a
temporary API for the step, and state merged in joins."""

from metaflow import current, user_step_decorator


@user_step_decorator
def stamp(step_name, flow, inputs=None, attributes=None):
    """Records which steps ran under the decorator, merging the joins' inputs."""
    seen = []
    if inputs:
        for inp in inputs:
            seen.extend(s for s in inp.stamped if s not in seen)
    elif hasattr(flow, "stamped"):
        seen = list(flow.stamped)
    yield
    flow.stamped = [*seen, f"{step_name}@{current.step_name}"]


@user_step_decorator
def scaled(step_name, flow, inputs=None, attributes=None):
    """Offers the step a temporary helper, and records the attribute it was given."""
    factor = int((attributes or {}).get("factor", 1))
    flow.scale = lambda v: v * factor
    yield
    del flow.scale
    flow.factor_used = factor
