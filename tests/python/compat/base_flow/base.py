"""The BaseFlow pattern: shared Parameters, a Config, a helper method and the
first and last steps, inherited by every flow of the project."""

from metaflow import Config, FlowSpec, Parameter, step


class BaseFlow(FlowSpec):
    threshold = Parameter("threshold", type=float, default=0.5)
    team = Config("team", default_value={"name": "vision", "owner": "ana"})

    def keep(self, values):
        return [v for v in values if v >= self.threshold]

    @step
    def start(self):
        self.values = [0.1, 0.4, 0.6, 0.9]
        self.owner = self.team.owner
        self.next(self.process)

    @step
    def end(self):
        self.report = f"{self.team.name}: kept {len(self.kept)} of {len(self.values)}"
