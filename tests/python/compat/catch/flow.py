"""@catch: a step raises, the exception is stored in an artifact, the run goes on."""

from metaflow import FlowSpec, catch, step


class CatchFlow(FlowSpec):
    @step
    def start(self):
        self.divisor = 0
        self.next(self.risky)

    @catch(var="failure")
    @step
    def risky(self):
        self.partial = "set before the failure"
        self.ratio = 1 / self.divisor
        self.next(self.end)

    @step
    def end(self):
        self.failed = self.failure is not None
        self.failure_type = self.failure.type if self.failure else None


if __name__ == "__main__":
    CatchFlow()
