"""FlowMutator and StepMutator, each in its bare (@m) and called (@m(...)) form."""

import os

from metaflow import FlowSpec, step
from mutators import environment_everywhere, noted, seeded


@environment_everywhere
@seeded(seed=42)
class MutatorFlow(FlowSpec):
    @noted
    @step
    def start(self):
        self.env_start = os.environ.get("MUTATED")
        self.seed_seen = self.seed
        self.next(self.middle)

    @noted(label="custom")
    @step
    def middle(self):
        self.env_middle = os.environ.get("MUTATED")
        self.doubled = self.seed * 2
        self.next(self.end)

    @noted()
    @step
    def end(self):
        self.summary = f"{self.env_start}/{self.env_middle}/{self.doubled}"


if __name__ == "__main__":
    MutatorFlow()
