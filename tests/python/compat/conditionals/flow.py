"""A conditional branch (Metaflow 2.18+): one of several steps runs, picked by an
artifact; the step after it has one parent and no join."""

from metaflow import FlowSpec, Parameter, step


class ConditionalFlow(FlowSpec):
    size = Parameter("size", type=int, default=3)

    @step
    def start(self):
        self.route = "big" if self.size > 5 else "small"
        self.next({"big": self.big, "small": self.small}, condition="route")

    @step
    def big(self):
        self.handled = f"big:{self.size}"
        self.next(self.after)

    @step
    def small(self):
        self.handled = f"small:{self.size}"
        self.next(self.after)

    @step
    def after(self):
        self.parity = "even" if self.size % 2 == 0 else "odd"
        self.next({"even": self.even, "odd": self.end}, condition="parity")

    @step
    def even(self):
        self.halved = self.size // 2
        self.next(self.end)

    @step
    def end(self):
        self.result = f"{self.handled}:{self.parity}"


if __name__ == "__main__":
    ConditionalFlow()
