"""Counterpart of Metaflow's spin test flow SimpleCardFlow (test/unit/spin), without
its image download: a blank @card filled with Markdown depending on a Parameter."""

import string

import pandas
from metaflow import FlowSpec, Parameter, card, current, step
from metaflow.cards import Markdown


class SimpleCardFlow(FlowSpec):
    number = Parameter("number", default=3)

    @card(type="blank")
    @step
    def start(self):
        current.card.append(Markdown("# Guess my number"))
        if self.number > 5:
            current.card.append(Markdown("My number is **smaller**"))
        elif self.number < 5:
            current.card.append(Markdown("My number is **larger**"))
        else:
            current.card.append(Markdown("## Correct!"))
        self.next(self.a)

    @step
    def a(self):
        self.dataframe = pandas.DataFrame(
            {
                "lowercase": list(string.ascii_lowercase),
                "uppercase": list(string.ascii_uppercase),
            }
        )
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    SimpleCardFlow()
