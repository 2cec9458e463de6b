from metaflow import FlowSpec, Parameter, current, step


class LinearFlow(FlowSpec):
    """start -> middle -> end, with a Parameter and `current`."""

    scale = Parameter("scale", default=2, type=int)

    @step
    def start(self):
        self.numbers = list(range(5))
        self.label = "raw"
        self.next(self.middle)

    @step
    def middle(self):
        self.scaled = [n * self.scale for n in self.numbers]
        self.numbers.append(99)  # an in-place change to an input is an output too
        self.where = (current.flow_name, current.step_name)
        print("scaled", self.scaled)
        self.next(self.end)

    @step
    def end(self):
        self.total = sum(self.scaled)


if __name__ == "__main__":
    LinearFlow()
