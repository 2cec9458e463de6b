from metaflow import FlowSpec, Parameter, step


class BaseFlow(FlowSpec):
    alpha = Parameter("alpha", default=2, type=int)

    @step
    def start(self):
        self.x = self.alpha
        self.next(self.end)

    @step
    def end(self):
        print("x =", self.x)


class ChildFlow(BaseFlow):
    # Inherits both steps; only the flow run below has runs to spin.
    pass


if __name__ == "__main__":
    ChildFlow()
