"""A base flow in its own module: the Metaflow "BaseFlow" pattern, with steps."""

from metaflow import Config, FlowSpec, Parameter, step


class BaseFlow(FlowSpec):
    alpha = Parameter("alpha", default=2, type=int)
    settings = Config("settings", default_value={"scale": 10})

    @step
    def start(self):
        self.x = self.alpha * self.settings.scale
        self.next(self.middle)

    @step
    def middle(self):
        self.y = self.x
        self.next(self.end)

    @step
    def end(self):
        print("y =", self.y)
