"""Parameters of every kind, given non-default values on the command line, and an
IncludeFile (a str inside the step)."""

from metaflow import FlowSpec, IncludeFile, JSONType, Parameter, step


class ParametersFlow(FlowSpec):
    alpha = Parameter("alpha", help="Learning rate", type=float, default=0.01)
    epochs = Parameter("epochs", type=int, default=3)
    label = Parameter("label", default="baseline")
    verbose = Parameter("verbose", type=bool, default=False)
    spec = Parameter("spec", type=JSONType, default='{"layers": [8, 4], "act": "relu"}')
    table = IncludeFile("table", help="A small CSV", default="table.csv")

    @step
    def start(self):
        self.rows = [line.split(",") for line in self.table.strip().splitlines()]
        self.table_kind = type(self.table).__name__
        self.schedule = [round(self.alpha * (i + 1), 6) for i in range(self.epochs)]
        self.next(self.train)

    @step
    def train(self):
        self.width = sum(self.spec["layers"])
        self.summary = f"{self.label}:{self.spec['act']}:{self.width}:{len(self.rows)}"
        if self.verbose:
            print("schedule", self.schedule)
        self.next(self.end)

    @step
    def end(self):
        self.report = {"alpha": self.alpha, "summary": self.summary, "header": self.rows[0]}


if __name__ == "__main__":
    ParametersFlow()
