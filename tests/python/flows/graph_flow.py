from metaflow import FlowSpec, step


class GraphFlow(FlowSpec):
    """Ten steps: a static branch and its join, then a foreach with a foreach nested in it."""

    @step
    def start(self):
        self.base = 10
        self.next(self.left, self.right)

    @step
    def left(self):
        self.side = "left"
        self.next(self.merge)

    @step
    def right(self):
        self.side = "right"
        self.next(self.merge)

    @step
    def merge(self, inputs):
        self.sides = sorted(inp.side for inp in inputs)
        self.merge_artifacts(inputs, exclude=["side"])
        self.next(self.plan)

    @step
    def plan(self):
        self.regions = ["eu", "us"]
        self.next(self.region, foreach="regions")

    @step
    def region(self):
        self.region_name = self.input
        self.stores = [f"{self.input}-{n}" for n in range(3)]
        self.next(self.store, foreach="stores")

    @step
    def store(self):
        self.store_name = self.input
        self.sales = self.base + self.index
        self.next(self.join_stores)

    @step
    def join_stores(self, inputs):
        self.region_name = inputs[0].region_name
        self.region_sales = sum(inp.sales for inp in inputs)
        self.next(self.join_regions)

    @step
    def join_regions(self, inputs):
        self.by_region = {inp.region_name: inp.region_sales for inp in inputs}
        self.total = sum(self.by_region.values())
        self.next(self.end)

    @step
    def end(self):
        self.summary = f"{self.total} over {len(self.by_region)} regions"


if __name__ == "__main__":
    GraphFlow()
