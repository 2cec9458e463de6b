import enum
from dataclasses import dataclass

from metaflow import FlowSpec, step


@dataclass
class Scaler:
    factor: float


class Color(enum.Enum):
    RED = 1
    BLUE = 2


class Box:
    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return type(other).__name__ == "Box" and other.value == self.value


class ClassesFlow(FlowSpec):
    """Values whose classes live in the flow file (``__main__`` in a run)."""

    @step
    def start(self):
        self.scaler = Scaler(2.0)
        self.color = Color.BLUE
        self.next(self.left, self.right)

    @step
    def left(self):
        self.scaled = self.scaler.factor * 2
        self.box = Box(1)
        self.next(self.join)

    @step
    def right(self):
        self.scaled = self.scaler.factor * 3
        self.box = Box(2)
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.scaled for i in inputs)
        self.scaler = inputs[0].scaler
        self.values = sorted(i.box.value for i in inputs)
        self.color = inputs[0].color
        self.next(self.end)

    @step
    def end(self):
        self.described = f"{self.scaler.factor} {self.color.name} {self.total}"


if __name__ == "__main__":
    ClassesFlow()
