"""Classes, dataclasses and Enums defined in the flow file, stored as artifacts
(pickled as __main__.<name>) and read by downstream steps and a join."""

import enum
from dataclasses import dataclass, field

from metaflow import FlowSpec, step


class Stage(enum.Enum):
    DRAFT = "draft"
    READY = "ready"


@dataclass
class Sample:
    name: str
    weight: float
    tags: list = field(default_factory=list)


class Tally:
    """A plain class with state and behaviour."""

    def __init__(self):
        self.counts = {}

    def add(self, key, n=1):
        self.counts[key] = self.counts.get(key, 0) + n
        return self

    def __eq__(self, other):
        return isinstance(other, Tally) and other.counts == self.counts


class TypesFlow(FlowSpec):
    @step
    def start(self):
        self.samples = [Sample("a", 1.5, ["x"]), Sample("b", 2.5)]
        self.stage = Stage.DRAFT
        self.tally = Tally().add("start")
        self.next(self.weigh, foreach="samples")

    @step
    def weigh(self):
        self.sample = Sample(self.input.name, self.input.weight * 2, [*self.input.tags, "w"])
        self.stage = Stage.READY
        self.tally = Tally().add(self.input.name, 2)
        self.next(self.join)

    @step
    def join(self, inputs):
        self.weighed = [inp.sample for inp in inputs]
        self.stages = {inp.stage for inp in inputs}
        self.tally = Tally()
        for inp in inputs:
            for key, n in inp.tally.counts.items():
                self.tally.add(key, n)
        self.next(self.end)

    @step
    def end(self):
        self.heaviest = max(self.weighed, key=lambda s: s.weight)
        self.ready = self.stages == {Stage.READY}


if __name__ == "__main__":
    TypesFlow()
