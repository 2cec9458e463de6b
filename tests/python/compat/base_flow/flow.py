"""A flow derived from a BaseFlow defined in another file."""

from base import BaseFlow
from metaflow import Parameter, step


class DerivedFlow(BaseFlow):
    scale = Parameter("scale", type=int, default=10)

    @step
    def process(self):
        self.kept = self.keep(self.values)
        self.scaled = [round(v * self.scale, 6) for v in self.kept]
        self.next(self.end)


if __name__ == "__main__":
    DerivedFlow()
