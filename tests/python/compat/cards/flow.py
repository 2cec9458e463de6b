"""Cards: the default card, a blank card filled with components through
current.card, and a card with an id filled through current.card[id]."""

from metaflow import FlowSpec, card, current, step
from metaflow.cards import Markdown, Table


class CardFlow(FlowSpec):
    @card
    @step
    def start(self):
        self.scores = {"alpha": 0.91, "beta": 0.87}
        self.next(self.report)

    @card(type="blank")
    @step
    def report(self):
        current.card.append(Markdown("# Model report"))
        current.card.append(Table([[k, v] for k, v in self.scores.items()], headers=["m", "s"]))
        self.best = max(self.scores, key=self.scores.get)
        self.next(self.end)

    @card(type="blank", id="summary")
    @step
    def end(self):
        current.card["summary"].append(Markdown(f"Best model: **{self.best}**"))
        self.done = True


if __name__ == "__main__":
    CardFlow()
