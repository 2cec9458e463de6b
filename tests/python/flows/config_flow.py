from metaflow import Config, FlowSpec, Parameter, current, step


class ConfigFlow(FlowSpec):
    """Parameters given non-default values, a Config, and `current`."""

    alpha = Parameter("alpha", default=0.5, type=float)
    label = Parameter("label", default="default")
    settings = Config("settings", default_value={"depth": 3, "name": "base"})

    @step
    def start(self):
        self.seen_alpha = self.alpha
        self.depth = self.settings.depth
        self.flow_name = current.flow_name
        self.next(self.end)

    @step
    def end(self):
        self.summary = f"{self.label}:{self.seen_alpha}:{self.depth}:{self.settings.name}"
        self.params = list(current.parameter_names)


if __name__ == "__main__":
    ConfigFlow()
