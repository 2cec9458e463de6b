from metaflow import FlowSpec as FS
from metaflow import Parameter as P
from metaflow import step as mf_step


class AliasNamesFlow(FS):
    alpha = P("alpha", default=1, type=int)

    @mf_step
    def start(self):
        self.x = self.alpha
        self.next(self.end)

    @mf_step
    def end(self):
        print("x =", self.x)


if __name__ == "__main__":
    AliasNamesFlow()
