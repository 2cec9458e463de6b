"""Steps that import a helper package living beside the flow file."""

from metaflow import FlowSpec, step


class HelperPackageFlow(FlowSpec):
    @step
    def start(self):
        self.values = [1.0, 2.0, 4.0]
        self.weights = [1, 1, 2]
        self.next(self.score)

    @step
    def score(self):
        from scoring import weighted_mean

        self.mean = weighted_mean(self.values, self.weights)
        self.next(self.end)

    @step
    def end(self):
        import scoring.metrics

        self.rescored = scoring.metrics.weighted_mean(self.values, [1, 1, 1])


if __name__ == "__main__":
    HelperPackageFlow()
