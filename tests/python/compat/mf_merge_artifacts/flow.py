"""Counterpart of Metaflow's spin test flow for merge_artifacts (test/unit/spin):
two static joins, one merging with exclude=, one with include=."""

from metaflow import FlowSpec, step


class MergeArtifactsFlow(FlowSpec):
    @step
    def start(self):
        self.carried = "from start"
        self.next(self.a, self.b)

    @step
    def a(self):
        self.shared = 5
        self.x = 1
        self.y = 3
        self.only_a = 6
        self.next(self.join)

    @step
    def b(self):
        self.shared = 5
        self.x = 2
        self.y = 4
        self.next(self.join)

    @step
    def join(self, inputs):
        self.x = inputs.a.x  # resolves the conflict on x; y is left out
        self.merge_artifacts(inputs, exclude=["y"])
        print(f"x={self.x} carried={self.carried} shared={self.shared} only_a={self.only_a}")
        self.next(self.c)

    @step
    def c(self):
        self.next(self.d, self.e)

    @step
    def d(self):
        self.clash = 7
        self.next(self.join2)

    @step
    def e(self):
        self.clash = 8
        self.next(self.join2)

    @step
    def join2(self, inputs):
        self.merge_artifacts(inputs, include=["carried", "shared"])
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    MergeArtifactsFlow()
