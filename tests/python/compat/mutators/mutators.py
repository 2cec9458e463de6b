"""Mutators (metaflow.FlowMutator / StepMutator) as in Metaflow's "Applying
Decorators with Mutators" docs: they add decorators and Parameters before the run."""

from metaflow import FlowMutator, Parameter, StepMutator, current, user_step_decorator


@user_step_decorator
def note_step(step_name, flow, inputs=None, attributes=None):
    yield
    label = (attributes or {}).get("label", "plain")
    flow.notes = [*getattr(flow, "notes", []), f"{label}:{current.step_name}"]


class environment_everywhere(FlowMutator):
    """Bare form: @environment_everywhere adds @environment to every step."""

    def mutate(self, mutable_flow):
        for _name, mutable_step in mutable_flow.steps:
            mutable_step.add_decorator(
                "environment",
                deco_kwargs={"vars": {"MUTATED": "yes"}},
                duplicates=mutable_step.IGNORE,
            )


class seeded(FlowMutator):
    """Called form: @seeded(seed=N) adds a Parameter 'seed' with that default."""

    def init(self, *args, **kwargs):
        self.seed = int(kwargs.get("seed", 0))

    def pre_mutate(self, mutable_flow):
        mutable_flow.add_parameter("seed", Parameter("seed", type=int, default=self.seed))


class noted(StepMutator):
    """@noted or @noted(label=...): adds the note_step decorator to the step."""

    def init(self, *args, **kwargs):
        self.label = kwargs.get("label", "plain")

    def mutate(self, mutable_step):
        mutable_step.add_decorator(
            note_step, deco_kwargs={"label": self.label}, duplicates=mutable_step.OVERRIDE
        )
